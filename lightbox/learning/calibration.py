"""How well readers know what they know, and how hard cases really are. Django-free.

**Calibration.** A reader states a confidence with each answer: 1 a guess, 2 fairly sure,
3 certain. Each is read as a probability of being right (:data:`STATED`); a calibrated
reader is right about that often at each level. :func:`calibration` gives, per level, how
often the reader was right; :func:`brier` the Brier score, the mean squared distance
between the stated probability and the outcome (0 is perfect; always saying "fairly sure"
and being right half the time scores 0.29).

**Measured difficulty.** Every attempt updates two numbers on one logit scale, the
reader's ability and the case's difficulty (an online Rasch model, updated like Elo
ratings): the chance that a reader gets a case right is ``1 / (1 + exp(d - a))``.
:func:`rasch_update` moves both after each attempt, by less as a case gathers attempts.
:func:`difficulty_grade` puts a case's difficulty on the authors' 1–5 ``#D`` scale, so
that the two can be shown side by side (from 10 attempts on, :data:`MIN_ATTEMPTS`).

Examples
--------
>>> brier([(3, True), (1, False)])
0.0625
>>> a, d = rasch_update(0.0, 0.0, right=False, attempts=0)
>>> a < 0 < d
True
>>> difficulty_grade(0.0), difficulty_grade(2.0)
(3, 5)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MIN_ATTEMPTS",
    "STATED",
    "Level",
    "brier",
    "calibration",
    "difficulty_grade",
    "expected",
    "rasch_update",
    "streak",
]

#: The probability of being right that each stated confidence means.
STATED: dict[int, float] = {1: 0.35, 2: 0.7, 3: 0.95}

#: Attempts a case needs before its measured difficulty is shown.
MIN_ATTEMPTS = 10

# The step of the online update: large at first, so that a new case finds its level in a
# few attempts, then shrinking to a floor so that it can still follow a changed case.
_K_FIRST, _K_FLOOR = 0.8, 0.1
# #D 1..5 by the case's difficulty on the logit scale: an average reader (ability 0)
# gets a #D1 case right more than 4 times in 5 and a #D5 case less than once in 5.
_GRADE_EDGES = (-1.5, -0.5, 0.5, 1.5)


@dataclass(frozen=True, slots=True)
class Level:
    """One confidence level's record: how many answers, how many right."""

    confidence: int
    stated: float
    answers: int
    right: int

    @property
    def accuracy(self) -> float | None:
        return self.right / self.answers if self.answers else None


def calibration(answers: Iterable[tuple[int, bool]]) -> list[Level]:
    """Per stated confidence (1, 2, 3), the answers given and how many were right."""
    counts = {level: [0, 0] for level in STATED}
    for confidence, right in answers:
        if confidence in counts:
            counts[confidence][0] += 1
            counts[confidence][1] += bool(right)
    return [Level(c, STATED[c], n, r) for c, (n, r) in counts.items()]


def brier(answers: Iterable[tuple[int, bool]]) -> float | None:
    """The mean of ``(stated probability - outcome)²``; ``None`` without answers."""
    total, n = 0.0, 0
    for confidence, right in answers:
        if confidence in STATED:
            total += (STATED[confidence] - (1.0 if right else 0.0)) ** 2
            n += 1
    return round(total / n, 4) if n else None


def expected(ability: float, difficulty: float) -> float:
    """The chance that a reader of ``ability`` gets a case of ``difficulty`` right."""
    return 1.0 / (1.0 + math.exp(max(-30.0, min(30.0, difficulty - ability))))


def rasch_update(
    ability: float, difficulty: float, *, right: bool, attempts: int
) -> tuple[float, float]:
    """Ability and difficulty after one attempt; ``attempts`` is the case's count before."""
    k = max(_K_FLOOR, _K_FIRST / math.sqrt(1 + attempts))
    surprise = (1.0 if right else 0.0) - expected(ability, difficulty)
    return ability + k * surprise, difficulty - k * surprise


def difficulty_grade(difficulty: float) -> int:
    """The case's measured difficulty on the authors' 1–5 scale."""
    return 1 + sum(difficulty >= edge for edge in _GRADE_EDGES)


def streak(days: Iterable[dt.date], today: dt.date) -> int:
    """Days in a row, ending today or yesterday, on which the reader answered a case."""
    seen = set(days)
    day = today if today in seen else today - dt.timedelta(days=1)
    count = 0
    while day in seen:
        count += 1
        day -= dt.timedelta(days=1)
    return count
