"""PS3.15 Annex E Table E.1-1 as Lightbox applies it: the table, its options' columns, and
the VRs of its rows. Django-free; data for :mod:`lightbox.deid.dicom`.

Only the *table* comes from dicom-anonymizer (``dicomfields_2026c``); the option columns
are transcribed from PS3.15 (2025–2026 editions).

Examples
--------
>>> BASIC[0x00100010]  # Patient's Name
'Z'
>>> tag_label(0x00100010), dictionary_vr(0x00100012)  # Name to Use: newer than pydicom
('(0010,0010)', 'LT')
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass
from typing import Final

from dicomanonymizer.dicom_anonymization_databases import dicomfields_2026c as _annex_e
from pydicom.datadict import dictionary_description, dictionary_VR

__all__ = [
    "BASIC",
    "CLEAN_DESCRIPTORS",
    "LONGITUDINAL",
    "LONGITUDINAL_OTHER_VR",
    "NOT_LONGITUDINAL",
    "PATIENT_CHARACTERISTICS_CLEAN",
    "PATIENT_CHARACTERISTICS_KEEP",
    "ROWS",
    "TIMEZONE_OFFSET",
    "VR_NOT_IN_PYDICOM",
    "Row",
    "dictionary_vr",
    "tag_label",
]

# (0008,0201) Timezone Offset From UTC: kept with the dates, as DT values keep theirs.
TIMEZONE_OFFSET: Final = 0x00080201

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
VR_NOT_IN_PYDICOM: Final[dict[int, str]] = {
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
PATIENT_CHARACTERISTICS_KEEP: Final = frozenset(
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
PATIENT_CHARACTERISTICS_CLEAN: Final = frozenset(
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
NOT_LONGITUDINAL: Final = frozenset(
    {
        0x00100030,  # Patient's Birth Date
        0x00100032,  # Patient's Birth Time
        0x00160077,  # GPS Time Stamp
    }
)
# … and three attributes of other VRs: (0008,0201) Timezone Offset From UTC, kept; two
# binary timestamps that cannot be shifted, so the Basic Profile action stands.
LONGITUDINAL_OTHER_VR: Final = frozenset(
    {
        TIMEZONE_OFFSET,
        0x00340007,  # Frame Origin Timestamp (OB)
        0x04000310,  # Certified Timestamp (OB)
    }
)

# Clean Descriptors Option, column "C". Lightbox removes instead of cleaning, which is
# what the Basic Profile does to them already; the set annotates the conformance table.
CLEAN_DESCRIPTORS: Final = frozenset(
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
class Row:
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
def tag_label(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _load_table() -> tuple[dict[int, str], tuple[Row, ...]]:
    names = _table_names()
    basic: dict[int, str] = {}
    rows: list[Row] = []
    for category, code in _CATEGORY_CODES:
        for entry in getattr(_annex_e, category):
            numbers = tuple(int(n) for n in entry)
            if len(numbers) == 2:
                tag = (numbers[0] << 16) | numbers[1]
                if tag in basic:  # pragma: no cover - a broken table
                    raise RuntimeError(f"{tag_label(tag)} is twice in the Annex E table")
                basic[tag] = code
                name = names.get(numbers) or _description(tag)
                rows.append(Row(tag_label(tag), name, code, tag))
            else:
                group, element, group_mask, element_mask = numbers
                high = f"{group >> 8:02X}xx" if group_mask == 0xFF00 else f"{group:04X}"
                low = "xxxx" if element_mask == 0 else f"{element:04X}"
                rows.append(Row(f"({high},{low})", names.get(numbers, "?"), code, None))
    rows.sort(key=lambda row: row.label)
    return basic, tuple(rows)


def _description(tag: int) -> str:
    try:
        return str(dictionary_description(tag))
    except KeyError:
        return "Unknown attribute"


def dictionary_vr(tag: int) -> str:
    """The VR of a public attribute: pydicom's dictionary, else the newer table above,
    else UN. Of "US or SS" style VRs, the first."""
    if tag in VR_NOT_IN_PYDICOM:
        return VR_NOT_IN_PYDICOM[tag]
    try:
        return str(dictionary_VR(tag)).split(" or ")[0]
    except KeyError:
        return "UN"


# Table E.1-1 as {tag: Basic Profile action code}, and every row for the documentation.
BASIC, ROWS = _load_table()

LONGITUDINAL: Final = frozenset(
    tag
    for tag in BASIC
    if dictionary_vr(tag) in ("DA", "DT", "TM") and tag not in NOT_LONGITUDINAL
) | (LONGITUDINAL_OTHER_VR & BASIC.keys())
