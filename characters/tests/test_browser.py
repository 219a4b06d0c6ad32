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
    expect(page.locator(".flash.success")).to_contain_text("Imported Captain Nova")
    expect(page.locator(".tagline")).to_have_text("Pilot of the Dawn")
    expect(page.locator(".prose").first).to_have_text("{{char}} guides {{user}} through the stars.")
    expect(page.get_by_alt_text("Portrait of Captain Nova")).to_be_visible()
    # The imported copy starts private: the profile now lists both, only its owner sees the second.
    page.get_by_test_id("nav-profile").click()
    expect(page.get_by_test_id("profile-characters").locator(".card", has_text="Captain Nova")).to_have_count(2)


@pytest.fixture
def templated_character(owner, make_image):
    """A character whose plain portrait has no face to find, so its rig is the centred template."""
    from characters import services

    return services.create_character(owner=owner, name="Plain Jane", portrait=make_image((600, 800)))


def handle_at(page, group: str, index: int) -> tuple:
    """A rig handle and its position in portrait pixels."""
    handle = page.locator(f"circle[data-group={group}][data-index='{index}']")
    return handle, (float(handle.get_attribute("cx")), float(handle.get_attribute("cy")))


def drag(page, handle, dx: float, dy: float) -> None:
    """Drag a handle by dx, dy CSS pixels with the mouse."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=6)
    page.mouse.up()


def portrait_pixels_per_css_pixel(page) -> float:
    return page.evaluate(
        "(() => { const svg = document.querySelector('.rig-canvas'); "
        "return svg.viewBox.baseVal.width / svg.getBoundingClientRect().width; })()"
    )


def test_rig_editor_drags_saves_and_keeps_a_point(templated_character, live_server, page):
    slug = templated_character.slug
    page.goto(f"{live_server.url}/accounts/login/?next=/c/{slug}/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "a-Long-passw0rd")
    page.click("main button[type=submit]")
    # No clip from a guessed face: the page sends the creator to the editor first.
    expect(page.get_by_test_id("rig-needed")).to_be_visible()
    expect(page.get_by_test_id("make-clip")).to_have_count(0)
    page.get_by_test_id("place-rig").click()
    expect(page.get_by_test_id("rig-source")).to_contain_text("No face was found")

    corner, start = handle_at(page, "mouth", 0)
    scale = portrait_pixels_per_css_pixel(page)
    assert scale == pytest.approx(600 / page.locator(".rig-canvas").bounding_box()["width"])
    drag(page, corner, -12, 5)
    dropped = (start[0] - 12 * scale, start[1] + 5 * scale)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("rig-message")).to_have_text("Saved.")

    page.reload()
    expect(page.get_by_test_id("rig-source")).to_contain_text("placed by hand")
    _, kept = handle_at(page, "mouth", 0)
    assert kept == pytest.approx(dropped, abs=0.6)
    rig = page.evaluate(f"fetch('/api/characters/{slug}/rig/').then((response) => response.json())")
    assert rig["source"] == "editor"
    assert tuple(rig["handles"]["mouth"][0]) == kept
    page.goto(f"{live_server.url}/c/{slug}/")
    expect(page.get_by_test_id("make-clip")).to_be_visible()
    page.go_back()

    # Zoomed in, the same drag moves the point by fewer portrait pixels.
    page.get_by_role("button", name="Zoom to face").click()
    zoomed_scale = portrait_pixels_per_css_pixel(page)
    assert zoomed_scale < scale
    right_corner, before = handle_at(page, "mouth", 2)
    drag(page, right_corner, 10, 0)
    _, after = handle_at(page, "mouth", 2)
    assert after == pytest.approx((before[0] + 10 * zoomed_scale, before[1]), abs=0.6)

    # The keyboard moves the selected point; a layout the rig refuses shows the server's reason.
    lip, (_, top) = handle_at(page, "mouth", 1)
    lip.focus()
    for _ in range(20):
        page.keyboard.press("Shift+ArrowUp")
    assert float(lip.get_attribute("cy")) == pytest.approx(top - 200)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("rig-message")).to_have_text("The eyes must be above the mouth.")
