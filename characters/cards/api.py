"""read_card / write_card: the two entry points the Django app calls.

The container is sniffed from the bytes, never from a file name or a
client-supplied content type, because both are trivially wrong or forged.
"""

from __future__ import annotations

import json
from typing import Any

from . import charx, png
from .errors import CardError
from .images import check_image, to_png
from .limits import CHARX_MAX_CARD_JSON_BYTES, CHARX_MAX_TOTAL_BYTES, MAX_CARD_BYTES
from .model import CardFields, ImportedCard
from .schema import build_card_object, decode_json, parse_card_object

SPECS = ("v2", "v3")
CONTAINERS = ("json", "png", "charx")
# The V3 spec asks a V2 backfill to warn readers that they see a reduced card.
V3_BACKFILL_NOTE = (
    "This character card is Character Card V3, but it is loaded as a Character Card V2. "
    "Please use a Character Card V3 compatible application to use this character card properly."
)
_OTHER_FORMATS = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a WebP or other RIFF file"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"%PDF", "a PDF document"),
)
_LOOKS_LIKE_JSON = tuple(b'{["')


def read_card(data: bytes) -> ImportedCard:
    """Import a card from the raw bytes of an uploaded file (PNG, CHARX or JSON)."""
    data = bytes(data)
    if not data:
        raise CardError("The file is empty.")
    if len(data) > MAX_CARD_BYTES:
        raise CardError(f"The file is {_megabytes(len(data))}; the limit is {_megabytes(MAX_CARD_BYTES)}.")
    if data.startswith(png.PNG_SIGNATURE):
        return _read_png(data)
    if data.startswith(charx.ZIP_SIGNATURE):
        return _read_charx(data)
    return _read_json(data)


def _read_json(data: bytes) -> ImportedCard:
    for magic, kind in _OTHER_FORMATS:
        if data.startswith(magic):
            raise CardError(f"This file is {kind}, not a character card. {_FORMATS_HINT}")
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start or start[0] not in _LOOKS_LIKE_JSON:
        raise CardError(f"This file is not a character card. {_FORMATS_HINT}")
    spec, fields = parse_card_object(decode_json(data, "The file"))
    return ImportedCard(spec=spec, container="json", fields=fields, portrait=None)


def _read_png(data: bytes) -> ImportedCard:
    keyword, raw = png.find_card_text(data)
    image = png.strip_text_chunks(data)
    check_image(image, "The PNG image")
    spec, fields = parse_card_object(decode_json(raw, f'The "{keyword}" PNG chunk'))
    # ccdefault: icons mean "this PNG", which becomes the portrait.
    assets = fields.card_data.get("assets")
    if assets:
        fields.card_data["assets"] = [a for a in assets if not (a["type"] == "icon" and a["uri"] == "ccdefault:")]
    return ImportedCard(spec=spec, container="png", fields=fields, portrait=image)


def _read_charx(data: bytes) -> ImportedCard:
    with charx.open_charx(data) as archive:
        names = set(archive.namelist())
        if charx.CARD_JSON not in names:
            raise CardError("The CHARX file has no card.json at its root.")
        raw = charx.read_entry(archive, charx.CARD_JSON, CHARX_MAX_CARD_JSON_BYTES)
        spec, fields = parse_card_object(decode_json(raw, "The card.json in this CHARX file"))
        if spec != "v3":
            raise CardError('The card.json in a CHARX file must be a Character Card V3 (spec "chara_card_v3").')
        assets: list[dict] = fields.card_data.get("assets", [])
        for asset in assets:
            path = charx.embedded_path(asset["uri"])
            if path is not None and path not in names:
                raise CardError(f'The card lists the asset "{path[:100]}", but the CHARX file does not contain it.')
        icon = _main_icon(assets)
        portrait = None
        if icon is not None:
            portrait = charx.read_entry(archive, charx.embedded_path(icon["uri"]) or "", CHARX_MAX_TOTAL_BYTES)
            check_image(portrait, "The portrait in this CHARX file")
            fields.card_data["assets"] = [a for a in assets if a is not icon]
    return ImportedCard(spec=spec, container="charx", fields=fields, portrait=portrait)


def _main_icon(assets: list[dict]) -> dict | None:
    """The icon named "main", else the first icon, among the embedded assets."""
    icons = [a for a in assets if a["type"] == "icon" and charx.embedded_path(a["uri"]) is not None]
    return next((a for a in icons if a.get("name") == "main"), icons[0] if icons else None)


def write_card(
    fields: CardFields,
    *,
    spec: str,
    container: str,
    portrait: bytes | None,
    creator: str,
    created_at: int | None = None,
    modified_at: int | None = None,
) -> bytes:
    """Export a character as a V2/V3 card in a JSON, PNG or CHARX file.

    ``portrait`` is any image Pillow reads; it is re-encoded as PNG. ``creator``
    fills ``data.creator`` when the imported card had none. The result is
    checked by the importer's own rules, so an export always re-imports.
    """
    if spec not in SPECS:
        raise CardError(f'Unknown export spec "{spec}"; expected "v2" or "v3".')
    if container not in CONTAINERS:
        raise CardError(f'Unknown export container "{container}"; expected json, png or charx.')
    if container == "charx" and spec != "v3":
        raise CardError("A CHARX file holds a Character Card V3; export with spec v3 instead.")
    if container == "png" and portrait is None:
        raise CardError("A PNG card needs a portrait; export as JSON instead.")
    icon_png = to_png(portrait) if portrait is not None and container != "json" else None

    def build(version: str) -> dict:
        card = build_card_object(
            fields,
            version,
            creator=creator,
            assets=_export_assets(fields, container, icon_png),
            created_at=created_at,
            modified_at=modified_at,
        )
        parse_card_object(card)  # same rules as import: fail here, not on re-upload
        return card

    card = build(spec)
    if container == "json":
        out = json.dumps(card, ensure_ascii=False, indent=2).encode("utf-8")
    elif container == "charx":
        card_json = json.dumps(card, ensure_ascii=False, indent=2).encode("utf-8")
        out = charx.write_charx(card_json, icon_png, modified_at or created_at)
    else:
        assert icon_png is not None
        texts = []
        if spec == "v3":
            texts.append(("ccv3", png.encode_text(_compact(card))))
            backfill = build("v2")
            notes = backfill["data"]["creator_notes"]
            backfill["data"]["creator_notes"] = V3_BACKFILL_NOTE + (f"\n\n{notes}" if notes else "")
            texts.append(("chara", png.encode_text(_compact(backfill))))
        else:
            texts.append(("chara", png.encode_text(_compact(card))))
        out = png.add_text_chunks(icon_png, texts)
    if len(out) > MAX_CARD_BYTES:
        raise CardError(
            f"The exported card would be {_megabytes(len(out))}; the limit is "
            f"{_megabytes(MAX_CARD_BYTES)}. Try a smaller portrait or JSON."
        )
    return out


def _export_assets(fields: CardFields, container: str, icon_png: bytes | None) -> list[dict]:
    """Our icon first, then the imported non-icon assets that still resolve outside a zip."""
    others = [
        a
        for a in fields.card_data.get("assets") or []
        if isinstance(a, dict) and a.get("type") != "icon" and _portable(a.get("uri"))
    ]
    if container == "png":
        return [_icon("ccdefault:"), *others]
    if container == "charx" and icon_png is not None:
        return [_icon(charx.EMBEDDED_SCHEME + charx.ICON_PATH), *others]
    return others


def _icon(uri: str) -> dict:
    return {"type": "icon", "uri": uri, "name": "main", "ext": "png"}


def _portable(uri: Any) -> bool:
    """URIs that mean the same thing in any container (embeded:// and ccdefault: do not)."""
    return isinstance(uri, str) and uri.startswith(("https://", "http://", "data:"))


def _compact(card: dict) -> bytes:
    return json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _megabytes(size: int) -> str:
    """Size for messages, rounded up so a file just over the limit never reads as equal."""
    tenths = -(-size // 100_000)
    return f"{tenths / 10:,.1f} MB".replace(".0 MB", " MB")


_FORMATS_HINT = "Upload a character card as a PNG image, a CHARX file or a JSON file."
