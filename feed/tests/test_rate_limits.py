"""One allowance per client for sign-in and sign-up (API and forms together), per-user ones for comments and reports.

Forwarding headers count only when the request came from a configured proxy.
"""

import pytest
from django.test import Client, RequestFactory

from common import ratelimit

pytestmark = pytest.mark.django_db
WRONG = {"username": "owner", "password": "not-the-password"}


@pytest.fixture(autouse=True)
def small_limits(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "3/min", "comment": "2/min", "report": "2/hour"}


def assert_limited(response) -> None:
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 3600


def test_a_forged_forwarded_for_buys_no_extra_password_guesses(client_for, owner):
    api = client_for()
    for attempt in range(3):
        response = api.post("/api/auth/token/", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        assert response.status_code == 400
    refused = api.post("/api/auth/token/", {**WRONG, "password": "a-Long-passw0rd"}, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert_limited(refused)
    assert "throttled" in refused.json()["detail"]
    other_client = client_for().post("/api/auth/token/", {**WRONG, "password": "a-Long-passw0rd"}, REMOTE_ADDR="192.0.2.9")
    assert other_client.status_code == 200 and other_client.json()["token"]


def test_the_login_and_sign_up_forms_share_the_apis_allowance(client_for, owner):
    client_for().post("/api/auth/token/", WRONG)
    browser = Client()
    assert browser.post("/accounts/login/", WRONG).status_code == 200  # the form again, with its error
    assert browser.get("/accounts/login/").status_code == 200  # showing the form spends nothing
    sign_up = {"username": "newcomer", "email": "n@example.com", "password1": "a-Long-passw0rd", "password2": "x"}
    assert browser.post("/accounts/signup/", sign_up).status_code == 200
    for url, data in (("/accounts/login/", WRONG), ("/accounts/signup/", sign_up)):
        response = browser.post(url, data)
        assert_limited(response)
        assert "Too many requests" in response.content.decode()
    assert_limited(client_for().post("/api/auth/signup/", sign_up))


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("192.0.2.1", "203.0.113.5", "192.0.2.1"),  # not a proxy of ours: the header is ignored
        ("10.0.0.2", "203.0.113.5", "203.0.113.5"),
        ("10.0.0.2", "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # the left hop is whatever the client wrote
        ("10.0.0.2", "203.0.113.5, 10.0.0.7", "203.0.113.5"),  # trusted hops are skipped
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(settings, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_address(request) == expected


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(settings, client_for, owner):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    api = client_for()
    for _ in range(3):
        api.post("/api/auth/token/", WRONG, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert_limited(api.post("/api/auth/token/", WRONG, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5"))
    assert api.post("/api/auth/token/", WRONG, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 400


def test_comments_are_limited_per_user_in_the_api_and_on_the_page(client_for, other_user, owner, post):
    url = f"/api/posts/{post.pk}/comments/"
    commenter = client_for(other_user)
    for text in ("Lovely", "Again lovely"):
        assert commenter.post(url, {"text": text}, format="json").status_code == 201
    refused = commenter.post(url, {"text": "Third"}, format="json")
    assert_limited(refused)
    assert refused.json()["detail"]
    assert commenter.get(url).status_code == 200  # reading spends nothing
    assert client_for(owner).post(url, {"text": "Thanks"}, format="json").status_code == 201
    page = Client()
    page.force_login(other_user)
    assert_limited(page.post(f"/p/{post.pk}/comments/", {"text": "From the page"}))


def test_reports_are_limited_per_user_in_the_api_and_on_the_page(client_for, other_user, post, make_character):
    reporter = client_for(other_user)
    assert reporter.post(f"/api/posts/{post.pk}/report/", {"reason": "spam"}).status_code == 201
    character = make_character("Nova")
    assert reporter.post(f"/api/characters/{character.slug}/report/", {"reason": "spam"}).status_code == 201
    assert_limited(reporter.post(f"/api/posts/{post.pk}/report/", {"reason": "spam"}))
    page = Client()
    page.force_login(other_user)
    response = page.post(f"/c/{character.slug}/report/", {"reason": "spam"})
    assert_limited(response)
    assert "Too many requests" in response.content.decode()
