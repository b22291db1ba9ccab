"""Attending on a phone: join by code, the unknown until the reveal, answering while the
question is open — once per attendee — and never another attendee's answer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lightbox.conference.attend_views import COOKIE
from lightbox.conference.models import Conference, LiveAnswer, attendee_key
from lightbox.conference.tests.conftest import ANSWER_TEXTS, signed_in
from lightbox.imaging.images import add_image
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


def _answer(client, conference, text, **extra):
    return client.post(
        f"/join/{conference.code}/answer/",
        {"answer": text, **extra},
        HTTP_ACCEPT="application/json",
    )


def _everything_an_attendee_gets(client, conference) -> str:
    """The attendee page, its state document, the join redirect and an answer's reply."""
    out = [
        client.get(f"/join/{conference.code}/").content.decode(),
        client.get(f"/join/{conference.code}/state.json").content.decode(),
        client.get(f"/join/?code={conference.code.lower()}", follow=True).content.decode(),
    ]
    if conference.stage == "open":
        out.append(_answer(client, conference, "A guess").content.decode())
    return "\n".join(out)


# -- joining ---------------------------------------------------------------------------------


def test_the_join_page_takes_a_code_in_any_case(client, live):
    assert client.get("/join/").status_code == 200
    for typed in (live.code.lower(), f" {live.code[:3]}-{live.code[3:]} ", live.code):
        response = client.get("/join/", {"code": typed})
        assert response.status_code == 302, typed
        assert response.url == f"/join/{live.code}/"
    assert client.get(f"/join/{live.code.lower()}/").status_code == 200


@pytest.mark.parametrize(
    ("code", "status"),
    [("ZZZZZZ", 404), ("abc", 400), ("ABC1O0", 400), ("", 400), ("x" * 5000, 400)],
)
def test_a_wrong_code_is_explained(client, live, code, status):
    response = client.get("/join/", {"code": code})
    assert response.status_code == status
    assert 'role="alert"' in response.content.decode()


def test_the_code_of_a_conference_not_running_opens_nothing(client, conference):
    assert client.get("/join/", {"code": conference.code}).status_code == 404
    assert client.get(f"/join/{conference.code}/").status_code == 404
    assert client.get(f"/join/{conference.code}/state.json").status_code == 404
    assert _answer(client, conference, "Paget").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["ZZZZZZ/", "abc/", "%00/", "%ff/", "x" * 300 + "/", "ABC234/state.json", "1/answer/"],
)
def test_odd_codes_in_the_address_are_404(client, live, path):
    # The answer address takes a POST only; the others a GET only.
    assert client.get(f"/join/{path}").status_code in (404, 405)
    assert client.post(f"/join/{path}").status_code in (404, 405)


# -- what an attendee sees -------------------------------------------------------------------


def test_nothing_of_the_answer_reaches_an_attendee_before_the_reveal(client, erin, live):
    for _ in range(3):  # unknown, question open, question closed
        everything = _everything_an_attendee_gets(client, live)
        assert "Woman with a long history of connective tissue disease." in everything
        for text in ANSWER_TEXTS:
            assert text not in everything, (live.stage, text)
        erin.post(f"/conferences/{live.pk}/move/", {"action": "next"})
        live.refresh_from_db()
    assert live.stage == "revealed"
    page = client.get(f"/join/{live.code}/").content.decode()
    assert "Dystrophic soft-tissue calcification" in page
    # The diagnosis, not the rest of the answer.
    assert "Tracer uptake in the soft tissues" not in page


def test_a_signed_in_reader_who_may_not_read_the_case_sees_only_the_unknown(
    people, erin, live, draft
):
    item = live.add_case(draft)
    live.go_to(item)
    bob = signed_in(people["bob"])
    page = bob.get(f"/join/{live.code}/").content.decode()
    assert "A private draft" in page
    assert "Draft diagnosis text" not in page
    assert bob.get(draft.get_absolute_url()).status_code == 404  # the case itself: no


def test_attendees_get_the_current_case_s_images_and_no_other(client, live, case):
    page = client.get(f"/join/{live.code}/").content.decode()
    main = case.images.get(is_main=True)
    assert f"/join/{live.code}/images/{main.pk}/full?v=" in page
    assert f"/cases/{case.number}/images/" not in page  # the case's own addresses
    assert client.get(f"/join/{live.code}/images/{main.pk}/full").status_code == 200
    assert client.get(f"/join/{live.code.lower()}/images/{main.pk}/thumb").status_code == 200
    assert client.get(f"/join/{live.code}/images/{main.pk}/other").status_code == 404
    elsewhere = add_image(make_case(), png_bytes(), caption="Not on screen")
    assert client.get(f"/join/{live.code}/images/{elsewhere.pk}/full").status_code == 404
    live.go_to(None)
    assert client.get(f"/join/{live.code}/images/{main.pk}/full").status_code == 404


def test_an_image_waiting_for_pixel_review_is_never_shown(client, live, case):
    main = case.images.get(is_main=True)
    main.pixel_review = "needed"
    main.save(update_fields=["pixel_review"])
    assert client.get(f"/join/{live.code}/images/{main.pk}/full").status_code == 404
    assert f"/images/{main.pk}/" not in client.get(f"/join/{live.code}/").content.decode()


def test_the_state_document_is_one_query_and_says_nothing_of_the_case(client, live):
    with CaptureQueriesContext(connection) as queries:
        data = client.get(f"/join/{live.code}/state.json").json()
    assert len(queries.captured_queries) == 1
    assert data == {"live": True, "version": live.version, "stage": "unknown"}


# -- answering -------------------------------------------------------------------------------


def test_an_attendee_answers_while_the_question_is_open_and_may_change_it(client, live):
    live.toggle_question()
    first = _answer(client, live, "  Paget   disease ")
    assert first.status_code == 200 and first.json()["answer"] == "Paget disease"
    assert _answer(client, live, "Metastases").status_code == 200
    stored = LiveAnswer.objects.get()
    assert (stored.text, stored.normalised, stored.user) == ("Metastases", "metastases", None)
    page = client.get(f"/join/{live.code}/").content.decode()
    assert "Your answer: <strong data-own-answer>Metastases</strong>" in page


def test_one_answer_per_attendee_however_often_they_send(client, live):
    live.toggle_question()
    for n in range(5):
        _answer(client, live, f"Answer {n}")
    assert LiveAnswer.objects.count() == 1
    other = Client()
    _answer(other, live, "Another phone")
    assert LiveAnswer.objects.count() == 2


def test_a_signed_in_attendee_is_one_attendee_on_every_device(people, live):
    live.toggle_question()
    for _ in range(2):
        _answer(signed_in(people["bob"]), live, "Paget")
    answer = LiveAnswer.objects.get()
    assert answer.user == people["bob"]
    assert answer.attendee == attendee_key(live.pk, user_id=people["bob"].pk)


def test_the_phone_s_token_is_kept_in_a_cookie_but_not_stored(client, live):
    live.toggle_question()
    client.get(f"/join/{live.code}/")
    token = client.cookies[COOKIE].value
    cookie = client.cookies[COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/join/" and cookie["samesite"] == "Lax"
    _answer(client, live, "Paget")
    stored = LiveAnswer.objects.get()
    assert token not in stored.attendee
    assert stored.attendee == attendee_key(live.pk, token=token)


def test_a_phone_without_cookies_still_answers(live):
    live.toggle_question()
    response = _answer(Client(), live, "Paget")
    assert response.status_code == 200 and COOKIE in response.cookies


def test_an_answer_is_refused_unless_the_question_is_open(client, live):
    assert _answer(client, live, "Too early").status_code == 409
    live.toggle_question()
    question = live.question_id
    live.toggle_question()  # closed
    response = _answer(client, live, "Too late")
    assert response.status_code == 409
    assert response.json()["error"] == "The question is closed: your answer was not counted."
    live.reveal()
    assert _answer(client, live, "After the reveal").status_code == 409
    assert not LiveAnswer.objects.exists()
    assert question


def test_an_answer_typed_for_a_closed_question_does_not_count_for_the_next(client, live):
    live.toggle_question()
    old = live.question_id
    live.previous()  # withdrawn
    live.toggle_question()  # a new question
    assert _answer(client, live, "Stale", question=old).status_code == 409
    assert _answer(client, live, "Fresh", question=live.question_id).status_code == 200


def test_without_javascript_the_answer_form_comes_back_to_the_page(client, live):
    live.toggle_question()
    page = client.get(f"/join/{live.code}/").content.decode()
    assert 'name="answer"' in page and 'name="csrfmiddlewaretoken"' in page
    response = client.post(
        f"/join/{live.code}/answer/", {"answer": "Paget", "question": live.question_id}
    )
    assert response.status_code == 302 and response.url == f"/join/{live.code}/"
    live.toggle_question()
    closed = client.post(f"/join/{live.code}/answer/", {"answer": "Late"})
    assert closed.status_code == 409
    assert "your answer was not counted" in closed.content.decode()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"answer": ""}, 400),
        ({"answer": "   "}, 400),
        ({"answer": "?!…"}, 400),
        ({"answer": "x" * 201}, 400),
        ({"answer": "a\x00b"}, 400),
        ({"answer": "Paget", "question": "abc"}, 400),
        ({"answer": "Paget", "question": "99999999999999999999"}, 400),
        ({}, 400),
    ],
)
def test_odd_answers_are_refused_with_a_reason(client, live, data, status):
    live.toggle_question()
    response = client.post(f"/join/{live.code}/answer/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    assert response.json()["error"]
    assert not LiveAnswer.objects.exists()
    # The same without JavaScript: the page again, with the reason.
    page = client.post(f"/join/{live.code}/answer/", data)
    assert page.status_code == status and 'role="alert"' in page.content.decode()


def test_attendees_never_see_each_other_s_answers(live):
    live.toggle_question()
    alice_phone, bob_phone = Client(), Client()
    _answer(alice_phone, live, "Sarcoidosis everywhere")
    _answer(bob_phone, live, "Lymphoma")
    for stage in range(3):
        page = _everything_an_attendee_gets(bob_phone, live)
        assert "Sarcoidosis everywhere" not in page, stage
        live.next()


def test_the_answer_endpoint_needs_a_post_and_a_csrf_token(live):
    live.toggle_question()
    strict = Client(enforce_csrf_checks=True)
    assert strict.get(f"/join/{live.code}/answer/").status_code == 405
    assert strict.post(f"/join/{live.code}/answer/", {"answer": "x"}).status_code == 403


def test_two_conferences_do_not_share_an_attendee(client, people, live, case):
    other = Conference.objects.create(title="Other", owner=people["erin"])
    other.add_case(case)
    other.open_room()
    for conference in (live, other):
        conference.toggle_question()
        _answer(client, conference, "Paget")
    keys = set(LiveAnswer.objects.values_list("attendee", flat=True))
    assert len(keys) == 2
