"""Making a clip in real Chromium, against Daphne and a real Celery worker: the progress arrives over the WebSocket.

Data is made in fixtures listed before `page`; the test body only drives the browser (Playwright
keeps an event loop in this thread, where ORM calls would open a connection of their own).
"""

import json
import re

import pytest
from playwright.sync_api import expect

from generation.tests.conftest import FAST_VOICE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_make_a_clip_and_watch_it_finish(clip_character, generation_worker, asgi_server, page):
    frames: list[dict] = []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(json.loads(payload))))

    page.goto(f"{asgi_server.url}/accounts/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "a-Long-passw0rd")
    page.click("main button[type=submit]")
    page.goto(f"{asgi_server.url}{clip_character.get_absolute_url()}")
    page.get_by_test_id("make-clip").click()

    expect(page.get_by_role("heading", name="Make a clip of Mira")).to_be_visible()
    page.fill("#id_script", "Hello there, friend.")
    expect(page.locator("#script-count")).to_have_text("20")
    page.check(f"input[name=voice][value={FAST_VOICE}]")
    page.click("main button[type=submit]")

    expect(page.get_by_role("heading", name="Clip of Mira")).to_be_visible()
    player = page.get_by_test_id("clip-player")
    expect(player).to_be_visible(timeout=60_000)
    expect(player).to_have_attribute("poster", re.compile(r"/clips/[0-9a-f-]{36}/poster\.jpg"))
    duration = page.evaluate(
        """(video) => new Promise((done, fail) => {
            if (video.readyState >= 1) done(video.duration);
            video.addEventListener("loadedmetadata", () => done(video.duration));
            video.addEventListener("error", () => fail(new Error("the video did not load")));
            setTimeout(() => fail(new Error("no video metadata after 10 s")), 10000);
        })""",
        player.element_handle(),
    )
    assert 1 < duration < 3
    poster_width = page.evaluate(
        """(video) => new Promise((done) => {
            const image = new Image();
            image.onload = () => done(image.naturalWidth);
            image.onerror = () => done(0);
            image.src = video.poster;
        })""",
        player.element_handle(),
    )
    assert poster_width == 512
    expect(page.get_by_test_id("provenance")).to_contain_text("AI-generated")
    expect(page.get_by_test_id("provenance-watermark")).to_contain_text("Found in the frames")
    expect(page.get_by_test_id("provenance-c2pa")).to_have_text(re.compile("Valid|Trusted"))
    expect(page.get_by_role("link", name="Download MP4")).to_be_visible()

    # The page followed the job over the real socket, and reloaded when it heard the end.
    assert any(frame["type"] == "finished" and frame["status"] == "succeeded" for frame in frames)


@pytest.fixture
def queue_ahead(other_user, clip_character):
    """Two of another creator's clips waiting, and no worker running: a new clip waits third in line."""
    from generation import services

    return [services.request_clip(user=other_user, character=clip_character, text="Wait.", voice=FAST_VOICE) for _ in range(2)]


def test_a_waiting_clip_shows_its_place_in_line_and_moves_up_live(queue_ahead, clip_character, asgi_server, page):
    import threading

    from django.db import connections

    from generation.services import dispatch

    page.goto(f"{asgi_server.url}/accounts/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "a-Long-passw0rd")
    page.click("main button[type=submit]")
    page.goto(f"{asgi_server.url}/c/{clip_character.slug}/clip/")
    page.fill("#id_script", "My turn soon.")
    page.check(f"input[name=voice][value={FAST_VOICE}]")
    page.click("main button[type=submit]")

    line = page.get_by_test_id("job-queue")
    # The other creator's second clip goes after this creator's first: one clip ahead, not two.
    expect(line).to_contain_text("1 clip ahead of yours")
    expect(page.locator("[data-stage]")).to_contain_text("In the queue, 2nd in line")

    def start_next() -> None:
        try:
            dispatch.claim_next_job(task_id="ticket")
        finally:
            connections.close_all()

    worker = threading.Thread(target=start_next)
    worker.start()
    worker.join()
    expect(line).to_contain_text("No clip ahead of yours")
    expect(page.locator("[data-stage]")).to_contain_text("1st in line")
