"""The presenter's page, the moves through the agenda, the room, and the histogram."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lightbox.conference.histogram import SHOWN_BARS, normalise
from lightbox.conference.models import Conference, LiveAnswer, Stage, attendee_key
from lightbox.conference.tests.conftest import ANSWER_TEXTS, signed_in
from lightbox.test import make_case, make_user

pytestmark = pytest.mark.django_db


def _move(client, conference, action, **extra):
    return client.post(
        f"/conferences/{conference.pk}/move/",
        {"action": action, **extra},
        HTTP_ACCEPT="application/json",
    )


def test_starting_opens_the_room_on_the_first_case(erin, conference, case):
    response = erin.post(f"/conferences/{conference.pk}/room/", {"action": "open"})
    assert response.url == f"/conferences/{conference.pk}/present/"
    conference.refresh_from_db()
    assert conference.is_live and conference.current.case == case
    assert conference.stage == Stage.UNKNOWN


def test_the_presenter_page_shows_the_unknown_and_the_join_code(erin, live):
    response = erin.get(f"/conferences/{live.pk}/present/")
    page = response.content.decode()
    assert response.status_code == 200
    assert live.code in page and "http://testserver/join/" in page
    assert "Woman with a long history of connective tissue disease." in page
    assert "Anterior and posterior" in page  # the main image's caption
    assert f"/cases/{live.current.case.number}/images/" in page  # the viewer, the pictures
    # The projector shows nothing of the answer before the reveal.
    for text in ANSWER_TEXTS:
        assert text not in page, text


def test_the_presenter_page_shows_the_whole_answer_once_revealed(erin, live):
    live.reveal()
    page = erin.get(f"/conferences/{live.pk}/present/").content.decode()
    for text in ("Dystrophic soft-tissue calcification", "Tracer uptake in the soft tissues"):
        assert text in page


def test_each_move_answers_the_new_state_to_the_script(erin, live):
    response = _move(erin, live, "next")
    assert response.status_code == 200
    state = response.json()
    assert state["stage"] == "open" and state["question"] and state["version"] > live.version
    assert _move(erin, live, "question").json()["stage"] == "closed"
    assert _move(erin, live, "reveal").json()["stage"] == "revealed"
    assert _move(erin, live, "previous").json()["stage"] == "closed"


def test_a_move_from_a_form_comes_back_to_the_presenter_page(erin, live):
    response = erin.post(f"/conferences/{live.pk}/move/", {"action": "reveal"})
    assert response.status_code == 302 and response.url == f"/conferences/{live.pk}/present/"


def test_go_to_shows_a_case_from_its_start(erin, live):
    second = make_case()
    item = live.add_case(second)
    live.reveal()
    assert _move(erin, live, "goto", item=item.pk).json()["item"] == item.pk
    live.refresh_from_db()
    assert live.current == item and live.stage == Stage.UNKNOWN


@pytest.mark.parametrize(
    "data",
    [
        {"action": "goto", "item": "999999"},
        {"action": "goto", "item": "abc"},
        {"action": "goto"},
        {"action": "jump"},
        {},
    ],
)
def test_an_odd_move_is_a_bad_request(erin, live, data):
    response = erin.post(f"/conferences/{live.pk}/move/", data)
    assert response.status_code == 400


def test_ending_the_conference_shuts_the_code(erin, live, client):
    assert client.get(f"/join/{live.code}/").status_code == 200
    response = erin.post(f"/conferences/{live.pk}/room/", {"action": "close"})
    assert response.url == f"/conferences/{live.pk}/"
    assert client.get(f"/join/{live.code}/").status_code == 404
    assert erin.post(f"/conferences/{live.pk}/room/", {"action": "shut"}).status_code == 400


def test_only_the_owner_and_administrators_move_the_room(people, live):
    ed = signed_in(make_user("ed", "editor"))
    for client, status in (
        (ed, 404),
        (signed_in(people["bob"]), 404),
        (signed_in(people["alice"]), 404),
        (signed_in(people["root"]), 200),
    ):
        assert _move(client, live, "reveal").status_code == status
        assert client.get(f"/conferences/{live.pk}/results.json").status_code == status


def test_the_histogram_groups_answers_by_what_they_say(erin, live):
    live.toggle_question()
    typed = ["Paget's disease", "paget disease", "PAGET  DISEASE.", "Metastases", "Pagét disease"]
    for n, text in enumerate(typed):
        LiveAnswer.objects.create(
            question=live.question,
            attendee=attendee_key(live.pk, token=f"phone-{n}"),
            text=text,
            normalised=normalise(text),
        )
    data = erin.get(f"/conferences/{live.pk}/results.json").json()
    assert data["stage"] == "open"
    bars = data["histogram"]["bars"]
    assert data["histogram"]["total"] == 5
    assert [b["count"] for b in bars] == [4, 1]
    assert bars[0]["label"] in typed and bars[1]["label"] == "Metastases"


def test_the_histogram_is_two_queries_beside_the_sign_in(erin, live):
    live.toggle_question()
    url = f"/conferences/{live.pk}/results.json"
    erin.get(url)  # the session and the role, looked up once per request
    with CaptureQueriesContext(connection) as queries:
        assert erin.get(url).status_code == 200
    ours = [q["sql"] for q in queries.captured_queries if "conference" in q["sql"]]
    assert len(ours) == 2, ours
    assert len(queries.captured_queries) <= 5  # session, user, role + ours


def test_the_histogram_lists_the_most_given_answers_and_sums_the_rest(erin, live):
    live.toggle_question()
    for n in range(SHOWN_BARS + 5):
        text = f"Answer {n}"
        LiveAnswer.objects.create(
            question=live.question,
            attendee=f"anon:{n}",
            text=text,
            normalised=normalise(text),
        )
    histogram = erin.get(f"/conferences/{live.pk}/results.json").json()["histogram"]
    assert len(histogram["bars"]) == SHOWN_BARS
    assert histogram["other"] == {"count": 5, "groups": 5}
    assert histogram["total"] == SHOWN_BARS + 5


def test_the_presenter_page_works_on_an_empty_agenda(people, erin):
    conference = Conference.objects.create(title="Empty", owner=people["erin"])
    erin.post(f"/conferences/{conference.pk}/room/", {"action": "open"})
    page = erin.get(f"/conferences/{conference.pk}/present/").content.decode()
    assert "The agenda is empty." in page
    assert _move(erin, conference, "next").status_code == 200
    assert _move(erin, conference, "question").json()["stage"] == "unknown"


def test_an_answer_is_shown_to_the_presenter_as_text_never_as_html(erin, live):
    live.toggle_question()
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    LiveAnswer.objects.create(
        question=live.question, attendee="anon:1", text=hostile, normalised=normalise(hostile)
    )
    page = erin.get(f"/conferences/{live.pk}/present/").content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # The script draws it with textContent (static/lightbox/conference-present.js).
    data = erin.get(f"/conferences/{live.pk}/results.json").json()
    assert data["histogram"]["bars"][0]["label"] == hostile
