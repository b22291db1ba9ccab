"""The top level of the ACR Index: anatomic fields, pathology categories, code shape.

Django-free. The labels live in ``acr_index.toml`` beside this module, so they can be
corrected without touching code.

Examples
--------
>>> parse_code("642.3212")
AcrCode(code='642.3212', field='6', category='3')
>>> field_name("4")
'Skeletal system'
>>> field_for_name("Skeletal System")
'4'
>>> category_for_name("Metabolic, endocrine, toxic")
'5'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "AcrCode",
    "InvalidAcrCode",
    "categories",
    "category_for_name",
    "category_name",
    "field_for_name",
    "field_name",
    "fields",
    "is_any_category",
    "parse_code",
]

DATA_FILE = Path(__file__).with_name("acr_index.toml")

# Anatomy digits, a point, pathology digits: "642.3212", "4.5", "4.". A bare anatomy code
# ("64") is accepted too: older files coded some cases by region only.
CODE_RE = re.compile(r"^(?P<anatomy>\d{1,6})(?:\.(?P<pathology>\d{0,8}))?$")


class InvalidAcrCode(ValueError):
    """Raised for text that is not shaped like an ACR Index code."""


@dataclass(frozen=True, slots=True)
class AcrCode:
    code: str
    field: str
    category: str | None

    def __str__(self) -> str:
        return self.code


@cache
def _table() -> dict[str, Any]:
    with DATA_FILE.open("rb") as f:
        return tomllib.load(f)


def fields() -> dict[str, str]:
    """Anatomic fields in ACR order (1–9, then 0), digit → label."""
    table = _table()["fields"]
    return {k: table[k] for k in sorted(table, key=lambda d: (d == "0", d))}


def categories() -> dict[str, str]:
    """Pathology categories 1–9, digit → label."""
    table = _table()["categories"]
    return {k: table[k] for k in sorted(table)}


def field_name(digit: str | None) -> str:
    return fields().get(digit or "", "")


def category_name(digit: str | None) -> str:
    return categories().get(digit or "", "")


def parse_code(text: str) -> AcrCode:
    """Validate the shape of an ACR code and split out its field and category digits.

    Raises
    ------
    InvalidAcrCode
        When ``text`` is not digits, optionally followed by a point and more digits.
    """
    code = text.strip()
    match = CODE_RE.match(code)
    if not match:
        raise InvalidAcrCode(
            f"{text!r} is not an ACR code: expected anatomy digits, a point and "
            "pathology digits, e.g. 642.3212"
        )
    pathology = match["pathology"] or ""
    return AcrCode(code=code, field=match["anatomy"][0], category=pathology[:1] or None)


_WORD_RE = re.compile(r"[a-z0-9]+")
# The separators of the terms a label lists: "Normal, technique, anomaly".
_TERMS_RE = re.compile(r"[,;/]")


def _singular(word: str) -> str:
    """ "anomalies" → "anomaly", "systems" → "system"; "diagnosis", "process" unchanged."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        return word[:-1]
    return word


def _key(name: str) -> str:
    """A printed label reduced to what tells labels apart: lower case, words only,
    singular, without "and" ("Metabolic, Endocrine & Toxic" == "metabolic endocrine toxic")."""
    words = _WORD_RE.findall(name.lower().replace("&", " and "))
    return " ".join(_singular(w) for w in words if w != "and")


@cache
def _lookup(kind: str) -> dict[str, str]:
    table = _table()
    names = {_key(label): digit for digit, label in table[kind].items()}
    names.update({_key(alias): d for alias, d in table["aliases"][kind].items()})
    return names


def _digit_for(kind: str, name: str) -> str | None:
    """The digit of a label, its alias, or a list of terms that all name the same digit.

    "Normal, technique, anomaly" is the ACR's own shortened label for category 1: each of
    its terms is a known name of category 1, so it is category 1. A list whose terms name
    different digits, or one that is not known, names none.
    """
    names = _lookup(kind)
    if (digit := names.get(_key(name))) is not None:
        return digit
    terms = [_key(term) for term in _TERMS_RE.split(name) if _key(term)]
    digits = {names.get(term) for term in terms}
    if len(terms) > 1 and len(digits) == 1:
        return digits.pop()
    return None


def field_for_name(name: str) -> str | None:
    """The field digit for a printed field name ("Skeletal System" → "4"), or None."""
    return _digit_for("fields", name)


def category_for_name(name: str) -> str | None:
    """The category digit for a printed category name, or None.

    >>> category_for_name("Neoplasm, neoplasm-like condition")
    '3'
    >>> category_for_name("Normal, technique, anomaly")
    '1'
    """
    return _digit_for("categories", name)


def is_any_category(name: str) -> bool:
    """True for a label that names no one category but all of them ("General").

    A topic printed with "Category: General" is about its whole anatomic field: its
    category is left blank, and that is no error.

    >>> is_any_category("General"), is_any_category("Neoplasm")
    (True, False)
    """
    return _key(name) in {_key(label) for label in _table()["any"]["categories"]}
