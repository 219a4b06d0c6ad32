"""OpenAPI schema additions: the error responses every operation can give, in the one error shape.

config/api.py makes every API error {"detail": "...", <field>: [...]}; this hook documents that shape
as the Error component and adds the statuses an operation can answer with beside those its view
declares, so clients (and the contract test, config/tests/test_api_contract.py) can rely on them.
"""

from typing import Any

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every API error: `detail` is a message to show; a field error also keeps the field's messages under its name.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": True,
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
SAFE_METHODS = {"get", "head", "options"}
DESCRIPTIONS = {
    "400": "The request is invalid: a field, a parameter or the body (`detail` says what).",
    "401": "The credentials are missing or invalid.",
    "403": "Not allowed for this user.",
    "404": "No such object, or no such page.",
    "413": "The request body is too large.",
    "429": "Too many requests; try again later.",
}


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    query = {parameter["name"] for parameter in parameters if parameter.get("in") == "query"}
    has_body = "requestBody" in operation
    statuses = ["401"]  # any request may carry a token that is not (or no longer) valid
    if has_body or query:
        statuses.append("400")
    if any(parameter.get("in") == "path" for parameter in parameters) or query & {"page", "cursor"}:
        statuses.append("404")
    if method not in SAFE_METHODS:
        statuses += ["403", "429"]
    if has_body:
        statuses.append("413")
    return statuses


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in error_statuses(method, operation):
                responses.setdefault(
                    code, {"content": {"application/json": {"schema": ERROR_REF}}, "description": DESCRIPTIONS[code]}
                )
    return result
