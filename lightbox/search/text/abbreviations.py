"""Abbreviations of radiology and nuclear medicine, and what they stand for.

Django-free. The table is ``abbreviations.toml`` beside this module, the one table that
grading (:mod:`lightbox.learning.grading`), the search box and similar cases read: each
abbreviation with every meaning it has. An abbreviation that is also an ordinary word
("AS", "ALL", "MEN") counts only when written in capitals (``caps_only``).

:func:`meanings` is the table; :func:`expand` writes each abbreviation of a text that has
one meaning followed by it, so that pasted clinical prose is searched for and embedded in
both forms ("similar cases"). One with several meanings is left as written there: the
search box looks for each of them instead.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

from lightbox.search.text.words import WORD_RE

__all__ = ["FILE", "caps_only", "counts", "expand", "meanings"]

#: The table, beside this module.
FILE: Final = Path(str(files("lightbox.search.text") / "abbreviations.toml"))


@cache
def _table() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    data = tomllib.loads(FILE.read_text(encoding="utf-8"))
    table = {k.lower(): tuple(str(m) for m in v) for k, v in data["meanings"].items()}
    return table, frozenset(c.lower() for c in data["caps_only"])


def meanings() -> dict[str, tuple[str, ...]]:
    """Abbreviation (lower case) → every meaning it has, read once per process.

    >>> meanings()["pe"], meanings()["as"]
    (('pulmonary embolism',), ('ankylosing spondylitis', 'aortic stenosis'))
    """
    return _table()[0]


def caps_only() -> frozenset[str]:
    """The abbreviations (lower case) that are also ordinary words: they count only when
    written in capitals."""
    return _table()[1]


def counts(written: str) -> bool:
    """Whether ``written`` (a word as typed) is to be read as an abbreviation.

    >>> counts("PE"), counts("pe"), counts("AS"), counts("as")
    (True, True, True, False)
    """
    low = written.lower()
    return low in meanings() and (low not in caps_only() or written.isupper())


def expand(text: str) -> str:
    """``text`` with each abbreviation of one meaning followed by that meaning.

    >>> expand("Pt with h/o RCC, now PE? MS")
    'Pt (patient) with h/o RCC (renal cell carcinoma), now PE (pulmonary embolism)? MS'
    """
    table = meanings()
    out, last = [], 0
    for m in WORD_RE.finditer(text):
        word = m.group()
        said = table.get(word.lower(), ())
        if len(said) == 1 and counts(word) and word.lower() != said[0]:
            out.append(text[last : m.end()] + f" ({said[0]})")
            last = m.end()
    return "".join(out) + text[last:]
