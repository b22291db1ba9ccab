"""A learner in a real browser: a session from a search, three answers (right, misspelt,
wrong), the summary, and the missed case waiting in the review queue."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lightbox.cases.models import Case
from lightbox.learning.models import Card
from lightbox.test import PASSWORD, make_case, make_series

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = {
    # diagnosis: (what the learner types, the grade shown)
    "Paget disease of bone": ("Paget disease of bone", "Correct"),
    "Osteoid osteoma": ("Osteiod osteoma", "Correct (spelling)"),
    "Pulmonary embolism": ("Pneumonia", "Incorrect"),
}


def sign_in(page, username):
    page.goto("/accounts/login/?next=/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_a_learner_studies_a_search_and_the_miss_comes_back(page, people, screenshot_dir):
    series = make_series()
    for diagnosis in CASES:
        make_case(series, diagnosis=diagnosis, brief_history="Quizword: a teaching case.")
    sign_in(page, "bob")

    page.goto("/search/?q=quizword")
    page.get_by_role("link", name="Study these cases").click()
    page.wait_for_url("**/learn/sessions/new/?*")
    page.get_by_label("Read the cases").select_option("unknown")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r".*/learn/sessions/\d+/1/$"))

    for position in (1, 2, 3):
        number = page.locator(".case-header h1").inner_text().removeprefix("Case ").strip()
        diagnosis = Case.objects.get(number=number).diagnosis
        typed, grade = CASES[diagnosis]
        assert diagnosis not in page.content()  # nothing of the answer before the reveal
        expect(page.get_by_text(f"case {position} of 3").first).to_be_visible()
        page.get_by_label("Your diagnosis").fill(typed)
        page.get_by_label("Certain").check()
        if position == 1:
            page.screenshot(path=screenshot_dir / "learning-answer.png", full_page=True)
        page.get_by_role("button", name="Reveal and grade").click()
        # The answer replaces the reveal in place, and the page moves to it.
        answer = page.locator("#answer")
        expect(answer.locator(".your-answer")).to_be_visible()
        expect(answer.locator(".your-answer .badge")).to_have_text(grade)
        expect(answer.locator(".diagnosis")).to_contain_text(diagnosis)
        assert page.evaluate("document.getElementById('answer').getBoundingClientRect().top") < 200
        page.screenshot(path=screenshot_dir / f"learning-graded-{position}.png", full_page=False)
        page.keyboard.press("n")  # the next case, or the summary after the last
        if position < 3:
            page.wait_for_url(re.compile(rf".*/learn/sessions/\d+/{position + 1}/$"))

    page.wait_for_url(re.compile(r".*/learn/sessions/\d+/summary/$"))
    expect(page.locator(".lead")).to_contain_text("2 of 3 right")
    expect(page.get_by_role("heading", name="What you missed")).to_be_visible()
    missed = Case.objects.get(diagnosis="Pulmonary embolism")
    expect(page.get_by_role("link", name=missed.number).last).to_be_visible()
    page.screenshot(path=screenshot_dir / "learning-summary.png", full_page=True)

    page.goto("/learn/")
    expect(page.get_by_role("button", name="Review 1 due case")).to_be_visible()
    assert Card.objects.get(user=people["bob"], case=missed).reviews.get().rating == 1
    page.get_by_role("button", name="Review 1 due case").click()
    page.wait_for_url(re.compile(r".*/learn/sessions/\d+/1/$"))
    expect(page.locator(".case-header h1")).to_have_text(f"Case {missed.number}")
    page.screenshot(path=screenshot_dir / "learning-review.png", full_page=True)
