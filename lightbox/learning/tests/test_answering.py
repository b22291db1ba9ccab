"""Answer before reveal: commit, be graded, land on the answer, be scheduled again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lightbox.learning import grading
from lightbox.learning.calibration import difficulty_grade
from lightbox.learning.models import Attempt, Card, CaseDifficulty, Outcome, Review
from lightbox.test import make_case, text_of

pytestmark = pytest.mark.django_db

DIAGNOSIS = "Dystrophic soft-tissue calcification"


def answer(client, case, diagnosis, confidence="2", **extra):
    data = {"diagnosis": diagnosis, "confidence": confidence, **extra}
    return client.post(f"/cases/{case.number}/answer/", data)


def test_a_signed_in_reader_sees_the_answer_form_and_no_answer(client, people):
    case = make_case()
    client.force_login(people["bob"])
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert 'name="diagnosis"' in html and "Reveal and grade" in html
    assert 'name="ddx5"' in html and 'name="confidence"' in html
    for secret in (DIAGNOSIS, "Dermatomyositis", "Tracer uptake in the soft tissues"):
        assert secret not in html


def test_an_anonymous_reader_keeps_the_plain_reveal(client, people):
    case = make_case()
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert 'name="diagnosis"' not in html
    assert f'href="/cases/{case.number}/known/#answer"' in html
    assert DIAGNOSIS not in html


def test_the_reveal_lands_on_the_answer(client, people):
    case = make_case()
    client.force_login(people["bob"])
    response = answer(client, case, "dystrophic calcification of soft tissue", "3")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/known/#answer"
    html = client.get(response["Location"]).content.decode()
    assert 'id="answer"' in html
    # The reader's answer is shown beside the truth, above the diagnosis.
    assert html.index("Your answer") < html.index('id="dx-h"')


def test_a_right_answer_is_graded_scored_and_scheduled_for_later(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, DIAGNOSIS.lower(), "3")
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.CORRECT
    assert (attempt.points, attempt.marks) == (2, 3)
    card = Card.objects.get(user=people["bob"], case=case)
    assert card.due - timezone.now() > dt.timedelta(days=1)  # Easy: days away
    assert Review.objects.get(card=card).rating == 4


def test_a_wrong_answer_costs_marks_by_confidence_and_comes_back_today(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, "Osteosarcoma", "3")
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.INCORRECT
    assert (attempt.points, attempt.marks) == (0, -6)
    card = Card.objects.get(user=people["bob"], case=case)
    assert card.due - timezone.now() <= dt.timedelta(minutes=10)
    assert Review.objects.get(card=card).rating == 1


def test_the_diagnosis_in_the_readers_differential_is_partial_credit(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, "Osteosarcoma", "1", ddx1="Myositis ossificans", ddx2=DIAGNOSIS)
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.PARTIAL and attempt.points == 1
    assert [1, "dx"] in attempt.differential_hits


def test_the_cases_differential_named_as_the_answer_is_partial(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, "Scleroderma", "2")
    assert Attempt.objects.get().outcome == Outcome.PARTIAL


def test_an_answer_needs_a_confidence_and_says_so(client, people):
    case = make_case()
    client.force_login(people["bob"])
    response = client.post(f"/cases/{case.number}/answer/", {"diagnosis": "Something"})
    assert response.status_code == 400
    assert "Say how sure you are" in response.content.decode()
    assert DIAGNOSIS not in response.content.decode()
    assert not Attempt.objects.exists()


def test_an_empty_answer_is_a_plain_reveal_without_a_grade(client, people):
    case = make_case()
    client.force_login(people["bob"])
    response = client.post(f"/cases/{case.number}/answer/", {"diagnosis": " "})
    assert response["Location"] == f"/cases/{case.number}/known/#answer"
    assert not Attempt.objects.exists() and not Card.objects.exists()


def test_the_scripted_reveal_gets_the_answer_as_a_fragment(client, people):
    case = make_case()
    client.force_login(people["bob"])
    response = client.post(
        f"/cases/{case.number}/answer/",
        {"diagnosis": DIAGNOSIS, "confidence": "2"},
        headers={"X-Lightbox-Fragment": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and '<div id="answer"' in html
    assert "Your answer" in html and DIAGNOSIS in html
    assert "<html" not in html
    # The plain reveal (anonymous too) gets the answer the same way.
    client.logout()
    html = client.get(f"/cases/{case.number}/answer/").content.decode()
    assert DIAGNOSIS in html and "Your answer" not in html


def test_an_answer_to_a_case_the_reader_may_not_see_is_a_404(client, people):
    case = make_case(status="draft", visibility="private", created_by=people["alice"])
    client.force_login(people["bob"])
    assert answer(client, case, DIAGNOSIS).status_code == 404
    assert client.get(f"/cases/{case.number}/answer/").status_code == 404
    assert not Attempt.objects.exists()


@pytest.fixture
def unsure(monkeypatch):
    """The grader cannot decide (which answers it cannot decide is grading's business,
    tested in test_grading.py): the flow after it is what these tests are about."""
    real = grading.grade

    def grade(answer, diagnosis, **kw):
        if answer == "hypertrophic arthropathy":
            return grading.Verdict(
                outcome=grading.Outcome.UNSURE, matched=diagnosis, similarity=80.0, rival=""
            )
        return real(answer, diagnosis, **kw)

    monkeypatch.setattr(grading, "grade", grade)


def test_an_unsure_grade_waits_for_the_readers_own_verdict(client, people, unsure):
    case = make_case(diagnosis="Hypertrophic osteoarthropathy")
    client.force_login(people["bob"])
    answer(client, case, "hypertrophic arthropathy", "2")
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.UNSURE and attempt.awaits_self_grade
    assert not Card.objects.exists()  # not scheduled before the reader says
    html = client.get(f"/cases/{case.number}/known/").content.decode()
    assert "I was right" in html
    client.post(f"/learn/answers/{attempt.pk}/grade/", {"right": "yes"})
    attempt.refresh_from_db()
    assert attempt.self_graded_right is True and attempt.points == 2 and attempt.marks == 2
    assert Card.objects.filter(user=people["bob"], case=case).exists()
    # Given once: a second verdict changes nothing.
    client.post(f"/learn/answers/{attempt.pk}/grade/", {"right": "no"})
    attempt.refresh_from_db()
    assert attempt.self_graded_right is True


def test_nobody_grades_anothers_answer_themself(client, people, unsure):
    case = make_case(diagnosis="Hypertrophic osteoarthropathy")
    client.force_login(people["bob"])
    answer(client, case, "hypertrophic arthropathy", "2")
    attempt = Attempt.objects.get()
    client.force_login(people["erin"])
    assert client.post(f"/learn/answers/{attempt.pk}/grade/", {"right": "yes"}).status_code == 404


def test_the_second_answer_reschedules_but_does_not_measure_the_case_again(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, "Osteosarcoma", "1")
    answer(client, case, DIAGNOSIS, "2")
    assert Review.objects.filter(card__case=case).count() == 2
    assert CaseDifficulty.objects.get(case=case).attempts == 1


def test_the_measured_difficulty_shows_from_ten_readers(client, people):
    from lightbox.test import make_user

    case = make_case(difficulty=1)
    for i in range(10):
        reader = make_user(f"reader{i}")
        client.force_login(reader)
        answer(client, case, "Osteosarcoma", "2")
        html = client.get(f"/cases/{case.number}/").content.decode()
        assert ("Readers: #D" in html) == (i == 9)
    measured = CaseDifficulty.objects.get(case=case)
    assert measured.attempts == 10 and measured.right == 0
    grade = difficulty_grade(measured.difficulty)
    assert grade >= 4  # nobody got it: harder than its author's #D1
    assert f"Readers: #D{grade}" in text_of(client.get(f"/cases/{case.number}/").content.decode())
