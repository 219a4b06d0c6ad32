"""Anonymous feed pages from the short-lived cache in front of Django (feed/pagecache.py), through the real ASGI app."""

import asyncio
import json
import time

import pytest
import redis
from channels.testing import HttpCommunicator
from rest_framework.authtoken.models import Token

from config.asgi import application
from feed import pagecache, selectors

pytestmark = pytest.mark.django_db(transaction=True)  # Django answers from a thread of its own


@pytest.fixture
def django_pages(monkeypatch) -> list[str]:
    """The feed pages Django itself built (a cache hit builds none)."""
    built: list[str] = []
    real_feed = selectors.feed

    def feed(*, kind, viewer):
        built.append(kind)
        return real_feed(kind=kind, viewer=viewer)

    monkeypatch.setattr(selectors, "feed", feed)
    return built


def get(path: str, headers: dict[str, str] | None = None) -> dict:
    """The ASGI app's response (status, headers, body) to a GET, as Daphne would hand it the request."""
    raw = [(b"host", b"testserver"), *((name.encode(), value.encode()) for name, value in (headers or {}).items())]

    async def request() -> dict:
        communicator = HttpCommunicator(application, "GET", path, headers=raw)
        response = await communicator.get_response(timeout=30)
        await communicator.wait(timeout=30)  # Django's end of the request too: its database connection goes back
        return response

    return asyncio.run(request())


def captions(response: dict) -> list[str]:
    return [post["caption"] for post in json.loads(response["body"])["results"]]


def test_a_second_anonymous_request_is_answered_from_the_cache_exactly_as_django_answered(post, django_pages):
    first = get("/api/feed/?kind=new")
    second = get("/api/feed/?kind=new")
    assert django_pages == ["new"]
    assert first["status"] == 200 and captions(first) == ["Maiden voyage"]
    assert second == first  # status, every header and the body
    headers = dict(second["headers"])
    assert headers[b"Content-Type"] == b"application/json"
    assert b"default-src 'self'" in headers[b"Content-Security-Policy"]


def test_each_query_string_is_a_page_of_its_own(post, django_pages):
    get("/api/feed/?kind=new")
    get("/api/feed/?kind=foryou")
    get("/api/feed/")
    get("/api/feed/?kind=new")
    assert django_pages == ["new", "foryou", "foryou"]


def test_signed_in_requests_always_reach_django(post, owner, django_pages):
    token = Token.objects.create(user=owner)
    get("/api/feed/?kind=new")
    with_token = get("/api/feed/?kind=new", {"authorization": f"Token {token.key}"})
    with_session = get("/api/feed/?kind=new", {"cookie": "sessionid=whatever"})
    anonymous_with_other_cookies = get("/api/feed/?kind=new", {"cookie": "csrftoken=x; viewer=y"})
    assert django_pages == ["new", "new", "new"]
    assert with_token["status"] == with_session["status"] == anonymous_with_other_cookies["status"] == 200


def test_errors_are_not_kept(django_pages):
    assert get("/api/feed/?kind=nonsense")["status"] == 400
    assert get("/api/feed/?kind=nonsense")["status"] == 400
    assert get("/api/feed/?kind=following")["status"] == 401
    assert get("/api/feed/?kind=following")["status"] == 401
    assert get("/api/feed/?kind=new")["status"] == 200
    assert django_pages == ["new"]


def test_a_new_post_shows_once_the_cached_page_expires(settings, make_post, django_pages):
    settings.FEED_CACHE_SECONDS = 0.5
    make_post(caption="First")
    assert captions(get("/api/feed/?kind=new")) == ["First"]
    make_post(caption="Second")
    assert captions(get("/api/feed/?kind=new")) == ["First"]  # still the cached page
    time.sleep(0.7)
    assert captions(get("/api/feed/?kind=new")) == ["Second", "First"]
    assert django_pages == ["new", "new"]


def test_an_expired_page_is_served_while_another_request_rebuilds_it(settings, make_post, django_pages):
    settings.FEED_CACHE_SECONDS = 0.3
    make_post(caption="First")
    assert captions(get("/api/feed/?kind=new")) == ["First"]
    make_post(caption="Second")
    time.sleep(0.5)
    key = pagecache.cache_key({"headers": [(b"host", b"testserver")], "query_string": b"kind=new"})
    store = redis.Redis.from_url(settings.REDIS_URL)
    store.set(f"{key}:rebuild", b"1", px=10_000)  # another process is rebuilding the page
    assert captions(get("/api/feed/?kind=new")) == ["First"]
    assert django_pages == ["new"]
    store.delete(f"{key}:rebuild")  # its rebuild ended without a page: the next request rebuilds it
    assert captions(get("/api/feed/?kind=new")) == ["Second", "First"]
    assert django_pages == ["new", "new"]
    assert not store.exists(f"{key}:rebuild")
    assert captions(get("/api/feed/?kind=new")) == ["Second", "First"]
    assert django_pages == ["new", "new"]


def test_no_cache_when_it_is_turned_off(settings, post, django_pages):
    settings.FEED_CACHE_SECONDS = 0
    get("/api/feed/?kind=new")
    get("/api/feed/?kind=new")
    assert django_pages == ["new", "new"]


def test_other_paths_pass_through(post, django_pages):
    assert get("/api/posts/")["status"] == 200  # the newest posts, built from the same selector
    assert get("/api/posts/")["status"] == 200
    assert django_pages == ["new", "new"]
