"""De-identify a DICOM data set before any of it is stored.

Django-free. The policy is DICOM PS3.15 Annex E, Table E.1-1 — the **Basic Application
Level Confidentiality Profile** — as shipped in dicom-anonymizer's ``dicomfields_2026c``
table, plus the options Lightbox declares in (0012,0064) De-identification Method Code
Sequence:

* **Retain Patient Characteristics Option** — age, sex, size, weight, smoking and
  pregnancy status, … are kept (free text such as (0010,2160) Ethnic Group is not);
* **Retain Longitudinal Temporal Information with Modified Dates Option** — every date of
  a patient moves by the same whole number of days, derived from a per-install secret and
  the original (0010,0020) Patient ID, so intervals survive and real dates do not;
* **Clean Descriptors Option**, implemented by removal: free text (descriptions,
  comments, labels, code meanings) is never kept, cleaned or not.

No private attribute is kept (the Retain Safe Private Option is not offered). Only the
*tables* come from dicom-anonymizer: this module applies them itself, at every depth of
nested sequences, because the library's own functions leave PHI behind (they apply the
table to the top level only, and turn an ``X`` date into 00010101 instead of removing
it), draw random UIDs, and neither zero the preamble nor set the de-identification
markers.

Beyond the table, every (60xx) overlay and (50xx) curve group is removed whole, and an
attribute the table does not list is kept only when :mod:`~lightbox.deid.allowlist`
names it: what display, grouping or IOD validity needs, never free text. Everything else is
removed, at every depth. Burned-in text is not searched for: images likely to carry it
are flagged for a person to review (:attr:`DeidReport.needs_pixel_review`).

Examples
--------
>>> from pydicom import dcmread
>>> from pydicom.data import get_testdata_file
>>> ds = dcmread(get_testdata_file("CT_small.dcm", download=False))
>>> policy = DeidPolicy(
...     secret=b"an install's secret of 32 bytes.",
...     pseudonym_name="LIGHTBOX^bs068",
...     pseudonym_id="bs068",
... )
>>> result = deidentify(ds, policy)
>>> str(result.dataset.PatientName), result.dataset.PatientID
('LIGHTBOX^bs068', 'bs068')
>>> result.dataset.PatientIdentityRemoved
'YES'
>>> result.dataset.SOPInstanceUID == remap_uid(ds.SOPInstanceUID, policy.secret)
True
>>> result.report.needs_pixel_review
False
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

from pydicom import DataElement, Dataset, Sequence, config, dcmwrite
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian

from lightbox.deid import annex_e
from lightbox.deid.allowlist import (
    CODED_OF,
    FREE_TEXT_VRS,
    KEPT,
    REQUIRED_OF,
    VALUE_RULE_OF,
    Need,
    Required,
    allowed_code,
    dictionary_vrs,
)

__all__ = [
    "Action",
    "DeidOptions",
    "DeidPolicy",
    "DeidReport",
    "DeidResult",
    "DeidentificationError",
    "ReportEntry",
    "conformance_rows",
    "describe",
    "date_shift_days",
    "deidentify",
    "remap_uid",
    "write_deidentified",
]

#: The edition of PS3.15 Table E.1-1 in use: dicom-anonymizer's ``dicomfields_2026c``.
#: Pinned, so that a new table in a new dicom-anonymizer changes nothing until chosen.
TABLES_EDITION: Final = "2026c"

PROFILE: Final = "DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile"

# (0010,0010) Patient's Name and (0010,0020) Patient ID become the caller's pseudonym.
_PATIENT_NAME: Final = 0x00100010
_PATIENT_ID: Final = 0x00100020
# (0008,0201) Timezone Offset From UTC: kept with the dates, as DT values keep theirs.
_TIMEZONE_OFFSET: Final = 0x00080201
# (7FE0,0010) Pixel Data
_PIXEL_DATA: Final = 0x7FE00010
# (5200,9229) Shared Functional Groups Sequence: present in enhanced multi-frame images.
_SHARED_GROUPS: Final = 0x52009229

# CID 7050 De-identification Method (PS3.16), coding scheme DCM, as (value, meaning).
_CODE_BASIC_PROFILE: Final = ("113100", "Basic Application Confidentiality Profile")
_CODE_CLEAN_DESCRIPTORS: Final = ("113105", "Clean Descriptors Option")
_CODE_MODIFIED_DATES: Final = (
    "113107",
    "Retain Longitudinal Temporal Information Modified Dates Option",
)
_CODE_PATIENT_CHARACTERISTICS: Final = ("113108", "Retain Patient Characteristics Option")

_ZERO_PREAMBLE: Final = b"\x00" * 128
# The root of every UID the DICOM standard defines (SOP classes, transfer syntaxes, …).
_STANDARD_ROOT: Final = "1.2.840.10008."
_MIN_SECRET_BYTES: Final = 16


class DeidentificationError(ValueError):
    """A data set (or a policy) that cannot be de-identified safely; the message is one
    line and never contains a value from the data set."""


class Action(enum.StrEnum):
    """What was done to one attribute, as the report records it."""

    REMOVED = "removed"
    EMPTIED = "emptied"
    REPLACED = "replaced"
    KEPT = "kept"
    SHIFTED = "shifted"
    REMAPPED = "remapped"


@dataclass(frozen=True)
class DeidOptions:
    """The PS3.15 options applied on top of the Basic Profile.

    ``clean_descriptors`` changes only what is declared: descriptors are removed either
    way (the Basic Profile removes them; Lightbox never keeps a cleaned copy).

    Examples
    --------
    >>> [code for code, _ in DeidOptions().codes()]
    ['113108', '113107', '113105']
    >>> for name in DeidOptions(clean_descriptors=False).names():
    ...     print(name)
    Retain Patient Characteristics Option
    Retain Longitudinal Temporal Information Modified Dates Option
    """

    retain_patient_characteristics: bool = True
    retain_longitudinal_modified_dates: bool = True
    clean_descriptors: bool = True

    def codes(self) -> list[tuple[str, str]]:
        """The CID 7050 ``(code value, code meaning)`` of each option applied."""
        applied = [
            (self.retain_patient_characteristics, _CODE_PATIENT_CHARACTERISTICS),
            (self.retain_longitudinal_modified_dates, _CODE_MODIFIED_DATES),
            (self.clean_descriptors, _CODE_CLEAN_DESCRIPTORS),
        ]
        return [code for on, code in applied if on]

    def names(self) -> list[str]:
        """The names of the options applied, as the report lists them."""
        return [meaning for _, meaning in self.codes()]


_PRINTABLE_ASCII = re.compile(r"[\x20-\x5B\x5D-\x7E]+")  # printable ASCII but backslash


@dataclass(frozen=True)
class DeidPolicy:
    """How to de-identify: the per-install secret, the case pseudonym, the options.

    Parameters
    ----------
    secret : bytes
        The per-install secret (at least 16 bytes) keying UID remapping and date shifts.
        The same secret gives the same UIDs and shifts on every run; keep it secret and
        keep it forever.
    pseudonym_name : str
        The new (0010,0010) Patient's Name, e.g. ``"LIGHTBOX^bs068"``.
    pseudonym_id : str
        The new (0010,0020) Patient ID, e.g. ``"bs068"``.
    options : DeidOptions, optional
        All three options by default.

    Raises
    ------
    DeidentificationError
        When the secret is too short or a pseudonym is not a valid, ASCII value.
    """

    secret: bytes = field(repr=False)
    pseudonym_name: str
    pseudonym_id: str
    options: DeidOptions = field(default_factory=DeidOptions)

    def __post_init__(self) -> None:
        _check_secret(self.secret)
        for label, value in (("name", self.pseudonym_name), ("ID", self.pseudonym_id)):
            if not isinstance(value, str) or not _PRINTABLE_ASCII.fullmatch(value):
                raise DeidentificationError(
                    f"the pseudonym {label} must be printable ASCII without a backslash"
                )
            if len(value) > 64:
                raise DeidentificationError(f"the pseudonym {label} is over 64 characters")


@dataclass
class ReportEntry:
    """One decision about one attribute: never its value.

    ``path`` names nested attributes like ``ReferencedImageSequence[0].ReferencedSOPInstanceUID``;
    an attribute without a keyword (private, or newer than pydicom's dictionary) is named
    by its tag, e.g. ``(0009,1001)``.
    """

    path: str
    tag: str
    keyword: str
    action: Action

    def to_json(self) -> dict[str, str]:
        """A JSON-ready dict."""
        return {
            "path": self.path,
            "tag": self.tag,
            "keyword": self.keyword,
            "action": str(self.action),
        }


@dataclass
class DeidReport:
    """What was done to a data set, safe to store: it holds tags, never values."""

    profile: str
    options: list[str]
    tables_edition: str
    entries: list[ReportEntry]
    needs_pixel_review: bool
    pixel_review_reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Examples
        --------
        >>> report = DeidReport(PROFILE, [], TABLES_EDITION, [], False, [])
        >>> sorted(report.to_json())  # doctest: +NORMALIZE_WHITESPACE
        ['entries', 'needs_pixel_review', 'options', 'pixel_review_reasons', 'profile',
         'tables_edition']
        """
        return {
            "profile": self.profile,
            "options": list(self.options),
            "tables_edition": self.tables_edition,
            "entries": [entry.to_json() for entry in self.entries],
            "needs_pixel_review": self.needs_pixel_review,
            "pixel_review_reasons": list(self.pixel_review_reasons),
        }


@dataclass
class DeidResult:
    """The de-identified data set (with a zero preamble and rebuilt file meta) and its
    report."""

    dataset: Dataset
    report: DeidReport


# -- decisions ------------------------------------------------------------------------------


class _Do(enum.Enum):
    REMOVE = enum.auto()
    EMPTY = enum.auto()
    DUMMY = enum.auto()
    KEEP = enum.auto()
    CLEAN_ITEMS = enum.auto()  # keep a sequence, de-identify each of its items
    REMAP = enum.auto()
    SHIFT = enum.auto()
    PSEUDONYM_NAME = enum.auto()
    PSEUDONYM_ID = enum.auto()
    CODES = enum.auto()  # keep the allowed codes of a code sequence, meanings rewritten
    VALUE_RULE = enum.auto()  # keep a defined term, else its fallback
    REQUIRED = enum.auto()  # free text an IOD requires: emptied or a dummy, by its type


@dataclass(frozen=True)
class _Decision:
    do: _Do
    why: str
    reported: bool = True


def _structural(tag: int) -> _Decision | None:
    """Removals decided by the tag alone, before any value is read."""
    group, element = tag >> 16, tag & 0xFFFF
    if group % 2:
        return _Decision(_Do.REMOVE, "removed: no private attribute is kept")
    if element == 0x0000:
        # (gggg,0000) group lengths are retired and would be wrong after any change.
        return _Decision(_Do.REMOVE, "removed: group length")
    if group == 0x0002:
        return _Decision(_Do.REMOVE, "removed from the data set: the file meta is rebuilt")
    if 0x5000 <= group <= 0x501E:
        return _Decision(_Do.REMOVE, "removed with its whole curve group (50xx)")
    if 0x6000 <= group <= 0x601E:
        return _Decision(_Do.REMOVE, "removed with its whole overlay group (60xx)")
    return None


@functools.cache
def _decide(tag: int, vr: str, options: DeidOptions) -> _Decision:
    """What to do with the attribute ``tag`` of VR ``vr`` (never with its value)."""
    structural = _structural(tag)
    if structural is not None:
        return structural
    if tag == _PATIENT_NAME:
        return _Decision(_Do.PSEUDONYM_NAME, "replaced by the case pseudonym (LIGHTBOX^…)")
    if tag == _PATIENT_ID:
        return _Decision(_Do.PSEUDONYM_ID, "replaced by the case pseudonym")
    code = annex_e.BASIC.get(tag)
    if code is None:
        return _decide_unlisted(tag, vr)
    if options.retain_patient_characteristics and tag in annex_e.PATIENT_CHARACTERISTICS_KEEP:
        if vr in FREE_TEXT_VRS:
            # Clean Descriptors: free text is never kept, even where the option allows.
            return _Decision(_Do.REMOVE, "removed: free text is not kept (Clean Descriptors)")
        if vr == "SQ":
            return _Decision(
                _Do.CLEAN_ITEMS, "kept, items de-identified (Retain Patient Characteristics)"
            )
        return _Decision(_Do.KEEP, "kept (Retain Patient Characteristics Option)")
    if options.retain_longitudinal_modified_dates and tag in annex_e.LONGITUDINAL:
        if vr in ("DA", "DT"):
            return _Decision(_Do.SHIFT, "shifted by the patient's offset in whole days")
        if vr == "TM":
            return _Decision(_Do.KEEP, "kept: a whole-day shift leaves the time unchanged")
        if tag == _TIMEZONE_OFFSET:
            return _Decision(
                _Do.VALUE_RULE,
                "kept when it is a UTC offset (±hhmm), as DT values keep theirs",
            )
    if code in _EITHER_CODES and tag in REQUIRED_OF:
        return _required_decision(REQUIRED_OF[tag], code)
    return _decide_basic(code, vr)


def _decide_basic(code: str, vr: str) -> _Decision:
    """The Basic Profile action ``code``, with one choice made for each combination."""
    if code == "X":
        return _Decision(_Do.REMOVE, "removed")
    if code in ("X/Z", "X/D", "X/Z/D"):
        # Lightbox keeps images for teaching, not for IOD-conformant interchange.
        return _Decision(_Do.REMOVE, "removed (X, the least information)")
    if code in ("Z", "Z/D"):
        if vr == "SQ":
            return _Decision(_Do.EMPTY, "emptied (zero items)")
        return _Decision(_Do.EMPTY, "emptied (zero length)")
    if code == "D":
        if vr == "UI":
            return _Decision(_Do.REMAP, "replaced by a remapped UID")
        if vr == "SQ":
            return _Decision(_Do.EMPTY, "emptied (zero items): a sequence has no dummy")
        dummy = _dummy(vr)
        if isinstance(dummy, bytes):
            return _Decision(_Do.DUMMY, f"replaced with {len(dummy)} zero bytes")
        return _Decision(_Do.DUMMY, f"replaced with the dummy {dummy!r}")
    if code == "U":
        return _Decision(_Do.REMAP, "remapped (HMAC of the UID under 2.25)")
    if code == "X/Z/U*" and vr == "SQ":
        return _Decision(_Do.CLEAN_ITEMS, "kept; items de-identified, their UIDs remapped")
    return _Decision(_Do.REMOVE, "removed")


def _decide_unlisted(tag: int, vr: str) -> _Decision:
    """Attributes Table E.1-1 does not list: the allowlist's rule (see
    :mod:`lightbox.deid.allowlist`); whatever it does not name is removed."""
    if vr == "UN":
        return _Decision(_Do.REMOVE, "removed: a value of unknown VR cannot be inspected")
    if tag in CODED_OF:
        return _Decision(
            _Do.CODES, "kept: only codes of its context groups, meanings from the standard"
        )
    if tag in VALUE_RULE_OF:
        rule = VALUE_RULE_OF[tag]
        otherwise = f"else {rule.fallback!r}" if rule.fallback else "else removed"
        return _Decision(_Do.VALUE_RULE, f"kept when its value matches, {otherwise}")
    if tag in REQUIRED_OF:
        return _required_decision(REQUIRED_OF[tag], "")
    group = KEPT.get(tag)
    if group is None:
        return _Decision(_Do.REMOVE, "removed: not on the allowlist")
    if vr not in dictionary_vrs(tag) or vr in FREE_TEXT_VRS:
        return _Decision(_Do.REMOVE, "removed: its VR is not the dictionary's")
    if vr == "SQ":
        return _Decision(_Do.CLEAN_ITEMS, "kept; items de-identified", reported=False)
    # No date is allowlisted (a test holds it): every date of an image is a table row.
    if vr == "UI" and not _is_class_uid(tag):
        return _Decision(_Do.REMAP, "remapped (HMAC of the UID under 2.25)")
    if vr == "CS":
        return _Decision(
            _Do.KEEP, "kept; a value that is not a code string is emptied", reported=False
        )
    return _Decision(_Do.KEEP, "kept", reported=False)


# Table E.1-1 codes that leave the choice to IOD conformance ("X unless Z or D is required").
_EITHER_CODES: Final = frozenset({"X/Z", "X/D", "X/Z/D"})


def _required_decision(required: Required, code: str) -> _Decision:
    """Free text an IOD requires: a dummy where Type 1, emptied where Type 2, else removed."""
    where = f"{code}: " if code else ""
    actions = {Need.TYPE1: "a dummy", Need.TYPE2: "emptied", Need.TYPE3: "removed"}
    plain, enhanced = required.plain, required.enhanced
    if plain == enhanced:
        why = f"{where}{actions[plain]} (Type {int(plain)} in {required.reason})"
    else:
        why = (
            f"{where}{actions[plain]}; {actions[enhanced]} in enhanced multi-frame images "
            f"(Type {int(enhanced)} in {required.reason})"
        )
    return _Decision(_Do.REQUIRED, why)


_CLASS_LIKE_UIDS: Final = frozenset({"CodingSchemeUID", "ContextUID", "MappingResourceUID"})


def _is_class_uid(tag: int) -> bool:
    """A UID naming a kind of thing (SOP class, transfer syntax, coding scheme), not an
    instance: never remapped, or private SOP classes and codes would stop meaning anything."""
    keyword = keyword_for_tag(tag)
    return "Class" in keyword or "TransferSyntax" in keyword or keyword in _CLASS_LIKE_UIDS


# -- values ---------------------------------------------------------------------------------

_DUMMIES: Final[dict[str, Any]] = {
    "AE": "ANONYMIZED",
    "AS": "000Y",
    "CS": "ANONYMIZED",
    "DA": "19000101",
    "DS": "0",
    "DT": "19000101000000",
    "IS": "0",
    "LO": "ANONYMIZED",
    "LT": "ANONYMIZED",
    "PN": "ANONYMIZED",
    "SH": "ANONYMIZED",
    "ST": "ANONYMIZED",
    "TM": "000000",
    "UC": "ANONYMIZED",
    "UR": "https://anonymized.invalid/",
    "UT": "ANONYMIZED",
    "AT": 0,
    "FD": 0.0,
    "FL": 0.0,
    "SL": 0,
    "SS": 0,
    "SV": 0,
    "UL": 0,
    "US": 0,
    "UV": 0,
    "OD": b"\x00" * 8,
    "OF": b"\x00" * 4,
    "OL": b"\x00" * 4,
    "OV": b"\x00" * 8,
}


def _dummy(vr: str) -> Any:
    """A non-empty value of VR ``vr`` that says nothing (OB, OW and UN: two zero bytes)."""
    return _DUMMIES.get(vr, b"\x00\x00")


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < _MIN_SECRET_BYTES:
        raise DeidentificationError(f"the secret must be at least {_MIN_SECRET_BYTES} bytes")


def remap_uid(uid: str, secret: bytes) -> str:
    """The de-identified UID of ``uid``: the same for the same secret, always.

    An HMAC-SHA-256 of the UID, keyed by the per-install secret, is made a version 8
    (custom) UUID and written as a ``2.25.`` UID (PS3.5 B.2): at most 44 characters, digits
    only, no leading zeros. UIDs of the DICOM standard (root ``1.2.840.10008.``: SOP
    classes, transfer syntaxes, …) and empty values are returned unchanged.

    Examples
    --------
    >>> secret = b"an install's secret of 32 bytes."
    >>> old = "1.2.826.0.1.3680043.2.1125.1.1"
    >>> new = remap_uid(old, secret)
    >>> new.startswith("2.25."), len(new) <= 64, new == remap_uid(old, secret)
    (True, True, True)
    >>> remap_uid("1.2.840.10008.5.1.4.1.1.2", secret)  # CT Image Storage
    '1.2.840.10008.5.1.4.1.1.2'
    """
    _check_secret(secret)
    uid = uid.strip(" \x00")
    if not uid or uid.startswith(_STANDARD_ROOT):
        return uid
    digest = hmac.new(secret, b"lightbox-uid\x00" + uid.encode(), hashlib.sha256).digest()
    octets = bytearray(digest[:16])
    octets[6] = (octets[6] & 0x0F) | 0x80  # UUID version 8 (RFC 9562)
    octets[8] = (octets[8] & 0x3F) | 0x80  # UUID variant 10
    return f"2.25.{int.from_bytes(octets, 'big')}"


def date_shift_days(patient_id: str, secret: bytes) -> int:
    """The whole number of days every date of the patient ``patient_id`` moves by.

    Between -3650 and -365 (one to ten years earlier), never 0; the same for the same
    patient and secret, always.

    Examples
    --------
    >>> secret = b"an install's secret of 32 bytes."
    >>> days = date_shift_days("00123456", secret)
    >>> -3650 <= days <= -365, days == date_shift_days("00123456", secret)
    (True, True)
    """
    _check_secret(secret)
    message = b"lightbox-date-shift\x00" + patient_id.strip(" \x00").encode()
    number = int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")
    return -(365 + number % (3650 - 365 + 1))


_DA = re.compile(r"(\d{4})(\d{2})?(\d{2})?")
# A DT: a date (year, month, day may stop early), then an optional time and UTC offset.
_DT = re.compile(r"(\d{4})(\d{2})?(\d{2})?((?:\d{2}){0,3}(?:\.\d{1,6})?(?:[+-]\d{4})?)")


def _shift_date(year: str, month: str | None, day: str | None, days: int) -> str | None:
    """Shift a date that may be partial (year, or year and month) keeping its precision:
    a partial date stands for its first day."""
    try:
        start = dt.date(int(year), int(month or 1), int(day or 1))
        moved = start + dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return None
    if day:
        return f"{moved:%Y%m%d}"
    return f"{moved:%Y%m}" if month else f"{moved:%Y}"


def _shift_da(value: str, days: int) -> str | None:
    value = value.strip()
    if not value:
        return ""
    if re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", value):  # ACR-NEMA style 1996.10.23
        value = value.replace(".", "")
    if "-" in value:  # a range, e.g. 19961023-19961101 (either end may be open)
        ends = [_shift_da(end, days) if end else "" for end in value.split("-")]
        return None if len(ends) != 2 or None in ends else "-".join(str(e) for e in ends)
    match = _DA.fullmatch(value)
    if not match or (match[3] and not match[2]):
        return None
    return _shift_date(match[1], match[2], match[3], days)


def _shift_dt(value: str, days: int) -> str | None:
    value = value.strip()
    if not value:
        return ""
    match = _DT.fullmatch(value)
    if not match:
        return None
    year, month, day, rest = match[1], match[2], match[3], match[4]
    if rest and not re.fullmatch(r"[+-]\d{4}", rest) and not day:
        return None  # a time needs a whole date before it
    date = _shift_date(year, month, day, days)
    return None if date is None else date + rest


# -- applying -------------------------------------------------------------------------------


@dataclass
class _Context:
    policy: DeidPolicy
    shift_days: int
    # An enhanced multi-frame image ((5200,9229) Shared Functional Groups Sequence): its
    # Enhanced General Equipment module makes some free text Type 1.
    enhanced: bool = False
    entries: list[ReportEntry] = field(default_factory=list)

    def record(self, path: str, tag: int, action: Action) -> None:
        self.entries.append(ReportEntry(path, annex_e.tag_label(tag), _keyword(tag), action))


@functools.cache
def _keyword(tag: int) -> str:
    return "" if (tag >> 16) % 2 else str(keyword_for_tag(tag))


@functools.cache
def _name(tag: int) -> str:
    return _keyword(tag) or annex_e.tag_label(tag)


def _text_values(elem: DataElement) -> list[str] | None:
    """The values of a text element (a UN one decoded as ASCII); ``None`` if unreadable."""
    value = elem.value
    if value is None:
        return []
    if isinstance(value, bytes):
        try:
            text = value.decode("ascii").strip(" \x00")
        except UnicodeDecodeError:
            return None
        return [v.strip(" \x00") for v in text.split("\\")] if text else []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return None


def _single_or_list(values: list[str]) -> str | list[str] | None:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _copy_element(elem: DataElement) -> DataElement:
    value = elem.value
    if isinstance(value, MultiValue):
        # A shallow copy would share the list, so editing the output would edit the
        # input; a deep copy is slow. The items themselves are immutable.
        value = copy.copy(value)
        value._list = list(value._list)
    # Already converted: copying must not re-validate (or warn about) a value kept as is.
    return DataElement(elem.tag, elem.VR, value, elem.file_tell, elem.is_undefined_length, True)


def _apply(
    decision: _Decision, elem: DataElement, vr: str, ctx: _Context, path: str
) -> tuple[DataElement | None, Action]:
    """The new element for ``elem`` (``None``: removed) and the action to report."""
    tag = int(elem.tag)
    do = decision.do
    if elem.VR == "UN" and do is _Do.CLEAN_ITEMS:
        do = _Do.REMOVE  # items encoded as UN bytes cannot be de-identified
    if do is _Do.REMOVE:
        return None, Action.REMOVED
    if do is _Do.EMPTY:
        return _empty(tag, vr, elem), Action.EMPTIED
    if do is _Do.DUMMY:
        return DataElement(tag, vr, _dummy(vr)), Action.REPLACED
    if do is _Do.REQUIRED:
        need = REQUIRED_OF[tag].enhanced if ctx.enhanced else REQUIRED_OF[tag].plain
        if need is Need.TYPE3:
            return None, Action.REMOVED
        if need is Need.TYPE2 or vr == "SQ":
            return _empty(tag, vr, elem), Action.EMPTIED
        return DataElement(tag, vr, _dummy(vr)), Action.REPLACED
    if do is _Do.KEEP:
        if vr == "CS":
            return _code_strings(elem)
        return _copy_element(elem), Action.KEPT
    if do is _Do.CLEAN_ITEMS:
        sequence = elem.value or []
        items = [_clean(item, ctx, f"{path}[{i}].") for i, item in enumerate(sequence)]
        return DataElement(tag, "SQ", Sequence(items)), Action.KEPT
    if do is _Do.CODES:
        kept = [code for item in elem.value or [] if (code := _code_item(tag, item))]
        return DataElement(tag, "SQ", Sequence(kept)), Action.REPLACED
    if do is _Do.PSEUDONYM_NAME:
        return DataElement(tag, "PN", ctx.policy.pseudonym_name), Action.REPLACED
    if do is _Do.PSEUDONYM_ID:
        return DataElement(tag, "LO", ctx.policy.pseudonym_id), Action.REPLACED
    values = _text_values(elem)
    if values is None:
        return None, Action.REMOVED
    if do is _Do.VALUE_RULE:
        rule = VALUE_RULE_OF[tag]
        if values and all(rule.pattern.fullmatch(v.strip()) for v in values):
            return DataElement(tag, vr, _single_or_list([v.strip() for v in values])), Action.KEPT
        if rule.fallback is None:
            return None, Action.REMOVED
        return DataElement(tag, vr, rule.fallback), Action.REPLACED
    if do is _Do.REMAP:
        remapped = [remap_uid(v, ctx.policy.secret) for v in values]
        changed = remapped != [v.strip(" \x00") for v in values]
        action = Action.REMAPPED if changed or not values else Action.KEPT
        return DataElement(tag, "UI", _single_or_list(remapped)), action
    # _Do.SHIFT
    shift = _shift_dt if vr == "DT" else _shift_da
    shifted = [shift(v, ctx.shift_days) for v in values]
    if any(s is None for s in shifted):
        return None, Action.REMOVED  # not a date we can read: it goes
    # A partial date is kept partial, as it came: pydicom need not warn that it is.
    value = _single_or_list([str(s) for s in shifted])
    return DataElement(tag, vr, value, validation_mode=config.IGNORE), Action.SHIFTED


# Enhanced multi-frame IODs whose SOP class name does not say "Enhanced"; they use the
# Enhanced General Equipment module too.
_ENHANCED_CLASSES: Final = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.4.2",  # MR Spectroscopy Storage
        "1.2.840.10008.5.1.4.1.1.13.1.3",  # Breast Tomosynthesis Image Storage
        "1.2.840.10008.5.1.4.1.1.13.1.1",  # X-Ray 3D Angiographic Image Storage
        "1.2.840.10008.5.1.4.1.1.13.1.2",  # X-Ray 3D Craniofacial Image Storage
        "1.2.840.10008.5.1.4.1.1.66.4",  # Segmentation Storage
        "1.2.840.10008.5.1.4.1.1.30",  # Parametric Map Storage
    }
)


def _is_enhanced(ds: Dataset) -> bool:
    """An enhanced multi-frame image: its (5200,9229) Shared Functional Groups Sequence, or
    its SOP class."""
    if _SHARED_GROUPS in ds:
        return True
    sop_class = UID(str(ds.get("SOPClassUID", "") or "").strip())
    return "Enhanced" in sop_class.name or sop_class in _ENHANCED_CLASSES


def _empty(tag: int, vr: str, elem: DataElement) -> DataElement:
    if vr == "SQ" and elem.VR != "UN":
        return DataElement(tag, "SQ", Sequence())
    return DataElement(tag, elem.VR, None)


# (PS3.5 6.2) Code String: upper-case letters, digits, space and underscore, 16 at most. A
# lower-case or longer value is not a code: it could be anything.
_CODE_STRING = re.compile(r"[A-Z0-9_ ]{0,16}")


def _code_strings(elem: DataElement) -> tuple[DataElement | None, Action]:
    """A kept CS element with every value that is not a code string emptied (so that the
    other values keep their positions), or removed when it cannot be read."""
    values = _text_values(elem)
    if values is None:
        return None, Action.REMOVED
    clean = [v if _CODE_STRING.fullmatch(v) else "" for v in values]
    if clean == values:
        return _copy_element(elem), Action.KEPT
    tag = int(elem.tag)
    return DataElement(tag, "CS", _single_or_list(clean) or None), Action.EMPTIED


def _code_item(sequence: int, item: Dataset) -> Dataset | None:
    """A code item rebuilt from the standard when its code is allowed in ``sequence``:
    (0008,0100) Code Value, (0008,0102) Coding Scheme Designator and the standard's
    (0008,0104) Code Meaning, with the allowed codes of any coded sequence nested in it.
    Nothing else of the item is copied."""
    try:
        scheme = str(item.get("CodingSchemeDesignator", "") or "")
        value = str(item.get("CodeValue", "") or "")
    except Exception:  # noqa: BLE001 - a malformed item is simply not kept
        return None
    code = allowed_code(sequence, scheme, value)
    if code is None:
        return None
    out = _dataset(
        DataElement(0x00080100, "SH", str(code.value)),
        DataElement(0x00080102, "SH", str(code.scheme_designator)),
        DataElement(0x00080104, "LO", str(code.meaning)),
    )
    for nested in [tag for tag in CODED_OF if tag in item]:
        kept = [c for sub in item[nested].value or [] if (c := _code_item(nested, sub))]
        out.add(DataElement(nested, "SQ", Sequence(kept)))
    return out


def _clean(src: Dataset, ctx: _Context, prefix: str) -> Dataset:
    """A de-identified copy of ``src`` (one data set or sequence item)."""
    elements: dict[BaseTag, DataElement | RawDataElement] = {}
    for tag in sorted(src.keys()):
        tag_int = int(tag)
        path = prefix + _name(tag_int)
        structural = _structural(tag_int)
        if structural is not None:
            ctx.record(path, tag_int, Action.REMOVED)
            continue
        try:
            elem = src[tag]  # decodes a raw element, as any read of it would
        except Exception as exc:
            raise DeidentificationError(
                f"cannot read {annex_e.tag_label(tag_int)} {_keyword(tag_int)}".rstrip()
                + f": the element is malformed ({type(exc).__name__})"
            ) from None
        vr = annex_e.dictionary_vr(tag_int) if elem.VR == "UN" else str(elem.VR)
        decision = _decide(tag_int, vr, ctx.policy.options)
        new, action = _apply(decision, elem, vr, ctx, path)
        if new is not None:
            elements[tag] = new
        if decision.reported or action is Action.REMOVED:
            ctx.record(path, tag_int, action)
    return Dataset(elements)


# -- markers, file meta, pixel review -------------------------------------------------------


def _dataset(*elements: DataElement) -> Dataset:
    return Dataset({elem.tag: elem for elem in elements})


def _add_markers(ds: Dataset, ctx: _Context) -> None:
    options = ctx.policy.options
    codes = [_CODE_BASIC_PROFILE, *options.codes()]
    method = [f"Lightbox: PS3.15 E.1 Basic Profile, tables {TABLES_EDITION}", *options.names()]
    modified = "MODIFIED" if options.retain_longitudinal_modified_dates else "REMOVED"
    markers = (
        # (0012,0062) Patient Identity Removed
        DataElement(0x00120062, "CS", "YES"),
        # (0012,0063) De-identification Method: LO, one value (≤ 64 characters) each.
        DataElement(0x00120063, "LO", method),
        # (0012,0064) De-identification Method Code Sequence, codes from CID 7050:
        # (0008,0100) Code Value, (0008,0102) Coding Scheme Designator, (0008,0104) Code
        # Meaning.
        DataElement(
            0x00120064,
            "SQ",
            Sequence(
                _dataset(
                    DataElement(0x00080100, "SH", value),
                    DataElement(0x00080102, "SH", "DCM"),
                    DataElement(0x00080104, "LO", meaning),
                )
                for value, meaning in codes
            ),
        ),
        # (0028,0303) Longitudinal Temporal Information Modified (PS3.15 E.3.6)
        DataElement(0x00280303, "CS", modified),
    )
    for elem in markers:
        ds.add(elem)
        ctx.record(_name(int(elem.tag)), int(elem.tag), Action.REPLACED)


# File meta elements that name the sending system: dropped, never copied.
_FILE_META_DROPPED: Final = {
    0x00020016: "SourceApplicationEntityTitle",
    0x00020017: "SendingApplicationEntityTitle",
    0x00020018: "ReceivingApplicationEntityTitle",
    0x00020100: "PrivateInformationCreatorUID",
    0x00020102: "PrivateInformation",
}


def _file_meta(src: Dataset, dst: Dataset, ctx: _Context) -> FileMetaDataset:
    """A new file meta: SOP class and (remapped) instance, transfer syntax, and Lightbox
    as the implementation. Nothing else of the original survives."""
    old = getattr(src, "file_meta", None) or FileMetaDataset()
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    sop_class = dst.get("SOPClassUID") or old.get("MediaStorageSOPClassUID")
    if sop_class:
        meta.MediaStorageSOPClassUID = sop_class
    instance = dst.get("SOPInstanceUID")
    if not instance and old.get("MediaStorageSOPInstanceUID"):
        instance = remap_uid(str(old.MediaStorageSOPInstanceUID), ctx.policy.secret)
    if instance:
        meta.MediaStorageSOPInstanceUID = instance
    syntax = old.get("TransferSyntaxUID")
    if not syntax:
        pixels = dst.get(_PIXEL_DATA)
        value = pixels.value if pixels is not None else None
        # Encapsulated pixel data starts with an (FFFE,E000) Item tag.
        if isinstance(value, bytes) and value[:4] == b"\xfe\xff\x00\xe0":
            raise DeidentificationError(
                "the pixel data is compressed but (0002,0010) Transfer Syntax UID is missing"
            )
        syntax = ExplicitVRLittleEndian
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "LIGHTBOX"
    for tag in (0x00020003, 0x00020012, 0x00020013, *_FILE_META_DROPPED):
        if tag in old:
            action = (
                Action.REMAPPED
                if tag == 0x00020003
                else Action.REMOVED
                if tag in _FILE_META_DROPPED
                else Action.REPLACED
            )
            ctx.record(f"file_meta.{_name(tag)}", tag, action)
    return meta


_SECONDARY_CAPTURE: Final = {
    "1.2.840.10008.5.1.4.1.1.7": "Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.1": "Multi-frame Single Bit Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.2": "Multi-frame Grayscale Byte Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.3": "Multi-frame Grayscale Word Secondary Capture Image Storage",
    "1.2.840.10008.5.1.4.1.1.7.4": "Multi-frame True Color Secondary Capture Image Storage",
}
_ULTRASOUND: Final = frozenset(
    {
        "1.2.840.10008.5.1.4.1.1.3",  # Ultrasound Multi-frame Image Storage (Retired)
        "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame Image Storage
        "1.2.840.10008.5.1.4.1.1.6",  # Ultrasound Image Storage (Retired)
        "1.2.840.10008.5.1.4.1.1.6.1",  # Ultrasound Image Storage
        "1.2.840.10008.5.1.4.1.1.6.2",  # Enhanced US Volume Storage
    }
)
_MODALITY_REASONS: Final = {
    "OT": "other images are often screenshots with burned-in text",
    "XC": "external-camera photographs can show faces, wristbands and labels",
    "ES": "endoscopy captures usually carry burned-in text",
}
# (0008,0064) Conversion Type defined terms (PS3.3 C.8.6.1).
_CONVERSION_TYPES: Final = frozenset({"DV", "DI", "DF", "WSD", "SD", "SI", "DRW", "SYN"})


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value).strip().upper()


def _pixel_review_reasons(ds: Dataset) -> list[str]:
    """Why the pixels of ``ds`` may show identifying text: never a value from ``ds``
    other than defined terms."""
    reasons: list[str] = []
    if _text(ds, "BurnedInAnnotation") == "YES":
        reasons.append("(0028,0301) Burned In Annotation is YES")
    if _text(ds, "RecognizableVisualFeatures") == "YES":
        reasons.append("(0028,0302) Recognizable Visual Features is YES")
    modality, sop_class = _text(ds, "Modality"), _text(ds, "SOPClassUID")
    if modality == "US" or sop_class in _ULTRASOUND:
        reasons.append("ultrasound: images usually carry burned-in text (name, date, site)")
    if modality in _MODALITY_REASONS:
        reasons.append(f"(0008,0060) Modality {modality}: {_MODALITY_REASONS[modality]}")
    if sop_class in _SECONDARY_CAPTURE:
        reasons.append(
            f"(0008,0016) SOP Class {_SECONDARY_CAPTURE[sop_class]}: a secondary capture "
            "is often a screenshot"
        )
    if "ConversionType" in ds:
        conversion = _text(ds, "ConversionType")
        if conversion in _CONVERSION_TYPES:
            reasons.append(f"(0008,0064) Conversion Type {conversion}: digitised or captured")
        else:
            reasons.append("(0008,0064) Conversion Type is not a defined term")
    for group in range(0x6000, 0x6020, 2):
        # An overlay with (60xx,0010) Overlay Rows but no (60xx,3000) Overlay Data lives in
        # the unused high bits of the pixel data, which removing 60xx does not clear.
        if (group << 16 | 0x0010) in ds and (group << 16 | 0x3000) not in ds:
            reasons.append(
                f"({group:04X},xxxx) overlay embedded in the bits of (7FE0,0010) Pixel Data"
            )
    return reasons


# -- the public functions -------------------------------------------------------------------


def deidentify(ds: Dataset, policy: DeidPolicy) -> DeidResult:
    """De-identify ``ds``: a new data set and the report of what was done.

    ``ds`` is not modified. The result has a zero 128-byte preamble and a rebuilt file
    meta (transfer syntax kept, (0002,0003) Media Storage SOP Instance UID equal to the
    new (0008,0018) SOP Instance UID), ready for :func:`write_deidentified`.

    Parameters
    ----------
    ds : pydicom.Dataset
        The identified data set, e.g. from :func:`pydicom.dcmread`.
    policy : DeidPolicy
        The secret, the case pseudonym and the options.

    Returns
    -------
    DeidResult

    Raises
    ------
    DeidentificationError
        When an element cannot be read, or the pixel data is compressed with no
        (0002,0010) Transfer Syntax UID; the message is one line and holds no value.

    Examples
    --------
    >>> from pydicom import dcmread
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmread(get_testdata_file("US1_UNCR.dcm", download=False))
    >>> policy = DeidPolicy(b"an install's secret of 32 bytes.", "LIGHTBOX^us001", "us001")
    >>> result = deidentify(ds, policy)
    >>> result.report.needs_pixel_review, result.report.pixel_review_reasons[0]
    (True, 'ultrasound: images usually carry burned-in text (name, date, site)')
    >>> "InstitutionName" in result.dataset, result.dataset.StudyDate < ds.StudyDate
    (False, True)
    """
    if not isinstance(ds, Dataset):
        raise DeidentificationError("expected a pydicom Dataset")
    if not isinstance(policy, DeidPolicy):
        raise DeidentificationError("expected a DeidPolicy")
    try:
        original_id = _text_values(ds[_PATIENT_ID]) if _PATIENT_ID in ds else None
        reasons = _pixel_review_reasons(ds)
    except Exception as exc:
        raise DeidentificationError(
            "cannot read the patient ID or the attributes that decide pixel review: "
            f"an element is malformed ({type(exc).__name__})"
        ) from None
    # One shift per patient: keyed by the original (0010,0020) Patient ID, or by the case
    # pseudonym when there is none.
    patient_key = (original_id or [""])[0].strip() or policy.pseudonym_id
    ctx = _Context(policy, date_shift_days(patient_key, policy.secret), _is_enhanced(ds))
    out = _clean(ds, ctx, "")
    _add_markers(out, ctx)
    out.file_meta = _file_meta(ds, out, ctx)
    out.preamble = _ZERO_PREAMBLE
    report = DeidReport(
        profile=PROFILE,
        options=policy.options.names(),
        tables_edition=TABLES_EDITION,
        entries=ctx.entries,
        needs_pixel_review=bool(reasons),
        pixel_review_reasons=reasons,
    )
    return DeidResult(out, report)


def write_deidentified(ds: Dataset, fp: str | os.PathLike[str] | BinaryIO) -> None:
    """Write a data set from :func:`deidentify` as a DICOM Part 10 file.

    The preamble is 128 zero bytes whatever ``ds.preamble`` holds, so the file is never
    also a Windows executable or a TIFF; the transfer syntax is the original one.

    Raises
    ------
    DeidentificationError
        When the file meta lacks the SOP class, instance or transfer syntax.

    Examples
    --------
    >>> import io
    >>> from pydicom import dcmread
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmread(get_testdata_file("CT_small.dcm", download=False))
    >>> policy = DeidPolicy(b"an install's secret of 32 bytes.", "LIGHTBOX^bs068", "bs068")
    >>> out = io.BytesIO()
    >>> write_deidentified(deidentify(ds, policy).dataset, out)
    >>> out.getvalue()[:132] == bytes(128) + b"DICM"
    True
    """
    meta = getattr(ds, "file_meta", None)
    for keyword in ("MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID", "TransferSyntaxUID"):
        if meta is None or not meta.get(keyword):
            raise DeidentificationError(f"cannot write: the file meta has no {keyword}")
    ds.preamble = _ZERO_PREAMBLE
    dcmwrite(fp, ds, enforce_file_format=True)


def describe(tag: int) -> str:
    """What :func:`deidentify` does to the public attribute ``tag`` (with the default
    options, outside enhanced images), in words: the text of the very decision it applies.

    Examples
    --------
    >>> describe(0x00281050)  # Window Center: allowlisted
    'kept'
    >>> describe(0x00281055)  # Window Center & Width Explanation: free text
    'removed: not on the allowlist'
    """
    return _decide(tag, annex_e.dictionary_vr(tag), DeidOptions()).why


def conformance_rows() -> list[tuple[str, str, str, str]]:
    """Every row of the Annex E table in use, and what Lightbox does with it.

    Returns
    -------
    list of (tag, attribute name, Basic Profile action code, what Lightbox does)
        With the default options, sorted by tag; one more row than the table for the
        standard's "Private attributes" row, which dicom-anonymizer keeps as a flag.

    Examples
    --------
    >>> rows = {row[0]: row for row in conformance_rows()}
    >>> rows["(0010,1010)"]
    ('(0010,1010)', "Patient's Age", 'X', 'kept (Retain Patient Characteristics Option)')
    >>> rows["(0008,1030)"][2:]
    ('X', 'removed; Clean Descriptors (C): not cleaned, this stands')
    """
    options = DeidOptions()
    out: list[tuple[str, str, str, str]] = []
    for row in annex_e.ROWS:
        if row.tag is None:
            what = "removed, with every other element of its group, at any depth"
        elif row.tag == 0x00020003:
            what = "set to the remapped (0008,0018) SOP Instance UID in the new file meta"
        else:
            vr = annex_e.dictionary_vr(row.tag)
            decision = _decide(row.tag, vr, options)
            what = decision.why
            if decision.do is not _Do.KEEP and row.tag in annex_e.PATIENT_CHARACTERISTICS_CLEAN:
                what += "; Retain Patient Characteristics (C): not cleaned, this stands"
            elif decision.do is not _Do.KEEP and row.tag in annex_e.CLEAN_DESCRIPTORS:
                what += "; Clean Descriptors (C): not cleaned, this stands"
            if row.tag in annex_e.LONGITUDINAL and decision.do in (_Do.REMOVE, _Do.DUMMY):
                what += "; Modified Dates (C): a binary timestamp is not shifted"
        out.append((row.label, row.name, row.code, what))
    out.append(
        (
            "(gggg,eeee), gggg odd",
            "Private attributes",
            "X",
            "removed at any depth, private creators included",
        )
    )
    return out
