"""A creator's first session in real Chromium: sign up, create, see, export and re-import.

Everything is checked through the page: Playwright keeps an event loop in this thread, where
ORM calls would open a connection of their own that outlives the test database.
"""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_create_export_and_reimport(page, live_server, tmp_path):
    portrait = tmp_path / "portrait.png"
    Image.new("RGB", (600, 800), (90, 140, 220)).save(portrait)

    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "ada")
    page.fill("#id_password1", "a-Long-passw0rd")
    page.fill("#id_password2", "a-Long-passw0rd")
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", name="ada")).to_be_visible()

    page.click("text=New character")
    page.fill("#id_name", "Captain Nova")
    page.fill("#id_tagline", "Pilot of the Dawn")
    page.fill("#id_persona", "{{char}} guides {{user}} through the stars.")
    page.fill("#id_tags", "space, pilot")
    page.set_input_files("#id_portrait", str(portrait))
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", name="Captain Nova")).to_be_visible()
    expect(page.get_by_alt_text("Portrait of Captain Nova")).to_be_visible()

    page.get_by_test_id("nav-profile").click()
    expect(page.get_by_test_id("profile-characters")).to_contain_text("Captain Nova")

    page.click("text=Captain Nova")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-png").click()
    card = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(card)
    assert Image.open(io.BytesIO(card.read_bytes())).text["ccv3"]

    page.click("text=Import card")
    page.set_input_files("#id_file", str(card))
    page.click("main button[type=submit]")
    expect(page.get_by_role("heading", name="Captain Nova")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("Imported Captain Nova")
    expect(page.locator(".tagline")).to_have_text("Pilot of the Dawn")
    expect(page.locator(".prose").first).to_have_text("{{char}} guides {{user}} through the stars.")
    expect(page.get_by_alt_text("Portrait of Captain Nova")).to_be_visible()
    # The imported copy starts private: the profile now lists both, only its owner sees the second.
    page.get_by_test_id("nav-profile").click()
    expect(page.get_by_test_id("profile-characters").locator(".card", has_text="Captain Nova")).to_have_count(2)
