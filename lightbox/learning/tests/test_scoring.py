"""Diagnosis points and confidence marks (lightbox/learning/scoring.py)."""

from __future__ import annotations

import doctest

import pytest

from lightbox.learning import scoring
from lightbox.learning.grading import Outcome
from lightbox.learning.scoring import confidence_marks, diagnosis_points, is_right


@pytest.mark.parametrize(
    ("outcome", "points"),
    [(Outcome.CORRECT, 2), (Outcome.SPELLING, 2), (Outcome.PARTIAL, 1), (Outcome.INCORRECT, 0)],
)
def test_points_follow_the_outcome(outcome: Outcome, points: int) -> None:
    assert diagnosis_points(outcome) == points
    assert diagnosis_points(outcome.value) == points
    # The reader's own grade counts only for unsure answers.
    assert diagnosis_points(outcome, self_graded_right=True) == points
    assert diagnosis_points(outcome, self_graded_right=False) == points


def test_an_unsure_answer_is_worth_what_the_reader_graded() -> None:
    assert diagnosis_points(Outcome.UNSURE, self_graded_right=True) == 2
    assert diagnosis_points(Outcome.UNSURE, self_graded_right=False) == 0
    assert diagnosis_points(Outcome.UNSURE) == 0  # not graded yet


def test_a_partial_answer_is_not_right_for_marks() -> None:
    assert [is_right(o) for o in Outcome] == [True, True, False, False, False]
    assert is_right(Outcome.UNSURE, self_graded_right=True)
    assert not is_right(Outcome.UNSURE, self_graded_right=False)
    assert not is_right("partial", self_graded_right=True)


def test_confidence_marks_reward_right_answers_and_punish_certain_wrong_ones() -> None:
    assert [confidence_marks(True, c) for c in (1, 2, 3)] == [1, 2, 3]
    assert [confidence_marks(False, c) for c in (1, 2, 3)] == [0, -2, -6]


@pytest.mark.parametrize("confidence", [0, 4, -1, True, 2.0, "2", None])
def test_a_confidence_other_than_1_2_3_is_refused(confidence: object) -> None:
    with pytest.raises(ValueError, match="confidence must be 1, 2 or 3"):
        confidence_marks(True, confidence)  # type: ignore[arg-type]


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a valid Outcome"):
        diagnosis_points("excellent")
    with pytest.raises(ValueError, match="is not a valid Outcome"):
        is_right("excellent")


def test_honest_confidence_earns_most() -> None:
    """Gardner-Medwin's thresholds: 1 below p = 2/3, 2 up to 4/5, 3 above."""

    def best(p: float) -> int:
        expected = {
            c: p * confidence_marks(True, c) + (1 - p) * confidence_marks(False, c)
            for c in (1, 2, 3)
        }
        return max(expected, key=lambda c: expected[c])

    assert [best(p) for p in (0.0, 0.5, 0.6, 0.7, 0.75, 0.85, 1.0)] == [1, 1, 1, 2, 2, 3, 3]


def test_the_module_examples_run() -> None:
    assert doctest.testmod(scoring).failed == 0
