"""The print view in a real browser, at desktop and phone sizes: it fits the screen, has a
Print button that opens the browser's print dialog, and an icon (no 404 for it)."""

import pytest
from playwright.sync_api import expect

from lightbox.imaging.images import add_image
from lightbox.test import make_case, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_the_print_view_fits_the_screen_and_prints(browser, live_server, screenshot_dir, size):
    case = make_case()
    add_image(case, png_bytes((1600, 900)), caption="Whole body", is_main=True)
    context = browser.new_context(
        base_url=live_server.url, viewport=SIZES[size], is_mobile=size == "phone"
    )
    page = context.new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto(f"/cases/{case.number}/print/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    button = page.get_by_role("button", name="Print")
    expect(button).to_be_visible()
    # The button calls the browser's print(): counted here instead of a dialog.
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button.click()
    assert page.evaluate("window.printed") == 1
    page.goto("/favicon.ico")
    assert missing == []
    page.goto(f"/cases/{case.number}/print/")
    page.screenshot(path=screenshot_dir / f"case-print-{size}.png", full_page=True)
    # On paper: no button, no link back.
    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    context.close()
