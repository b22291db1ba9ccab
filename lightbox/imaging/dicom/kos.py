"""Key Object Selection documents that export a teaching file (IHE TCE). Django-free.

A radiologist at a PACS workstation flags images "for teaching"; the PACS (the IHE
Teaching File and Clinical Trial Export *Export Manager*) sends the flagged instances and a
Key Object Selection (KOS) document naming them. The document's title says what the
selection is for; its evidence lists every selected instance; its content may carry the
author's note (DCM 113012 "Key Object Description") and, in IHE's *Additional Teaching
File Information*, the case's history, findings, diagnosis and so on.

:func:`read_manifest` reads one such document into a :class:`Manifest`: plain values only,
nothing of the dataset kept. Whether it is a teaching selection is
:attr:`Manifest.is_teaching`; any other KOS (a rejection note, "Of Interest") is for the
caller to ignore.

Examples
--------
>>> ds = example_manifest(["1.2.3.1", "1.2.3.2"], note="Classic sail sign.")
>>> manifest = read_manifest(ds)
>>> manifest.is_teaching, manifest.title.meaning
(True, 'For Teaching File Export')
>>> [r.sop_uid for r in manifest.references], manifest.note
(['1.2.3.1', '1.2.3.2'], 'Classic sail sign.')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

__all__ = [
    "ADDITIONAL_INFO_TITLES",
    "KEY_OBJECT_SELECTION",
    "MAX_REFERENCES",
    "TEACHING_TITLES",
    "Code",
    "Manifest",
    "ManifestError",
    "Reference",
    "example_manifest",
    "is_key_object_selection",
    "read_manifest",
]

# (0008,0016) SOP Class UID of the Key Object Selection Document Storage.
KEY_OBJECT_SELECTION = "1.2.840.10008.5.1.4.1.1.88.59"

# Document titles (CID 7010) that select instances for a teaching file: DCM 113004
# "For Teaching", DCM 128710 "For Teaching File Export", and IHE's own TCE001.
TEACHING_TITLES = frozenset({("DCM", "113004"), ("DCM", "128710"), ("IHERADTF", "TCE001")})
# IHE TCE's "Additional Teaching File Information" (TCE006): sent beside the selection,
# with the same references and the case's text.
ADDITIONAL_INFO_TITLES = frozenset({("IHERADTF", "TCE006")})

# (0040,A160) Text Value items, by their concept name's code value, as IHE TCE names them
# (the author's note is DICOM's own 113012).
TEXT_ITEMS = {
    "113012": "note",
    "TCE101": "author",
    "TCE104": "abstract",
    "TCE105": "keywords",
    "121060": "history",
    "121071": "findings",
    "TCE106": "discussion",
    "111023": "differential",
    "TCE107": "diagnosis",
}

# A selection larger than this is refused: no teaching case has 50,000 images, and the
# list is kept in the database.
MAX_REFERENCES = 50_000
# Each text is cut here; a content tree deeper than this is not followed.
MAX_TEXT = 10_000
MAX_DEPTH = 8
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")


class ManifestError(ValueError):
    """The document cannot be read as a selection; the message is one line."""


@dataclass(frozen=True)
class Code:
    """A coded concept: (0008,0102) scheme, (0008,0100) value, (0008,0104) meaning."""

    scheme: str
    value: str
    meaning: str


@dataclass(frozen=True)
class Reference:
    """One selected instance, by the UIDs it was sent with (not yet re-mapped)."""

    study_uid: str
    series_uid: str
    sop_class_uid: str
    sop_uid: str


@dataclass(frozen=True)
class Manifest:
    title: Code
    study_uid: str
    references: tuple[Reference, ...]
    note: str = ""
    # The other texts of TEXT_ITEMS, each item's values in document order.
    texts: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def is_teaching(self) -> bool:
        """Whether it selects instances for a teaching file (or adds to such a selection)."""
        key = (self.title.scheme, self.title.value)
        return key in TEACHING_TITLES or key in ADDITIONAL_INFO_TITLES

    @property
    def selects(self) -> bool:
        """Whether it is the selection itself (not only additional information)."""
        return (self.title.scheme, self.title.value) in TEACHING_TITLES

    def text(self, name: str) -> str:
        """The texts of one kind, joined by blank lines ("" when there are none)."""
        return "\n\n".join(self.texts.get(name, ()))


def is_key_object_selection(sop_class_uid: str) -> bool:
    """
    >>> is_key_object_selection("1.2.840.10008.5.1.4.1.1.88.59")
    True
    """
    return str(sop_class_uid).strip(" \x00") == KEY_OBJECT_SELECTION


def read_manifest(ds: Dataset) -> Manifest:
    """Read a Key Object Selection document's title, selected instances and texts.

    Raises
    ------
    ManifestError
        Not a Key Object Selection, no document title, a reference without a valid SOP
        Instance UID, more than :data:`MAX_REFERENCES` references, or a malformed
        structure (one line that says which).

    Examples
    --------
    >>> try:
    ...     read_manifest(Dataset())
    ... except ManifestError as e:
    ...     print(e)
    not a Key Object Selection document ((0008,0016) SOP Class UID is '')
    """
    try:
        return _read(ds)
    except ManifestError:
        raise
    except RecursionError:
        raise ManifestError("the document's sequences are nested too deep") from None
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, OverflowError) as e:
        raise ManifestError(f"malformed Key Object Selection ({e.__class__.__name__})") from None


def _read(ds: Dataset) -> Manifest:
    sop_class = _str(ds, "SOPClassUID")
    if not is_key_object_selection(sop_class):
        raise ManifestError(
            f"not a Key Object Selection document ((0008,0016) SOP Class UID is {sop_class!r})"
        )
    # (0040,A043) Concept Name Code Sequence: the document title.
    title = _code(_items(ds, "ConceptNameCodeSequence"))
    if title is None:
        raise ManifestError("the document has no title ((0040,A043) Concept Name Code Sequence)")
    texts: dict[str, list[str]] = {}
    _collect(_items(ds, "ContentSequence"), texts, depth=0)
    note = "\n\n".join(texts.pop("note", []))
    return Manifest(
        title=title,
        study_uid=_str(ds, "StudyInstanceUID"),
        references=tuple(_references(ds)),
        note=note,
        texts={k: tuple(v) for k, v in texts.items()},
    )


def _references(ds: Dataset) -> list[Reference]:
    """(0040,A375) Current Requested Procedure Evidence Sequence: study → (0008,1115)
    Referenced Series Sequence → (0008,1199) Referenced SOP Sequence."""
    found: list[Reference] = []
    seen: set[str] = set()
    for study in _items(ds, "CurrentRequestedProcedureEvidenceSequence"):
        study_uid = _str(study, "StudyInstanceUID")
        for series in _items(study, "ReferencedSeriesSequence"):
            series_uid = _str(series, "SeriesInstanceUID")
            for item in _items(series, "ReferencedSOPSequence"):
                sop_uid = _str(item, "ReferencedSOPInstanceUID")
                if not _UID.match(sop_uid) or len(sop_uid) > 64:
                    raise ManifestError(
                        f"reference {len(found) + 1} has no valid (0008,1155) Referenced "
                        "SOP Instance UID"
                    )
                if sop_uid in seen:
                    continue
                seen.add(sop_uid)
                found.append(
                    Reference(study_uid, series_uid, _str(item, "ReferencedSOPClassUID"), sop_uid)
                )
                if len(found) > MAX_REFERENCES:
                    raise ManifestError(
                        f"the selection names more than {MAX_REFERENCES:,} instances: refused"
                    )
    return found


def _collect(items: Sequence | list[Any], texts: dict[str, list[str]], depth: int) -> None:
    """The TEXT content items we know, at any depth up to :data:`MAX_DEPTH` (IHE puts
    some inside CONTAINER items)."""
    if depth > MAX_DEPTH:
        return
    for item in items:
        value_type = _str(item, "ValueType")
        if value_type == "TEXT":
            code = _code(_items(item, "ConceptNameCodeSequence"))
            name = TEXT_ITEMS.get(code.value) if code else None
            value = _str(item, "TextValue")[:MAX_TEXT].strip()
            if name and value:
                texts.setdefault(name, []).append(value)
        elif value_type == "CONTAINER":
            _collect(_items(item, "ContentSequence"), texts, depth + 1)


def _items(ds: Dataset, keyword: str) -> Sequence | list[Any]:
    value = ds.get(keyword)
    if value is None:
        return []
    if not isinstance(value, Sequence):
        raise ManifestError(f"({keyword}) is not a sequence")
    return value


def _code(items: Sequence | list[Any]) -> Code | None:
    if not items:
        return None
    item = items[0]
    value = _str(item, "CodeValue")
    if not value:
        return None
    return Code(_str(item, "CodingSchemeDesignator"), value, _str(item, "CodeMeaning"))


def _str(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip(" \x00")


def example_manifest(
    sop_uids: list[str],
    *,
    note: str = "",
    title: tuple[str, str, str] = ("DCM", "128710", "For Teaching File Export"),
    study_uid: str = "1.2.3",
    series_uid: str = "1.2.3.0",
    texts: dict[str, str] | None = None,
) -> Dataset:
    """A Key Object Selection document selecting ``sop_uids`` (CT images of one series),
    as a PACS would send it: for examples and tests.

    ``texts`` adds TEXT items by their code value, e.g. ``{"TCE107": "Sarcoidosis"}``.
    """
    ds = Dataset()
    ds.SOPClassUID = KEY_OBJECT_SELECTION
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "KO"
    ds.PatientName = "DOE^JANE"
    ds.PatientID = "MRN0001"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = [_code_item(*title)]
    references = []
    for uid in sop_uids:
        ref = Dataset()
        ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        ref.ReferencedSOPInstanceUID = uid
        references.append(ref)
    series = Dataset()
    series.SeriesInstanceUID = series_uid
    series.ReferencedSOPSequence = references
    study = Dataset()
    study.StudyInstanceUID = study_uid
    study.ReferencedSeriesSequence = [series]
    ds.CurrentRequestedProcedureEvidenceSequence = [study]
    content = []
    items = {**({"113012": note} if note else {}), **(texts or {})}
    for code, value in items.items():
        item = Dataset()
        item.RelationshipType = "CONTAINS"
        item.ValueType = "TEXT"
        scheme = "IHERADTF" if code.startswith("TCE") else "DCM"
        item.ConceptNameCodeSequence = [_code_item(scheme, code, code)]
        item.TextValue = value
        content.append(item)
    ds.ContentSequence = content
    return ds


def _code_item(scheme: str, value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item
