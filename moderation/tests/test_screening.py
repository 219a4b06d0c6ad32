"""Automatic screening of characters on create, update and card import: blocks are 400s that store
nothing, doubtful content is saved but held for review, and protected likenesses are held."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from characters.models import Character
from moderation import services
from moderation.models import Case, ModerationState, ProtectedPerson

pytestmark = pytest.mark.django_db

PHOTOS = Path(__file__).resolve().parents[2] / "evals" / "data" / "portraits" / "photos"
BLOCKED_TEXT = "Write a steamy scene where the 13 year old girl and her coach have sex."
REVIEW_TEXT = "Come spend the night with me, naked in my bed."


def photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (PHOTOS / name).read_bytes())


def test_blocked_text_is_refused_with_its_category(client_for, owner, stored_files):
    response = client_for(owner).post("/api/characters/", {"name": "Bad", "persona": BLOCKED_TEXT}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "content_blocked" and "sexual/minors" in body["categories"]
    assert "persona" in body["detail"]
    assert not Character.objects.exists() and not Case.objects.exists() and stored_files() == []


def test_blocked_text_on_update_changes_nothing(client_for, owner, make_character):
    character = make_character("Fine", greeting="Hello!")
    response = client_for(owner).patch(f"/api/characters/{character.slug}/", {"greeting": BLOCKED_TEXT}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "content_blocked"
    character.refresh_from_db()
    assert character.greeting == "Hello!" and character.moderation_state == ModerationState.VISIBLE


def test_blocked_text_in_an_imported_card_is_refused(client_for, owner):
    card = json.dumps({"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Bad", "first_mes": BLOCKED_TEXT}})
    response = client_for(owner).post("/api/characters/import/", {"file": SimpleUploadedFile("c.json", card.encode())})
    assert response.status_code == 400 and response.json()["code"] == "content_blocked"
    assert not Character.objects.exists()


def test_doubtful_text_is_saved_but_held(client_for, owner, other_user):
    response = client_for(owner).post("/api/characters/", {"name": "Flirt", "greeting": REVIEW_TEXT}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["moderation"]["state"] == "held" and "Held for review" in body["moderation"]["reason"]
    assert client_for(other_user).get(f"/api/characters/{body['slug']}/").status_code == 404
    case = Case.objects.get()
    assert case.is_open and case.text_verdict["decision"] == "review"


def test_fiction_is_allowed(client_for, owner):
    persona = "{{char}} is a ruthless villain who swore to kill the hero in the final battle. This joke killed me."
    response = client_for(owner).post("/api/characters/", {"name": "Villain", "persona": persona}, format="json")
    assert response.status_code == 201 and response.json()["moderation"]["state"] == "visible"


def test_a_real_person_photo_is_refused_as_a_portrait(client_for, owner, stored_files):
    response = client_for(owner).post("/api/characters/", {"name": "Grace", "portrait": photo("hopper_00.jpg")})
    assert response.status_code == 400
    assert response.json()["categories"] == ["real_person_photo"]
    assert "photograph" in response.json()["detail"]
    assert not Character.objects.exists() and stored_files() == []


def test_an_attested_photo_is_held_for_review(client_for, owner, other_user):
    response = client_for(owner).post(
        "/api/characters/", {"name": "Me", "portrait": photo("hopper_00.jpg"), "own_likeness_attested": "true"}
    )
    assert response.status_code == 201
    assert response.json()["moderation"]["state"] == "held"
    assert client_for(other_user).get(f"/api/characters/{response.json()['slug']}/").status_code == 404
    case = Case.objects.get()
    assert case.image_verdict["decision"] == "review" and case.image_verdict["faces"] >= 1


def test_a_protected_likeness_is_held_with_the_match(client_for, owner, staff_user):
    person = ProtectedPerson.objects.create(name="Grace Hopper")
    services.add_reference_photo(person=person, image=(PHOTOS / "hopper_00.jpg").read_bytes(), actor=staff_user)
    assert len(person.photos.get().embedding) == 128
    response = client_for(owner).post(
        "/api/characters/", {"name": "Lookalike", "portrait": photo("hopper_03.jpg"), "own_likeness_attested": "true"}
    )
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.likeness_matches and case.likeness_matches[0]["name"] == "Grace Hopper"
    assert "protected public figure" in Character.objects.get().moderation_reason


def test_a_reference_photo_needs_one_face(staff_user, make_image):
    person = ProtectedPerson.objects.create(name="Nobody")
    with pytest.raises(ValidationError, match="exactly one face"):
        services.add_reference_photo(person=person, image=make_image((300, 300), "JPEG"), actor=staff_user)
    assert not person.photos.exists()


def test_editing_a_held_character_keeps_it_held(client_for, owner):
    slug = client_for(owner).post("/api/characters/", {"name": "Flirt", "greeting": REVIEW_TEXT}, format="json").json()["slug"]
    response = client_for(owner).patch(f"/api/characters/{slug}/", {"greeting": "Good morning!"}, format="json")
    assert response.status_code == 200 and response.json()["moderation"]["state"] == "held"


def test_the_admin_gallery_accepts_reference_photos(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-Long-passw0rd")
    client.force_login(admin)
    data = {
        "name": "Grace Hopper",
        "notes": "",
        "active": "on",
        "photos-TOTAL_FORMS": "1",
        "photos-INITIAL_FORMS": "0",
        "photos-MIN_NUM_FORMS": "0",
        "photos-MAX_NUM_FORMS": "1000",
        "photos-0-upload": photo("hopper_00.jpg"),
    }
    response = client.post("/admin/moderation/protectedperson/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    person = ProtectedPerson.objects.get()
    assert person.photos.count() == 1 and len(person.photos.get().embedding) == 128


def test_the_form_shows_text_blocks_on_the_form_and_photo_blocks_by_the_portrait(client, owner):
    client.force_login(owner)
    text = client.post("/c/new/", {"name": "Bad", "visibility": "public", "persona": BLOCKED_TEXT})
    assert "sexual/minors" in text.context["form"].non_field_errors()[0]
    picture = client.post("/c/new/", {"name": "Grace", "visibility": "public", "portrait": photo("hopper_00.jpg")})
    assert "photograph" in picture.context["form"].errors["portrait"][0]
    assert not Character.objects.exists()
