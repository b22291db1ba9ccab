""" "Did you mean": the closest indexed word to each word that finds (almost) nothing.

The vocabulary is the index's own (every word stored, with how many cases hold it), read
once per process and again when the index has changed and a minute has passed. A
suggestion is only offered after the corrected query has been run for the same reader and
found something, so a word that appears only in cases the reader may not see is never
suggested.
"""

from __future__ import annotations

import threading
import time

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from lightbox.search.backends import backend

__all__ = ["closest"]

REFRESH_SECONDS = 60
_lock = threading.Lock()
_cache: dict[str, object] = {"at": 0.0, "seq": None, "words": {}, "choices": []}


def vocabulary(seq: int) -> dict[str, int]:
    with _lock:
        stale = _cache["seq"] != seq and time.monotonic() - float(_cache["at"]) > REFRESH_SECONDS
        if _cache["seq"] is None or stale:
            words = {w: n for w, n in backend().vocabulary().items() if w.isalpha() and len(w) > 2}
            _cache.update(at=time.monotonic(), seq=seq, words=words, choices=list(words))
        return _cache["words"]  # type: ignore[return-value]


def forget() -> None:
    with _lock:
        _cache.update(at=0.0, seq=None, words={}, choices=[])


def closest(word: str, seq: int) -> str | None:
    """The most common indexed word within edit distance 1 (2 for words of 7+ letters)
    of ``word``, or None."""
    words = vocabulary(seq)
    if len(word) < 4 or not word.isalpha():
        return None
    limit = 2 if len(word) >= 7 else 1
    found = process.extract(
        word,
        _cache["choices"],  # type: ignore[arg-type]
        scorer=DamerauLevenshtein.distance,
        score_cutoff=limit,
        limit=20,
    )
    candidates = [(dist, -words[w], w) for w, dist, _ in found if w != word]
    if not candidates:
        return None
    return min(candidates)[2]
