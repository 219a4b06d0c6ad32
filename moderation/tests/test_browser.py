"""A moderator approves a held character in the admin, in real Chromium; it then shows to everyone.

Data is made by a fixture listed before `page`, outside Playwright's event loop (see
characters/tests/test_browser.py for why the test itself makes no ORM calls).
"""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held_slug(make_character, django_user_model) -> str:
    django_user_model.objects.create_superuser("mod", "mod@example.com", "a-Long-passw0rd")
    return make_character("Night Flirt", greeting="Come spend the night with me, naked in my bed.").slug


def test_moderator_approves_a_held_character(held_slug, page, live_server):
    page.goto(f"{live_server.url}/c/{held_slug}/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/moderation/case/")
    page.fill("#id_username", "mod")
    page.fill("#id_password", "a-Long-passw0rd")
    page.click("input[type=submit]")
    page.get_by_role("link", name="Night Flirt").click()
    expect(page.locator("#decision")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Come spend the night with me")
    page.get_by_label("Approve").check()
    page.fill("#decision textarea[name=note]", "Suggestive but within the rules.")
    page.click("input[name=record_decision]")
    expect(page.locator(".messagelist")).to_contain_text("approved")

    page.goto(f"{live_server.url}/admin/moderation/auditlogentry/")
    expect(page.locator("#result_list")).to_contain_text("Suggestive but within the rules.")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/c/{held_slug}/")
    expect(page.get_by_role("heading", name="Night Flirt")).to_be_visible()
