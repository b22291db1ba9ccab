"""The conference's stages, its join code, and what is kept of an attendee."""

from __future__ import annotations

import pytest

from lightbox.conference.models import (
    CODE_ALPHABET,
    Conference,
    LiveQuestion,
    Stage,
    attendee_key,
    normalise_code,
)
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def test_a_conference_gets_a_six_character_code_of_unambiguous_characters(people):
    codes = {
        Conference.objects.create(title=f"C{i}", owner=people["erin"]).code for i in range(30)
    }
    assert len(codes) == 30
    for code in codes:
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)
    assert not set("01ILO") & set(CODE_ALPHABET)


def test_a_clashing_code_is_drawn_again(people, monkeypatch):
    first = Conference.objects.create(title="First", owner=people["erin"])
    drawn = iter([first.code, first.code, "ZZZ222"])
    monkeypatch.setattr("lightbox.conference.models.new_code", lambda: next(drawn))
    assert Conference.objects.create(title="Second", owner=people["erin"]).code == "ZZZ222"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc234", "ABC234"),
        (" AbC-234 ", "ABC234"),
        ("abc 234", "ABC234"),
        ("ABC23", None),
        ("ABC2345", None),
        ("ABC10O", None),
        ("ÀBC234", None),
        ("", None),
        ("x" * 10_000, None),
        (None, None),
    ],
)
def test_a_typed_code_is_read_whatever_its_case(typed, code):
    assert normalise_code(typed) == code


def test_attendee_keys_hold_no_token_and_do_not_link_conferences():
    one = attendee_key(1, token="secret-token-of-a-phone-123")
    assert "secret-token" not in one
    assert one != attendee_key(2, token="secret-token-of-a-phone-123")
    assert one == attendee_key(1, token="secret-token-of-a-phone-123")
    assert attendee_key(1, token="x", user_id=7) == attendee_key(2, token="y", user_id=7)


def _walk(conference: Conference, step: str) -> tuple[int | None, str]:
    getattr(conference, step)()
    conference.refresh_from_db()
    return conference.current.case_id if conference.current else None, conference.stage


def test_next_runs_each_case_through_its_question_to_the_reveal(people):
    first, second = make_case(), make_case()
    conference = Conference.objects.create(title="Walk", owner=people["erin"])
    conference.add_case(first)
    conference.add_case(second)
    steps = [_walk(conference, "next") for _ in range(9)]
    assert steps == [
        (first.pk, Stage.UNKNOWN),
        (first.pk, Stage.OPEN),
        (first.pk, Stage.CLOSED),
        (first.pk, Stage.REVEALED),
        (second.pk, Stage.UNKNOWN),
        (second.pk, Stage.OPEN),
        (second.pk, Stage.CLOSED),
        (second.pk, Stage.REVEALED),
        (second.pk, Stage.REVEALED),  # the end of the agenda: nothing further
    ]
    assert conference.version == 8  # one per step that changed the screen; not the last
    assert LiveQuestion.objects.filter(closed_at=None).count() == 0


def test_previous_steps_back_the_same_way(people):
    first, second = make_case(), make_case()
    conference = Conference.objects.create(title="Back", owner=people["erin"])
    conference.add_case(first)
    conference.add_case(second)
    for _ in range(5):
        conference.next()
    conference.refresh_from_db()
    assert (conference.current.case_id, conference.stage) == (second.pk, Stage.UNKNOWN)
    steps = [_walk(conference, "previous") for _ in range(5)]
    assert steps == [
        (first.pk, Stage.REVEALED),
        (first.pk, Stage.CLOSED),
        (first.pk, Stage.OPEN),  # the same question, reopened
        (first.pk, Stage.UNKNOWN),  # the question withdrawn
        (first.pk, Stage.UNKNOWN),  # the start of the agenda
    ]
    assert LiveQuestion.objects.count() == 1


def test_the_question_opens_closes_and_reopens_and_reveal_closes_it(live):
    assert live.toggle_question()
    question = live.question
    assert live.stage == Stage.OPEN and question.closed_at is None
    live.toggle_question()
    question.refresh_from_db()
    assert live.stage == Stage.CLOSED and question.closed_at is not None
    live.toggle_question()
    assert live.stage == Stage.OPEN and live.question_id == question.pk
    live.reveal()
    question.refresh_from_db()
    assert live.stage == Stage.REVEALED and question.closed_at is not None
    assert not live.toggle_question()  # nothing to ask once the answer is shown


def test_going_back_to_the_unknown_and_asking_again_opens_a_new_question(live):
    live.toggle_question()
    live.previous()
    assert live.stage == Stage.UNKNOWN and live.question is None
    live.toggle_question()
    assert LiveQuestion.objects.filter(item=live.current).count() == 2


def test_ending_the_conference_closes_an_open_question(live):
    live.toggle_question()
    live.close_room()
    live.refresh_from_db()
    assert not live.is_live and live.stage == Stage.CLOSED
    assert live.question.closed_at is not None


def test_removing_the_case_on_screen_leaves_the_screen_empty(live):
    live.remove_item(live.current)
    live.refresh_from_db()
    assert live.current is None and live.agenda.count() == 0


def test_moving_an_item_renumbers_the_agenda(people):
    cases = [make_case() for _ in range(3)]
    conference = Conference.objects.create(title="Order", owner=people["erin"])
    items = [conference.add_case(c) for c in cases]
    conference.move_item(items[2], -1)
    conference.move_item(items[0], -1)  # already first: stays
    assert [i.case_id for i in conference.items()] == [cases[0].pk, cases[2].pk, cases[1].pk]
    assert [i.order for i in conference.items()] == [0, 1, 2]
