""" "Did you mean": the closest indexed word to each word that finds (almost) nothing.

The vocabulary is the index's own (every word stored, with how many cases hold it), read
once per process and again, in the background, when the index has changed and a minute
has passed. A
suggestion is only offered after the corrected query has been run for the same reader and
found something, so a word that appears only in cases the reader may not see is never
suggested. Which word is closest is :func:`lightbox.search.text.spelling.closest`'s rule.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from lightbox.search.backends import backend
from lightbox.search.text import spelling
from lightbox.search.text.forms import american, is_key, key

__all__ = [
    "cases_beginning",
    "closest",
    "forms_of",
    "indexed_forms",
    "known",
    "spellings",
    "vocabulary",
]

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 60


@dataclass(frozen=True)
class _Vocabulary:
    """One reading of the index's words: when (``time.monotonic()``), at which ``seq``,
    each word with how many cases hold it, and the words alone for rapidfuzz."""

    at: float = 0.0
    seq: int | None = None
    words: dict[str, int] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)
    ordered: list[str] = field(default_factory=list)  # sorted, for words beginning so
    # The index's keys (forms.py), each with the indexed words that have it.
    forms: dict[str, list[str]] = field(default_factory=dict)

    def begins(self, prefix: str) -> bool:
        """Whether an indexed word begins with ``prefix`` (and is longer)."""
        i = bisect.bisect_right(self.ordered, prefix)
        return i < len(self.ordered) and self.ordered[i].startswith(prefix)


_lock = threading.Lock()
_cache = _Vocabulary()
_refreshing = threading.Event()


def _load(seq: int) -> None:
    global _cache
    found = backend().vocabulary()
    forms: dict[str, list[str]] = {}
    for word in found:
        if not is_key(word):
            forms.setdefault(key(word), []).append(word)
    words = {w: n for w, n in found.items() if w.isalpha() and len(w) > 2 and not is_key(w)}
    with _lock:
        _cache = _Vocabulary(time.monotonic(), seq, words, list(words), sorted(words), forms)


def _refresh_in_background(seq: int) -> None:
    def run() -> None:
        try:
            _load(seq)
        except Exception:  # the old vocabulary stays; the next search tries again
            logger.exception("Reading the search vocabulary failed")
        finally:
            connection.close()
            _refreshing.clear()

    if not _refreshing.is_set():
        _refreshing.set()
        threading.Thread(target=run, name="search-vocabulary", daemon=True).start()


def vocabulary(seq: int) -> dict[str, int]:
    """The index's words and how many cases hold each. Read once per process (the first
    caller waits); afterwards an outdated copy is replaced in the background, at most
    once a minute, and callers never wait for it."""
    with _lock:
        loaded, at, known = _cache.seq is not None, _cache.at, _cache.seq
    if not loaded:
        _load(seq)
    elif known != seq and time.monotonic() - at > REFRESH_SECONDS:
        _refresh_in_background(seq)
    with _lock:
        return _cache.words


def begins(prefix: str) -> bool:
    """Whether a word of the vocabulary last read begins with ``prefix`` (and is
    longer); read it first with :func:`vocabulary`."""
    with _lock:
        current = _cache
    return current.begins(prefix)


def known(word: str) -> bool:
    """Whether a case holds ``word`` or another form of it (see :mod:`lightbox.search.text.forms`);
    read the vocabulary first with :func:`vocabulary`."""
    with _lock:
        current = _cache
    return word in current.words or key(word) in current.forms


def indexed_forms(seq: int) -> Callable[[str], list[str]] | None:
    """For :func:`lightbox.search.text.compile_for`: a word → the indexed words sharing
    its key, when the vocabulary last read is the index at ``seq`` (else None: a form
    indexed since might be missed)."""
    with _lock:
        current = _cache
    if current.seq != seq:
        return None
    return lambda word: current.forms.get(key(word), [])


def forms_of(words: list[str]) -> list[str]:
    """``words`` and every indexed word that has the key of one of them (what a search
    for them found, to highlight): "tumour" gives "tumor", "tumours", "tumors"… Read
    the vocabulary first with :func:`vocabulary`."""
    with _lock:
        current = _cache
    out = dict.fromkeys(words)
    for word in words:
        out.update(dict.fromkeys(current.forms.get(key(word), ())))
    return list(out)


def cases_beginning(prefix: str, limit: int) -> int:
    """At most how many cases hold a word beginning with ``prefix`` (the counts of those
    words added), or more than ``limit`` when over ``limit`` words begin so."""
    with _lock:
        current = _cache
    start = bisect.bisect_left(current.ordered, prefix)
    end = bisect.bisect_left(current.ordered, prefix + "\U0010ffff", start, start + limit + 1)
    if end - start > limit:
        return limit + 1
    return sum(current.words[w] for w in current.ordered[start:end])


def spellings(word: str) -> list[str]:
    """The indexed words that are ``word`` spelt another way (British or American:
    "haemangioma" for "hemangioma"); read the vocabulary first with :func:`vocabulary`."""
    with _lock:
        current = _cache
    same = american(word)
    return [w for w in current.forms.get(key(word), ()) if w != word and american(w) == same]


def forget() -> None:
    global _cache
    with _lock:
        _cache = _Vocabulary()


def closest(word: str, seq: int) -> str | None:
    """The most common indexed word within edit distance 1 (2 for words of 7+ letters)
    of ``word``, or None (see :func:`lightbox.search.text.spelling.closest`)."""
    words = vocabulary(seq)
    return spelling.closest(word, words, _cache.choices)
