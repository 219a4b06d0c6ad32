"""Face rigs through the services: detected with every new portrait, placed by the owner, carried by cards."""

import copy
import io
import json
import zipfile
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from characters import selectors, services
from characters.cards import CardFields, write_card
from characters.cards.png import find_card_text
from characters.models import Character
from demo.characters import DEMO_CHARACTERS, load_demo_content
from engine.rig import Rig

pytestmark = pytest.mark.django_db

MIRA = settings.BASE_DIR / "evals" / "data" / "portraits" / "drawn" / "demo_mira.png"
FLUX = Path(__file__).resolve().parent / "fixtures" / "cards" / "default_FluxTheCat.png"


@pytest.fixture
def mira(owner):
    return services.create_character(owner=owner, name="Mira", portrait=MIRA.read_bytes())


def moved(handles: dict, group: str, index: int, dx: float, dy: float) -> dict:
    """The handles with one point moved."""
    handles = copy.deepcopy(handles)
    handles[group][index] = [handles[group][index][0] + dx, handles[group][index][1] + dy]
    return handles


def assert_same_handles(actual: dict, expected: dict, tolerance: float = 0.1) -> None:
    assert actual.keys() == expected.keys()
    for group, points in expected.items():
        for (x, y), (ex, ey) in zip(actual[group], points, strict=True):
            assert abs(x - ex) <= tolerance and abs(y - ey) <= tolerance, (group, (x, y), (ex, ey))


def stored_rig(character) -> Rig:
    character.refresh_from_db()
    return Rig.from_dict(character.face_rig)


# --- detection with the portrait


def test_a_drawn_face_is_rigged_by_the_face_mesh(mira):
    rig = stored_rig(mira)
    assert rig.source == "mediapipe"
    assert (rig.width, rig.height) == (mira.portrait.width, mira.portrait.height)
    eye_l, eye_r, mouth = (rig.handles()[name] for name in ("eye_l", "eye_r", "mouth"))
    assert eye_l[2][0] < eye_r[0][0] and max(eye_l[3][1], eye_r[3][1]) < mouth[1][1]


def test_a_face_the_mesh_misses_gets_a_template(owner):
    character = services.create_character(owner=owner, name="Flux", portrait=FLUX.read_bytes())
    rig = stored_rig(character)
    assert rig.source in ("haar", "template")
    assert (rig.width, rig.height) == (character.portrait.width, character.portrait.height)


def test_no_portrait_no_rig(make_character):
    assert make_character(with_portrait=False).face_rig is None


def test_a_portrait_too_small_to_animate_is_kept_without_a_rig(owner, make_image):
    character = services.create_character(owner=owner, name="Tiny", portrait=make_image((16, 16)))
    assert character.portrait and character.face_rig is None
    assert selectors.face_rig_display(character=character) is None


def test_the_rig_follows_the_portrait(owner, make_character, make_image):
    character = make_character(with_portrait=False)
    services.update_character(character=character, actor=owner, changes={}, portrait=MIRA.read_bytes())
    assert stored_rig(character).source == "mediapipe"
    services.update_character(character=character, actor=owner, changes={"tagline": "New"})
    assert stored_rig(character).source == "mediapipe"  # text changes keep the rig
    services.update_character(character=character, actor=owner, changes={}, portrait=make_image((300, 400)))
    rig = stored_rig(character)
    assert (rig.source, rig.width, rig.height) == ("template", 300, 400)
    services.update_character(character=character, actor=owner, changes={}, remove_portrait=True)
    character.refresh_from_db()
    assert character.face_rig is None


def test_demo_characters_get_rigs():
    characters = load_demo_content()
    assert len(characters) == len(DEMO_CHARACTERS)
    for character in characters:
        character.refresh_from_db()
        assert Rig.from_dict(character.face_rig).source == "mediapipe", character.name


def test_the_migration_rigs_characters_stored_before_rigs(mira, make_character):
    bare = make_character(with_portrait=False)
    Character.objects.update(face_rig=None)
    import_module("characters.migrations.0002_character_face_rig").detect_existing_rigs(django_apps, None)
    assert stored_rig(mira).source == "mediapipe"
    bare.refresh_from_db()
    assert bare.face_rig is None


# --- the owner places the points


def test_owner_moves_a_point(mira, owner):
    handles = moved(stored_rig(mira).handles(), "mouth", 0, -6, 2)
    rig = services.set_face_rig(character=mira, actor=owner, handles=handles)
    assert rig.source == "editor"
    stored = stored_rig(mira)
    assert stored.source == "editor"
    assert_same_handles(stored.handles(), handles)


def test_only_the_owner_places_points(mira, other_user):
    before = stored_rig(mira).to_dict()
    with pytest.raises(PermissionDenied):
        services.set_face_rig(character=mira, actor=other_user, handles=Rig.from_dict(before).handles())
    with pytest.raises(PermissionDenied):
        services.reset_face_rig(character=mira, actor=other_user)
    assert stored_rig(mira).to_dict() == before


def test_an_impossible_layout_is_refused_with_the_rigs_message(mira, owner):
    before = stored_rig(mira).handles()
    handles = dict(before, eye_l=before["eye_r"], eye_r=before["eye_l"])
    with pytest.raises(ValidationError) as refused:
        services.set_face_rig(character=mira, actor=owner, handles=handles)
    assert "left eye must be left of the right eye" in " ".join(refused.value.messages)
    assert stored_rig(mira).handles() == before


def test_a_character_without_portrait_has_no_rig_to_place(make_character, owner):
    character = make_character(with_portrait=False)
    with pytest.raises(ValidationError, match="portrait"):
        services.set_face_rig(character=character, actor=owner, handles={})
    with pytest.raises(ValidationError, match="portrait"):
        services.reset_face_rig(character=character, actor=owner)


def test_reset_detects_again(mira, owner):
    detected = stored_rig(mira)
    services.set_face_rig(character=mira, actor=owner, handles=moved(detected.handles(), "eye_l", 1, 0, -3))
    rig = services.reset_face_rig(character=mira, actor=owner)
    assert rig.source == "mediapipe"
    assert_same_handles(stored_rig(mira).handles(), detected.handles())


# --- cards carry the rig under extensions.marionette.face_rig


def card_json(card: bytes, container: str) -> dict:
    """The card object inside an exported file."""
    if container == "charx":
        with zipfile.ZipFile(io.BytesIO(card)) as archive:
            return json.loads(archive.read("card.json"))
    if container == "png":
        return json.loads(find_card_text(card)[1])
    return json.loads(card)


@pytest.mark.parametrize(("spec", "container"), [("v3", "png"), ("v2", "png"), ("v3", "charx")])
def test_an_edited_rig_round_trips_through_cards_with_a_portrait(spec, container, mira, owner):
    handles = moved(stored_rig(mira).handles(), "mouth", 0, -9.5, 3.2)
    services.set_face_rig(character=mira, actor=owner, handles=handles)
    mira.refresh_from_db()
    card = selectors.export_card(character=mira, spec=spec, container=container).content
    assert card_json(card, container)["data"]["extensions"]["marionette"]["face_rig"] == mira.face_rig
    imported = services.import_card(owner=owner, data=card)
    rig = stored_rig(imported)
    assert rig.source == "editor"
    assert_same_handles(rig.handles(), handles)
    assert "face_rig" not in imported.platform_data


@pytest.mark.parametrize("spec", ["v2", "v3"])
def test_a_json_card_carries_the_rig_but_has_no_portrait_to_put_it_on(spec, mira, owner):
    card = selectors.export_card(character=mira, spec=spec, container="json").content
    assert card_json(card, "json")["data"]["extensions"]["marionette"]["face_rig"] == mira.face_rig
    imported = services.import_card(owner=owner, data=card)
    assert imported.face_rig is None and "face_rig" not in imported.platform_data


def card_with_rig(portrait: bytes, face_rig) -> bytes:
    """A V3 PNG card of this portrait whose extensions say face_rig."""
    return write_card(CardFields(name="Carried", face_rig=face_rig), spec="v3", container="png", portrait=portrait, creator="x")


def scaled_png(source: Path, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.open(source).convert("RGB").resize(size).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_rig_made_for_a_larger_copy_is_scaled_to_the_stored_portrait(mira, owner):
    edited = moved(stored_rig(mira).handles(), "eye_r", 2, 4, 0)
    rig = services.set_face_rig(character=mira, actor=owner, handles=edited)
    big = rig.scaled(2048, 2048)  # the same picture at 4×: stored downscaled to 1024
    imported = services.import_card(owner=owner, data=card_with_rig(scaled_png(MIRA, (2048, 2048)), big.to_dict()))
    stored = stored_rig(imported)
    assert (stored.source, stored.width, stored.height) == ("editor", 1024, 1024)
    assert_same_handles(stored.handles(), rig.scaled(1024, 1024).handles(), tolerance=0.15)


HANDMADE = Rig.from_handles(
    {
        "outline": [[256, 60], [380, 100], [440, 220], [420, 340], [256, 460], [92, 340], [72, 220], [132, 100], [190, 70]],
        "eye_l": [[170, 230], [200, 215], [230, 230], [200, 245]],
        "eye_r": [[282, 230], [312, 215], [342, 230], [312, 245]],
        "mouth": [[215, 360], [256, 350], [297, 360], [256, 380]],
    },
    512,
    512,
).to_dict()


def hostile_rigs(valid: dict) -> dict[str, object]:
    """Rigs a card may carry that must never be kept."""
    off_image = copy.deepcopy(valid)
    off_image["points"]["outline"][0] = [-5000, 10]
    swapped = copy.deepcopy(valid)
    swapped["points"]["eye_l"], swapped["points"]["eye_r"] = swapped["points"]["eye_r"], swapped["points"]["eye_l"]
    short = copy.deepcopy(valid)
    short["points"]["lips_outer"] = short["points"]["lips_outer"][:3]
    return {
        "not an object": "rig",
        "empty": {},
        "future version": {**valid, "version": 99},
        "strings": {**valid, "points": {**valid["points"], "pupils": [["a", "b"], ["c", "d"]]}},
        "huge size": {**valid, "width": 10**9, "height": 10**9},
        "boolean size": {**valid, "width": True},
        "unknown source": {**valid, "source": "<script>"},
        "off the image": off_image,
        "swapped eyes": swapped,
        "missing points": short,
        "other aspect": Rig.from_dict(valid).scaled(512, 768).to_dict(),
    }


HOSTILE = hostile_rigs(HANDMADE)


def test_a_valid_card_rig_for_the_same_portrait_is_kept(owner):
    imported = services.import_card(owner=owner, data=card_with_rig(MIRA.read_bytes(), HANDMADE))
    assert imported.face_rig == HANDMADE


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_card_rig_falls_back_to_detection(case, owner):
    imported = services.import_card(owner=owner, data=card_with_rig(MIRA.read_bytes(), HOSTILE[case]))
    assert stored_rig(imported).source == "mediapipe"
