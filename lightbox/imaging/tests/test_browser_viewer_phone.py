"""The viewer page on a phone: no wider than the screen, every tool on screen (the
toolbar wraps instead of running off the edge), labels whole."""

import pytest

from lightbox.imaging.images import add_image
from lightbox.test import make_case, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_the_viewer_fits_the_screen_with_every_tool_on_it(
    browser, live_server, screenshot_dir, size
):
    case = make_case()
    caption = "Anterior and posterior whole-body images, delayed phase"
    add_image(case, png_bytes((300, 600), 90), caption="First", is_main=True)
    image = add_image(case, png_bytes((300, 600), 120), caption=caption)
    context = browser.new_context(
        base_url=live_server.url, viewport=SIZES[size], is_mobile=size == "phone"
    )
    page = context.new_page()
    page.goto(image.get_absolute_url())
    page.wait_for_function(
        "() => document.body.dataset.viewerReady === 'true' || !!document.body.dataset.viewerError"
    )
    assert not page.evaluate("document.body.dataset.viewerError")
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    buttons = page.locator(".lbv-toolbar button")
    assert buttons.count() >= 8
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        name = buttons.nth(i).get_attribute("aria-label")
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, name
        # A label is never cut: its text fits its button.
        assert buttons.nth(i).evaluate("b => b.scrollWidth <= b.clientWidth + 1"), name
    page.screenshot(path=screenshot_dir / f"viewer-{size}.png", full_page=True)
    context.close()
