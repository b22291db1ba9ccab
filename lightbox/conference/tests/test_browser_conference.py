"""A conference in a real browser: the presenter's screen and two phones."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lightbox.conference.models import Conference
from lightbox.imaging.images import add_image
from lightbox.test import PASSWORD, make_case, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DIAGNOSIS = "Dystrophic soft-tissue calcification"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _errors(page, errors):
    """Script errors and console errors (a CSP refusal is one) on ``page``."""
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"),
    )


def test_a_presenter_runs_a_question_for_two_phones_and_reveals(
    browser, live_server, people, screenshot_dir
):
    case = make_case(created_by=people["alice"])
    add_image(case, png_bytes((240, 480), 90), caption="Anterior and posterior", is_main=True)
    add_image(case, png_bytes((120, 120), 160), caption="Spot view of the thighs")
    second = make_case()
    conference = Conference.objects.create(title="Friday film reading", owner=people["erin"])
    conference.add_case(case)
    conference.add_case(second)
    errors: list[str] = []

    # The presenter signs in, opens the agenda and starts.
    desk = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    presenter = desk.new_page()
    presenter.set_default_timeout(10_000)
    _errors(presenter, errors)
    presenter.goto(f"/accounts/login/?next=/conferences/{conference.pk}/")
    presenter.fill("#id_username", "erin")
    presenter.fill("#id_password", PASSWORD)
    presenter.get_by_role("button", name="Sign in").click()
    presenter.wait_for_url(f"**/conferences/{conference.pk}/")
    presenter.screenshot(path=screenshot_dir / "conference-1-agenda.png", full_page=True)
    presenter.get_by_role("button", name="Start presenting").click()
    presenter.wait_for_url(f"**/conferences/{conference.pk}/present/")
    expect(presenter.locator(".join-code")).to_have_text(conference.code)
    expect(presenter.get_by_role("img", name="Anterior and posterior")).to_be_visible()

    # Two phones join, typing the code in lower case.
    phones = []
    for _ in range(2):
        context = browser.new_context(base_url=live_server.url, **PHONE)
        phone = context.new_page()
        phone.set_default_timeout(10_000)
        _errors(phone, errors)
        phone.goto("/join/")
        phone.get_by_label("The code on the presenter's screen").fill(conference.code.lower())
        phone.get_by_role("button", name="Join").click()
        phone.wait_for_url(f"**/join/{conference.code}/")
        expect(phone.locator(".waiting")).to_contain_text("Look at the case.")
        # No horizontal scrolling on a phone.
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        phones.append(phone)
    phones[0].screenshot(path=screenshot_dir / "conference-2-phone-unknown.png", full_page=True)

    # q opens the question; the phones follow by themselves and answer.
    presenter.locator("body").press("q")
    expect(presenter.locator(".stage")).to_have_text("Question open")
    answers = ["Calcinosis cutis", "calcinosis  CUTIS"]
    for phone, answer in zip(phones, answers, strict=True):
        box = phone.get_by_label("What is your diagnosis?")
        expect(box).to_be_visible(timeout=5_000)
        assert DIAGNOSIS not in phone.content()
        box.fill(answer)
        phone.get_by_role("button", name="Send").click()
        expect(phone.locator("[data-own-answer]")).to_have_text(answer)
    phones[1].screenshot(path=screenshot_dir / "conference-3-phone-answered.png", full_page=True)

    # The presenter's histogram counts both, as one answer typed two ways.
    histogram = presenter.locator("[data-histogram]")
    expect(histogram.locator("[data-total]")).to_have_text("2", timeout=5_000)
    expect(histogram.locator(".bar-count")).to_have_text(["2"])
    presenter.screenshot(path=screenshot_dir / "conference-4-presenter-histogram.png")

    # q closes, r reveals: without leaving the page.
    presenter.locator("body").press("q")
    expect(presenter.locator(".stage")).to_have_text("Question closed")
    for phone in phones:
        expect(phone.locator(".waiting")).to_contain_text("The question is closed.", timeout=5_000)
        assert DIAGNOSIS not in phone.content()
    presenter.locator("body").press("r")
    expect(presenter.locator(".stage")).to_have_text("Revealed")
    expect(presenter.get_by_text(DIAGNOSIS)).to_be_visible()
    presenter.screenshot(path=screenshot_dir / "conference-5-presenter-revealed.png")
    for phone in phones:
        expect(phone.get_by_text(DIAGNOSIS)).to_be_visible(timeout=5_000)
    phones[0].screenshot(path=screenshot_dir / "conference-6-phone-revealed.png", full_page=True)

    # → moves on to the next case, as an unknown again, on the phones too.
    presenter.locator("body").press("ArrowRight")
    expect(presenter.locator(".present-where")).to_contain_text("Case 2 of 2")
    expect(phones[0].get_by_role("heading", name=f"Case {second.number}")).to_be_visible(
        timeout=5_000
    )
    assert DIAGNOSIS not in phones[0].content()

    # f: full screen, the same page.
    presenter.locator("body").press("f")
    presenter.wait_for_function("document.fullscreenElement !== null")
    presenter.locator("body").press("ArrowLeft")
    expect(presenter.locator(".stage")).to_have_text("Revealed")
    assert presenter.evaluate("document.fullscreenElement !== null")
    presenter.screenshot(path=screenshot_dir / "conference-7-presenter-fullscreen.png")

    assert errors == []
    desk.close()
    for phone in phones:
        phone.context.close()
