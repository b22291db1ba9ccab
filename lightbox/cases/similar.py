""" "Search for similar cases", by classification.

Cases that share an exact ACR code rank first, then the same topic, then the same anatomic
field and category, then the same field; shared differential items and keywords break ties.
Every match says why it matched. The search work replaces the scoring with a richer one
(text and semantic similarity) behind the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case as DbCase
from django.db.models import Q, Value, When

from lightbox.cases.models import Case

__all__ = ["Match", "WEIGHTS", "similar_cases"]

WEIGHTS = {
    "acr_code": 8.0,
    "topic": 4.0,
    "field_category": 3.0,
    "field": 1.0,
    "differential": 0.5,
    "keyword": 0.5,
    "modality": 0.25,
}
CANDIDATES = 2000


@dataclass
class Match:
    case: Case
    score: float
    reasons: list[str] = field(default_factory=list)


def _norm(items: list[str]) -> set[str]:
    return {item.strip().lower() for item in items if item.strip()}


def _score(case: Case, other: Case) -> Match | None:
    reasons: list[str] = []
    score = 0.0
    shared_codes = [c for c in other.acr_codes if c in set(case.acr_codes)]
    if shared_codes:
        score += WEIGHTS["acr_code"] * len(shared_codes)
        reasons.append("same ACR code " + ", ".join(shared_codes))
    if case.topic_id and other.topic_id == case.topic_id:
        score += WEIGHTS["topic"]
        reasons.append(f"same topic: {case.topic}")
    if case.anatomic_field and other.anatomic_field == case.anatomic_field:
        if case.category and other.category == case.category:
            score += WEIGHTS["field_category"]
            reasons.append(f"same field and category: {case.field_name} / {case.category_name}")
        else:
            score += WEIGHTS["field"]
            reasons.append(f"same anatomic field: {case.field_name}")
    shared_ddx = _norm(case.differential) & _norm(other.differential)
    if shared_ddx:
        score += WEIGHTS["differential"] * len(shared_ddx)
        n = len(shared_ddx)
        reasons.append(f"shares {n} differential diagnos{'is' if n == 1 else 'es'}")
    shared_kw = _norm(case.keywords) & _norm(other.keywords)
    if shared_kw:
        score += WEIGHTS["keyword"] * len(shared_kw)
        reasons.append("shared keywords: " + ", ".join(sorted(shared_kw)))
    if score and case.modality and other.modality == case.modality:
        score += WEIGHTS["modality"]
    if not score:
        return None
    return Match(case=other, score=score, reasons=reasons)


def similar_cases(case: Case, user, limit: int = 10) -> list[Match]:
    """The cases most like ``case`` that ``user`` may see, best first."""
    related = Q()
    if case.anatomic_field:
        related |= Q(anatomic_field=case.anatomic_field)
    if case.topic_id:
        related |= Q(topic_id=case.topic_id)
    if not related:
        return []
    candidates = (
        Case.objects.visible_to(user)
        .filter(related)
        .exclude(pk=case.pk)
        .select_related("series")
        .only(
            "number",
            "title",
            "brief_history",
            "modality",
            "acr_codes",
            "topic_id",
            "anatomic_field",
            "category",
            "differential",
            "keywords",
            "series__prefix",
            "sequence",
        )
        # Pre-rank in the database so the candidate cap keeps the closest cases.
        .annotate(
            prerank=DbCase(When(topic_id=case.topic_id, then=Value(4)), default=Value(0))
            + DbCase(
                When(anatomic_field=case.anatomic_field, category=case.category, then=Value(3)),
                default=Value(0),
            )
        )
        .order_by("-prerank", "-published_at", "-pk")[:CANDIDATES]
    )
    matches = [m for other in candidates if (m := _score(case, other))]
    matches.sort(key=lambda m: (-m.score, m.case.number))
    return matches[:limit]
