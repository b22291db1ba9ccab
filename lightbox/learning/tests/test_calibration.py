"""Calibration, Brier score, the online Rasch difficulty, streaks and charts: Django-free."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from lightbox.learning import calibration, charts


def test_calibration_counts_each_confidence_level():
    levels = calibration.calibration([(1, False), (1, True), (3, True), (3, True), (9, True)])
    by = {lv.confidence: lv for lv in levels}
    assert (by[1].answers, by[1].right, by[1].accuracy) == (2, 1, 0.5)
    assert by[2].accuracy is None
    assert (by[3].answers, by[3].accuracy) == (2, 1.0)


def test_the_brier_score_rewards_honest_confidence():
    assert calibration.brier([]) is None
    assert calibration.brier([(3, True)]) == pytest.approx(0.0025)
    overconfident = calibration.brier([(3, True), (3, False)])
    honest = calibration.brier([(2, True), (1, False)])
    assert honest < overconfident


def test_rasch_moves_reader_and_case_against_each_other():
    a, d = calibration.rasch_update(0.0, 0.0, right=True, attempts=0)
    assert a > 0 > d
    a, d = calibration.rasch_update(0.0, 0.0, right=False, attempts=0)
    assert a < 0 < d
    # A case with many attempts moves less.
    _, d_late = calibration.rasch_update(0.0, 0.0, right=False, attempts=400)
    assert 0 < d_late < d


def test_the_measured_difficulty_finds_the_true_one():
    """Simulated readers of known ability: the online estimates rank cases as they are."""
    rng = random.Random(7)
    true = [-2.0, -1.0, 0.0, 1.0, 2.0]
    readers = [rng.gauss(0, 1) for _ in range(300)]
    est_r = [0.0] * len(readers)
    est_c, seen = [0.0] * len(true), [0] * len(true)
    for i, ability in enumerate(readers):
        for c, difficulty in enumerate(true):
            right = rng.random() < calibration.expected(ability, difficulty)
            est_r[i], est_c[c] = calibration.rasch_update(
                est_r[i], est_c[c], right=right, attempts=seen[c]
            )
            seen[c] += 1
    assert est_c == sorted(est_c)
    grades = [calibration.difficulty_grade(d) for d in est_c]
    assert grades[0] <= 2 and grades[-1] >= 4


def test_difficulty_grades_span_one_to_five():
    assert [calibration.difficulty_grade(d) for d in (-3, -1, 0, 1, 3)] == [1, 2, 3, 4, 5]


def test_a_streak_counts_days_in_a_row_up_to_today_or_yesterday():
    today = dt.date(2026, 5, 10)
    days = [today - dt.timedelta(days=n) for n in (0, 1, 2, 4)]
    assert calibration.streak(days, today) == 3
    assert calibration.streak(days[1:], today) == 2
    assert calibration.streak([today - dt.timedelta(days=3)], today) == 0


def test_charts_escape_labels_and_describe_themselves():
    svg = charts.bars([("<script>x</script>", 1, 2)], title="A & B")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<title>A &amp; B</title>" in svg and "1 of 2 right" in svg
    cal = charts.calibration(
        [("Guess", 0.35, 0.5, 4), ("Certain", 0.95, None, 0)], title="Calibration"
    )
    assert len(re.findall(r"<circle", cal)) == 1 and "no answers" in cal
    assert charts.bars([], title="Empty").count("<rect") == 0
