"""Card JSON (V1/V2/V3) <-> CardFields.

Import is strict about the fields the platform stores (types and limits, so
the database never sees a bad value) and permissive about everything else:
unknown keys are kept verbatim in ``card_data``/``extensions`` so export can
write them back.
"""

from __future__ import annotations

import json
import math
from typing import Any

from storable import json_problem

from .errors import CardError
from .limits import (
    FIELD_LIMITS,
    MAX_EXTENSIONS_BYTES,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    NAMESPACE,
    VISIBILITIES,
    json_size,
)
from .model import CardFields

SPEC_V2 = "chara_card_v2"
SPEC_V3 = "chara_card_v3"
SPEC_NAMES = {"v2": SPEC_V2, "v3": SPEC_V3}

# Card keys mapped onto CardFields attributes; never copied into card_data.
MAPPED_KEYS = ("name", "description", "first_mes", "mes_example", "tags", "extensions")
V2_KEYS = (
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "alternate_greetings",
    "character_book",
    "tags",
    "creator",
    "character_version",
    "extensions",
)
V3_ONLY_KEYS = (
    "assets",
    "nickname",
    "creator_notes_multilingual",
    "source",
    "group_only_greetings",
    "creation_date",
    "modification_date",
)
_TEXT_KEYS = frozenset(
    {
        "personality",
        "scenario",
        "creator_notes",
        "system_prompt",
        "post_history_instructions",
        "creator",
        "character_version",
        "nickname",
    }
)
_TEXT_LIST_KEYS = frozenset({"alternate_greetings", "group_only_greetings", "source"})
_OBJECT_KEYS = frozenset({"character_book", "creator_notes_multilingual"})
_DATE_KEYS = frozenset({"creation_date", "modification_date"})
_NULLABLE_KEYS = _TEXT_KEYS | _TEXT_LIST_KEYS | _OBJECT_KEYS | {"assets"}
# SillyTavern writes these at the root of V1 cards; they are app state, not character.
_V1_APP_STATE_KEYS = frozenset({"avatar", "chat", "create_date", "json_data", "spec_version"})
# The keys of extensions.marionette that CardFields models directly.
PLATFORM_MAPPED_KEYS = ("tagline", "voice", "visibility", "face_rig")


def decode_json(raw: bytes, where: str) -> Any:
    """Parse UTF-8 JSON, turning every failure into a CardError that says where."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CardError(f"{where} is not UTF-8 text (bad byte at offset {exc.start:,}).") from None

    def _reject_constant(token: str) -> None:
        raise CardError(f"{where} contains {token}, which is not allowed in JSON.")

    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise CardError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except RecursionError:
        raise CardError(f"{where} is nested too deeply to be a character card.") from None
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise CardError(f"{where} is not valid JSON: {exc}.") from None
    problem = json_problem(value)
    if problem:
        raise CardError(f"{where} {problem}.")
    return value


def parse_card_object(obj: Any) -> tuple[str, CardFields]:
    """Identify the spec of a parsed card and map it onto CardFields."""
    if not isinstance(obj, dict):
        raise CardError(f"A character card must be a JSON object ({{...}}), not {_kind(obj)}.")
    spec = obj.get("spec")
    if spec is None:
        if isinstance(obj.get("data"), dict):  # a V2 card that lost its "spec" line
            return "v2", _parse_data(obj["data"])
        return "v1", _parse_data(_v1_to_data(obj))
    if spec == SPEC_V2:
        version, major = "v2", 2
    elif spec == SPEC_V3:
        version, major = "v3", 3
    else:
        raise CardError(f"Unknown card spec {_quote(spec)}; expected {SPEC_V2} or {SPEC_V3}.")
    _check_spec_version(obj.get("spec_version"), spec, major)
    data = obj.get("data")
    if data is None:
        raise CardError(f'The card has no "data" object; a {spec} card keeps its fields there.')
    if not isinstance(data, dict):
        raise CardError(f'The card\'s "data" must be a JSON object, not {_kind(data)}.')
    return version, _parse_data(data)


def _check_spec_version(value: Any, spec: str, major: int) -> None:
    """Accept any minor version of the major we read (spec: minors are additive)."""
    if value is None:
        return
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or int(number) != major:
        raise CardError(f"Unsupported spec_version {_quote(value)} for {spec}; this platform reads {major}.x.")


def _v1_to_data(obj: dict) -> dict:
    """Lift a flat V1 card into V2-shaped data, as SillyTavern does on import."""
    data = {k: v for k, v in obj.items() if k not in _V1_APP_STATE_KEYS}
    if "creatorcomment" in data:
        comment = data.pop("creatorcomment")
        if isinstance(comment, str):
            data.setdefault("creator_notes", comment)
    # Tags and extensions are not V1 fields; legacy tools wrote odd shapes there.
    tags = data.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        del data["tags"]
    if not isinstance(data.get("extensions", {}), dict):
        del data["extensions"]
    legacy = {k: data.pop(k) for k in ("talkativeness", "fav") if k in data}
    if legacy:
        data["extensions"] = {**legacy, **data.get("extensions", {})}
    return data


def _parse_data(data: dict) -> CardFields:
    """Validate a card's data object and split it into CardFields."""
    rest = dict(data)
    name = _text(rest.pop("name", None), "name").strip()
    if not name:
        raise CardError("The card has no name.")
    _check_length(name, "name", "name")
    persona = _limited(rest.pop("description", None), "description", "persona")
    greeting = _limited(rest.pop("first_mes", None), "first_mes", "greeting")
    example = _limited(rest.pop("mes_example", None), "mes_example", "example_dialogue")
    tags = _tags(rest.pop("tags", None))
    extensions, platform = _extensions(rest.pop("extensions", None))
    tagline = _limited(platform.pop("tagline", None), f"extensions.{NAMESPACE}.tagline", "tagline")
    voice = _limited(platform.pop("voice", None), f"extensions.{NAMESPACE}.voice", "voice")
    visibility = platform.pop("visibility", None)
    if not (isinstance(visibility, str) and visibility in VISIBILITIES):
        visibility = None
    face_rig = platform.pop("face_rig", None)
    _check_other_keys(rest)
    return CardFields(
        name=name,
        tagline=tagline,
        persona=persona,
        greeting=greeting,
        example_dialogue=example,
        tags=tags,
        voice=voice,
        visibility=visibility,
        extensions=extensions,
        platform=platform,
        face_rig=face_rig if isinstance(face_rig, dict) else None,
        card_data=rest,
    )


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CardError(f'Field "{key}" must be text, not {_kind(value)}.')
    return value


def _check_length(value: str, key: str, limit_key: str) -> None:
    limit = FIELD_LIMITS[limit_key]
    if len(value) > limit:
        raise CardError(f'Field "{key}" is {len(value):,} characters; the limit is {limit:,}.')


def _limited(value: Any, key: str, limit_key: str) -> str:
    text = _text(value, key)
    _check_length(text, key, limit_key)
    return text


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise CardError('Field "tags" must be a list of text tags.')
    if len(value) > MAX_TAGS:
        raise CardError(f"The card has {len(value)} tags; the limit is {MAX_TAGS}.")
    for tag in value:
        if len(tag) > MAX_TAG_LENGTH:
            raise CardError(f'Tag "{tag[:MAX_TAG_LENGTH]}…" is {len(tag):,} characters; the limit is {MAX_TAG_LENGTH}.')
    return list(value)


def _extensions(value: Any) -> tuple[dict, dict]:
    """Split data.extensions into (foreign extensions, our namespace)."""
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        raise CardError(f'Field "extensions" must be a JSON object, not {_kind(value)}.')
    size = json_size(value)
    if size > MAX_EXTENSIONS_BYTES:
        raise CardError(f"The card's extensions are {size:,} bytes of JSON; the limit is {MAX_EXTENSIONS_BYTES:,}.")
    extensions = dict(value)
    platform = extensions.pop(NAMESPACE, None)
    if platform is None:
        return extensions, {}
    if not isinstance(platform, dict):
        raise CardError(f'Field "extensions.{NAMESPACE}" must be a JSON object, not {_kind(platform)}.')
    return extensions, dict(platform)


def _check_other_keys(rest: dict) -> None:
    """Type-check the standard keys kept in card_data; drop nulls and junk dates."""
    for key in list(rest):
        value = rest[key]
        if value is None and key in _NULLABLE_KEYS:
            del rest[key]
        elif key in _TEXT_KEYS:
            _text(value, key)
        elif key in _TEXT_LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise CardError(f'Field "{key}" must be a list of text.')
        elif key in _OBJECT_KEYS:
            if not isinstance(value, dict):
                raise CardError(f'Field "{key}" must be a JSON object, not {_kind(value)}.')
        elif key in _DATE_KEYS:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                del rest[key]  # meaningless to us; export writes a fresh one
        elif key == "assets":
            _check_assets(value)


def _check_assets(value: Any) -> None:
    ok = isinstance(value, list) and all(
        isinstance(a, dict) and isinstance(a.get("type"), str) and isinstance(a.get("uri"), str) for a in value
    )
    if not ok:
        raise CardError('Field "assets" must be a list of objects, each with a "type" and a "uri".')


def build_card_object(
    fields: CardFields,
    spec: str,
    *,
    creator: str,
    assets: list[dict] | None = None,
    created_at: int | None = None,
    modified_at: int | None = None,
) -> dict:
    """Write CardFields as a V2 or V3 card object, standard keys first, unknown keys after.

    ``creation_date`` keeps the card's original value when it has one (the card
    was created once); ``modification_date`` prefers ``modified_at``.
    """
    extra = fields.card_data

    def text(key: str) -> str:
        value = extra.get(key)
        return value if isinstance(value, str) else ""

    def text_list(key: str) -> list:
        value = extra.get(key)
        return list(value) if isinstance(value, list) else []

    data: dict[str, Any] = {
        "name": fields.name,
        "description": fields.persona,
        "personality": text("personality"),
        "scenario": text("scenario"),
        "first_mes": fields.greeting,
        "mes_example": fields.example_dialogue,
        "creator_notes": text("creator_notes"),
        "system_prompt": text("system_prompt"),
        "post_history_instructions": text("post_history_instructions"),
        "alternate_greetings": text_list("alternate_greetings"),
    }
    if isinstance(extra.get("character_book"), dict):
        data["character_book"] = extra["character_book"]
    data["tags"] = list(fields.tags)
    data["creator"] = text("creator") or creator
    data["character_version"] = text("character_version")
    data["extensions"] = build_extensions(fields)
    if spec == "v3":
        if assets is not None:
            data["assets"] = assets
        for key in ("nickname", "creator_notes_multilingual", "source"):
            if key in extra:
                data[key] = extra[key]
        data["group_only_greetings"] = text_list("group_only_greetings")
        created = extra.get("creation_date")
        created = created if _is_number(created) else created_at
        modified = modified_at if modified_at is not None else extra.get("modification_date")
        if created is not None:
            data["creation_date"] = created
        if _is_number(modified):
            data["modification_date"] = modified
    known = set(V2_KEYS) | set(V3_ONLY_KEYS)
    for key, value in extra.items():
        if key not in known and key not in data:
            data[key] = value
    version = "3.0" if spec == "v3" else "2.0"
    return {"spec": SPEC_NAMES[spec], "spec_version": version, "data": data}


def build_extensions(fields: CardFields) -> dict:
    """data.extensions: foreign keys untouched, then our namespace (omitted when empty)."""
    extensions = {k: v for k, v in fields.extensions.items() if k != NAMESPACE}
    ours: dict[str, Any] = {}
    if fields.tagline:
        ours["tagline"] = fields.tagline
    if fields.voice:
        ours["voice"] = fields.voice
    if fields.visibility:
        ours["visibility"] = fields.visibility
    if fields.face_rig:
        ours["face_rig"] = fields.face_rig
    for key, value in fields.platform.items():
        if key not in PLATFORM_MAPPED_KEYS:
            ours[key] = value
    if ours:
        extensions[NAMESPACE] = ours
    return extensions


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """Name a JSON value's type the way a creator would: 'a list', 'a number'..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _quote(value: Any) -> str:
    """Quote a user-supplied value for a message, shortened so errors stay readable."""
    text = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, str):
        text = f'"{text}"'
    return text if len(text) <= 60 else text[:57] + '…"'
