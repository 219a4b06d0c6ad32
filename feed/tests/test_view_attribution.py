"""Views count only when they can be told apart: by account, or by a signed viewer id a browser keeps; no sessions."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from feed import services
from feed.http import VIEWER_COOKIE

pytestmark = pytest.mark.django_db


def test_cookie_less_view_calls_count_nothing_and_write_no_sessions(client_for, post):
    for _ in range(50):
        response = client_for().post(f"/api/posts/{post.pk}/view/")
        assert response.status_code == 202 and response.json() == {"counted": False}
    assert services.flush_views() == 0
    assert Session.objects.count() == 0


def test_a_forged_viewer_id_counts_nothing(client_for, post):
    forger = client_for()
    forger.cookies[VIEWER_COOKIE] = "made-up"
    assert forger.post(f"/api/posts/{post.pk}/view/").json() == {"counted": False}
    assert services.flush_views() == 0


def test_a_browser_that_keeps_its_viewer_id_counts_once_per_post(client_for, post, make_post):
    other = make_post(caption="Second")
    browser = Client()
    browser.get("/feed/")
    assert browser.cookies[VIEWER_COOKIE]["httponly"]
    for _ in range(3):
        browser.post(f"/api/posts/{post.pk}/view/")
        browser.post(f"/api/posts/{other.pk}/view/")
    assert services.flush_views() == 2
    assert Session.objects.count() == 0


def test_anonymous_pages_write_no_session(client, post, character):
    for url in (
        "/",
        "/feed/",
        f"/p/{post.pk}/",
        f"/p/{post.pk}/lineage/",
        character.get_absolute_url(),
        "/u/owner/",
        "/tags/pirates/",
        "/accounts/login/",
        "/accounts/signup/",
    ):
        assert client.get(url).status_code == 200, url
    assert Session.objects.count() == 0


def test_a_client_address_gets_only_so_many_viewer_ids(settings, post):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "viewer_id": "2/hour"}
    given = [VIEWER_COOKIE in Client().get(f"/p/{post.pk}/").cookies for _ in range(3)]
    assert given == [True, True, False]
