"""Hostile and malformed input gets a clear 4xx everywhere, never a 500, and stores nothing."""

import base64
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from characters.models import Character

pytestmark = pytest.mark.django_db

DEEP = '{"a":' * 3000 + "1" + "}" * 3000


def card_json(**data) -> bytes:
    return json.dumps({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Ok", **data}}).encode()


def raw_card(data_text: str) -> bytes:
    """A V2 card whose data object is given as raw JSON text, for values json.dumps would not write."""
    return ('{"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Ok", ' + data_text + "}}").encode()


@pytest.mark.parametrize(
    ("method", "path", "login"),
    [
        ("post", "/api/auth/signup/", False),
        ("post", "/api/auth/token/", False),
        ("post", "/api/characters/", True),
        ("patch", "/api/users/me/", True),
    ],
)
def test_deeply_nested_json_bodies_are_400(method, path, login, client_for, owner):
    client = client_for(owner if login else None)
    response = getattr(client, method)(path, data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    "extensions",
    [
        DEEP,
        '{"a": 1e999}',
        '{"a": ' + "9" * 5000 + "}",
        '{"a": "b\\u0000"}',
        '{"\\ud800": 1}',
    ],
    ids=["deep", "infinity", "long-int", "nul", "surrogate"],
)
def test_unstorable_extensions_are_400_in_api_and_forms(extensions, client, client_for, owner):
    api = client_for(owner).post("/api/characters/", {"name": "Ok", "extensions": extensions})
    assert api.status_code == 400 and "extensions" in api.json()
    client.force_login(owner)
    page = client.post("/c/new/", {"name": "Ok", "visibility": "public", "extensions": extensions})
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert not Character.objects.exists()


def test_unstorable_text_in_json_api_is_400(client_for, owner):
    surrogate = '{"name": "a\\ud800"}'
    assert client_for(owner).post("/api/characters/", data=surrogate, content_type="application/json").status_code == 400
    nul = {"name": "Ok", "persona": "a\x00b"}
    assert client_for(owner).post("/api/characters/", nul, format="json").status_code == 400
    assert not Character.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        raw_card('"extensions": {"a": 1e999}'),
        raw_card('"extensions": {"a": ' + "9" * 5000 + "}"),
        raw_card('"description": "a\\ud800"'),
        raw_card('"scenario": "a\\ud800"'),
        card_json(description="a\x00b"),
        card_json(tags=["ok\x00"]),
        card_json(extensions={"k\x00": 1}),
        card_json(character_book={"entries": [{"content": "\x00"}]}),
    ],
    ids=["infinity", "long-int", "surrogate", "surrogate-in-card-data", "nul-text", "nul-tag", "nul-key", "nul-deep"],
)
def test_unstorable_card_values_are_400(content, client_for, owner):
    response = client_for(owner).post("/api/characters/import/", {"file": SimpleUploadedFile("c.json", content)})
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not Character.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/characters/?q=a%00b",
        "/api/characters/?tag=a%00",
        "/api/characters/a%00b/",
        "/api/users/a%00b/",
        "/?q=a%00b",
        "/u/a%00b/",
    ],
)
def test_nul_in_path_or_query_is_400(path, client):
    assert client.get(path).status_code == 400


def test_nul_in_token_header_is_400(client):
    assert client.get("/api/characters/", HTTP_AUTHORIZATION="Token a\x00b").status_code == 400


def test_a_flood_of_tags_is_refused(client_for, owner):
    tags = [f"tag{index}" for index in range(60_000)]
    response = client_for(owner).post("/api/characters/", {"name": "Ok", "tags": tags}, format="json")
    assert response.status_code == 400 and "tags" in response.json()
    page_tags = ",".join(tags[:2000])
    assert client_for(owner).post("/api/characters/", {"name": "Ok", "tags": [page_tags]}, format="json").status_code == 400


def test_extensions_that_would_not_fit_an_exported_card_are_refused(client_for, owner):
    payload = {"name": "Ok", "tagline": "t" * 200, "extensions": {"a": "x" * 999_990}}
    response = client_for(owner).post("/api/characters/", payload, format="json")
    assert response.status_code == 400 and "extensions" in response.json()


def test_a_png_card_with_a_large_text_chunk_imports(client_for, owner):
    """The card text does not count against the 10 MB image limit; only the image does."""
    card = card_json(character_book={"entries": [{"keys": ["x"], "content": "lore " * 2_400_000}]})
    info = PngImagePlugin.PngInfo()
    info.add_text("chara", base64.b64encode(card).decode())
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, "PNG", pnginfo=info)
    assert len(buffer.getvalue()) > 12_000_000
    response = client_for(owner).post("/api/characters/import/", {"file": SimpleUploadedFile("big.png", buffer.getvalue())})
    assert response.status_code == 201, response.json()
    assert response.json()["portrait"]


def test_eps_disguised_as_a_charx_icon_never_reaches_a_decoder(client_for, owner):
    import zipfile

    card = {
        "spec": "chara_card_v3",
        "spec_version": "3.0",
        "data": {
            "name": "Ok",
            "assets": [{"type": "icon", "uri": "embeded://assets/icon/images/main.png", "name": "main", "ext": "png"}],
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("card.json", json.dumps(card))
        archive.writestr("assets/icon/images/main.png", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    response = client_for(owner).post("/api/characters/import/", {"file": SimpleUploadedFile("c.charx", buffer.getvalue())})
    assert response.status_code == 400 and "Only PNG, JPEG and WebP" in response.json()["detail"]
