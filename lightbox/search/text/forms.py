"""Word forms: one key for every way a word is written, for the index, the search box
and grading alike.

Django-free. A word as :func:`~lightbox.search.text.words.tokenize` cut it ("crohns",
"haemorrhages", "tumours") has a *key*, the same for all its forms:

* irregular plurals and short forms from the table in ``forms.toml`` ("emboli" →
  embolus, "mets" → metastasis, "teeth" → tooth);
* plurals and possessives made singular ("crohns" from "Crohn's" → crohn, "metastases" →
  metastasis, "vertebrae" → vertebra);
* British spelling made American, by the table (``[spellings]``: "grey" → gray) and by
  the rules of the ae/oe, -our, -re and -ise families ("haemorrhage" → hemorrhage,
  "oedema" → edema, "tumour" → tumor, "centre" → center, "localised" → localized);
* then the Snowball English stemmer (PyStemmer), so that "fractured" and "fractures"
  meet "fracture".

:func:`singular` is the first three steps (grading reads answers with it: a name must
stay a word a reader would write); :func:`key` is all four. The index stores each word
and, after a column's words, the column again as keys behind :data:`MARK` (see
:func:`index_text`): a word typed finds its own form and every other form of its key,
and a case holding the very form typed ranks above one holding another.

Examples
--------
>>> [singular(w) for w in ("haemorrhages", "oedema", "tumours", "crohns", "metastases")]
['hemorrhage', 'edema', 'tumor', 'crohn', 'metastasis']
>>> key("Fractured".lower()) == key("fractures") == key("fracture")
True
>>> key("oesophageal") == key("esophageal"), key("wilms") == key("wilm")
(True, True)
>>> index_text("Crohn's disease")
'crohns disease zqzcrohn zqzdiseas'
"""

from __future__ import annotations

import hashlib
import re
import threading
import tomllib
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.resources import files
from typing import Final

import Stemmer

from lightbox.search.text.words import tokenize

__all__ = ["MARK", "american", "index_text", "is_key", "key", "keyed", "singular", "version"]

#: Written before every key in the index, so that no key is taken for a word (and none
#: is offered by "did you mean"). Letters only: both FTS5 and PostgreSQL keep it whole.
MARK: Final = "zqz"

#: Words of one letter or with digits are their own key ("l4", "99m").
_PLAIN: Final = re.compile(r"[a-z]{2,}")
#: Words ending in s that are not plurals, kept whole.
_KEEP_S: Final = frozenset(
    {"pancreas", "atlas", "alias", "bias", "canvas", "herpes", "series", "species", "caries",
     "scabies", "rabies", "diabetes", "measles", "mumps", "rickets", "ascites", "always",
     "perhaps", "lens"}
)  # fmt: skip


@cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    data = tomllib.loads((files("lightbox.search.text") / "forms.toml").read_text("utf-8"))
    irregular = {k.lower(): v.lower() for k, v in data["irregular"].items()}
    spellings = {k.lower(): v.lower() for k, v in data["spellings"].items()}
    return irregular, spellings


#: British → American, in order, on a singular word (the ae/oe, -our, -re, -ise families).
_BRITISH: Final = [
    (re.compile(r"ae"), "e"),  # haem, anaemia, leukaemia, paediatric, caecum, aetiology
    (re.compile(r"^oe|(?<=[^aeiou])oe(?=[a-z])"), "e"),  # oedema, oesophagus, foetal, coeliac
    (re.compile(r"(?<=[a-z]{3})our(?=s?$)"), "or"),  # tumour, colour, behaviour
    (re.compile(r"(?<=[bt])re(?=s?$)"), "er"),  # centre, fibre, litre, goitre, calibre
    (re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations)$"), r"iz\1"),  # localised
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing)$"), r"yz\1"),  # paralyse, analysed
    (re.compile(r"ogue(?=s?$)"), "og"),  # catalogue, analogue
]


@lru_cache(maxsize=1 << 16)
def singular(word: str) -> str:
    """``word`` (lower case, as tokenized) made singular and American.

    >>> [singular(w) for w in ("emboli", "vertebrae", "diseases", "varices", "paediatric")]
    ['embolus', 'vertebra', 'disease', 'varix', 'pediatric']
    >>> [singular(w) for w in ("pancreas", "bronchus", "stenoses", "centres", "localised")]
    ['pancreas', 'bronchus', 'stenosis', 'center', 'localized']
    """
    irregular, spellings = _tables()
    if word in irregular:
        return irregular[word]
    if len(word) < 4 or not word.isalpha():
        return spellings.get(word, word)
    w = word
    if w in _KEEP_S:
        pass
    elif w.endswith("omata"):
        w = w[:-2]
    elif w.endswith("eases"):
        w = w[:-1]
    elif w.endswith(("oses", "ases", "eses", "yses")):
        w = w[:-2] + "is"
    elif w.endswith(("sses", "uses")):
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith(("xes", "ches", "shes", "zes")):
        w = w[:-2]
    elif w.endswith("ae") or (w.endswith("s") and not w.endswith(("ss", "us", "is"))):
        w = w[:-1]
    return american(irregular.get(w, w))


@lru_cache(maxsize=1 << 16)
def american(word: str) -> str:
    """``word`` (lower case, as tokenized) in American spelling, nothing else changed:
    two words with the same American form are one word spelt two ways.

    >>> [american(w) for w in ("haemangiomas", "oedematous", "tumours", "grey", "bone")]
    ['hemangiomas', 'edematous', 'tumors', 'gray', 'bone']
    """
    _, spellings = _tables()
    if word in spellings:
        return spellings[word]
    if len(word) < 4 or not word.isalpha():
        return word
    for pattern, replacement in _BRITISH:
        word = pattern.sub(replacement, word)
    return spellings.get(word, word)


_stemmer = Stemmer.Stemmer("english")
_stemming = threading.Lock()  # a PyStemmer stemmer is not safe across threads


@lru_cache(maxsize=1 << 17)
def key(word: str) -> str:
    """What every form of ``word`` (as tokenized) is found by: :func:`singular`, then
    stemmed (Snowball English). Words of one letter or with digits are their own key.

    >>> key("haemorrhagic"), key("hemorrhage"), key("fractures"), key("l4")
    ('hemorrhag', 'hemorrhag', 'fractur', 'l4')
    """
    if not _PLAIN.fullmatch(word):
        return word
    with _stemming:
        return str(_stemmer.stemWord(singular(word)))


def keyed(word: str) -> str:
    """The index's token for the key of ``word``: :data:`MARK` and the key."""
    return MARK + key(word)


def is_key(token: str) -> bool:
    """Whether an index token is a key (see :func:`keyed`), not a word."""
    return token.startswith(MARK)


def index_text(text: str | Iterable[str]) -> str:
    """What the index stores for a column: its words, then the same words as keys, in
    the same order (a phrase of keys matches where the words' forms differ).

    >>> index_text("Wilms' tumours")
    'wilms tumours zqzwilm zqztumor'
    """
    words = tokenize(text) if isinstance(text, str) else list(text)
    if not words:
        return ""
    return " ".join([*words, *(keyed(w) for w in words)])


@cache
def version() -> str:
    """Changes whenever a key may change (the tables, the rules, the stemmer): the
    index is built anew (by ``migrate``) when it does."""
    table = (files("lightbox.search.text") / "forms.toml").read_text("utf-8")
    rules = "".join(p.pattern + a for p, a in _BRITISH) + MARK + ",".join(sorted(_KEEP_S))
    stemmer = f"{Stemmer.algorithms()}{_stemmer.stemWords(['generalizations', 'hopeful'])}"
    return hashlib.sha256((table + rules + stemmer).encode()).hexdigest()[:12]
