"""axe-core (npm ``axe-core``, injected by Playwright) on every page type, as a visitor,
a learner, an author, an editor and an administrator: no serious or critical violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from lightbox.conference.models import Conference
from lightbox.history.revisions import record
from lightbox.imaging.images import add_image
from lightbox.learning.models import StudySession
from lightbox.test import PASSWORD, add_dose, add_people, make_case, make_topic, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _violations(page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => `${v.impact} ${v.id}: ${v.help} — ` +
                      v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""
    )
    return list(found)


@pytest.fixture
def library(people):
    topic = make_topic()
    case = make_case(topic=topic, created_by=people["alice"])
    add_people(case, ("Ann Author", "M.D."))
    add_dose(case, activity="21.6")
    add_image(case, png_bytes((200, 400), 90), caption="Anterior and posterior", is_main=True)
    draft = make_case(created_by=people["alice"], status="draft", visibility="private",
                      title="A draft")  # fmt: skip
    # Two revisions of the draft, to compare.
    record(draft, user=people["alice"], kind="created")
    draft.findings = "Tracer uptake in the soft tissues of both thighs and the abdomen."
    draft.save()
    record(draft, user=people["alice"], message="Better findings")
    conference = Conference.objects.create(title="Friday film reading", owner=people["root"])
    conference.add_case(case)
    session = StudySession.objects.create(
        user=people["bob"], title="Random cases", mode="unknown", case_ids=[case.pk]
    )
    return {"case": case, "draft": draft, "topic": topic, "conference": conference,
            "session": session}  # fmt: skip


def _pages(library) -> dict[str, list[str]]:
    case, draft, topic = library["case"], library["draft"], library["topic"]
    conference, session = library["conference"], library["session"]
    image = case.images.get()
    return {
        "": ["/", "/cases/", "/topics/", topic.get_absolute_url(),
             case.get_absolute_url(), case.get_known_url(), f"/cases/{case.number}/print/",
             image.get_absolute_url(), "/search/?q=calcification", "/search/similar/",
             f"/cases/{case.number}/similar/", "/accounts/login/"],
        "bob": ["/learn/", "/accounts/profile/", "/learn/sessions/new/?list=random",
                f"/learn/sessions/{session.pk}/1/", f"/learn/sessions/{session.pk}/summary/",
                "/learn/progress/", "/join/"],
        "alice": [f"/cases/{draft.number}/edit/", f"/cases/{draft.number}/images/add/",
                  f"/cases/{draft.number}/review/", "/review/", "/cases/new/",
                  f"/cases/{draft.number}/history/",
                  f"/cases/{draft.number}/history/compare/?a=1&b=2",
                  f"/cases/{draft.number}/history/1/", "/inbox/"],
        "root": ["/audit/", "/accounts/people/", "/conferences/", "/accounts/tokens/",
                 f"/conferences/{conference.pk}/", "/conferences/new/",
                 f"/conferences/{conference.pk}/present/", "/learn/difficulty/", "/topics/new/",
                 f"{topic.get_absolute_url()}edit/"],
    }  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
def test_no_serious_or_critical_accessibility_violation(browser, live_server, library, size):
    assert AXE.exists(), "npm ci in frontend/ installs axe-core"
    report = {}
    for who, urls in _pages(library).items():
        context = browser.new_context(
            base_url=live_server.url,
            viewport=SIZES[size],
            is_mobile=size == "phone",
            bypass_csp=True,  # axe-core is injected as a script of the page
        )
        page = context.new_page()
        if who:
            page.goto("/accounts/login/")
            page.fill("#id_username", who)
            page.fill("#id_password", PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/")
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status < 400, (who, url)
            if found := _violations(page):
                report[f"{who or 'visitor'} {url}"] = found
        context.close()
    assert report == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in report.items())
