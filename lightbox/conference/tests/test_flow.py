"""A whole conference through its addresses: an editor builds and starts it, two phones
join, the question opens, both answer, the presenter reads the histogram, closes, reveals."""

from __future__ import annotations

import pytest
from django.test import Client

from lightbox.conference.models import Conference
from lightbox.conference.tests.conftest import ANSWER_TEXTS

pytestmark = pytest.mark.django_db


def test_a_conference_from_the_agenda_to_the_reveal(erin, case):
    # The editor builds the agenda and starts.
    erin.post("/conferences/new/", {"title": "Friday film reading"})
    conference = Conference.objects.get()
    erin.post(f"/conferences/{conference.pk}/agenda/", {"action": "add", "number": case.number})
    erin.post(f"/conferences/{conference.pk}/room/", {"action": "open"})
    move = f"/conferences/{conference.pk}/move/"
    results = f"/conferences/{conference.pk}/results.json"

    # Two phones join with the code as they typed it.
    phones = [Client(), Client()]
    for phone in phones:
        joined = phone.get("/join/", {"code": conference.code.lower()}, follow=True)
        assert joined.status_code == 200
        assert "Look at the case. The presenter will open the question." in joined.content.decode()
    state = f"/join/{conference.code}/state.json"
    before = phones[0].get(state).json()["version"]

    # The question opens: the phones see the version move and get an answer box.
    assert erin.post(move, {"action": "question"}).status_code == 302
    assert phones[0].get(state).json()["stage"] == "open"
    assert phones[0].get(state).json()["version"] > before
    page = phones[0].get(f"/join/{conference.code}/").content.decode()
    assert "What is your diagnosis?" in page

    answers = ["Milk-alkali syndrome", "milk alkali  SYNDROME!"]
    for phone, text in zip(phones, answers, strict=True):
        response = phone.post(
            f"/join/{conference.code}/answer/", {"answer": text}, HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 200
    histogram = erin.get(results).json()["histogram"]
    assert histogram["total"] == 2
    assert [b["count"] for b in histogram["bars"]] == [2]  # one answer, spelled two ways

    # One phone changes its mind; the histogram follows, still two attendees.
    phones[1].post(
        f"/join/{conference.code}/answer/",
        {"answer": "Hyperparathyroidism"},
        HTTP_ACCEPT="text/html",
    )
    histogram = erin.get(results).json()["histogram"]
    assert histogram["total"] == 2
    assert sorted(b["count"] for b in histogram["bars"]) == [1, 1]

    # Closed: no more answers; the phones still know nothing of the answer.
    erin.post(move, {"action": "question"})
    late = phones[0].post(f"/join/{conference.code}/answer/", {"answer": "Late"})
    assert late.status_code == 409
    assert erin.get(results).json()["histogram"]["total"] == 2
    for phone in phones:
        page = phone.get(f"/join/{conference.code}/").content.decode()
        assert "The question is closed." in page
        for text in ANSWER_TEXTS:
            assert text not in page

    # Revealed: the phones show the diagnosis; the projector the whole answer.
    erin.post(move, {"action": "reveal"})
    for phone in phones:
        page = phone.get(f"/join/{conference.code}/").content.decode()
        assert "Dystrophic soft-tissue calcification" in page
    projector = erin.get(f"/conferences/{conference.pk}/present/").content.decode()
    assert "Tracer uptake in the soft tissues" in projector

    # The end: the code opens nothing any more.
    erin.post(f"/conferences/{conference.pk}/room/", {"action": "close"})
    assert phones[0].get(state).status_code == 404
