"""Abbreviations of radiology and nuclear-medicine reports, and what they stand for.

Django-free. The table is ``abbreviations.toml`` beside this module (one line per
abbreviation, lower case; an abbreviation that means several things is left out).
:func:`expand` writes each known abbreviation of a text followed by its meaning, so that
pasted clinical prose is searched for and embedded in both forms ("similar cases").
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files

from lightbox.search.text.words import WORD_RE

__all__ = ["abbreviations", "expand"]


@cache
def abbreviations() -> dict[str, str]:
    """Abbreviation (lower case) → what it stands for, read once per process."""
    data = tomllib.loads((files("lightbox.search.text") / "abbreviations.toml").read_text())
    return {k: str(v) for k, v in data["abbreviations"].items()}


def expand(text: str) -> str:
    """``text`` with known abbreviations followed by what they stand for.

    >>> expand("Pt with h/o RCC, now PE?")
    'Pt (patient) with h/o RCC (renal cell carcinoma), now PE (pulmonary embolism)?'
    """
    table = abbreviations()
    out, last = [], 0
    for m in WORD_RE.finditer(text):
        word = m.group()
        if (long := table.get(word.lower())) and word.lower() != long:
            out.append(text[last : m.end()] + f" ({long})")
            last = m.end()
    return "".join(out) + text[last:]
