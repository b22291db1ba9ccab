"""Highlighted snippets: the stretch of a text that best shows why it matched.

Django-free. Words are compared the way the index compares them
(:func:`lightbox.search.text.words.tokenize`), so what is highlighted is what was found,
including ``osteo*`` prefixes and words typed with accents or in another case. The
result is HTML: the text escaped, each hit in ``<mark>``.

Examples
--------
>>> print(snippet("Intense uptake in the <b>left</b> femur; Paget's disease.", {"pagets"}))
Intense uptake in the &lt;b&gt;left&lt;/b&gt; femur; <mark>Paget&#x27;s</mark> disease.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import accumulate

from lightbox.search.text.words import tokenize

__all__ = ["best", "snippet"]

# A word as the reader wrote it: letters and digits, with apostrophes inside.
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_WORD_SPLIT = re.compile(f"({_WORD.pattern})")
_ASCII_SPLIT = re.compile("([A-Za-z0-9]+)")  # the same, for ASCII text without apostrophes


#: Longest stretch of a text looked at for a snippet.
MAX_TEXT = 20_000
#: Characters around the first hit of a long text that a snippet is cut from.
REGION = 400


@lru_cache(maxsize=256)
def _pattern(words: frozenset[str], prefixes: tuple[str, ...]) -> re.Pattern[str]:
    """The words (whole) and prefixes, case-insensitive, as one ASCII expression."""
    alternatives = [re.escape(w) for w in sorted(words) if w.isascii()]
    alternatives += [re.escape(p) + "[a-z0-9]*" for p in prefixes if p.isascii()]
    body = "|".join(alternatives) or "(?!)"
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.IGNORECASE)


def _fold(word: str) -> str:
    if word.isascii():  # the common case, as tokenize() would have it, without the regex
        return word.lower().replace("'", "")
    return "".join(tokenize(word))


def _is_hit(word: str, words: frozenset[str], prefixes: Sequence[str]) -> bool:
    folded = _fold(word)
    return folded in words or any(folded.startswith(p) for p in prefixes)


def _has_hit(text: str, words: frozenset[str], prefixes: Sequence[str]) -> bool:
    text = text[:MAX_TEXT]
    if text.isascii() and "'" not in text:  # the regular expression, not every word
        lowered = text.lower()
        if not any(w in lowered for w in (*words, *prefixes)):
            return False  # not even inside another word: the regular expression can't match
        found = _pattern(words, tuple(prefixes)).finditer(text)
        return any(_is_hit(m.group(), words, prefixes) for m in found)
    tokens = set(tokenize(text))
    return not tokens.isdisjoint(words) or any(w.startswith(tuple(prefixes)) for w in tokens)


def snippet(
    text: str,
    words: Iterable[str],
    prefixes: Iterable[str] = (),
    size: int = 30,
    clean: Callable[[str], str] = str,
) -> str:
    """About ``size`` words of ``text`` around its densest run of hits, as HTML.

    ``words`` are normalised search words, ``prefixes`` the parts before a ``*``.
    Ellipses mark text left out; a text with no hit gives its beginning. The words shown
    are those of ``clean(text)`` (say, without Markdown's marks), cleaned only around the
    hits in a long text.
    """
    wanted, starts = frozenset(words), tuple(prefixes)
    text = text[:MAX_TEXT]
    if len(text) > 2 * REGION and text.isascii() and "'" not in text and (wanted or starts):
        # A long plain text: look only around the first hit, found by a regular
        # expression, rather than at every word.
        first_hit = _pattern(wanted, starts).search(text)
        if first_hit:
            begin = max(0, first_hit.start() - REGION // 4)
            while begin > 0 and text[begin - 1].isalnum():
                begin -= 1
            end = min(len(text), begin + REGION)
            inner = snippet(text[begin:end], wanted, starts, size, clean)
            inner = inner.removeprefix("… ").removesuffix(" …")
            return ("… " if begin > 0 else "") + inner + (" …" if end < len(text) else "")
    text = clean(text)
    plain = text.isascii() and "'" not in text
    # Split in C: gaps and words alternate, and running lengths give each word's place.
    pieces = (_ASCII_SPLIT if plain else _WORD_SPLIT).split(text)
    bounds = list(accumulate(map(len, pieces)))  # word i is text[bounds[2i] : bounds[2i+1]]
    word_starts = bounds[0:-1:2]
    spans = list(zip(word_starts, bounds[1::2], strict=True))
    if not spans:
        return html.escape(text[:200])
    hits: list[int]
    if not (wanted or starts):
        hits = []
    elif plain:  # one regular expression, not word by word
        hits = []
        for m in _pattern(wanted, starts).finditer(text):
            i = bisect_left(word_starts, m.start())
            if i < len(spans) and spans[i][0] == m.start():
                a, b = spans[i]
                if _is_hit(text[a:b], wanted, starts):
                    hits.append(i)
    else:
        hits = [i for i, w in enumerate(pieces[1::2]) if _is_hit(w, wanted, starts)]
    first = 0
    if hits and len(spans) > size:  # the window of `size` words holding the most hits
        best_count = -1
        for h in hits[:1000]:
            start = max(0, min(h - size // 4, len(spans) - size))
            count = bisect_left(hits, start + size) - bisect_left(hits, start)
            if count > best_count:
                best_count, first = count, start
    last = min(len(spans), first + size)
    begin = 0 if first == 0 else spans[first][0]
    end = len(text) if last == len(spans) else spans[last - 1][1]
    out, pos = [], begin
    for i in hits[bisect_left(hits, first) : bisect_left(hits, last)]:
        a, b = spans[i]
        out.append(f"{html.escape(text[pos:a])}<mark>{html.escape(text[a:b])}</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    body = " ".join("".join(out).split())
    return ("… " if begin > 0 else "") + body + (" …" if end < len(text) else "")


def best(
    texts: Sequence[str],
    words: Iterable[str],
    prefixes: Iterable[str] = (),
    size: int = 30,
    clean: Callable[[str], str] = str,
) -> str:
    """The snippet of the first text with a hit (or of the first non-empty text), in the
    words of ``clean(text)`` (see :func:`snippet`)."""
    wanted, starts = frozenset(words), tuple(prefixes)
    for text in texts:
        if _has_hit(text, wanted, starts):
            return snippet(text, wanted, starts, size, clean)
    return next((snippet(t, (), (), size, clean) for t in texts if t.strip()), "")
