"""The case page scrolls through the main image's stack in place (as Radiopaedia does):
wheel, drag, slider and keys, at desktop and phone sizes; the frames listed are those a
reader may see, the key frame first shown."""

import json
import re

import pytest

from lightbox.imaging.models import Instance, PixelReview
from lightbox.imaging.tests.test_frames import _stack

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _listed(html: str) -> dict:
    found = re.search(r'<script id="stack-\d+" type="application/json">(.*?)</script>', html)
    assert found, "no stack on the page"
    return json.loads(found.group(1))


def test_the_page_lists_the_frames_a_reader_may_see_and_starts_at_the_key_frame(client):
    case, image = _stack(5)
    data = _listed(client.get(case.get_absolute_url()).content.decode())
    assert len(data["frames"]) == 5 and data["start"] == 2  # the middle slice
    hidden = Instance.objects.filter(series__study__case=case).order_by("instance_number")[4]
    hidden.pixel_review = PixelReview.NEEDED
    hidden.save()
    image.save()  # what pixel review does: the image changes, the page is made again
    data = _listed(client.get(case.get_absolute_url()).content.decode())
    assert len(data["frames"]) == 4
    assert all(f"/instances/{hidden.pk}/" not in url for url in data["frames"])
    for url in data["frames"]:
        assert client.get(url).status_code == 200


def test_a_single_picture_has_no_stack(client):
    case, _ = _stack(1)
    assert 'type="application/json"' not in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES)
def test_the_main_image_scrolls_through_its_stack_on_the_case_page(
    browser, live_server, screenshot_dir, size
):
    case, _ = _stack(7)
    context = browser.new_context(
        base_url=live_server.url, viewport=SIZES[size], is_mobile=size == "phone"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(case.get_absolute_url())
    figure = page.locator("figure.stack-ready")
    figure.wait_for()
    assert figure.get_attribute("data-index") == "3"
    position = figure.locator(".stack-position")
    assert position.inner_text() == "Image 4 of 7"
    page.wait_for_function("f => Number(f.dataset.loaded) === 7", arg=figure.element_handle())

    img = figure.locator("img")
    box = img.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, 100)
    page.wait_for_function("f => f.dataset.index === '4'", arg=figure.element_handle())
    assert "image 5 of 7" in img.get_attribute("alt")

    figure.focus()
    page.keyboard.press("Home")
    page.wait_for_function("f => f.dataset.index === '0'", arg=figure.element_handle())
    page.keyboard.press("End")
    page.wait_for_function("f => f.dataset.index === '6'", arg=figure.element_handle())

    figure.get_by_role("slider").fill("2")
    page.wait_for_function("f => f.dataset.index === '2'", arg=figure.element_handle())

    # Dragging down moves on, and does not follow the link to the viewer.
    url = page.url
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 10
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 6):
        page.mouse.move(x, y + 5 * step)
    page.mouse.up()
    page.wait_for_function("f => Number(f.dataset.index) > 2", arg=figure.element_handle())
    assert page.url == url
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    page.screenshot(path=screenshot_dir / f"case-stack-{size}.png", full_page=True)
    assert not errors, errors
    context.close()
