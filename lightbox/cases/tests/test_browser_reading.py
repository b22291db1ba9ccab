"""A reader in a real browser: home → browse → case as an unknown → reveal."""

import re

import pytest
from playwright.sync_api import expect

from lightbox.imaging.images import add_image
from lightbox.test import add_dose, add_people, make_case, make_topic, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_browses_to_a_case_and_reveals_the_diagnosis(page, screenshot_dir):
    case = make_case(topic=make_topic())
    add_people(case, ("Ann Author", "M.D."))
    add_dose(case, activity="21.6")
    add_image(case, png_bytes((200, 400), 90), caption="Anterior and posterior", is_main=True)

    page.goto("/")
    expect(page.get_by_role("heading", name="Teaching File home")).to_be_visible()
    page.get_by_role("link", name="Skeletal system").click()
    page.get_by_role("link", name="Metabolic, endocrine, toxic").click()
    page.get_by_role("link", name=f"{case.number}").first.click()

    # A click does not wait for the page it leads to: wait for it, not a race.
    # The link carries the list it was in (?in=…): the case page steps through it.
    page.wait_for_url(re.compile(rf".*/cases/{case.number}/\?in=.*"))
    assert "Dystrophic soft-tissue calcification" not in page.content()
    expect(page.get_by_text("Rating: #D3, #Q4")).to_be_visible()
    image = page.get_by_role("img", name="Anterior and posterior")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    page.screenshot(path=screenshot_dir / "case-unknown.png", full_page=True)

    page.get_by_role("link", name="Show diagnosis").click()
    # The answer replaces the reveal in place, and the address becomes the known page's.
    page.wait_for_url(f"**/cases/{case.number}/known/#answer")
    expect(page.get_by_role("heading", name="Diagnosis", exact=True)).to_be_visible()
    expect(page.get_by_text("Dystrophic soft-tissue calcification")).to_be_visible()
    expect(page.get_by_text("21.6 mCi (799.2 MBq) Tc-99m MDP i.v.")).to_be_visible()
    page.screenshot(path=screenshot_dir / "case-known.png", full_page=True)


def test_the_case_page_works_with_the_keyboard_and_on_a_phone(
    browser, live_server, screenshot_dir
):
    case = make_case()
    add_image(case, png_bytes(), caption="Whole body", is_main=True)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto(case.get_absolute_url())
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Show diagnosis":
            break
    else:
        pytest.fail("Show diagnosis is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{case.number}/known/#answer")
    page.screenshot(path=screenshot_dir / "case-known-phone.png", full_page=True)
    context.close()


def test_pages_obey_the_content_security_policy(page):
    case = make_case()
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    for url in ("/", case.get_absolute_url(), case.get_known_url(), "/topics/"):
        page.goto(url)
    assert violations == []
