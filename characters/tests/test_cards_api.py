"""Card import and export through the API, including real-world cards made by other tools."""

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from characters.models import Character, Visibility

pytestmark = pytest.mark.django_db

CARDS = Path(__file__).resolve().parent / "fixtures" / "cards"


def import_file(client, content: bytes, name: str = "card.bin"):
    return client.post("/api/characters/import/", {"file": SimpleUploadedFile(name, content)}, format="multipart")


@pytest.mark.parametrize(
    ("filename", "name"), [("default_Seraphina.png", "Seraphina"), ("default_FluxTheCat.png", "Flux the Cat")]
)
def test_real_world_cards_import(filename, name, client_for, owner):
    response = import_file(client_for(owner), (CARDS / filename).read_bytes(), filename)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == name
    assert body["visibility"] == "private"
    assert body["persona"] and body["greeting"]
    assert body["portrait"]
    character = Character.objects.get(slug=body["slug"])
    with Image.open(character.portrait.open("rb")) as image:
        assert image.mode == "RGB"


def test_seraphina_round_trips_her_lorebook_and_extensions(client_for, owner):
    client = client_for(owner)
    original_png = (CARDS / "default_Seraphina.png").read_bytes()
    slug = import_file(client, original_png).json()["slug"]
    original = json.loads(base64.b64decode(Image.open(io.BytesIO(original_png)).text["chara"]))["data"]
    for spec, container in [("v2", "png"), ("v3", "png"), ("v2", "json"), ("v3", "json"), ("v3", "charx")]:
        exported = client.get(f"/api/characters/{slug}/card/?format={container}&spec={spec}")
        assert exported.status_code == 200, (spec, container, exported.content[:200])
        again = import_file(client, exported.content).json()
        card = client.get(f"/api/characters/{again['slug']}/card/?format=json&spec=v2").json()["data"]
        assert card["character_book"] == original["character_book"]
        for key in ("talkativeness", "fav", "world"):
            assert card["extensions"][key] == original["extensions"][key]
        assert card["first_mes"] == original["first_mes"]
        assert card["description"] == original["description"]


@pytest.mark.parametrize(("spec", "container"), [("v2", "png"), ("v3", "png"), ("v2", "json"), ("v3", "json"), ("v3", "charx")])
def test_export_import_round_trip(spec, container, client_for, owner, make_character):
    character = make_character(
        "Juniper",
        tagline="Sky captain",
        persona="{{char}} flies.\n  Keeps {{user}} safe.",
        greeting="Ahoy, {{user}}!",
        example_dialogue="<START>\n{{user}}: Hi\n{{char}}: Hello",
        tags=["fantasy", "pirate"],
        voice="en-us-amy",
        visibility=Visibility.UNLISTED,
        extensions={"depth_prompt": {"depth": 4, "prompt": "x"}, "unknown_tool": [1, {"a": None}]},
    )
    client = client_for(owner)
    exported = client.get(f"/api/characters/{character.slug}/card/?format={container}&spec={spec}")
    assert exported.status_code == 200
    assert exported["Content-Disposition"].startswith("attachment;")
    imported = import_file(client, exported.content)
    assert imported.status_code == 201, imported.json()
    body = imported.json()
    for field in ("name", "tagline", "persona", "greeting", "example_dialogue", "voice", "extensions"):
        assert body[field] == getattr(character, field), field
    assert body["tags"] == ["fantasy", "pirate"]
    assert body["visibility"] == "private"  # imports always start private, whatever the card says
    assert bool(body["portrait"]) == (container != "json")


def test_v3_png_has_ccv3_and_v2_backfill(client_for, owner, make_character):
    character = make_character("Mira")
    png = client_for(owner).get(f"/api/characters/{character.slug}/card/?format=png&spec=v3").content
    text = Image.open(io.BytesIO(png)).text
    assert json.loads(base64.b64decode(text["ccv3"]))["spec"] == "chara_card_v3"
    assert json.loads(base64.b64decode(text["chara"]))["spec"] == "chara_card_v2"


def test_export_refusals(client_for, owner, make_character):
    bare = make_character("Bare", with_portrait=False)
    client = client_for(owner)
    png = client.get(f"/api/characters/{bare.slug}/card/?format=png&spec=v3")
    assert png.status_code == 400 and "portrait" in png.json()["detail"].lower()
    assert client.get(f"/api/characters/{bare.slug}/card/?format=charx&spec=v2").status_code == 400
    assert client.get(f"/api/characters/{bare.slug}/card/?format=gif").status_code == 400


def v2_json(**data) -> bytes:
    return json.dumps({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Ok", **data}}).encode()


def png_with_chara(value: str) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("chara", value)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def plain_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buffer, "PNG")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("card.json", v2_json())
        archive.writestr("assets/other/filler.bin", b"\0" * 60_000_000)
    return buffer.getvalue()


MALFORMED = {
    "empty": (b"", "empty"),
    "not json": (b"{nope", "json"),
    "wrong spec": (json.dumps({"spec": "chara_card_v9", "data": {"name": "x"}}).encode(), "spec"),
    "missing name": (json.dumps({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"description": "x"}}).encode(), "name"),
    "oversized": (v2_json(description="d" * 40_000), "description"),
    "bad base64": (png_with_chara("!!!not base64!!!"), "base64"),
    "png without card": (plain_png(), "no character card"),
    "zip bomb": (zip_bomb(), ""),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_cards_get_a_clear_400(case, client_for, owner, stored_files):
    content, fragment = MALFORMED[case]
    response = import_file(client_for(owner), content)
    assert response.status_code == 400
    detail = response.json().get("detail") or json.dumps(response.json())
    assert fragment.lower() in detail.lower()
    assert not Character.objects.exists()
    assert stored_files() == []


def test_import_requires_login_and_a_file(client_for, owner):
    assert import_file(client_for(), v2_json()).status_code == 401
    missing = client_for(owner).post("/api/characters/import/", {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
