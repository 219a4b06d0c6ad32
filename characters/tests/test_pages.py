"""The HTML pages: browse, detail, create, edit, delete, import, profiles and the admin."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from characters.models import Character, Visibility

pytestmark = pytest.mark.django_db

CARDS = Path(__file__).resolve().parent / "fixtures" / "cards"


def test_home_lists_public_characters_with_search_and_tags(client, make_character):
    make_character("Sky Pirate", tags=["fantasy"])
    make_character("Secret", visibility=Visibility.PRIVATE)
    page = client.get("/").content.decode()
    assert "Sky Pirate" in page and "Secret" not in page
    assert "fantasy" in page
    assert "Sky Pirate" not in client.get("/?q=robot").content.decode()
    assert "Sky Pirate" in client.get("/?tag=fantasy").content.decode()


def test_detail_respects_visibility(client, other_user, make_character):
    private = make_character("Secret", visibility=Visibility.PRIVATE)
    unlisted = make_character("Link", visibility=Visibility.UNLISTED)
    assert client.get(f"/c/{private.slug}/").status_code == 404
    assert client.get(f"/c/{unlisted.slug}/").status_code == 200
    client.force_login(other_user)
    assert client.get(f"/c/{private.slug}/").status_code == 404


def test_create_edit_and_delete_through_forms(client, owner, make_image):
    client.force_login(owner)
    response = client.post(
        "/c/new/",
        {
            "name": "Nova",
            "tagline": "Star pilot",
            "persona": "{{char}} flies",
            "tags": "space, pilot",
            "visibility": "public",
            "extensions": '{"a": 1}',
            "portrait": SimpleUploadedFile("n.png", make_image()),
        },
    )
    character = Character.objects.get(name="Nova")
    assert response.status_code == 302 and response["Location"] == f"/c/{character.slug}/"
    assert character.extensions == {"a": 1} and character.portrait
    detail = client.get(f"/c/{character.slug}/").content.decode()
    assert "Star pilot" in detail and "Edit" in detail
    edited = client.post(
        f"/c/{character.slug}/edit/", {"name": "Nova Prime", "visibility": "unlisted", "tags": "space", "extensions": "{}"}
    )
    assert edited.status_code == 302
    character.refresh_from_db()
    assert character.name == "Nova Prime" and [t.name for t in character.tags.all()] == ["space"]
    assert client.post(f"/c/{character.slug}/delete/").status_code == 302
    assert not Character.objects.filter(pk=character.pk).exists()


def test_form_errors_are_shown_and_nothing_is_saved(client, owner, make_image):
    client.force_login(owner)
    bad_image = client.post(
        "/c/new/", {"name": "X", "visibility": "public", "portrait": SimpleUploadedFile("x.png", make_image((5, 5), "GIF"))}
    )
    assert bad_image.status_code == 200 and "GIF" in bad_image.content.decode()
    bad_json = client.post("/c/new/", {"name": "X", "visibility": "public", "extensions": "{oops"})
    assert bad_json.status_code == 200 and "JSON" in bad_json.content.decode()
    reserved = client.post("/c/new/", {"name": "X", "visibility": "public", "extensions": '{"marionette": 1}'})
    assert "reserved" in reserved.content.decode()
    assert not Character.objects.exists()


def test_only_the_owner_can_edit_or_delete(client, other_user, make_character):
    character = make_character()
    assert client.get(f"/c/{character.slug}/edit/").status_code == 302  # to the login page
    client.force_login(other_user)
    assert client.get(f"/c/{character.slug}/edit/").status_code == 403
    assert client.post(f"/c/{character.slug}/delete/").status_code == 403
    assert Character.objects.filter(pk=character.pk).exists()


def test_import_page(client, owner):
    client.force_login(owner)
    response = client.post("/c/import/", {"file": SimpleUploadedFile("s.png", (CARDS / "default_Seraphina.png").read_bytes())})
    assert response.status_code == 302
    assert Character.objects.get(owner=owner).name == "Seraphina"
    refused = client.post("/c/import/", {"file": SimpleUploadedFile("x.json", b'{"spec": "nope"}')})
    assert refused.status_code == 200 and "spec" in refused.content.decode()


def test_profile_page_and_settings(client, owner, other_user, make_character, make_image):
    make_character("Shown")
    make_character("Hidden", visibility=Visibility.PRIVATE)
    page = client.get("/u/owner/").content.decode()
    assert "Shown" in page and "Hidden" not in page
    client.force_login(owner)
    assert "Hidden" in client.get("/u/owner/").content.decode()
    saved = client.post(
        "/accounts/settings/profile/",
        {"display_name": "Ada", "bio": "Maker", "avatar": SimpleUploadedFile("a.jpg", make_image(image_format="JPEG"))},
    )
    assert saved.status_code == 302
    owner.refresh_from_db()
    assert owner.display_name == "Ada" and owner.avatar
    assert client.get("/u/nobody/").status_code == 404


def test_signup_login_logout(client):
    response = client.post(
        "/accounts/signup/", {"username": "neo", "email": "", "password1": "a-Long-passw0rd", "password2": "a-Long-passw0rd"}
    )
    assert response.status_code == 302 and response["Location"] == "/u/neo/"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.post("/accounts/login/", {"username": "neo", "password": "a-Long-passw0rd"}).status_code == 302
    taken = client.post("/accounts/signup/", {"username": "NEO", "password1": "a-Long-passw0rd", "password2": "a-Long-passw0rd"})
    assert "taken" in taken.content.decode()


def test_admin_lists_and_searches_for_staff_only(client, owner, make_character, django_user_model):
    make_character("Adminable")
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-Long-passw0rd")
    assert client.get("/admin/characters/character/").status_code == 302
    client.force_login(owner)
    assert client.get("/admin/characters/character/").status_code == 302
    client.force_login(admin)
    listing = client.get("/admin/characters/character/?q=Adminable")
    assert listing.status_code == 200 and "Adminable" in listing.content.decode()
    assert client.get("/admin/accounts/user/?q=owner").status_code == 200
    character = Character.objects.get(name="Adminable")
    assert client.get(f"/admin/characters/character/{character.pk}/change/").status_code == 200
