"""Sessions: start from any list, step through, a summary at the end."""

from __future__ import annotations

import pytest

from lightbox.learning.models import Attempt, StudySession
from lightbox.test import make_case, make_series, make_topic

pytestmark = pytest.mark.django_db


def start(client, source, mode="unknown", length="10"):
    response = client.post(
        "/learn/sessions/new/", {"source": source, "mode": mode, "length": length}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return StudySession.objects.latest("created"), response["Location"]


@pytest.fixture
def library(people):
    nm = make_series("bs", "Bone scintigraphy")
    ct = make_series("ct", "Body CT")
    topic = make_topic()
    cases = {
        "paget": make_case(
            nm, diagnosis="Paget disease of bone", anatomic_field="4", category="5",
            keywords=["Paget"], acr_codes=["4.5"], topic=topic,
        ),
        "mets": make_case(
            nm, diagnosis="Osseous metastases", anatomic_field="4", category="3",
            keywords=["metastases"], acr_codes=["4.3"],
        ),
        "pe": make_case(
            ct, modality="CT", diagnosis="Pulmonary embolism", anatomic_field="6",
            category="4", keywords=["embolism"], acr_codes=["6.4"], brief_history="Dyspnoea.",
        ),
        "draft": make_case(
            nm, status="draft", diagnosis="Draft only", anatomic_field="4",
            created_by=people["alice"],
        ),
    }  # fmt: skip
    return cases


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("list=field&field=4", {"paget", "mets"}),
        ("list=field&field=4&category=3", {"mets"}),
        ("list=modality&modality=CT", {"pe"}),
        ("list=series&series=bs", {"paget", "mets"}),
        ("list=topic&topic=bone-scintigraphy", {"paget"}),
        ("list=keyword&keyword=paget", {"paget"}),
        ("list=acr&code=4", {"paget", "mets"}),
        ("list=random", {"paget", "mets", "pe"}),
        ("list=new", {"paget", "mets", "pe"}),
    ],
)
def test_a_session_starts_from_any_list_with_published_cases_only(
    client, people, library, source, expected
):
    client.force_login(people["erin"])  # an editor sees the draft, yet it is no quiz item
    session, _ = start(client, source)
    assert set(session.case_ids) == {library[k].pk for k in expected}


def test_a_session_starts_from_a_search(client, people, library):
    client.force_login(people["bob"])
    session, _ = start(client, "list=search&q=embolism")
    assert session.case_ids == [library["pe"].pk]
    assert session.source_url.startswith("/search/?") and "embolism" in session.source_url


def test_missed_and_new_follow_the_readers_answers(client, people, library):
    client.force_login(people["bob"])
    client.post(
        f"/cases/{library['mets'].number}/answer/",
        {"diagnosis": "Paget disease", "confidence": "2"},
    )
    client.post(
        f"/cases/{library['paget'].number}/answer/",
        {"diagnosis": "Paget disease of bone", "confidence": "2"},
    )
    missed, _ = start(client, "list=missed")
    assert missed.case_ids == [library["mets"].pk]
    new, _ = start(client, "list=new")
    assert new.case_ids == [library["pe"].pk]


def test_stepping_through_a_session_as_unknowns(client, people, library):
    client.force_login(people["bob"])
    session, first = start(client, "list=field&field=4", length="5")
    assert first == f"/learn/sessions/{session.pk}/1/"
    page = client.get(first).content.decode()
    # Unknown: the form, the progress bar, no answer; next and previous within the list.
    assert "Reveal and grade" in page and "case 1 of 2" in page and "<progress" in page
    assert "Paget disease of bone" not in page and "Osseous metastases" not in page
    assert f'href="/learn/sessions/{session.pk}/2/"' in page and "data-key-next" in page
    case = StudySession.objects.get().case_ids[0]
    number = library["paget"].number if case == library["paget"].pk else library["mets"].number
    response = client.post(
        f"/cases/{number}/answer/",
        {"diagnosis": "Osteosarcoma", "confidence": "1", "session": session.pk, "position": 1},
    )
    assert response["Location"] == f"/learn/sessions/{session.pk}/1/#answer"
    page = client.get(f"/learn/sessions/{session.pk}/1/").content.decode()
    assert "Your answer" in page and "Reveal and grade" not in page
    assert Attempt.objects.get().session == session
    # Resuming goes to the first case not yet answered.
    assert client.get(f"/learn/sessions/{session.pk}/")["Location"].endswith("/2/")
    last = client.get(f"/learn/sessions/{session.pk}/2/").content.decode()
    assert f'href="/learn/sessions/{session.pk}/summary/"' in last and "data-key-prev" in last


def test_the_summary_says_the_score_the_time_and_what_was_missed(client, people, library):
    client.force_login(people["bob"])
    session, _ = start(client, "list=field&field=4")
    by_pk = {c.pk: c for c in library.values()}
    for position, pk in enumerate(session.case_ids, start=1):
        case = by_pk[pk]
        guess = case.diagnosis if case == library["paget"] else "Fibrous dysplasia"
        client.post(
            f"/cases/{case.number}/answer/",
            {"diagnosis": guess, "confidence": "3", "session": session.pk, "position": position},
        )
    page = client.get(f"/learn/sessions/{session.pk}/summary/").content.decode()
    assert "1 of 2 right" in page and "diagnosis score 2/4" in page
    assert "confidence marks -3" in page
    assert "What you missed" in page and library["mets"].number in page
    assert "Fibrous dysplasia" in page
    session.refresh_from_db()
    assert session.finished_at is not None


def test_a_known_session_shows_the_answers(client, people, library):
    client.force_login(people["bob"])
    session, first = start(client, "list=modality&modality=CT", mode="known")
    page = client.get(first).content.decode()
    assert "Pulmonary embolism" in page and "Reveal and grade" not in page


def test_a_case_retired_during_a_session_is_skipped(client, people, library):
    client.force_login(people["bob"])
    session, _ = start(client, "list=field&field=4")
    first = type(library["paget"]).objects.get(pk=session.case_ids[0])
    first.status = "retired"
    first.save()
    assert client.get(f"/learn/sessions/{session.pk}/1/")["Location"].endswith("/2/")


def test_sessions_are_their_readers_own(client, people, library):
    client.force_login(people["bob"])
    session, first = start(client, "list=random")
    client.force_login(people["erin"])
    for url in (first, f"/learn/sessions/{session.pk}/", f"/learn/sessions/{session.pk}/summary/"):
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(first).status_code == 302


@pytest.mark.parametrize(
    "source", ["", "list=nonsense", "list=field&field=%00", "list=search&q=((("]
)
def test_an_odd_list_gives_a_clear_page(client, people, library, source):
    client.force_login(people["bob"])
    response = client.post(
        "/learn/sessions/new/", {"source": source, "mode": "unknown", "length": "10"}
    )
    assert response.status_code in (200, 400)
    assert "Start a session" in response.content.decode()
    assert not StudySession.objects.exists()


def test_a_list_page_offers_to_study_its_cases(client, people, library):
    client.force_login(people["bob"])
    for url in ("/browse/anatomy/4/", "/browse/anatomy/4/5/", "/series/bs/", "/keywords/paget/",
                "/topics/bone-scintigraphy/", "/browse/modality/CT/", "/search/?q=paget",
                "/browse/acr/4/"):  # fmt: skip
        html = client.get(url).content.decode()
        assert "Study these cases" in html, url
        assert "/learn/sessions/new/?list=" in html, url


def test_the_demo_quiz_holds_the_demo_cases_in_order(client, people, library):
    demo = [make_case(make_series("dm", "Demo"), is_demo=True) for _ in range(3)]
    client.force_login(people["root"])
    assert "Take the demo quiz" in client.get("/").content.decode()
    assert "The demo quiz" in client.get("/learn/").content.decode()
    session, _ = start(client, "list=demo")
    assert session.case_ids == [c.pk for c in demo] and session.title == "The demo quiz"


def test_a_case_opened_from_a_list_has_previous_and_next_in_it(client, people, library):
    html = client.get("/browse/anatomy/4/").content.decode()
    # Newest first: mets, then paget. Their links carry the list.
    mets, paget = library["mets"], library["paget"]
    link = f'href="/cases/{mets.number}/?in=list%3Dfield%26field%3D4"'
    assert link in html
    page = client.get(f"/cases/{mets.number}/?in=list%3Dfield%26field%3D4").content.decode()
    assert "case 1 of 2" in page and "Skeletal system" in page
    assert f'href="/cases/{paget.number}/?in=list%3Dfield%26field%3D4"' in page
    assert "← Previous" not in page
    page = client.get(f"/cases/{paget.number}/?in=list%3Dfield%26field%3D4").content.decode()
    assert "case 2 of 2" in page and f'href="/cases/{mets.number}/?in=' in page
    # Sorted by number, the list (and its neighbours) follow that order.
    html = client.get("/browse/anatomy/4/?sort=number").content.decode()
    assert "sort%3Dnumber" in html
    page = client.get(
        f"/cases/{paget.number}/?in=list%3Dfield%26field%3D4%26sort%3Dnumber"
    ).content.decode()
    assert "case 1 of 2" in page
    # A search's results step through the search.
    html = client.get("/search/?q=paget").content.decode()
    assert f"/cases/{paget.number}/?in=list%3Dsearch%26q%3Dpaget" in html


@pytest.mark.parametrize(
    "value", ["", "list=missed", "list=field&field=6", "list=nonsense", "%ff", "x" * 5000]
)
def test_a_case_outside_the_list_named_has_no_list_nav(client, people, library, value):
    response = client.get(f"/cases/{library['paget'].number}/", {"in": value})
    assert response.status_code == 200
    assert "data-session-nav" not in response.content.decode()


def test_an_answer_awaiting_its_self_grade_is_not_listed_as_missed(
    client, people, library, monkeypatch
):
    from lightbox.learning import grading

    def unsure(answer, diagnosis, **kw):
        return grading.Verdict(
            outcome=grading.Outcome.UNSURE, matched=diagnosis, similarity=80.0, rival=""
        )

    client.force_login(people["bob"])
    session, _ = start(client, "list=modality&modality=CT")
    monkeypatch.setattr(grading, "grade", unsure)
    client.post(
        f"/cases/{library['pe'].number}/answer/",
        {"diagnosis": "Embolism?", "confidence": "2", "session": session.pk, "position": 1},
    )
    page = client.get(f"/learn/sessions/{session.pk}/summary/").content.decode()
    assert "Not graded yet" in page and "What you missed" not in page
