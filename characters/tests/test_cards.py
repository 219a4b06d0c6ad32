"""Tests for characters.cards: plain pytest, no Django, no database."""

from __future__ import annotations

import base64
import copy
import io
import json
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from characters.cards import (
    FIELD_LIMITS,
    MAX_CARD_BYTES,
    MAX_EXTENSIONS_BYTES,
    MAX_TAGS,
    NAMESPACE,
    CardError,
    CardFields,
    read_card,
    write_card,
)
from characters.cards import png as pngmod

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cards"
SERAPHINA = FIXTURES / "default_Seraphina.png"
FLUX = FIXTURES / "default_FluxTheCat.png"
COMBOS = [("v2", "json"), ("v2", "png"), ("v3", "json"), ("v3", "png"), ("v3", "charx")]
V3_ONLY = ("nickname", "source", "group_only_greetings", "creator_notes_multilingual")
MAPPED_ATTRS = ("name", "tagline", "persona", "greeting", "example_dialogue", "tags", "voice", "visibility", "platform")
ICON_I = {"type": "icon", "uri": "embeded://i.png", "name": "main", "ext": "png"}


# --------------------------------------------------------------------------- helpers


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def b64json(obj: object) -> bytes:
    return base64.b64encode(json.dumps(obj, ensure_ascii=False).encode("utf-8"))


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 40, 90)[: len(mode)] if mode != "L" else 128).save(out, format=fmt)
    return out.getvalue()


def png_with(texts: list[tuple[bytes, bytes]], base: bytes | None = None) -> bytes:
    """A small real PNG with extra text-like chunks (kind, payload) before IEND."""
    base = base or image_bytes()
    assert base.endswith(chunk(b"IEND", b""))
    return base[:-12] + b"".join(chunk(k, p) for k, p in texts) + chunk(b"IEND", b"")


def card_png(card: object, keyword: bytes = b"chara") -> bytes:
    return png_with([(b"tEXt", keyword + b"\0" + b64json(card))])


def v2(**data: object) -> dict:
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Ada", **data}}


def v3(**data: object) -> dict:
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": {"name": "Ada", **data}}


def jbytes(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def make_zip(entries: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are deliberate in one test
        with zipfile.ZipFile(out, "w") as archive:
            for name, payload in entries:
                info = zipfile.ZipInfo(name)
                info.compress_type = method
                archive.writestr(info, payload)
    return out.getvalue()


def _patch_central(blob: bytes, offset: int, value: bytes) -> bytes:
    """Overwrite a field of every central-directory header (what zipfile trusts)."""
    out = bytearray(blob)
    pos = out.find(b"PK\x01\x02")
    while pos != -1:
        out[pos + offset : pos + offset + len(value)] = value
        pos = out.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def patch_central_size(blob: bytes, size: int) -> bytes:
    """Make the headers lie about the uncompressed size."""
    return _patch_central(blob, 24, struct.pack("<I", size))


def patch_central_flags(blob: bytes, flags: int) -> bytes:
    """Set general-purpose flags (bit 0: encrypted), which zipfile will not write itself."""
    return _patch_central(blob, 8, struct.pack("<H", flags))


def rich_fields() -> CardFields:
    """A character using every kind of value export must carry."""
    return CardFields(
        name="Zoë 雪 🦊",
        tagline="A fox who keeps the lighthouse — «toujours»",
        persona="{{char}} is a fox.\r\n\r\n  Indented line kept.  \n{{user}} visits.\u00a0",
        greeting="*{{char}} waves at {{user}}* Привет! مرحبا 👋",
        example_dialogue="<START>\n{{user}}: hi\n{{char}}: *yips*",
        tags=["fantasy", "动物", "fox 🦊"],
        voice="alloy",
        visibility="unlisted",
        extensions={
            "zeta": 1,
            "talkativeness": "0.5",
            "depth_prompt": {"prompt": "{{char}} hums.", "depth": 4, "role": "system"},
            "alpha": [1, {"b": 2, "a": [None, True, 1.5]}],
        },
        platform={"rig": {"mesh": "fox-v2", "points": [[0.1, 0.2], [0.3, 0.4]]}},
        card_data={
            "personality": "curious",
            "scenario": "A lighthouse.",
            "creator_notes": "Notes with {{char}}",
            "system_prompt": "",
            "post_history_instructions": "Stay in character.",
            "alternate_greetings": ["Hi {{user}}!", "Ahoy ⚓"],
            "character_book": {"name": "Lore", "entries": [{"keys": ["light"], "content": "{{char}} lit it."}]},
            "creator": "someone else",
            "character_version": "2.1",
            "nickname": "Zo",
            "source": ["https://example.org/zoe"],
            "group_only_greetings": ["Hello all"],
            "creator_notes_multilingual": {"fr": "Notes"},
            "creation_date": 1600000000,
            "x_unknown": {"nested": [1, 2, {"k": "v"}], "order": {"z": 1, "a": 2}},
        },
    )


def export(fields: CardFields, spec: str, container: str, **kw: object) -> bytes:
    portrait = kw.pop("portrait", image_bytes("JPEG", (16, 24)))
    return write_card(fields, spec=spec, container=container, portrait=portrait, creator="exporter", **kw)


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("path, name", [(SERAPHINA, "Seraphina"), (FLUX, "Flux the Cat")])
def test_fixture_imports(path: Path, name: str) -> None:
    data = path.read_bytes()
    card = read_card(data)
    assert (card.spec, card.container) == ("v2", "png")
    assert card.fields.name == name
    assert card.fields.persona.strip() and card.fields.greeting.strip()
    assert "{{char}}" in card.fields.persona + card.fields.greeting + card.fields.card_data["scenario"]
    assert card.portrait == pngmod.strip_text_chunks(data)  # the image without the card text
    assert set(card.fields.extensions) == {"talkativeness", "fav", "world"}
    assert card.fields.card_data["creator_notes"].startswith("ST Default Bot contest winner")


def test_seraphina_details() -> None:
    fields = read_card(SERAPHINA.read_bytes()).fields
    assert fields.extensions == {"talkativeness": "0.5", "fav": False, "world": "Eldoria"}
    book = fields.card_data["character_book"]
    assert len(book["entries"]) == 4 and book["entries"][0]["keys"][0] == "eldoria"
    assert "\r\n" in fields.persona  # text kept exactly, line endings included


@pytest.mark.parametrize("spec, container", COMBOS)
@pytest.mark.parametrize("path", [SERAPHINA, FLUX], ids=["seraphina", "flux"])
def test_fixture_round_trip(path: Path, spec: str, container: str) -> None:
    original = read_card(path.read_bytes())
    out = write_card(original.fields, spec=spec, container=container, portrait=original.portrait, creator="x")
    again = read_card(out)
    assert (again.spec, again.container) == (spec, container)
    before, after = original.fields, again.fields
    for attr in ("name", "persona", "greeting", "example_dialogue", "tags", "extensions", "platform"):
        assert getattr(after, attr) == getattr(before, attr), attr
    for key, value in before.card_data.items():
        assert after.card_data[key] == value, key
    if container == "json":
        assert again.portrait is None
    else:
        with Image.open(io.BytesIO(again.portrait)) as image:
            assert image.format == "PNG"
            assert image.size == Image.open(path).size


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("container", ["json", "png"])
def test_v2_round_trip(container: str) -> None:
    fields = rich_fields()
    card = read_card(export(fields, "v2", container))
    assert (card.spec, card.container) == ("v2", container)
    got = card.fields
    for attr in MAPPED_ATTRS:
        assert getattr(got, attr) == getattr(fields, attr), attr
    assert got.extensions == fields.extensions
    assert list(got.extensions) == list(fields.extensions)  # key order kept
    expected = {k: v for k, v in fields.card_data.items() if k not in V3_ONLY and k != "creation_date"}
    assert got.card_data == expected  # V3-only keys dropped, unknown key kept
    assert list(got.card_data["x_unknown"]["order"]) == ["z", "a"]


@pytest.mark.parametrize("container", ["json", "png", "charx"])
def test_v3_round_trip(container: str) -> None:
    fields = rich_fields()
    card = read_card(export(fields, "v3", container, created_at=1700000000, modified_at=1700000500))
    assert (card.spec, card.container) == ("v3", container)
    got = card.fields
    for attr in MAPPED_ATTRS:
        assert getattr(got, attr) == getattr(fields, attr), attr
    assert got.extensions == fields.extensions
    assert list(got.extensions) == list(fields.extensions)
    for key, value in fields.card_data.items():
        assert got.card_data[key] == value, key
    assert got.card_data["creation_date"] == 1600000000  # the card's own date wins
    assert got.card_data["modification_date"] == 1700000500
    assert got.card_data.get("assets", []) == []  # our icon is consumed as the portrait
    assert (card.portrait is None) == (container == "json")


def test_second_round_trip_is_stable() -> None:
    once = read_card(export(rich_fields(), "v3", "png", modified_at=5)).fields
    twice = read_card(export(once, "v3", "png", modified_at=5)).fields
    assert twice == once


def test_json_output_format() -> None:
    out = export(rich_fields(), "v3", "json")
    text = out.decode("utf-8")
    assert "🦊" in text and "\\u" not in text  # ensure_ascii=False
    assert text.startswith('{\n  "spec": "chara_card_v3",\n  "spec_version": "3.0",\n  "data": {')
    data = json.loads(text)["data"]
    assert data["extensions"][NAMESPACE] == {
        "tagline": rich_fields().tagline,
        "voice": "alloy",
        "visibility": "unlisted",
        "rig": rich_fields().platform["rig"],
    }
    assert data["creator"] == "someone else"


def test_v2_export_shape_and_creator_fallback() -> None:
    fields = CardFields(name="Bo", persona="p")
    data = json.loads(write_card(fields, spec="v2", container="json", portrait=None, creator="me"))
    assert data["spec"] == "chara_card_v2" and data["spec_version"] == "2.0"
    assert data["data"]["creator"] == "me"
    assert data["data"]["extensions"] == {}  # empty marionette block omitted
    required = (
        "personality",
        "scenario",
        "creator_notes",
        "system_prompt",
        "post_history_instructions",
        "alternate_greetings",
        "tags",
        "character_version",
    )
    for key in required:
        assert key in data["data"]
    assert not set(data["data"]) & {"assets", "group_only_greetings", "creation_date"}


def test_v3_png_has_both_chunks_and_chara_is_v2() -> None:
    out = export(rich_fields(), "v3", "png")
    texts = {}
    for kind, payload in pngmod.iter_chunks(out):
        if kind == b"tEXt":
            key, _, value = payload.partition(b"\0")
            assert key not in texts  # no stale duplicates from the source image
            texts[key] = json.loads(base64.b64decode(value))
    assert set(texts) == {b"ccv3", b"chara"}
    assert texts[b"ccv3"]["spec"] == "chara_card_v3"
    assert texts[b"ccv3"]["data"]["assets"] == [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}]
    backfill = texts[b"chara"]
    assert backfill["spec"] == "chara_card_v2" and backfill["spec_version"] == "2.0"
    assert not set(backfill["data"]) & {"assets", "nickname", "group_only_greetings"}
    assert "Character Card V3" in backfill["data"]["creator_notes"]
    alone = read_card(card_png(backfill))  # a V2-only reader gets a valid card
    assert alone.spec == "v2" and alone.fields.name == "Zoë 雪 🦊"
    assert alone.fields.extensions == rich_fields().extensions


def test_charx_layout() -> None:
    out = export(rich_fields(), "v3", "charx")
    with zipfile.ZipFile(io.BytesIO(out)) as archive:
        assert sorted(archive.namelist()) == ["assets/icon/images/main.png", "card.json"]
        card = json.loads(archive.read("card.json"))
        assert card["data"]["assets"] == [
            {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"}
        ]
        assert archive.read("assets/icon/images/main.png").startswith(pngmod.PNG_SIGNATURE)


def test_portrait_is_reencoded_png_without_old_card() -> None:
    source = png_with([(b"tEXt", b"chara\0" + b64json(v2(name="Old")))])
    out = write_card(CardFields(name="New"), spec="v2", container="png", portrait=source, creator="x")
    assert read_card(out).fields.name == "New"
    keys = [p.partition(b"\0")[0] for k, p in pngmod.iter_chunks(out) if k == b"tEXt"]
    assert keys == [b"chara"]


def test_v1_import_json_and_png() -> None:
    v1 = {
        "name": "  Old Tom ",
        "description": "{{char}} is old.",
        "personality": "grumpy",
        "scenario": "A pub.",
        "first_mes": "Hello {{user}}.",
        "mes_example": "<START>",
        "avatar": "none",
        "chat": "Old Tom - 2023",
        "create_date": "2023-5-12",
        "creatorcomment": "Made by hand",
        "talkativeness": "0.5",
        "fav": False,
        "x_legacy": 7,
    }
    for card in (read_card(jbytes(v1)), read_card(card_png(v1))):
        assert card.spec == "v1"
        f = card.fields
        assert f.name == "Old Tom"
        assert (f.persona, f.greeting, f.example_dialogue) == ("{{char}} is old.", "Hello {{user}}.", "<START>")
        assert f.card_data == {"personality": "grumpy", "scenario": "A pub.", "x_legacy": 7, "creator_notes": "Made by hand"}
        assert f.extensions == {"talkativeness": "0.5", "fav": False}
    assert read_card(jbytes(v1)).portrait is None


def test_platform_namespace_mapping() -> None:
    card = v2(extensions={"a": 1, NAMESPACE: {"tagline": "t", "voice": "v", "visibility": "secret", "rig": [1]}})
    f = read_card(jbytes(card)).fields
    assert (f.tagline, f.voice, f.visibility) == ("t", "v", None)  # invalid visibility dropped
    assert f.platform == {"rig": [1]} and f.extensions == {"a": 1}
    for value in ("public", "unlisted", "private"):
        card["data"]["extensions"][NAMESPACE]["visibility"] = value
        assert read_card(jbytes(card)).fields.visibility == value


def test_face_rig_travels_in_the_platform_namespace() -> None:
    rig = {"version": 1, "source": "editor", "width": 64, "height": 64, "points": {}}
    f = read_card(jbytes(v2(extensions={NAMESPACE: {"face_rig": rig, "other": 1}}))).fields
    assert f.face_rig == rig and f.platform == {"other": 1}  # checked against the portrait by the importer, not here
    assert read_card(write_card(f, spec="v3", container="png", portrait=image_bytes(), creator="x")).fields.face_rig == rig
    assert read_card(jbytes(v2(extensions={NAMESPACE: {"face_rig": [1, 2]}}))).fields.face_rig is None


def test_unknown_keys_survive_read_only_import() -> None:
    card = v3(
        extensions={"z": {"deep": [1, {"x": None}]}, "a": 2},
        future_field={"x": 1},
        assets=[
            {"type": "background", "uri": "https://example.org/bg.png", "name": "bg", "ext": "png"},
        ],
    )
    f = read_card(jbytes(card)).fields
    assert list(f.extensions) == ["z", "a"]
    assert f.card_data["future_field"] == {"x": 1}
    again = read_card(write_card(f, spec="v3", container="png", portrait=image_bytes(), creator="x")).fields
    assert again.card_data["assets"] == card["data"]["assets"]  # https asset still meaningful
    assert again.card_data["future_field"] == {"x": 1}


def test_spec_versions_accepted() -> None:
    for version in ("3.0", "3.5", 3, None):
        card = v3()
        card["spec_version"] = version
        assert read_card(jbytes(card)).spec == "v3"
    assert read_card(jbytes({"data": {"name": "No spec"}})).spec == "v2"


def test_png_prefers_ccv3_and_reads_ztxt_itxt() -> None:
    both = png_with(
        [
            (b"tEXt", b"chara\0" + b64json(v2(name="From chara"))),
            (b"tEXt", b"ccv3\0" + b64json(v3(name="From ccv3"))),
        ]
    )
    card = read_card(both)
    assert (card.spec, card.fields.name) == ("v3", "From ccv3")
    ztxt = png_with([(b"zTXt", b"chara\0\0" + zlib.compress(b64json(v2(name="Z"))))])
    assert read_card(ztxt).fields.name == "Z"
    itxt = png_with([(b"iTXt", b"ccv3\0\1\0en\0\0" + zlib.compress(b64json(v3(name="I"))))])
    assert read_card(itxt).fields.name == "I"
    plain_itxt = png_with([(b"iTXt", b"chara\0\0\0\0\0" + b64json(v2(name="P")))])
    assert read_card(plain_itxt).fields.name == "P"


def test_charx_portrait_choice() -> None:
    icon_a, icon_main = image_bytes(size=(3, 3)), image_bytes(size=(5, 5))
    card = v3(
        assets=[
            {"type": "icon", "uri": "embeded://assets/icon/images/a.png", "name": "a", "ext": "png"},
            {"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"},
            {"type": "emotion", "uri": "embeded://assets/emotion/images/joy.png", "name": "joy", "ext": "png"},
        ]
    )
    files = [
        ("assets/icon/images/a.png", icon_a),
        ("assets/icon/images/main.png", icon_main),
        ("assets/emotion/images/joy.png", icon_a),
    ]
    imported = read_card(_charx(card, *files))
    assert imported.portrait == icon_main
    assert [a["name"] for a in imported.fields.card_data["assets"]] == ["a", "joy"]
    card["data"]["assets"] = card["data"]["assets"][:1]  # no "main": the first icon
    assert read_card(_charx(card, *files[:1])).portrait == icon_a
    card["data"]["assets"] = [{"type": "icon", "uri": "https://example.org/i.png", "name": "main", "ext": "png"}]
    assert read_card(_charx(card)).portrait is None  # only embedded icons count


# --------------------------------------------------------------------------- import errors


def _huge_png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    return (
        pngmod.PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"tEXt", b"chara\0" + b64json(v2()))
        + chunk(b"IEND", b"")
    )


def _pixel_corrupt_png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        pngmod.PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"not zlib at all")
        + chunk(b"tEXt", b"chara\0" + b64json(v2()))
        + chunk(b"IEND", b"")
    )


def _bad_crc_png() -> bytes:
    good = card_png(v2())
    pos = good.index(b"IDAT") + 6
    return good[:pos] + bytes([good[pos] ^ 0xFF]) + good[pos + 1 :]


def _field(key: str, value: object) -> bytes:
    return jbytes(v2(**{key: value}))


def _charx(card: object, *extra: tuple[str, bytes]) -> bytes:
    return make_zip([("card.json", jbytes(card)), *extra])


JSON_ERRORS = [
    (b"", "The file is empty."),
    (b"hello there", "not a character card"),
    (b"\xff\xd8\xff\xe0 jpeg", "JPEG image"),
    (b'{\n  "name": "x",\n  oops\n}', "not valid JSON: Expecting property name enclosed in double quotes at line 3, column 3"),
    (b'{"name": NaN}', "NaN"),
    (b"\xef\xbb\xbf[1, 2]", "must be a JSON object"),
    (b'{"name": "\xff"}', "not UTF-8"),
    (jbytes({"spec": "foo", "data": {}}), 'Unknown card spec "foo"; expected chara_card_v2 or chara_card_v3.'),
    (jbytes({**v3(), "spec_version": "4.0"}), 'Unsupported spec_version "4.0"'),
    (jbytes({**v2(), "spec_version": "3.0"}), "reads 2.x"),
    (jbytes({**v2(), "spec_version": "abc"}), "Unsupported spec_version"),
    (jbytes({"spec": "chara_card_v2"}), 'no "data" object'),
    (jbytes({"spec": "chara_card_v3", "data": []}), '"data" must be a JSON object'),
    (jbytes({"spec": "chara_card_v2", "data": {"description": "x"}}), "The card has no name."),
    (_field("name", "   "), "The card has no name."),
    (jbytes({"description": "v1 without name"}), "The card has no name."),
    (_field("name", 42), 'Field "name" must be text, not a number'),
    (_field("description", ["a"]), 'Field "description" must be text, not a list'),
    (_field("personality", {"a": 1}), 'Field "personality" must be text'),
    (_field("creator", False), 'Field "creator" must be text'),
    (_field("alternate_greetings", "hi"), 'Field "alternate_greetings" must be a list of text'),
    (_field("character_book", "lore"), 'Field "character_book" must be a JSON object'),
    (_field("assets", [{"type": "icon"}]), 'Field "assets" must be a list'),
    (_field("tags", "a, b"), 'Field "tags" must be a list of text tags.'),
    (_field("tags", ["a", 1]), 'Field "tags" must be a list of text tags.'),
    (_field("tags", [f"t{i}" for i in range(MAX_TAGS + 1)]), "31 tags; the limit is 30."),
    (_field("tags", ["x" * 41]), "41 characters; the limit is 40."),
    (_field("name", "n" * 101), 'Field "name" is 101 characters; the limit is 100.'),
    (_field("description", "d" * 40_123), 'Field "description" is 40,123 characters; the limit is 32,000.'),
    (_field("first_mes", "g" * 16_001), 'Field "first_mes" is 16,001 characters; the limit is 16,000.'),
    (_field("mes_example", "e" * 32_001), 'Field "mes_example" is 32,001 characters; the limit is 32,000.'),
    (_field("extensions", {NAMESPACE: {"tagline": "t" * 201}}), 'tagline" is 201 characters; the limit is 200.'),
    (_field("extensions", {NAMESPACE: {"voice": "v" * 65}}), 'voice" is 65 characters; the limit is 64.'),
    (_field("extensions", {NAMESPACE: {"voice": 3}}), 'voice" must be text'),
    (_field("extensions", {NAMESPACE: "public"}), f'"extensions.{NAMESPACE}" must be a JSON object'),
    (_field("extensions", ["a"]), 'Field "extensions" must be a JSON object'),
    (_field("extensions", {"big": "x" * MAX_EXTENSIONS_BYTES}), "the limit is 1,000,000."),
]


@pytest.mark.parametrize("data, fragment", JSON_ERRORS, ids=[f[1][:40] for f in JSON_ERRORS])
def test_json_errors(data: bytes, fragment: str) -> None:
    with pytest.raises(CardError) as excinfo:
        read_card(data)
    assert fragment in str(excinfo.value)


def test_file_over_limit() -> None:
    with pytest.raises(CardError, match="the limit is 20 MB"):
        read_card(b" " * (MAX_CARD_BYTES + 1))


PNG_ERRORS = [
    (lambda: image_bytes(), "This PNG has no character card inside"),
    (lambda: png_with([(b"tEXt", b"Comment\0hello")]), "no character card inside"),
    (lambda: png_with([(b"tEXt", b"chara\0not base64!!")]), 'The "chara" PNG chunk is not valid base64.'),
    (lambda: png_with([(b"tEXt", b"ccv3\0" + base64.b64encode(b"\xff\xfe\xfd"))]), 'The "ccv3" PNG chunk is not UTF-8'),
    (lambda: png_with([(b"tEXt", b"chara\0" + base64.b64encode(b"just text"))]), 'The "chara" PNG chunk is not valid JSON'),
    (lambda: png_with([(b"zTXt", b"chara\0\0not zlib")]), "compression is broken"),
    (lambda: card_png(v2())[:60], "truncated or corrupt"),
    (lambda: card_png(v2())[:-12], "truncated or corrupt"),  # no IEND
    (lambda: pngmod.PNG_SIGNATURE, "truncated or corrupt"),
    (_bad_crc_png, 'bad checksum in its "IDAT" chunk'),
    (_pixel_corrupt_png, "The PNG image was refused: The image file is damaged"),
    (_huge_png, "100,000×100,000 pixels; the limit is 4096×4096."),
    (lambda: card_png({"spec": "chara_card_v9", "data": {}}), 'Unknown card spec "chara_card_v9"'),
]


@pytest.mark.parametrize("make, fragment", PNG_ERRORS, ids=[f[1][:40] for f in PNG_ERRORS])
def test_png_errors(make, fragment: str) -> None:
    with pytest.raises(CardError) as excinfo:
        read_card(make())
    assert fragment in str(excinfo.value)


def test_truncated_fixture() -> None:
    data = SERAPHINA.read_bytes()
    with pytest.raises(CardError, match="truncated"):
        read_card(data[: len(data) // 2])


def test_huge_png_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow must not be reached")

    monkeypatch.setattr(Image, "open", boom)
    with pytest.raises(CardError, match="pixels"):
        read_card(_huge_png())


CHARX_ERRORS = [
    (lambda: b"PK\x03\x04 not really a zip", "not a valid zip archive"),
    (lambda: make_zip([(f"f{i}.txt", b"x") for i in range(201)]), "201 entries; the limit is 200"),
    (lambda: make_zip([("card.json", jbytes(v3())), ("assets/other/bomb.bin", b"\0" * 10_000_000)]), "zip bomb"),
    (lambda: patch_central_size(_charx(v3()), 60_000_000), "more than 50 MB"),  # header claims 60 MB
    (lambda: patch_central_size(_charx(v3(description="x" * 500)), 10), 'entry "card.json" is corrupt'),  # claims 10 B
    (lambda: make_zip([("card.json", jbytes(v3())), ("../evil.txt", b"x")]), 'unsafe path "../evil.txt"'),
    (lambda: make_zip([("card.json", jbytes(v3())), ("assets/../../evil.txt", b"x")]), "unsafe path"),
    (lambda: make_zip([("card.json", jbytes(v3())), ("/etc/passwd", b"x")]), 'unsafe path "/etc/passwd"'),
    (lambda: make_zip([("card.json", jbytes(v3())), ("C:/evil.txt", b"x")]), "unsafe path"),
    (lambda: make_zip([("card.json", jbytes(v3())), ("a\\..\\..\\evil.txt", b"x")]), "unsafe path"),
    (lambda: make_zip([("card.json", jbytes(v3())), ("card.json", jbytes(v3()))]), "twice"),
    (lambda: patch_central_flags(make_zip([("card.json", jbytes(v3()))]), 0x1), "encrypted"),
    (lambda: make_zip([("cards/card.json", jbytes(v3()))]), "no card.json at its root"),
    (lambda: make_zip([("card.json", b" " * 5_000_001)], method=zipfile.ZIP_STORED), "the limit is 5,000,000"),
    (lambda: _charx(v2()), "must be a Character Card V3"),
    (lambda: _charx({"name": "v1"}), "must be a Character Card V3"),
    (lambda: make_zip([("card.json", b"{oops")]), "The card.json in this CHARX file is not valid JSON"),
    (
        lambda: _charx(
            v3(assets=[{"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"}])
        ),
        'asset "assets/icon/images/main.png", but the CHARX file does not contain it',
    ),
    (
        lambda: _charx(v3(assets=[ICON_I]), ("i.png", b"not an image")),
        "The portrait in this CHARX file was refused: Only PNG, JPEG and WebP",
    ),
    (
        lambda: _charx(v3(assets=[ICON_I]), ("i.png", _huge_png())),
        "The portrait in this CHARX file was refused: The image is 100000×100000 pixels",
    ),
]


@pytest.mark.parametrize("make, fragment", CHARX_ERRORS, ids=[f[1][:40] for f in CHARX_ERRORS])
def test_charx_errors(make, fragment: str) -> None:
    with pytest.raises(CardError) as excinfo:
        read_card(make())
    assert fragment in str(excinfo.value)


# --------------------------------------------------------------------------- export errors


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"spec": "v2", "container": "png", "portrait": None}, "A PNG card needs a portrait; export as JSON instead."),
        ({"spec": "v2", "container": "charx", "portrait": None}, "CHARX"),
        ({"spec": "v1", "container": "json", "portrait": None}, 'Unknown export spec "v1"'),
        ({"spec": "v3", "container": "zip", "portrait": None}, 'Unknown export container "zip"'),
        ({"spec": "v3", "container": "png", "portrait": b"not an image"}, "portrait is not an image"),
    ],
)
def test_write_errors(kwargs: dict, fragment: str) -> None:
    with pytest.raises(CardError) as excinfo:
        write_card(CardFields(name="Bo"), creator="x", **kwargs)
    assert fragment in str(excinfo.value)


def test_write_refuses_what_import_would_refuse() -> None:
    fields = CardFields(name="Bo", persona="p" * (FIELD_LIMITS["persona"] + 1))
    with pytest.raises(CardError, match="the limit is 32,000"):
        write_card(fields, spec="v2", container="json", portrait=None, creator="x")
    with pytest.raises(CardError, match="no name"):
        write_card(CardFields(name=" "), spec="v2", container="json", portrait=None, creator="x")


def test_write_does_not_mutate_fields() -> None:
    fields = rich_fields()
    snapshot = copy.deepcopy(fields)
    for spec, container in COMBOS:
        export(fields, spec, container)
    assert fields == snapshot


def test_oversized_portrait_scaled_on_export() -> None:
    big = image_bytes("JPEG", (4100, 10), "RGB")
    out = write_card(CardFields(name="Wide"), spec="v3", container="png", portrait=big, creator="x")
    with Image.open(io.BytesIO(read_card(out).portrait)) as image:
        assert max(image.size) <= 4096
