"""Committing an answer: grade it, score it, schedule the case again, measure the case.

The Django side of :mod:`~lightbox.learning.grading`, :mod:`~lightbox.learning.scoring`,
:mod:`~lightbox.learning.scheduling` and :mod:`~lightbox.learning.calibration`.

- :func:`commit` records one attempt. A grade the grader is unsure of waits for the
  reader's own verdict (:func:`self_grade`) before it is scheduled or measured.
- :func:`overrule` is an author's or editor's correction of the grade of an answer on a
  case: every attempt with that answer is regraded, and an accepted answer is added to
  the case (or a wrongly accepted one removed), so that the grader learns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from lightbox.audit.log import record as audit
from lightbox.audit.models import Action
from lightbox.cases import codes
from lightbox.cases.models import Case, Code, CodeSynonym
from lightbox.history import revisions
from lightbox.learning import calibration, grading, lexicon, scheduling, scoring
from lightbox.learning.models import (
    Attempt,
    Card,
    CaseDifficulty,
    Outcome,
    ReaderAbility,
    Review,
    StudySession,
)
from lightbox.search import index

__all__ = ["MAX_DIFFERENTIAL", "commit", "overrule", "self_grade", "synonym_groups"]

MAX_DIFFERENTIAL = 5


def synonym_groups(case: Case) -> list[tuple[str, ...]]:
    """The terms of the codes that may name the case's diagnosis: the case's own codes,
    then the codes in the table (every RadLex term, once imported) whose term or synonym
    is the diagnosis or words of it, the longest match first. Grading keeps the groups
    one of whose terms names the diagnosis."""
    limit = grading.MAX_SYNONYM_GROUPS
    own = (
        list(Code.objects.filter(case_codes__case=case).prefetch_related("synonyms"))
        if case.pk
        else []
    )
    keys = codes.diagnosis_keys(case.diagnosis or "")
    rank = {key: i for i, key in enumerate(keys)}
    best: dict[int, int] = {}
    matches = [
        *Code.objects.filter(key__in=keys).values_list("pk", "key"),
        *CodeSynonym.objects.filter(key__in=keys).values_list("code_id", "key"),
    ]
    for pk, key in matches:
        best[pk] = min(best.get(pk, len(rank)), rank[key])
    for code in own:
        best.pop(code.pk, None)
    chosen = sorted(best, key=lambda pk: (best[pk], pk))[: max(0, limit - len(own))]
    table = Code.objects.filter(pk__in=chosen).prefetch_related("synonyms").in_bulk()
    return [code.terms for code in [*own, *(table[pk] for pk in chosen)]][:limit]


def _grade(
    case: Case,
    answer: str,
    known: grading.Lexicon,
    synonyms: list[tuple[str, ...]] | None = None,
) -> grading.Verdict:
    return grading.grade(
        answer,
        case.diagnosis,
        accepted=tuple(case.accepted_answers or ()),
        synonyms=synonym_groups(case) if synonyms is None else synonyms,
        differential=tuple(case.differential or ()),
        lexicon=known,
    )


def _is_diagnosis(verdict: grading.Verdict) -> bool:
    return verdict.outcome in (grading.Outcome.CORRECT, grading.Outcome.SPELLING)


def commit(
    user: Any,
    case: Case,
    *,
    answer: str,
    differential: list[str],
    confidence: int,
    session: StudySession | None = None,
    seconds: int | None = None,
    now: dt.datetime | None = None,
) -> Attempt:
    """Grade and record one answer. ``differential`` is the reader's, ranked."""
    now = now or timezone.now()
    known = lexicon.known()
    differential = [d.strip()[:300] for d in differential if d.strip()][:MAX_DIFFERENTIAL]
    synonyms = synonym_groups(case)
    verdict = _grade(case, answer, known, synonyms)
    outcome, matched = Outcome(verdict.outcome.value), verdict.matched
    # Which of the reader's differential items are the diagnosis (``dx``) or in the
    # case's differential (``ddx``).
    hits: list[list[Any]] = []
    for i, item in enumerate(differential):
        item_verdict = _grade(case, item, known, synonyms)
        if _is_diagnosis(item_verdict):
            hits.append([i, "dx"])
        elif item_verdict.outcome == grading.Outcome.PARTIAL:
            hits.append([i, "ddx"])
    if outcome == Outcome.INCORRECT and any(kind == "dx" for _, kind in hits):
        # The diagnosis, named in the reader's differential: partial credit.
        outcome, matched = Outcome.PARTIAL, differential[next(i for i, k in hits if k == "dx")]
    with transaction.atomic():
        attempt = Attempt.objects.create(
            user=user,
            case=case,
            session=session,
            answer=answer.strip()[:300],
            differential=differential,
            confidence=confidence,
            outcome=outcome,
            matched=matched[:300],
            similarity=round(float(verdict.similarity), 1),
            differential_hits=hits,
            seconds=seconds,
        )
        if outcome != Outcome.UNSURE:
            _score(attempt)
            _settle(attempt, now)
    return attempt


def self_grade(attempt: Attempt, right: bool, now: dt.datetime | None = None) -> Attempt:
    """The reader's own verdict on an answer the grader was unsure of; given once."""
    if not attempt.awaits_self_grade:
        return attempt
    with transaction.atomic():
        attempt.self_graded_right = right
        _score(attempt)
        _settle(attempt, now or timezone.now())
    return attempt


def _score(attempt: Attempt, *, save: bool = True) -> None:
    attempt.points = scoring.diagnosis_points(
        grading.Outcome(attempt.outcome), attempt.self_graded_right
    )
    attempt.marks = scoring.confidence_marks(attempt.is_right, attempt.confidence or 2)
    if save:
        attempt.save(update_fields=["self_graded_right", "points", "marks"])


def _settle(attempt: Attempt, now: dt.datetime) -> None:
    """Schedule the case again for the reader, and update the measured difficulty."""
    card, made = Card.objects.select_for_update().get_or_create(
        user=attempt.user, case=attempt.case, defaults={"due": now}
    )
    before = card.due if not made else None
    rating = scheduling.rating_for(right=attempt.is_right, confidence=attempt.confidence)
    step = card.step_state() if not made else scheduling.new_card(card.pk, now)
    card.take(scheduling.review(step, rating, now))
    card.save()
    Review.objects.create(
        card=card,
        attempt=attempt,
        rating=int(rating),
        reviewed_at=now,
        due_before=before,
        due_after=card.due,
    )
    if made:
        # Only a reader's first answer measures the case: a second is memory, not reading.
        _measure(attempt)


def _measure(attempt: Attempt) -> None:
    reader, _ = ReaderAbility.objects.select_for_update().get_or_create(user=attempt.user)
    case, _ = CaseDifficulty.objects.select_for_update().get_or_create(case=attempt.case)
    reader.ability, case.difficulty = calibration.rasch_update(
        reader.ability, case.difficulty, right=attempt.is_right, attempts=case.attempts
    )
    reader.attempts += 1
    case.attempts += 1
    case.right += attempt.is_right
    reader.save()
    case.save()


def overrule(case: Case, answer: str, *, right: bool, by: Any, request: Any = None) -> int:
    """Regrade every attempt on ``case`` whose answer reads as ``answer``; the number
    regraded. Accepting adds the answer to the case's accepted answers (a revision);
    refusing removes it from them if it was there."""
    key = grading.normalise(answer)
    if not key:
        return 0
    now = timezone.now()
    with transaction.atomic(), index.batch():
        case = Case.objects.select_for_update().get(pk=case.pk)
        accepted = [a for a in case.accepted_answers or () if grading.normalise(a) != key]
        if right:
            accepted.append(answer.strip()[:300])
        if accepted != list(case.accepted_answers or ()):
            case.accepted_answers = accepted
            case.save()
            verb = "accepted" if right else "no longer accepted"
            revisions.record(case, user=by, message=f"Grading: an answer {verb}")
        changed = 0
        for attempt in Attempt.objects.filter(case=case).select_related("user"):
            if grading.normalise(attempt.answer) != key or attempt.is_right == right:
                continue
            attempt.original_outcome = attempt.original_outcome or attempt.outcome
            attempt.outcome = Outcome.CORRECT if right else Outcome.INCORRECT
            attempt.self_graded_right = None
            attempt.overruled_by, attempt.overruled_at = by, now
            _score(attempt, save=False)
            attempt.save()
            changed += 1
        # The audit entry says how many attempts changed, never the answer's text: an
        # answer can be anything a reader typed.
        audit(
            Action.GRADE_OVERRULE,
            actor=by,
            request=request,
            target=case,
            summary=f"{'Accepted' if right else 'Refused'} an answer ({changed} attempts)",
            right=right,
            attempts=changed,
        )
    return changed
