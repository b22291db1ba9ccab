"""When a reader sees a case again: FSRS spaced repetition, one card per (reader, case).

Django-free. The scheduler is `fsrs <https://pypi.org/project/fsrs/>`_ (Free Spaced
Repetition Scheduler, MIT), fed one rating per attempt:

========================================  =======
the attempt                               rating
========================================  =======
incorrect, partially correct, no answer   Again
right at confidence 1 (a guess)           Hard
right at confidence 2 (fairly sure)       Good
right at confidence 3 (certain)           Easy
========================================  =======

A missed case comes back the same day (FSRS's learning steps, 1 and 10 minutes, so the
queue holds it at the end of a session); a case read right comes back after days to
months, the surer and steadier the reader, the later.

Examples
--------
>>> import datetime as dt
>>> now = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
>>> card = review(new_card(7), rating_for(right=False, confidence=3), now)
>>> card.due - now <= dt.timedelta(minutes=10)
True
>>> card = review(new_card(8), rating_for(right=True, confidence=3), now)
>>> (card.due - now).days >= 1
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import fsrs

__all__ = ["Rating", "State", "Step", "new_card", "rating_for", "retrievability", "review"]

Rating = fsrs.Rating
State = fsrs.State

# Fuzzing spreads cards reviewed together over neighbouring days so that they do not all
# fall due on one day; the randomness is FSRS's own and bounded.
_SCHEDULER = fsrs.Scheduler(desired_retention=0.9, enable_fuzzing=True)


@dataclass(frozen=True, slots=True)
class Step:
    """A card as the database stores it (see :class:`lightbox.learning.models.Card`)."""

    card_id: int
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("FSRS needs aware datetimes (UTC)")
    return moment.astimezone(dt.UTC)


def new_card(card_id: int, now: dt.datetime | None = None) -> Step:
    """A card never reviewed: due at once. ``card_id`` must be the database row's id."""
    due = _utc(now) if now else dt.datetime.now(dt.UTC)
    return Step(card_id, int(State.Learning), 0, None, None, due, None)


def rating_for(*, right: bool, confidence: int | None) -> fsrs.Rating:
    """The rating of one attempt (see the table above). No confidence counts as 2."""
    if not right:
        return Rating.Again
    return {1: Rating.Hard, 3: Rating.Easy}.get(confidence or 2, Rating.Good)


def _as_fsrs(card: Step) -> fsrs.Card:
    return fsrs.Card(
        card_id=card.card_id,
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_utc(card.due),
        last_review=_utc(card.last_review) if card.last_review else None,
    )


def review(card: Step, rating: fsrs.Rating, now: dt.datetime) -> Step:
    """The card after one review at ``now``."""
    after, _log = _SCHEDULER.review_card(_as_fsrs(card), rating, review_datetime=_utc(now))
    return Step(
        card.card_id,
        int(after.state),
        after.step,
        after.stability,
        after.difficulty,
        after.due,
        after.last_review,
    )


def retrievability(card: Step, now: dt.datetime) -> float:
    """The probability, 0–1, that the reader would still get the case right at ``now``."""
    if card.last_review is None:
        return 0.0
    return float(_SCHEDULER.get_card_retrievability(_as_fsrs(card), current_datetime=_utc(now)))
