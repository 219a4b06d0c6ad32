"""The character API through HTTP: permissions, validation, uploads, search and pagination."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from characters.models import Character, Visibility

pytestmark = pytest.mark.django_db


# --- Permissions matrix: anonymous, owner, another user, staff.

ACTORS = ["anonymous", "owner", "other", "staff"]


@pytest.fixture
def actor(request, owner, other_user, staff_user):
    return {"anonymous": None, "owner": owner, "other": other_user, "staff": staff_user}[request.param]


READ_EXPECTED = {
    # visibility: status per actor
    Visibility.PUBLIC: {"anonymous": 200, "owner": 200, "other": 200, "staff": 200},
    Visibility.UNLISTED: {"anonymous": 200, "owner": 200, "other": 200, "staff": 200},
    Visibility.PRIVATE: {"anonymous": 404, "owner": 200, "other": 404, "staff": 200},
}


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
@pytest.mark.parametrize("visibility", list(Visibility))
def test_read_permissions(actor, visibility, request, client_for, make_character):
    character = make_character(visibility=visibility)
    name = request.node.callspec.params["actor"]
    response = client_for(actor).get(f"/api/characters/{character.slug}/")
    assert response.status_code == READ_EXPECTED[visibility][name]
    card = client_for(actor).get(f"/api/characters/{character.slug}/card/?format=json&spec=v2")
    assert card.status_code == READ_EXPECTED[visibility][name]


WRITE_EXPECTED = {"anonymous": 401, "owner": 200, "other": 403, "staff": 403}


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
def test_update_permissions(actor, request, client_for, make_character):
    character = make_character(tagline="before")
    name = request.node.callspec.params["actor"]
    response = client_for(actor).patch(f"/api/characters/{character.slug}/", {"tagline": "after"}, format="json")
    assert response.status_code == WRITE_EXPECTED[name]
    character.refresh_from_db()
    assert character.tagline == ("after" if name == "owner" else "before")


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
def test_delete_permissions(actor, request, client_for, make_character):
    character = make_character()
    name = request.node.callspec.params["actor"]
    response = client_for(actor).delete(f"/api/characters/{character.slug}/")
    assert response.status_code == {"owner": 204}.get(name, WRITE_EXPECTED[name])
    assert Character.objects.filter(pk=character.pk).exists() == (name != "owner")


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
def test_create_permissions(actor, request, client_for):
    name = request.node.callspec.params["actor"]
    response = client_for(actor).post("/api/characters/", {"name": "Nova"}, format="json")
    assert response.status_code == (401 if name == "anonymous" else 201)


def test_private_character_is_hidden_from_other_users_writes(client_for, other_user, make_character):
    character = make_character(visibility=Visibility.PRIVATE)
    assert client_for(other_user).patch(f"/api/characters/{character.slug}/", {"name": "x"}, format="json").status_code == 404


def test_token_auth_end_to_end(owner):
    from rest_framework.test import APIClient

    client = APIClient()
    bad = client.post("/api/auth/token/", {"username": "owner", "password": "wrong"}, format="json")
    assert bad.status_code == 400
    token = client.post("/api/auth/token/", {"username": "owner", "password": "a-Long-passw0rd"}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/characters/", {"name": "Tokened"}, format="json").status_code == 201
    assert client.post("/api/auth/logout/").status_code == 204
    assert client.post("/api/characters/", {"name": "Again"}, format="json").status_code == 401


# --- Create, update and portraits.


def test_create_with_portrait_multipart(client_for, owner, make_image):
    photo = make_image((3000, 1500), "JPEG")
    response = client_for(owner).post(
        "/api/characters/",
        {
            "name": "Captain {{char}}",
            "tagline": "Skies!",
            "persona": "{{char}} greets {{user}}.\n\n  Indented line.",
            "tags": "Fantasy, pirate, fantasy",
            "visibility": "unlisted",
            "voice": "en-us-amy",
            "extensions": json.dumps({"depth_prompt": {"depth": 4}}),
            "portrait": SimpleUploadedFile("anything.txt", photo),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["persona"] == "{{char}} greets {{user}}.\n\n  Indented line."
    assert body["tags"] == ["fantasy", "pirate"]
    assert body["extensions"] == {"depth_prompt": {"depth": 4}}
    assert body["owner"]["username"] == "owner"
    character = Character.objects.get(slug=body["slug"])
    with Image.open(character.portrait.open("rb")) as image:
        assert image.size == (1024, 512) and image.mode == "RGB"
    with Image.open(character.portrait_thumbnail.open("rb")) as thumb:
        assert thumb.size == (256, 256)


def test_portrait_exif_is_stripped_after_orientation(client_for, owner):
    image = Image.new("RGB", (200, 100), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise
    exif[0x010F] = "SecretCam"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    response = client_for(owner).post(
        "/api/characters/", {"name": "Rotated", "portrait": SimpleUploadedFile("p.jpg", buffer.getvalue())}
    )
    assert response.status_code == 201
    character = Character.objects.get(slug=response.json()["slug"])
    with Image.open(character.portrait.open("rb")) as stored:
        assert stored.size == (100, 200)
        assert not stored.getexif()
        assert b"SecretCam" not in character.portrait.open("rb").read()


def bomb_png() -> bytes:
    """A PNG whose header declares 100,000 × 100,000 pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


BAD_PORTRAITS = {
    "gif": lambda make_image: make_image((10, 10), "GIF"),
    "text": lambda make_image: b"hello, not an image",
    "too_big": lambda make_image: make_image((64, 64), "JPEG") + b"\0" * 10_500_000,
    "too_wide": lambda make_image: make_image((5000, 10), "PNG"),
    "bomb": lambda make_image: bomb_png(),
    "truncated": lambda make_image: make_image((300, 300), "PNG")[:200],
}


@pytest.mark.parametrize("kind", list(BAD_PORTRAITS))
def test_bad_portrait_is_refused_and_nothing_is_saved(kind, client_for, owner, make_image, stored_files):
    response = client_for(owner).post(
        "/api/characters/", {"name": "Broken", "portrait": SimpleUploadedFile("p.png", BAD_PORTRAITS[kind](make_image))}
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Character.objects.exists()
    assert stored_files() == []


@pytest.mark.parametrize("kind", list(BAD_PORTRAITS))
def test_bad_portrait_on_update_keeps_the_old_one(kind, client_for, owner, make_image, make_character, stored_files):
    character = make_character()
    before = stored_files()
    response = client_for(owner).patch(
        f"/api/characters/{character.slug}/",
        {"tagline": "new", "portrait": SimpleUploadedFile("p.png", BAD_PORTRAITS[kind](make_image))},
    )
    assert response.status_code == 400
    character.refresh_from_db()
    assert character.tagline == "" and character.portrait
    assert stored_files() == before


def test_replacing_a_portrait_deletes_the_old_files(
    client_for, owner, make_image, make_character, stored_files, django_capture_on_commit_callbacks
):
    character = make_character()
    old = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).patch(
            f"/api/characters/{character.slug}/", {"portrait": SimpleUploadedFile("n.webp", make_image((80, 80), "WEBP"))}
        )
    assert response.status_code == 200
    new = stored_files()
    assert len(new) == 2 and not set(old) & set(new)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(owner).patch(f"/api/characters/{character.slug}/", {"remove_portrait": "true"})
    assert stored_files() == []


def test_delete_removes_portrait_files(client_for, owner, make_character, stored_files, django_capture_on_commit_callbacks):
    character = make_character()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(owner).delete(f"/api/characters/{character.slug}/").status_code == 204
    assert stored_files() == []


BAD_FIELDS = [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "Ok", "persona": "p" * 32_001}, "persona"),
    ({"name": "Ok", "visibility": "everyone"}, "visibility"),
    ({"name": "Ok", "tags": [f"t{i}" for i in range(31)]}, "tags"),
    ({"name": "Ok", "tags": ["x" * 41]}, "tags"),
    ({"name": "Ok", "extensions": ["not", "an", "object"]}, "extensions"),
    ({"name": "Ok", "extensions": {"marionette": {}}}, "extensions"),
]


@pytest.mark.parametrize(("payload", "field"), BAD_FIELDS)
def test_invalid_fields_get_a_400_naming_the_field(payload, field, client_for, owner):
    response = client_for(owner).post("/api/characters/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Character.objects.exists()


def test_invalid_json_body_is_a_400(client_for, owner):
    response = client_for(owner).post("/api/characters/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_invalid_extensions_json_in_multipart_is_a_400(client_for, owner):
    response = client_for(owner).post("/api/characters/", {"name": "Ok", "extensions": "{broken"})
    assert response.status_code == 400
    assert "extensions" in response.json()


def test_slugs_are_unique_and_reveal_no_private_names(client_for, owner, other_user, make_character):
    make_character("Hidden Plan", visibility=Visibility.PRIVATE)
    slugs = [
        client_for(other_user).post("/api/characters/", {"name": name}, format="json").json()["slug"]
        for name in ["Hidden Plan", "Ada", "Ada", "Import", "日本"]
    ]
    assert len(set(slugs)) == 5
    assert [slug.rsplit("-", 1)[0] for slug in slugs] == ["hidden-plan", "ada", "ada", "import", "character"]
    assert all(len(slug.rsplit("-", 1)[1]) == 6 for slug in slugs)
    assert client_for(owner).get("/api/characters/import/").status_code == 405


# --- Listing: search, tags, owner, pagination.


def test_list_shows_only_public_and_filters(client_for, owner, other_user, make_character):
    make_character("Sky Pirate", tags=["fantasy"], tagline="airships")
    make_character("Hidden", visibility=Visibility.PRIVATE)
    make_character("Link only", visibility=Visibility.UNLISTED)
    make_character("Robot", user=other_user, tags=["sci-fi"])
    anonymous = client_for()
    names = [c["name"] for c in anonymous.get("/api/characters/").json()["results"]]
    assert names == ["Robot", "Sky Pirate"]
    assert [c["name"] for c in anonymous.get("/api/characters/?q=AIRSHIP").json()["results"]] == ["Sky Pirate"]
    assert [c["name"] for c in anonymous.get("/api/characters/?tag=Sci-Fi").json()["results"]] == ["Robot"]
    assert [c["name"] for c in anonymous.get("/api/characters/?owner=owner").json()["results"]] == ["Sky Pirate"]
    mine = [c["name"] for c in client_for(owner).get("/api/characters/?owner=owner").json()["results"]]
    assert sorted(mine) == ["Hidden", "Link only", "Sky Pirate"]
    assert anonymous.get("/api/characters/?owner=nobody").status_code == 404


def test_list_pagination_and_constant_queries(client_for, make_character, django_assert_max_num_queries):
    for index in range(25):
        make_character(f"C{index:02d}", with_portrait=False, tags=["a", "b"])
    client = client_for()
    with django_assert_max_num_queries(4):
        first = client.get("/api/characters/?page_size=20").json()
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert client.get("/api/characters/?page=99").status_code == 404


# --- Profiles and documentation.


def test_profile_update_with_avatar_and_bad_avatar(client_for, owner, make_image):
    client = client_for(owner)
    response = client.patch(
        "/api/users/me/", {"display_name": "Ada L.", "bio": "Hi", "avatar": SimpleUploadedFile("a.png", make_image((300, 300)))}
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada L." and response.json()["avatar"]
    refused = client.patch(
        "/api/users/me/", {"display_name": "Changed", "avatar": SimpleUploadedFile("a.gif", make_image((5, 5), "GIF"))}
    )
    assert refused.status_code == 400 and "GIF" in refused.json()["detail"]
    owner.refresh_from_db()
    assert owner.display_name == "Ada L." and owner.avatar
    public = client_for().get("/api/users/owner/").json()
    assert public["display_name"] == "Ada L." and "email" not in public


def test_signup_api(client_for):
    client = client_for()
    weak = client.post("/api/auth/signup/", {"username": "neo", "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["detail"].lower()
    made = client.post("/api/auth/signup/", {"username": "neo", "password": "a-Long-passw0rd"}, format="json")
    assert made.status_code == 201 and made.json()["token"]
    again = client.post("/api/auth/signup/", {"username": "NEO", "password": "a-Long-passw0rd"}, format="json")
    assert again.status_code == 400 and "taken" in again.json()["username"][0]


def test_openapi_schema_and_docs(client_for):
    schema = client_for().get("/api/schema/?format=json", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    for path in [
        "/api/auth/token/",
        "/api/characters/",
        "/api/characters/{slug}/",
        "/api/characters/import/",
        "/api/characters/{slug}/card/",
    ]:
        assert path in paths
    docs = client_for().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
