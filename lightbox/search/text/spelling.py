""" "Did you mean": the closest known word to a word that finds (almost) nothing.

Django-free. The known words and how many documents hold each are the caller's (the
search index's vocabulary, see :mod:`lightbox.search.suggest`); this module only picks:
the most common word within a small edit distance, transpositions counting as one edit
(Damerau–Levenshtein).

Examples
--------
>>> counts = {"osteomyelitis": 40, "osteomyelitic": 3, "pagets": 12, "pages": 2}
>>> closest("osteomyelitsi", counts)
'osteomyelitis'
>>> closest("pagtes", counts)
'pagets'
>>> print(closest("bone", counts))
None
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

__all__ = ["closest"]


def closest(
    word: str, counts: Mapping[str, int], choices: Sequence[str] | None = None
) -> str | None:
    """The most common word of ``counts`` within edit distance 1 (2 for words of 7+
    letters) of ``word``, or None.

    Only words of at least 4 letters (no digits) are corrected, and never to themselves.
    ``choices`` is ``list(counts)``, for a caller that keeps one to ask many times.
    """
    if len(word) < 4 or not word.isalpha():
        return None
    limit = 2 if len(word) >= 7 else 1
    found = process.extract(
        word,
        list(counts) if choices is None else choices,
        scorer=DamerauLevenshtein.distance,
        score_cutoff=limit,
        limit=20,
    )
    candidates = [(dist, -counts[w], w) for w, dist, _ in found if w != word]
    if not candidates:
        return None
    return min(candidates)[2]
