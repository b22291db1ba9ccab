"""What the learning record says: a reader's progress, a session's summary, a case's
results, the difficulty report. Read-only; every function is given the person or object
it may report on (the views decide who may ask, in :mod:`lightbox.cases.access`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import mark_safe

from lightbox.cases import acr
from lightbox.cases.models import Case, Modality
from lightbox.learning import calibration, charts, grading, sources
from lightbox.learning.models import (
    Attempt,
    CaseDifficulty,
    Confidence,
    Outcome,
    Review,
    StudySession,
    today_bounds,
)

__all__ = [
    "MIN",
    "case_results",
    "difficulty_disagreements",
    "due_today",
    "report",
    "session_summary",
]

MIN = calibration.MIN_ATTEMPTS


def due_today(user: Any) -> dict[str, int]:
    """How many cases the reader's review queue offers today: the cards due by the end
    of the day, less those beyond the daily cap."""
    now = timezone.now()
    start, _ = today_bounds(now)
    cap = settings.LIGHTBOX_REVIEWS_PER_DAY
    reviewed = Review.objects.filter(
        card__user=user.pk, reviewed_at__gte=start, due_before__isnull=False
    ).count()
    due = len(sources.due_ids(user, 10_000, now))
    return {"due": due, "offered": max(0, min(due, cap - reviewed)), "reviewed": reviewed}


def report(user: Any) -> dict[str, Any]:
    """A reader's progress, from their own attempts."""
    attempts = list(
        Attempt.objects.filter(user=user.pk)
        .select_related("case")
        .only(
            "case__number", "case__title", "case__anatomic_field", "case__category",
            "case__modality", "created", "outcome", "self_graded_right", "confidence",
            "points", "marks", "answer",
        )
        .order_by("created")
    )  # fmt: skip
    graded = [a for a in attempts if not a.awaits_self_grade]
    by: dict[str, dict[str, list[int]]] = {
        "field": defaultdict(lambda: [0, 0]),
        "category": defaultdict(lambda: [0, 0]),
        "modality": defaultdict(lambda: [0, 0]),
    }
    for a in graded:
        keys = {
            "field": acr.field_name(a.case.anatomic_field) or "Not coded",
            "category": acr.category_name(a.case.category) or "Not coded",
            "modality": Modality(a.case.modality).label if a.case.modality else "Not given",
        }
        for name, key in keys.items():
            by[name][key][0] += a.is_right
            by[name][key][1] += 1
    pairs = [(a.confidence, a.is_right) for a in graded if a.confidence]
    levels = calibration.calibration(pairs)
    tz_dates = {timezone.localtime(a.created).date() for a in attempts}
    right = sum(a.is_right for a in graded)
    titles = {
        "field": "Accuracy by anatomic field",
        "category": "Accuracy by category",
        "modality": "Accuracy by modality",
    }
    charts_by = [
        (
            titles[name],
            mark_safe(  # noqa: S308 (charts escape every text)
                charts.bars(
                    sorted(((k, r, n) for k, (r, n) in rows.items()), key=lambda t: -t[2]),
                    title=titles[name],
                )
            ),
        )
        for name, rows in by.items()
    ]
    calibration_svg = charts.calibration(
        [(Confidence(lv.confidence).label, lv.stated, lv.accuracy, lv.answers) for lv in levels],
        title="Calibration: accuracy by stated confidence",
    )
    return {
        "reader": user,
        "attempts": len(attempts),
        "cases_seen": len({a.case_id for a in attempts}),
        "right": right,
        "graded": len(graded),
        "accuracy": right / len(graded) if graded else None,
        "points": sum(a.points for a in graded),
        "marks": sum(a.marks for a in graded),
        "streak": calibration.streak(tz_dates, timezone.localdate()),
        "charts": charts_by,
        "calibration_svg": mark_safe(calibration_svg),  # noqa: S308
        "levels": levels,
        "brier": calibration.brier(pairs),
        "recent": list(reversed(attempts[-15:])),
        "due": due_today(user),
    }


def session_summary(session: StudySession) -> dict[str, Any]:
    attempts = {
        a.case_id: a
        for a in Attempt.objects.filter(session=session).select_related("case").order_by("created")
    }
    numbers = dict(Case.objects.filter(pk__in=session.case_ids).values_list("pk", "number"))
    rows: list[dict[str, Any]] = []
    for position, case_id in enumerate(session.case_ids, start=1):
        rows.append(
            {
                "position": position,
                "number": numbers.get(case_id, ""),
                "attempt": attempts.get(case_id),
            }
        )
    answered = [a for a in attempts.values() if not a.awaits_self_grade]
    # An answer still waiting for the reader's own grade is not (yet) missed.
    missed = [
        r
        for r in rows
        if r["attempt"] is not None
        and not r["attempt"].awaits_self_grade
        and not r["attempt"].is_right
    ]
    times = [a.seconds for a in answered if a.seconds is not None]
    return {
        "session": session,
        "rows": rows,
        "answered": len(answered),
        "right": sum(a.is_right for a in answered),
        "points": sum(a.points for a in answered),
        "max_points": 2 * len(answered),
        "marks": sum(a.marks for a in answered),
        "missed": missed,
        "average_seconds": round(sum(times) / len(times)) if times else None,
    }


def case_results(case: Case) -> dict[str, Any]:
    """How readers did on a case, in aggregate: never who answered what."""
    attempts = list(
        Attempt.objects.filter(case=case).only(
            "answer", "outcome", "self_graded_right", "confidence", "user_id"
        )
    )
    outcomes = Counter(a.outcome for a in attempts)
    wrong: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for a in attempts:
        key = grading.normalise(a.answer)
        if not key:
            continue
        shown.setdefault(key, a.answer)
        (accepted if a.is_right else wrong)[key] += 1
    measured = CaseDifficulty.objects.filter(case=case).first()
    return {
        "case": case,
        "attempts": len(attempts),
        "readers": len({a.user_id for a in attempts}),
        "right": sum(a.is_right for a in attempts if not a.awaits_self_grade),
        "outcomes": [(Outcome(o).label, outcomes.get(o, 0)) for o in Outcome.values],
        "wrong_answers": [(shown[k], n) for k, n in wrong.most_common(15)],
        "right_answers": [(shown[k], n) for k, n in accepted.most_common(15)],
        "measured": measured,
        "measured_grade": (
            calibration.difficulty_grade(measured.difficulty)
            if measured and measured.attempts >= MIN
            else None
        ),
        "min_attempts": MIN,
    }


def difficulty_disagreements(limit: int = 50) -> list[dict[str, Any]]:
    """Cases with enough attempts whose measured ``#D`` differs most from the author's."""
    rows: list[dict[str, Any]] = []
    for measured in CaseDifficulty.objects.filter(
        attempts__gte=MIN, case__difficulty__isnull=False
    ).select_related("case"):
        grade = calibration.difficulty_grade(measured.difficulty)
        rows.append(
            {
                "case": measured.case,
                "stated": measured.case.difficulty,
                "measured": grade,
                "gap": grade - (measured.case.difficulty or 0),
                "attempts": measured.attempts,
                "right": measured.right,
            }
        )
    rows.sort(key=lambda r: (-abs(r["gap"]), -r["attempts"]))
    return rows[:limit]
