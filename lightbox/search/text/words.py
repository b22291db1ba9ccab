"""How text is cut into words, the same way for the index, the search box and snippets.

Django-free. :func:`tokenize` is the one rule: Unicode compatibility forms folded (NFKC),
apostrophes and invisible format characters dropped ("Paget's" is "pagets"), case folded
("ß" is "ss"), accents removed ("ø" is "o"), and every run of letters and digits a word
(:data:`WORD_RE`). Text stored in the index and words typed in the search box must both
go through it, so that what is searched for matches what was stored; a hyphenated term
such as ``Tc-99m`` is two words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

__all__ = ["WORD_RE", "tokenize"]

#: A word: a run of letters and digits (the underscore is neither).
WORD_RE: Final = re.compile(r"[^\W_]+")
_APOSTROPHES = frozenset("'\u2018\u2019\u02bc`")


# Latin letters that are not a base letter plus an accent, so NFD leaves them alone.
_LATIN = str.maketrans(
    {"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ł": "l",
     "þ": "th", "ŧ": "t"}
)  # fmt: skip


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch in _APOSTROPHES or unicodedata.category(ch) == "Cf":  # ' and zero-width: dropped
        return ""
    folded = unicodedata.normalize("NFKC", ch).casefold()  # "ß" → "ss", "Ａ" → "a"
    decomposed = unicodedata.normalize("NFD", folded.translate(_LATIN))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def _fold(text: str) -> str:
    if text.isascii():
        if "'" in text or "`" in text:
            text = text.replace("'", "").replace("`", "")
        return text.lower()
    table = {ord(c): _fold_char(c) for c in set(text) if not c.isascii() or c in _APOSTROPHES}
    return unicodedata.normalize("NFC", text.translate(table).casefold())


def tokenize(text: str) -> list[str]:
    """The words of ``text`` as the search index must store them.

    NFKC-normalised, apostrophes and invisible format characters dropped, case folded
    ("ß" is "ss"), accents removed ("ø" is "o"); every run of letters and digits is a
    word. The indexer must feed text through this (e.g. ``" ".join(tokenize(text))``) so
    that what is searched for matches what was stored.

    Examples
    --------
    >>> tokenize("Pagét's disease of bone: Tc-99m MDP, L4-L5, ＣＴ")
    ['pagets', 'disease', 'of', 'bone', 'tc', '99m', 'mdp', 'l4', 'l5', 'ct']
    """
    return WORD_RE.findall(_fold(text))
