"""The feed on a phone in real Chromium, against Daphne and a real Celery worker.

Scroll the vertical feed, like by double-tap, comment in the drawer, remix a post into a new clip,
post it, and find the remix in the original's lineage. Data is made in fixtures listed before
`phone_page` (Playwright keeps an event loop in the test thread).
"""

import io
import re

import pytest
from playwright.sync_api import expect

from characters import services as characters
from demo.art import DEMO_STYLES, draw_portrait
from feed import services
from feed.models import Post
from generation import services as generation
from generation.services import worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VOICE = "ada"  # an eSpeak voice: each test clip takes about a second


def portrait_png() -> bytes:
    buffer = io.BytesIO()
    draw_portrait(next(iter(DEMO_STYLES.values())), size=256).save(buffer, format="PNG")
    return buffer.getvalue()


def posted_clip(user, character, script: str, caption: str) -> Post:
    job = generation.request_clip(user=user, character=character, text=script, voice=VOICE, enqueue=False)
    assert worker.run_job(job_id=job.pk, task_id=job.task_id) == "succeeded"
    job.refresh_from_db()
    return services.create_post(user=user, clip=job.clip, caption=caption, tags=["sea"], visibility="public")


@pytest.fixture
def two_posts(owner, make_user) -> tuple[Post, Post]:
    make_user("fan")
    character = characters.create_character(owner=owner, name="Mira", portrait=portrait_png())
    older = posted_clip(owner, character, "The tide is turning.", "Second clip")
    newer = posted_clip(owner, character, "Hello there, sailors.", "First clip")
    return newer, older


def test_scroll_like_comment_and_remix_on_a_phone(two_posts, generation_worker, asgi_server, phone_page):
    newer, older = two_posts
    page = phone_page
    page.goto(f"{asgi_server.url}/accounts/login/")
    page.fill("#id_username", "fan")
    page.fill("#id_password", "a-Long-passw0rd")
    page.click("main button[type=submit]")

    page.goto(f"{asgi_server.url}/feed/?kind=new")
    slides = page.get_by_test_id("slide")
    expect(slides).to_have_count(2)
    first, second = slides.nth(0), slides.nth(1)
    expect(first).to_have_class(re.compile(r"\bactive\b"))
    expect(first).to_contain_text("First clip")
    expect(first).to_contain_text("AI-generated")
    # The first clip autoplays muted, and the next one is already loading.
    page.wait_for_function("() => { const v = document.querySelector('.slide.active video'); return v && !v.paused && v.muted; }")
    expect(second.locator("video")).to_have_attribute("preload", "auto")

    # Scroll-snap to the next clip: it becomes the active, playing one.
    page.get_by_test_id("reel").evaluate("(reel) => reel.scrollBy(0, reel.clientHeight)")
    expect(second).to_have_class(re.compile(r"\bactive\b"))
    expect(first).not_to_have_class(re.compile(r"\bactive\b"))

    # Double-tap likes; a single tap only toggles the sound.
    second.locator("video").dblclick()
    like = second.get_by_test_id("slide-like")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_contain_text("1")

    # Comment from the drawer.
    second.get_by_test_id("slide-comments").click()
    drawer = page.get_by_test_id("comments-drawer")
    expect(drawer).to_be_visible()
    drawer.locator("textarea").fill("What a voice!")
    drawer.get_by_role("button", name="Send").click()
    expect(drawer.locator(".comment")).to_contain_text("What a voice!")
    expect(second.locator("[data-comment-count]")).to_have_text("1")
    drawer.get_by_role("button", name="Close comments").click()

    # Remix the first clip: the clip maker opens with its recipe, a worker makes the clip, the fan posts it.
    page.get_by_test_id("reel").evaluate("(reel) => reel.scrollTo(0, 0)")
    expect(first).to_have_class(re.compile(r"\bactive\b"))
    first.get_by_test_id("slide-remix").click()
    expect(page.get_by_test_id("remixing")).to_be_visible()
    expect(page.locator("#id_script")).to_have_value("Hello there, sailors.")
    page.fill("#id_script", "Hello there, pirates.")
    page.click("main form[data-testid=clip-form] button[type=submit]")
    page.get_by_test_id("post-clip").click(timeout=60_000)
    expect(page.get_by_test_id("remix-of")).to_be_visible()
    page.fill("#id_caption", "Pirate version")
    page.click("main form[data-testid=post-form] button[type=submit]")
    expect(page.get_by_test_id("remix-source")).to_contain_text(f"post {newer.pk}")

    # The original's lineage shows the remix.
    page.goto(f"{asgi_server.url}/p/{newer.pk}/lineage/")
    tree = page.get_by_test_id("lineage-tree")
    expect(tree).to_contain_text("Pirate version")
    expect(tree.locator(".lineage-node")).to_have_count(2)
    assert older.pk != newer.pk
