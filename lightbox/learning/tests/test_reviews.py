"""Spaced repetition through the app: what is due, the daily cap, the review session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from lightbox.learning.models import Card, Review, StudySession
from lightbox.learning.progress import due_today
from lightbox.test import make_case, make_series

pytestmark = pytest.mark.django_db


def miss(client, case):
    client.post(
        f"/cases/{case.number}/answer/", {"diagnosis": "Not this at all", "confidence": "2"}
    )


def test_a_missed_case_is_due_today_on_the_home_page(client, people):
    case = make_case()
    client.force_login(people["bob"])
    miss(client, case)
    assert due_today(people["bob"])["offered"] == 1
    html = client.get("/").content.decode()
    assert "Due today" in html and "1 case to review" in html
    assert "Review 1 due case" in client.get("/learn/").content.decode()


def test_the_review_session_holds_the_due_cases_and_rates_again(client, people):
    series = make_series()
    cases = [make_case(series, diagnosis=f"Diagnosis number {i}") for i in range(3)]
    client.force_login(people["bob"])
    for case in cases[:2]:
        miss(client, case)
    client.post(
        f"/cases/{cases[2].number}/answer/",
        {"diagnosis": "Diagnosis number 2", "confidence": "3"},
    )
    response = client.post(
        "/learn/sessions/new/", {"source": "list=due", "mode": "unknown", "length": "5"}
    )
    session = StudySession.objects.get()
    assert session.is_review and set(session.case_ids) == {cases[0].pk, cases[1].pk}
    assert response["Location"] == f"/learn/sessions/{session.pk}/1/"
    first = next(c for c in cases if c.pk == session.case_ids[0])
    client.post(
        f"/cases/{first.number}/answer/",
        {
            "diagnosis": first.diagnosis,
            "confidence": "2",
            "session": session.pk,
            "position": 1,
        },
    )
    card = Card.objects.get(user=people["bob"], case=first)
    review = Review.objects.filter(card=card).latest("reviewed_at")
    assert review.rating == 3 and review.due_before is not None
    assert card.due > timezone.now()


def test_the_daily_cap_limits_what_is_offered(client, people, settings):
    settings.LIGHTBOX_REVIEWS_PER_DAY = 2
    series = make_series()
    client.force_login(people["bob"])
    cases = [make_case(series, diagnosis=f"Diagnosis {i}") for i in range(4)]
    for case in cases:
        miss(client, case)
    due = due_today(people["bob"])
    assert (due["due"], due["offered"]) == (4, 2)
    # Each review of a due card counts against today's cap.
    card = Card.objects.filter(user=people["bob"]).first()
    Review.objects.create(
        card=card,
        rating=1,
        reviewed_at=timezone.now(),
        due_before=card.due,
        due_after=card.due,
    )
    assert due_today(people["bob"])["offered"] == 1


def test_a_retired_or_hidden_case_leaves_the_queue(client, people):
    series = make_series()
    client.force_login(people["bob"])
    retired, hidden, kept = (make_case(series, diagnosis=f"Dx {i}") for i in range(3))
    for case in (retired, hidden, kept):
        miss(client, case)
    retired.status = "retired"
    retired.save()
    hidden.visibility = "private"
    hidden.save()
    assert due_today(people["bob"])["due"] == 1
    client.post("/learn/sessions/new/", {"source": "list=due", "mode": "unknown", "length": "5"})
    assert StudySession.objects.get().case_ids == [kept.pk]


def test_a_card_due_tomorrow_is_not_due_today(client, people):
    case = make_case()
    client.force_login(people["bob"])
    miss(client, case)
    Card.objects.update(due=timezone.now() + dt.timedelta(days=2))
    assert due_today(people["bob"])["due"] == 0
    assert "Nothing is due" in client.get("/learn/").content.decode()
