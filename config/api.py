"""API-wide error handling: every error is JSON with a `detail` a client can show.

Services raise domain errors, all derived from common.errors.ApplicationError, plus Django's
ValidationError for field problems; mapping them here keeps every view thin and every refusal a
4xx, never a 500. A new app's errors need no new branch.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http.multipartparser import MultiPartParserError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError


def validation_payload(exc: ValidationError) -> dict:
    """Field errors keep their field names; errors about the whole object go under detail."""
    if hasattr(exc, "error_dict"):
        payload = {field: [str(message) for message in messages] for field, messages in exc.message_dict.items()}
        if "__all__" in payload:
            payload["detail"] = " ".join(payload.pop("__all__"))
        else:
            payload["detail"] = " ".join(message for messages in payload.values() for message in messages)
        return payload
    return {"detail": " ".join(exc.messages)}


def messages_in(value: Any) -> list[str]:
    """Every message of a DRF error body, nested lists and objects included, in order."""
    if isinstance(value, dict):
        return [message for item in value.values() for message in messages_in(item)]
    if isinstance(value, list | tuple):
        return [message for item in value for message in messages_in(item)]
    return [str(value)]


def with_detail(data: Any) -> dict:
    """A DRF error body with a `detail` string: field errors keep their keys and are also summed up in it."""
    if isinstance(data, dict):
        if isinstance(data.get("detail"), str):
            return data
        parts = []
        for field, value in data.items():
            text = " ".join(messages_in(value))
            parts.append(text if field in ("non_field_errors", "detail") else f"{field}: {text}")
        return {**data, "detail": " ".join(parts) or "The request is invalid."}
    return {"detail": " ".join(messages_in(data)) or "The request is invalid."}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": str(exc) or "The request is too large."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, ApplicationError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response(exc.payload(), status=exc.status, headers=headers)
    if isinstance(exc, ValidationError):
        return Response(validation_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, MultiPartParserError):
        return Response({"detail": f"The multipart body is malformed: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = with_detail(response.data)
    return response
