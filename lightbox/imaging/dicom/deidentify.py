"""De-identify a DICOM data set before any of it is stored.

Django-free. The policy is DICOM PS3.15 Annex E, Table E.1-1 — the **Basic Application
Level Confidentiality Profile** — as shipped in dicom-anonymizer's ``dicomfields_2026c``
table, plus the options Lightbox declares in (0012,0064) De-identification Method Code
Sequence:

* **Retain Patient Characteristics Option** — age, sex, size, weight, smoking and
  pregnancy status, ethnic group, … are kept;
* **Retain Longitudinal Temporal Information with Modified Dates Option** — every date of
  a patient moves by the same whole number of days, derived from a per-install secret and
  the original (0010,0020) Patient ID, so intervals survive and real dates do not;
* **Clean Descriptors Option**, implemented by removal: free-text descriptions and
  comments are never kept, cleaned or not.

No private attribute is kept (the Retain Safe Private Option is not offered). Only the
*tables* come from dicom-anonymizer: this module applies them itself, at every depth of
nested sequences, because the library's own functions leave PHI behind (they apply the
table to the top level only, and turn an ``X`` date into 00010101 instead of removing
it), draw random UIDs, and neither zero the preamble nor set the de-identification
markers.

Beyond the table, for safety: every (60xx) overlay and (50xx) curve group is removed
whole; any other person name (PN) is removed; any other date (DA, DT) is shifted; any
other UID that is not a standard or class UID is remapped; attributes of unknown VR are
removed. Burned-in text is not searched for: images likely to carry it are flagged for a
person to review (:attr:`DeidReport.needs_pixel_review`).

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
import inspect
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

from dicomanonymizer.dicom_anonymization_databases import dicomfields_2026c as _annex_e
from pydicom import DataElement, Dataset, Sequence, config, dcmwrite
from pydicom.datadict import dictionary_description, dictionary_VR, keyword_for_tag
from pydicom.dataelem import RawDataElement
from pydicom.dataset import FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

__all__ = [
    "Action",
    "DeidOptions",
    "DeidPolicy",
    "DeidReport",
    "DeidResult",
    "DeidentificationError",
    "ReportEntry",
    "conformance_rows",
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


# -- the Annex E table --------------------------------------------------------------------

# dicom-anonymizer's category lists, and the Table E.1-1 action code of each.
_CATEGORY_CODES: Final = (
    ("X_TAGS", "X"),
    ("Z_TAGS", "Z"),
    ("D_TAGS", "D"),
    ("U_TAGS", "U"),
    ("Z_D_TAGS", "Z/D"),
    ("X_Z_TAGS", "X/Z"),
    ("X_D_TAGS", "X/D"),
    ("X_Z_D_TAGS", "X/Z/D"),
    ("X_Z_U_STAR_TAGS", "X/Z/U*"),
)

# VRs of attributes in the 2026c table that pydicom 3.0.2's dictionary does not know yet
# (from PS3.6 2024–2025). Used to decide and to build dummies when such an attribute
# arrives as UN (implicit VR files), and by the tests to build values.
_VR_NOT_IN_PYDICOM: Final[dict[int, str]] = {
    0x00081301: "SQ",  # Principal Diagnosis Code Sequence
    0x00081302: "SQ",  # Primary Diagnosis Code Sequence
    0x00081303: "SQ",  # Secondary Diagnoses Code Sequence
    0x00081304: "SQ",  # Histological Diagnoses Code Sequence
    0x00100011: "SQ",  # Person Names to Use Sequence
    0x00100012: "LT",  # Name to Use
    0x00100013: "UT",  # Name to Use Comment
    0x00100014: "SQ",  # Third Person Pronouns Sequence
    0x00100015: "SQ",  # Pronoun Code Sequence
    0x00100016: "UT",  # Pronoun Comment
    0x00100041: "SQ",  # Gender Identity Sequence
    0x00100042: "UT",  # Sex Parameters for Clinical Use Category Comment
    0x00100043: "SQ",  # Sex Parameters for Clinical Use Category Sequence
    0x00100044: "SQ",  # Gender Identity Code Sequence
    0x00100045: "UT",  # Gender Identity Comment
    0x00100046: "SQ",  # Sex Parameters for Clinical Use Category Code Sequence
    0x00100047: "UR",  # Sex Parameters for Clinical Use Category Reference
    0x00102162: "UC",  # Ethnic Groups
    0x0040A034: "DT",  # Effective Start DateTime
    0x0040A035: "DT",  # Effective Stop DateTime
    0x0040B034: "DT",  # Annotation DateTime
    0x0040B036: "DT",  # Segment Definition DateTime
    0x0040B03B: "LT",  # Montage Name
    0x0040B03F: "LO",  # Montage Channel Label
    0x0040E012: "UR",  # Display URI
}

# Retain Patient Characteristics Option, column "K" of Table E.1-1 (2025/2026 editions).
_PATIENT_CHARACTERISTICS_KEEP: Final = frozenset(
    {
        0x00100040,  # Patient's Sex
        0x00100043,  # Sex Parameters for Clinical Use Category Sequence
        0x00100046,  # Sex Parameters for Clinical Use Category Code Sequence
        0x00100047,  # Sex Parameters for Clinical Use Category Reference
        0x00101010,  # Patient's Age
        0x00101020,  # Patient's Size
        0x00101030,  # Patient's Weight
        0x00102160,  # Ethnic Group
        0x00102161,  # Ethnic Group Code Sequence
        0x00102162,  # Ethnic Groups
        0x001021A0,  # Smoking Status
        0x001021C0,  # Pregnancy Status
        0x00102203,  # Patient's Sex Neutered
        0x0072005F,  # Selector AS Value
    }
)
# Its column "C" (clean): free text about the patient. Not cleaned: the Basic Profile's
# removal stands.
_PATIENT_CHARACTERISTICS_CLEAN: Final = frozenset(
    {
        0x00100042,  # Sex Parameters for Clinical Use Category Comment
        0x00102110,  # Allergies
        0x00380050,  # Special Needs
        0x00380500,  # Patient State
        0x00400012,  # Pre-Medication
    }
)

# Retain Longitudinal Temporal Information with Modified Dates: column "C" holds every
# date and time of the table except these (no option: they identify the patient).
_NOT_LONGITUDINAL: Final = frozenset(
    {
        0x00100030,  # Patient's Birth Date
        0x00100032,  # Patient's Birth Time
        0x00160077,  # GPS Time Stamp
    }
)
# … and three attributes of other VRs: (0008,0201) Timezone Offset From UTC, kept; two
# binary timestamps that cannot be shifted, so the Basic Profile action stands.
_LONGITUDINAL_OTHER_VR: Final = frozenset(
    {
        _TIMEZONE_OFFSET,
        0x00340007,  # Frame Origin Timestamp (OB)
        0x04000310,  # Certified Timestamp (OB)
    }
)

# Clean Descriptors Option, column "C". Lightbox removes instead of cleaning, which is
# what the Basic Profile does to them already; the set annotates the conformance table.
_CLEAN_DESCRIPTORS: Final = frozenset(
    {
        0x00081030, 0x0008103E, 0x00081080, 0x00081084, 0x00081088, 0x00081301,
        0x00081302, 0x00081303, 0x00081304, 0x00082111, 0x00084000, 0x00100016,
        0x00100042, 0x00100045, 0x00102000, 0x00102110, 0x00102180, 0x001021B0,
        0x00104000, 0x00120051, 0x00120072, 0x0016002B, 0x0016004B, 0x00180010,
        0x00181030, 0x001811BB, 0x00181400, 0x00184000, 0x00189185, 0x0018937B,
        0x0018937F, 0x00189424, 0x00189937, 0x0018A003, 0x00200027, 0x00204000,
        0x00209158, 0x00321030, 0x00321060, 0x00321066, 0x00321067, 0x00321070,
        0x00324000, 0x00380040, 0x00380062, 0x00380500, 0x00384000, 0x003A0329,
        0x003A032B, 0x00400007, 0x00400254, 0x00400275, 0x00400280, 0x00400310,
        0x0040051A, 0x00400600, 0x00400602, 0x00401002, 0x0040100A, 0x00401400,
        0x00402001, 0x00402400, 0x0040B03B, 0x0040B03F, 0x00500021, 0x006A0005,
        0x006A0006, 0x00720066, 0x00720068, 0x0072006C, 0x0072006E, 0x00720070,
        0x04000565, 0x22000002, 0x30020121, 0x30020123, 0x30060002, 0x30060004,
        0x30060006, 0x30060026, 0x30060028, 0x30060038, 0x30060085, 0x30060088,
        0x300A0002, 0x300A0003, 0x300A0004, 0x300A000B, 0x300A000E, 0x300A0016,
        0x300A0072, 0x300A00C3, 0x300A00DD, 0x300A0196, 0x300A01A6, 0x300A01B2,
        0x300A02EB, 0x300A0608, 0x300A0619, 0x300A0623, 0x300A062A, 0x300A0676,
        0x300A067C, 0x300A067D, 0x300A0734, 0x300A0742, 0x300A0783, 0x300A078E,
        0x300A0792, 0x300A0794, 0x300A079A, 0x300C0113, 0x3010000F, 0x30100017,
        0x30100033, 0x30100034, 0x30100035, 0x30100036, 0x30100037, 0x30100038,
        0x30100054, 0x30100056, 0x3010005A, 0x3010005C, 0x30100061, 0x30100077,
        0x3010007A, 0x3010007B, 0x3010007F, 0x30100081, 0x4008010B, 0x40080115,
        0x40080300, 0x40084000,
    }
)  # fmt: skip


@dataclass(frozen=True)
class _Row:
    """One row of the table in use: a tag, or a repeating group such as (60xx,3000)."""

    label: str
    name: str
    code: str
    tag: int | None


_TABLE_LINE = re.compile(r"^\s*\((?P<numbers>[^)]*)\),\s*#\s*(?P<name>.+?)\s*$")


def _table_names() -> dict[tuple[int, ...], str]:
    """The attribute names of the table, from the comments of its source file."""
    try:
        source = inspect.getsource(_annex_e)
    except (OSError, TypeError):  # pragma: no cover - a stripped install
        return {}
    names: dict[tuple[int, ...], str] = {}
    for line in source.splitlines():
        match = _TABLE_LINE.match(line)
        if match:
            key = tuple(int(n, 16) for n in re.findall(r"0x([0-9A-Fa-f]+)", match["numbers"]))
            names[key] = re.sub(r"\s*\(see Note \d+\)$", "", match["name"])
    return names


@functools.cache
def _tag_label(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _load_table() -> tuple[dict[int, str], tuple[_Row, ...]]:
    names = _table_names()
    basic: dict[int, str] = {}
    rows: list[_Row] = []
    for category, code in _CATEGORY_CODES:
        for entry in getattr(_annex_e, category):
            numbers = tuple(int(n) for n in entry)
            if len(numbers) == 2:
                tag = (numbers[0] << 16) | numbers[1]
                if tag in basic:  # pragma: no cover - a broken table
                    raise RuntimeError(f"{_tag_label(tag)} is twice in the Annex E table")
                basic[tag] = code
                name = names.get(numbers) or _description(tag)
                rows.append(_Row(_tag_label(tag), name, code, tag))
            else:
                group, element, group_mask, element_mask = numbers
                high = f"{group >> 8:02X}xx" if group_mask == 0xFF00 else f"{group:04X}"
                low = "xxxx" if element_mask == 0 else f"{element:04X}"
                rows.append(_Row(f"({high},{low})", names.get(numbers, "?"), code, None))
    rows.sort(key=lambda row: row.label)
    return basic, tuple(rows)


def _description(tag: int) -> str:
    try:
        return str(dictionary_description(tag))
    except KeyError:
        return "Unknown attribute"


def _dictionary_vr(tag: int) -> str:
    """The VR of a public attribute: pydicom's dictionary, else the newer table above,
    else UN. Of "US or SS" style VRs, the first."""
    if tag in _VR_NOT_IN_PYDICOM:
        return _VR_NOT_IN_PYDICOM[tag]
    try:
        return str(dictionary_VR(tag)).split(" or ")[0]
    except KeyError:
        return "UN"


# Table E.1-1 as {tag: Basic Profile action code}, and every row for the documentation.
_BASIC, _ROWS = _load_table()

_LONGITUDINAL: Final = frozenset(
    tag
    for tag in _BASIC
    if _dictionary_vr(tag) in ("DA", "DT", "TM") and tag not in _NOT_LONGITUDINAL
) | (_LONGITUDINAL_OTHER_VR & _BASIC.keys())


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
    code = _BASIC.get(tag)
    if code is None:
        return _decide_unlisted(tag, vr, options)
    if options.retain_patient_characteristics and tag in _PATIENT_CHARACTERISTICS_KEEP:
        if vr == "SQ":
            return _Decision(
                _Do.CLEAN_ITEMS, "kept, items de-identified (Retain Patient Characteristics)"
            )
        return _Decision(_Do.KEEP, "kept (Retain Patient Characteristics Option)")
    if options.retain_longitudinal_modified_dates and tag in _LONGITUDINAL:
        if vr in ("DA", "DT"):
            return _Decision(_Do.SHIFT, "shifted by the patient's offset in whole days")
        if vr == "TM":
            return _Decision(_Do.KEEP, "kept: a whole-day shift leaves the time unchanged")
        if tag == _TIMEZONE_OFFSET:
            return _Decision(_Do.KEEP, "kept, as the offsets of DT values are")
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


def _decide_unlisted(tag: int, vr: str, options: DeidOptions) -> _Decision:
    """Attributes Table E.1-1 does not list: kept, with a safety net for some VRs."""
    if vr == "SQ":
        return _Decision(_Do.CLEAN_ITEMS, "kept; items de-identified", reported=False)
    if vr == "UN":
        return _Decision(_Do.REMOVE, "removed: a value of unknown VR cannot be inspected")
    if vr == "PN":
        return _Decision(_Do.REMOVE, "removed: no person name is kept")
    if vr in ("DA", "DT"):
        if options.retain_longitudinal_modified_dates:
            return _Decision(_Do.SHIFT, "shifted by the patient's offset in whole days")
        return _Decision(_Do.REMOVE, "removed: dates are not retained")
    if vr == "UI" and not _is_class_uid(tag):
        return _Decision(_Do.REMAP, "remapped (HMAC of the UID under 2.25)")
    return _Decision(_Do.KEEP, "kept", reported=False)


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
    entries: list[ReportEntry] = field(default_factory=list)

    def record(self, path: str, tag: int, action: Action) -> None:
        self.entries.append(ReportEntry(path, _tag_label(tag), _keyword(tag), action))


@functools.cache
def _keyword(tag: int) -> str:
    return "" if (tag >> 16) % 2 else str(keyword_for_tag(tag))


@functools.cache
def _name(tag: int) -> str:
    return _keyword(tag) or _tag_label(tag)


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
        if vr == "SQ" and elem.VR != "UN":
            return DataElement(tag, "SQ", Sequence()), Action.EMPTIED
        return DataElement(tag, elem.VR, None), Action.EMPTIED
    if do is _Do.DUMMY:
        return DataElement(tag, vr, _dummy(vr)), Action.REPLACED
    if do is _Do.KEEP:
        return _copy_element(elem), Action.KEPT
    if do is _Do.CLEAN_ITEMS:
        sequence = elem.value or []
        items = [_clean(item, ctx, f"{path}[{i}].") for i, item in enumerate(sequence)]
        return DataElement(tag, "SQ", Sequence(items)), Action.KEPT
    if do is _Do.PSEUDONYM_NAME:
        return DataElement(tag, "PN", ctx.policy.pseudonym_name), Action.REPLACED
    if do is _Do.PSEUDONYM_ID:
        return DataElement(tag, "LO", ctx.policy.pseudonym_id), Action.REPLACED
    values = _text_values(elem)
    if values is None:
        return None, Action.REMOVED
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
                f"cannot read {_tag_label(tag_int)} {_keyword(tag_int)}".rstrip()
                + f": the element is malformed ({type(exc).__name__})"
            ) from None
        vr = _dictionary_vr(tag_int) if elem.VR == "UN" else str(elem.VR)
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
    ctx = _Context(policy, date_shift_days(patient_key, policy.secret))
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
    for row in _ROWS:
        if row.tag is None:
            what = "removed, with every other element of its group, at any depth"
        elif row.tag == 0x00020003:
            what = "set to the remapped (0008,0018) SOP Instance UID in the new file meta"
        else:
            vr = _dictionary_vr(row.tag)
            decision = _decide(row.tag, vr, options)
            what = decision.why
            if decision.do is not _Do.KEEP and row.tag in _PATIENT_CHARACTERISTICS_CLEAN:
                what += "; Retain Patient Characteristics (C): not cleaned, this stands"
            elif decision.do is not _Do.KEEP and row.tag in _CLEAN_DESCRIPTORS:
                what += "; Clean Descriptors (C): not cleaned, this stands"
            if row.tag in _LONGITUDINAL and decision.do not in (_Do.SHIFT, _Do.KEEP):
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
