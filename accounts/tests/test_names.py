"""Public names and profile text: no invisible tricks, no look-alike usernames, profiles screened like any public text."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.names import clean_bio, clean_display_name, username_problem, username_skeleton
from moderation.services import ContentBlocked


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("admin", "adm1n"),
        ("admin", "ADMIN"),
        ("marionette", "rnarionette"),
        ("zoe", "Zoë"),
        ("mira.kay", "mira_kay"),
        ("ada", "аda"),
    ],
)
def test_look_alike_usernames_share_a_skeleton(one, other):
    assert username_skeleton(one) == username_skeleton(other)


@pytest.mark.parametrize(("one", "other"), [("ada", "eda"), ("mira", "mina"), ("owner", "other")])
def test_different_usernames_do_not(one, other):
    assert username_skeleton(one) != username_skeleton(other)


def test_mixed_scripts_and_invisible_characters_are_refused_but_one_script_is_fine():
    assert "Cyrillic, Latin" in username_problem("pаypal")  # Cyrillic а
    assert "invisible" in username_problem("ad\u200bmin")
    assert username_problem("山田") is None and username_problem("José_99") is None and username_problem("ada") is None


def test_names_lose_direction_overrides_controls_and_zero_width_characters():
    assert clean_display_name("  Evil\u202etxet \u200bname\x07 ") == "Eviltxet name"
    assert clean_bio("line one\nline\u2066 two\u2069\x00") == "line one\nline two"


@pytest.mark.django_db
def test_sign_up_refuses_a_look_alike_of_an_existing_username(make_user):
    make_user("marionette")
    for impostor in ("rnarionette", "MARIONETTE", "mari0nette", "mаrionette"):
        with pytest.raises(ValidationError) as refused:
            services.sign_up(username=impostor, email="x@example.com", password="a-Long-passw0rd")
        assert "username" in refused.value.message_dict
    assert services.sign_up(username="marianne", email="m@example.com", password="a-Long-passw0rd").pk


@pytest.mark.django_db
def test_profiles_are_screened_and_nothing_is_saved_when_refused(owner):
    services.update_profile(user=owner, display_name="Ada \u202eL.", bio="I paint lighthouses.")
    owner.refresh_from_db()
    assert (owner.display_name, owner.bio) == ("Ada L.", "I paint lighthouses.")
    with pytest.raises(ContentBlocked):
        services.update_profile(user=owner, bio="All of those people deserve to be exterminated, kill them all.")
    owner.refresh_from_db()
    assert owner.bio == "I paint lighthouses."


@pytest.mark.django_db
def test_a_self_harm_refusal_says_so_with_care_and_shows_crisis_services(client_for, owner, settings):
    settings.LANGUAGE_CODE = "en-gb"
    response = client_for(owner).patch("/api/users/me/", {"bio": "I want to kill myself tonight."}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "content_blocked"
    support = response.json()["support"]
    assert "not alone" in support["message"] or "don't have to face it alone" in support["message"]
    assert support["resources"][0]["name"] == "Samaritans"
    settings.LANGUAGE_CODE = "fr"
    fallback = client_for(owner).patch("/api/users/me/", {"bio": "I want to kill myself tonight."}, format="json").json()
    assert fallback["support"]["resources"][0]["url"] == "https://findahelpline.com"
    owner.refresh_from_db()
    assert owner.bio == ""


@pytest.mark.django_db
def test_other_refusals_carry_no_crisis_services(client_for, owner):
    response = client_for(owner).patch(
        "/api/users/me/", {"bio": "All of those people deserve to be exterminated, kill them all."}, format="json"
    )
    assert response.status_code == 400 and "support" not in response.json()


@pytest.mark.django_db
def test_the_profile_page_shows_the_crisis_services(client, owner):
    client.force_login(owner)
    response = client.post("/accounts/settings/profile/", {"display_name": "Ada", "bio": "I want to kill myself tonight."})
    assert response.status_code == 200
    assert "988 Suicide &amp; Crisis Lifeline" in response.content.decode()
