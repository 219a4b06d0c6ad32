"""The face rig over HTTP: who may read and change a rig, every bad input a 400 (never a 500), and the editor page."""

import copy

import pytest

from characters import services
from characters.models import Character, Visibility
from engine.rig import HANDLE_HELP, HANDLE_SIZES

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "owner", "other", "staff"]
READ_EXPECTED = {
    Visibility.PUBLIC: {"anonymous": 200, "owner": 200, "other": 200, "staff": 200},
    Visibility.PRIVATE: {"anonymous": 404, "owner": 200, "other": 404, "staff": 200},
}
WRITE_EXPECTED = {
    Visibility.PUBLIC: {"anonymous": 401, "owner": 200, "other": 403, "staff": 403},
    Visibility.PRIVATE: {"anonymous": 401, "owner": 200, "other": 404, "staff": 403},
}


@pytest.fixture
def actor(request, owner, other_user, staff_user):
    return {"anonymous": None, "owner": owner, "other": other_user, "staff": staff_user}[request.param]


@pytest.fixture
def make_rigged(owner, make_image):
    """A character whose plain 300×400 portrait has no face to find: its rig is the centred template."""

    def make(visibility: str = Visibility.PUBLIC) -> Character:
        return services.create_character(owner=owner, name="Rigged", visibility=visibility, portrait=make_image((300, 400)))

    return make


def rig_url(character: Character, suffix: str = "") -> str:
    return f"/api/characters/{character.slug}/rig/{suffix}"


def moved_mouth(handles: dict, dx: float = -10, dy: float = 4) -> dict:
    handles = copy.deepcopy(handles)
    x, y = handles["mouth"][0]
    handles["mouth"][0] = [x + dx, y + dy]
    return handles


def test_read_the_rig(client_for, make_rigged):
    character = make_rigged()
    body = client_for().get(rig_url(character)).json()
    assert body["source"] == "template"
    assert (body["width"], body["height"]) == (300, 400)
    assert body["portrait"].startswith("http") and f"/{character.portrait.name}" in body["portrait"]
    assert {name: len(points) for name, points in body["handles"].items()} == HANDLE_SIZES
    assert body["handle_help"] == HANDLE_HELP
    assert body["rig"]["version"] == 1 and body["rig"]["source"] == "template"


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
@pytest.mark.parametrize("visibility", [Visibility.PUBLIC, Visibility.PRIVATE])
def test_read_permissions(actor, visibility, request, client_for, make_rigged):
    character = make_rigged(visibility)
    name = request.node.callspec.params["actor"]
    assert client_for(actor).get(rig_url(character)).status_code == READ_EXPECTED[visibility][name]


@pytest.mark.parametrize("actor", ACTORS, indirect=True)
@pytest.mark.parametrize("visibility", [Visibility.PUBLIC, Visibility.PRIVATE])
def test_write_permissions(actor, visibility, request, client_for, make_rigged):
    character = make_rigged(visibility)
    before = character.face_rig
    name = request.node.callspec.params["actor"]
    client = client_for(actor)
    handles = moved_mouth(client_for(character.owner).get(rig_url(character)).json()["handles"])
    put = client.put(rig_url(character), {"handles": handles}, format="json")
    assert put.status_code == WRITE_EXPECTED[visibility][name]
    reset = client.post(rig_url(character, "reset/"))
    assert reset.status_code == WRITE_EXPECTED[visibility][name]
    character.refresh_from_db()
    if name == "owner":
        assert put.json()["source"] == "editor" and reset.json()["source"] == "template"
    else:
        assert character.face_rig == before


def test_owner_moves_a_point_and_resets(client_for, owner, make_rigged):
    character = make_rigged()
    client = client_for(owner)
    detected = client.get(rig_url(character)).json()
    handles = moved_mouth(detected["handles"])
    saved = client.put(rig_url(character), {"handles": handles}, format="json")
    assert saved.status_code == 200
    assert saved.json()["source"] == "editor" and saved.json()["handles"] == handles
    again = client.get(rig_url(character)).json()
    assert again["source"] == "editor" and again["handles"] == handles
    reset = client.post(rig_url(character, "reset/")).json()
    assert reset["handles"] == detected["handles"] and reset["source"] == "template"


def swapped_eyes(handles: dict) -> dict:
    return {**handles, "eye_l": handles["eye_r"], "eye_r": handles["eye_l"]}


def mouth_above_eyes(handles: dict) -> dict:
    return {**handles, "mouth": [[x, y - 200] for x, y in handles["mouth"]]}


def off_image(handles: dict) -> dict:
    return {**handles, "outline": [[5000, y] for _, y in handles["outline"]]}


BAD_HANDLES = {
    "not an object": (lambda h: [1, 2], "must be a JSON object"),
    "missing group": (lambda h: {k: v for k, v in h.items() if k != "mouth"}, "'mouth' needs exactly 4 points"),
    "wrong count": (lambda h: {**h, "eye_l": h["eye_l"][:3]}, "'eye_l' needs exactly 4 points"),
    "too many": (lambda h: {**h, "outline": [*h["outline"], h["outline"][0]]}, "'outline' needs exactly 9 points"),
    "strings": (lambda h: {**h, "mouth": [["a", "b"]] * 4}, "pair of numbers"),
    "numeric strings": (lambda h: {**h, "mouth": [[str(x), str(y)] for x, y in h["mouth"]]}, "pair of numbers"),
    "booleans": (lambda h: {**h, "mouth": [[True, False]] * 4}, "pair of numbers"),
    "triples": (lambda h: {**h, "mouth": [[x, y, 0] for x, y in h["mouth"]]}, "pair of numbers"),
    "nulls": (lambda h: {**h, "eye_r": None}, "'eye_r' needs exactly 4 points"),
    "swapped eyes": (swapped_eyes, "left eye must be left of the right eye"),
    "off the image": (off_image, "must lie on the portrait"),
    "mouth above the eyes": (mouth_above_eyes, ""),
}


@pytest.mark.parametrize("case", list(BAD_HANDLES))
def test_bad_handles_are_refused_with_the_rigs_message(case, client_for, owner, make_rigged):
    character = make_rigged()
    before = character.face_rig
    client = client_for(owner)
    change, message = BAD_HANDLES[case]
    response = client.put(
        rig_url(character), {"handles": change(client.get(rig_url(character)).json()["handles"])}, format="json"
    )
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"] and response.json()["detail"]
    character.refresh_from_db()
    assert character.face_rig == before


RAW_BODIES = {
    "malformed JSON": b'{"handles": ',
    "NaN": b'{"handles": {"mouth": [[NaN, 1]]}}',
    "Infinity": b'{"handles": {"mouth": [[Infinity, 1]]}}',
    "overflowing float": b'{"handles": {"mouth": [[1e999, 1], [2, 2], [3, 3], [4, 4]]}}',
    "huge integer": b'{"handles": {"mouth": [[' + b"9" * 5000 + b", 1]]}}",
    "no handles": b'{"points": {}}',
    "handles is a string": b'{"handles": "everywhere"}',
    "a list": b"[1, 2, 3]",
    "deeply nested": b'{"handles": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "not UTF-8": b'{"handles": "\xff"}',
}


@pytest.mark.parametrize("case", list(RAW_BODIES))
def test_malformed_bodies_get_a_400(case, client_for, owner, make_rigged):
    character = make_rigged()
    before = character.face_rig
    response = client_for(owner).generic("PUT", rig_url(character), RAW_BODIES[case], content_type="application/json")
    assert response.status_code == 400, response.content
    assert any(response.json().values())  # a message: detail, or the field it is about
    character.refresh_from_db()
    assert character.face_rig == before


def test_others_are_refused_before_their_body_is_read(client_for, other_user, make_character):
    character = make_character()
    response = client_for(other_user).generic("PUT", rig_url(character), b"{nope", content_type="application/json")
    assert response.status_code == 403


def test_without_portrait_there_is_no_rig(client_for, owner, make_character):
    character = make_character(with_portrait=False)
    client = client_for(owner)
    response = client.get(rig_url(character))
    assert response.status_code == 404 and "portrait" in response.json()["detail"]
    put = client.put(rig_url(character), {"handles": {}}, format="json")
    assert put.status_code == 400 and "portrait" in put.json()["detail"]
    assert client.post(rig_url(character, "reset/")).status_code == 400


def test_the_rig_is_in_the_schema(client_for):
    paths = client_for().get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    rig = paths["/api/characters/{slug}/rig/"]
    assert {"get", "put"} <= set(rig)
    assert "post" in paths["/api/characters/{slug}/rig/reset/"]
    request_schema = rig["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request_schema.endswith("FaceRigWriteRequest")


def test_the_editor_page_is_the_owners(client, owner, other_user, make_rigged, make_character):
    character = make_rigged()
    page_url, detail_url = f"/c/{character.slug}/rig/", f"/c/{character.slug}/"
    assert client.get(page_url).status_code == 302  # to the login page
    assert "Edit face rig" not in client.get(detail_url).content.decode()
    client.force_login(other_user)
    assert client.get(page_url).status_code == 403
    assert "Edit face rig" not in client.get(detail_url).content.decode()
    client.force_login(owner)
    assert "Edit face rig" in client.get(detail_url).content.decode()
    editor = client.get(page_url).content.decode()
    assert 'id="rig-data"' in editor and f'data-api="/api/characters/{character.slug}/rig/"' in editor
    bare = make_character(with_portrait=False)
    assert "Edit face rig" not in client.get(f"/c/{bare.slug}/").content.decode()
    assert "Add a portrait" in client.get(f"/c/{bare.slug}/rig/").content.decode()
