"""The presenter's histogram: a room's answers grouped by what they say, not how they
are typed ("Paget's disease", "paget disease", "PAGET  DISEASE" are one bar).

Grouping is deliberately plain — case, accents, punctuation and spacing — and knows
nothing of diagnoses or synonyms: it shows the room what it said, it does not grade it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min

__all__ = ["SHOWN_BARS", "Bar", "Histogram", "histogram", "normalise"]

#: Bars shown; the rest are summed into one "other answers" line.
SHOWN_BARS = 12


# An eponym's possessive: "Paget's disease" and "Paget disease" are the same answer.
_POSSESSIVE = re.compile(r"(?<=\w)['’ʼ]s\b")


def normalise(text: str) -> str:
    """``text`` as the histogram groups it: case-folded, accents and punctuation removed,
    spaces collapsed. A possessive "'s" is dropped and other apostrophes join ("Graves'"
    → "graves"); other punctuation separates ("soft-tissue" → "soft tissue").

    Examples
    --------
    >>> normalise("  Paget's   DISEASE. ")
    'paget disease'
    >>> normalise("Pagét’s disease") == normalise("paget disease")
    True
    >>> normalise("Soft-tissue  calcification"), normalise("Graves' disease"), normalise("?!")
    ('soft tissue calcification', 'graves disease', '')
    """
    decomposed = unicodedata.normalize("NFKD", _POSSESSIVE.sub("", text.casefold()))
    out = []
    for char in decomposed:
        kind = unicodedata.category(char)
        if kind.startswith("M") or char in "'’ʼ`":
            continue  # accents, and apostrophes inside a word
        out.append(char if kind[0] in "LN" else " ")
    return " ".join("".join(out).split())


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Histogram:
    total: int
    bars: list[Bar]
    other_count: int = 0
    other_groups: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "bars": [{"label": b.label, "count": b.count} for b in self.bars],
            "other": {"count": self.other_count, "groups": self.other_groups},
        }


def histogram(question_id: int | None) -> Histogram:
    """The answers to one question, grouped, most frequent first. One query.

    Each bar is labelled with one of the spellings in its group (the first in sort
    order), so that it reads as something the room typed.
    """
    if question_id is None:
        return Histogram(total=0, bars=[])
    from lightbox.conference.models import LiveAnswer

    rows = list(
        LiveAnswer.objects.filter(question_id=question_id)
        .values("normalised")
        .annotate(n=Count("pk"), label=Min("text"))
        .order_by("-n", "normalised")
        .values_list("label", "n")
    )
    shown, rest = rows[:SHOWN_BARS], rows[SHOWN_BARS:]
    return Histogram(
        total=sum(n for _, n in rows),
        bars=[Bar(label, n) for label, n in shown],
        other_count=sum(n for _, n in rest),
        other_groups=len(rest),
    )
