"""FSRS scheduling, Django-free: ratings from attempts, and when a case comes back."""

from __future__ import annotations

import datetime as dt

import pytest

from lightbox.learning import scheduling
from lightbox.learning.scheduling import Rating

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("right", "confidence", "rating"),
    [
        (False, 3, Rating.Again),
        (False, 1, Rating.Again),
        (True, 1, Rating.Hard),
        (True, 2, Rating.Good),
        (True, 3, Rating.Easy),
        (True, None, Rating.Good),
    ],
)
def test_each_attempt_gives_its_rating(right, confidence, rating):
    assert scheduling.rating_for(right=right, confidence=confidence) == rating


def test_a_miss_comes_back_within_minutes_and_a_sure_hit_after_days():
    missed = scheduling.review(scheduling.new_card(1, NOW), Rating.Again, NOW)
    assert missed.due - NOW <= dt.timedelta(minutes=10)
    easy = scheduling.review(scheduling.new_card(2, NOW), Rating.Easy, NOW)
    assert easy.due - NOW >= dt.timedelta(days=1)
    assert easy.state == int(scheduling.State.Review)


def test_intervals_grow_with_each_success():
    card = scheduling.new_card(3, NOW)
    moment, gaps = NOW, []
    for _ in range(5):
        card = scheduling.review(card, Rating.Good, moment)
        gaps.append(card.due - moment)
        moment = card.due
    assert gaps[-1] > gaps[1] > gaps[0]
    assert gaps[-1] >= dt.timedelta(days=10)


def test_a_lapse_brings_a_learned_case_back_soon():
    card = scheduling.new_card(4, NOW)
    moment = NOW
    for _ in range(4):
        card = scheduling.review(card, Rating.Good, moment)
        moment = card.due
    lapsed = scheduling.review(card, Rating.Again, moment)
    assert lapsed.due - moment <= dt.timedelta(days=1)
    assert lapsed.state == int(scheduling.State.Relearning)


def test_retrievability_falls_with_time():
    card = scheduling.review(scheduling.new_card(5, NOW), Rating.Easy, NOW)
    soon = scheduling.retrievability(card, NOW + dt.timedelta(days=1))
    later = scheduling.retrievability(card, NOW + dt.timedelta(days=60))
    assert 1.0 >= soon > later > 0.0
    assert scheduling.retrievability(scheduling.new_card(6, NOW), NOW) == 0.0


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        scheduling.review(scheduling.new_card(7, NOW), Rating.Good, dt.datetime(2026, 3, 2))
