"""Fixtures shared by every app's tests, including a real Celery worker and a live Daphne for browser tests."""

import copy
import io
import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from PIL import Image
from playwright.sync_api import sync_playwright
from rest_framework.test import APIClient

from config.embedded import free_port

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path):
    """Each test writes media to its own place (a folder, or a key prefix in S3) and starts with an empty cache."""
    from django.core.cache import cache

    if settings.S3_BUCKET:
        storages = copy.deepcopy(settings.STORAGES)
        storages["default"]["OPTIONS"]["location"] = f"tests/{uuid.uuid4().hex}"
        settings.STORAGES = storages
    else:
        settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def walk_storage(storage, path: str = "") -> list[str]:
    """Every file name below a path of a Django storage, whatever its backend."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return []
    names = [f"{path}{name}" for name in files]
    for directory in directories:
        names += walk_storage(storage, f"{path}{directory}/")
    return sorted(names)


@pytest.fixture
def stored_files():
    """Lists the files in the default storage (this test's folder or S3 prefix)."""
    from django.core.files.storage import default_storage

    return lambda: walk_storage(default_storage)


@pytest.fixture
def make_image():
    """Builds a small valid image in memory."""

    def make(size: tuple[int, int] = (64, 48), image_format: str = "PNG", color=(200, 120, 40), **save_options) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", size, color).save(buffer, format=image_format, **save_options)
        return buffer.getvalue()

    return make


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, **extra):
        return django_user_model.objects.create_user(username=username, password="a-Long-passw0rd", **extra)

    return make


@pytest.fixture
def owner(make_user):
    return make_user("owner")


@pytest.fixture
def other_user(make_user):
    return make_user("other")


@pytest.fixture
def staff_user(make_user):
    return make_user("staff", is_staff=True)


@pytest.fixture
def client_for():
    """An API client authenticated as the given user (token auth), or anonymous for None."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def make_character(owner, make_image):
    from characters import services
    from engine.rig import Rig

    def make(
        name: str = "Ada", *, user=None, visibility: str = "public", with_portrait: bool = True, place_rig: bool = True, **fields
    ):
        """A character; its flat test portrait has no face a detector finds, so its creator placed the points (place_rig)."""
        character = services.create_character(
            owner=user or owner,
            name=name,
            visibility=visibility,
            portrait=make_image((120, 90)) if with_portrait else None,
            **fields,
        )
        if with_portrait and place_rig and character.face_rig and character.face_rig["source"] == "template":
            services.save_face_rig(character, Rig.from_dict({**character.face_rig, "source": "editor"}))
        return character

    return make


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def browser_page(**context_options) -> Iterator:
    """A page of a fresh browser; the test fails when anything on it broke the Content-Security-Policy."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, **context_options)
        violations: list[str] = []
        context.on(
            "console",
            lambda message: (
                violations.append(f"{message.location.get('url')}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        yield context.new_page()
        browser.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def page():
    yield from browser_page(viewport={"width": 420, "height": 900})


@pytest.fixture
def phone_page():
    """A phone: small portrait screen, touch, mobile viewport rules."""
    yield from browser_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


@pytest.fixture
def generation_queue() -> Iterator[Callable[[], int]]:
    """The real broker's clip queue, empty at the start and the end; the fixture counts its messages."""
    from config.celery import app

    def purge() -> None:
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge("generation")

    def length() -> int:
        with app.connection_for_write() as broker:
            return broker.default_channel.queue_declare("generation", passive=True).message_count

    purge()
    yield length
    purge()


@pytest.fixture
def generation_worker(transactional_db) -> Iterator[None]:
    """A real Celery worker thread consuming the generation queue through the test session's Redis."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, queues=["generation"], perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        yield


class LiveASGIServer:
    """Daphne serving the project's ASGI app (HTTP and WebSockets) from a thread of this process.

    pytest-django's live_server speaks only HTTP, and a Daphne process could not see the
    in-memory test database. Twisted's reactor cannot restart, so one server serves the session.
    """

    def __init__(self) -> None:
        from daphne.server import Server
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from config.asgi import application

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = threading.Event()
        self.server = Server(
            ASGIStaticFilesHandler(application),
            endpoints=[f"tcp:port={self.port}:interface=127.0.0.1"],
            signal_handlers=False,
            ready_callable=started.set,
        )
        self.thread = threading.Thread(target=self.server.run, name="daphne", daemon=True)
        self.thread.start()
        if not started.wait(10):
            raise RuntimeError("Daphne did not start")

    def stop(self) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(reactor.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def asgi_server() -> Iterator[LiveASGIServer]:
    server = LiveASGIServer()
    yield server
    server.stop()
