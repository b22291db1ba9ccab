"""Codes of standard vocabularies a case can carry beside its ACR codes: RadLex IDs and
SNOMED CT identifiers, each with its term.

Django-free. The systems are named by their DICOM coding scheme designators (PS3.16
section 8): ``RADLEX`` for RadLex, ``SCT`` for SNOMED CT. Only identifiers and terms are
kept; SNOMED CT content beyond that needs a licence (see docs/interchange.md, "Codes").

Examples
--------
>>> parse_code("RADLEX", "rid3874")
'RID3874'
>>> parse_code("RADLEX", "http://www.radlex.org/RID/#RID3874")
'RID3874'
>>> parse_code("SCT", " 22298006 ")
'22298006'
>>> try:
...     parse_code("SCT", "22298007")
... except InvalidCode as e:
...     print(e)
'22298007' is not a SNOMED CT concept identifier: its check digit is wrong (a typing error?)
>>> term_key("Paget's  Disease of Bône")
'paget disease of bone'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from stdnum import verhoeff

__all__ = [
    "MAX_KEY_WORDS",
    "MAX_TERM",
    "RADLEX",
    "SNOMED_CT",
    "SYSTEMS",
    "InvalidCode",
    "clean_term",
    "diagnosis_keys",
    "parse_any",
    "parse_code",
    "rid_of",
    "term_key",
]

#: DICOM coding scheme designator of RadLex.
RADLEX: Final = "RADLEX"
#: DICOM coding scheme designator of SNOMED CT.
SNOMED_CT: Final = "SCT"
#: Designator → the name a reader knows, in the order the editor offers them.
SYSTEMS: Final = {RADLEX: "RadLex", SNOMED_CT: "SNOMED CT"}

#: Longest term kept, in characters (a term is a name, not a definition).
MAX_TERM: Final = 300
#: Longest run of a diagnosis's words looked up as a code's term.
MAX_KEY_WORDS: Final = 8

# "RID3874", alone or at the end of a RadLex URI ("http://www.radlex.org/RID/#RID3874",
# "http://radlex.org/RID/RID3874"). RadLex IDs have no leading zeros.
_RID_RE = re.compile(r"(?:^|[/#])(RID[1-9]\d{0,8})$", re.IGNORECASE)
# A SNOMED CT identifier: 6 to 18 digits, no leading zero (SNOMED CT Technical Implementation
# Guide, "SCTID"); the last is a Verhoeff check digit and the two before it the partition
# identifier, which for a concept is 00 (core) or 10 (an extension).
_SCTID_RE = re.compile(r"^[1-9]\d{5,17}$")
_CONCEPT_PARTITIONS = ("00", "10")
_WORD_RE = re.compile(r"[a-z0-9]+")
_POSSESSIVE_RE = re.compile(r"(?<=\w)['\u2019]s\b")
_MARKUP_RE = re.compile(r"[*_`#>]+")


class InvalidCode(ValueError):
    """Text that is not a code of the system it was given for; ``str()`` is one line."""


def rid_of(text: str) -> str | None:
    """The RadLex ID in ``text`` (an ID or a RadLex URI), upper-cased, or None.

    >>> rid_of("http://radlex.org/RID/RID5"), rid_of("RID05"), rid_of("5")
    ('RID5', None, None)
    """
    match = _RID_RE.search(text.strip())
    return match[1].upper() if match else None


def parse_code(system: str, text: str) -> str:
    """``text`` as a code of ``system``, in its one written form.

    Raises
    ------
    InvalidCode
        For an unknown system, or text that is not a code of it: a RadLex ID is ``RID``
        and digits; a SNOMED CT concept identifier is 6-18 digits whose check digit holds.
    """
    given = text.strip()
    if system == RADLEX:
        if (rid := rid_of(given)) is None:
            raise InvalidCode(
                f"{given[:40]!r} is not a RadLex ID: expected RID and digits, e.g. RID3874"
            )
        return rid
    if system == SNOMED_CT:
        if not _SCTID_RE.match(given):
            raise InvalidCode(
                f"{given[:40]!r} is not a SNOMED CT identifier: expected 6 to 18 digits, "
                "e.g. 22298006"
            )
        if not verhoeff.is_valid(given):
            raise InvalidCode(
                f"{given!r} is not a SNOMED CT concept identifier: its check digit is wrong "
                "(a typing error?)"
            )
        if given[-3:-1] not in _CONCEPT_PARTITIONS:
            raise InvalidCode(
                f"{given!r} is a SNOMED CT identifier, but not of a concept (a description "
                "or relationship identifier?)"
            )
        return given
    raise InvalidCode(f"{system[:20]!r} is not a code system Lightbox knows: RADLEX or SCT")


def parse_any(text: str) -> tuple[str, str]:
    """``(system, code)`` for a code of either system, told apart by its shape: a RadLex
    ID starts with ``RID``, a SNOMED CT identifier is digits.

    >>> parse_any("RID3874"), parse_any("22298006")
    (('RADLEX', 'RID3874'), ('SCT', '22298006'))

    Raises
    ------
    InvalidCode
        When ``text`` is neither.
    """
    given = text.strip()
    if given.isdigit():
        return SNOMED_CT, parse_code(SNOMED_CT, given)
    if "rid" in given.lower():
        return RADLEX, parse_code(RADLEX, given)
    raise InvalidCode(
        f"{given[:40]!r} is not a code: give a RadLex ID (RID3874) or a SNOMED CT "
        "identifier (22298006)"
    )


def clean_term(text: str) -> str:
    """A term as it is stored: whitespace collapsed, control characters dropped.

    Raises
    ------
    InvalidCode
        When nothing is left, or more than :data:`MAX_TERM` characters are.

    >>> clean_term("  Paget\\tdisease\\n of bone ")
    'Paget disease of bone'
    """
    printable = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    term = " ".join(printable.split())
    if not term:
        raise InvalidCode("a code needs its term (e.g. Paget disease of bone)")
    if len(term) > MAX_TERM:
        raise InvalidCode(f"a term is at most {MAX_TERM} characters; this one has {len(term)}")
    return term


def term_key(text: str) -> str:
    """What tells terms apart when looking one up: accents, case, possessives and
    punctuation do not ("Paget's disease" and "paget disease" are one key)."""
    folded = unicodedata.normalize("NFKD", _POSSESSIVE_RE.sub("", text[: MAX_TERM * 2]))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD_RE.findall(plain))[:MAX_TERM]


def diagnosis_keys(diagnosis: str) -> list[str]:
    """The keys under which a code's term may name a case's diagnosis, longest first: its
    first line whole, and every run of up to :data:`MAX_KEY_WORDS` words in it (the name
    is often given with a site or an aside: "Melorheostosis of the left femur"). Words of
    three letters or fewer alone are left out.

    >>> diagnosis_keys("**Paget's disease** (polyostotic)")[:3]
    ['paget disease polyostotic', 'paget disease', 'disease polyostotic']
    >>> diagnosis_keys("Melorheostosis of the left femur")[-3:]
    ['melorheostosis', 'left', 'femur']
    >>> diagnosis_keys("")
    []
    """
    text = _MARKUP_RE.sub("", diagnosis[: MAX_TERM * 4]).strip()
    words = term_key(text.splitlines()[0] if text else "").split()[: MAX_KEY_WORDS * 4]
    runs = {
        " ".join(words[i : i + n])
        for n in range(1, min(MAX_KEY_WORDS, len(words)) + 1)
        for i in range(len(words) - n + 1)
    }
    whole = " ".join(words)
    keys = sorted(runs - {whole}, key=lambda k: (-len(k.split()), words.index(k.split()[0])))
    keys = [whole, *keys] if whole else keys
    return [k for k in keys if " " in k or len(k) > 3]
