"""De-identification beyond Table E.1-1: the allowlist keeps what display needs and no free
text. A unique marker is planted in every text attribute of the dictionary, at the top
level and at several depths of kept, coded and unknown sequences; none may survive."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom import DataElement, Dataset, Sequence, dcmread
from pydicom.data import get_testdata_file
from pydicom.datadict import DicomDictionary, RepeatersDictionary, tag_for_keyword

from lightbox.deid import allowlist, annex_e
from lightbox.deid.allowlist import FREE_TEXT_VRS, KEPT, allowed_code, view_label
from lightbox.deid.dicom import (
    Action,
    DeidPolicy,
    conformance_rows,
    deidentify,
    write_deidentified,
)
from lightbox.imaging.dicom.prepare import prepare_dicom

POLICY = DeidPolicy(bytes(range(32)), "LIGHTBOX^bs068", "bs068")
# The VRs the issue names; UR is free text to Lightbox too and gets planted as well.
TEXT_VRS = {"LO", "LT", "SH", "ST", "UT", "PN", "UC", "UR"}
MARKER = re.compile(rb"Q\d{6}Z")
DIAGNOSIS = "GLIOBLASTOMA RIGHT FRONTAL"

ANTERIOR = ("399321004", "SCT")  # CID 26 Anterior projection
POSTERIOR = ("399001007", "SCT")  # CID 26 Posterior projection


def load(name: str) -> Dataset:
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} is missing: install pydicom and pydicom-data"
    return dcmread(path)


def written(ds: Dataset) -> bytes:
    out = io.BytesIO()
    write_deidentified(ds, out)
    return out.getvalue()


def text_attributes() -> list[tuple[int, str]]:
    """(tag, VR) of every text attribute of pydicom's dictionary, of the newer attributes
    Lightbox knows, and of the repeating groups (60xx overlays, 50xx curves)."""
    found = {tag: vr for tag, (vr, *_rest) in DicomDictionary.items() if vr in TEXT_VRS}
    found |= {t: vr for t, vr in annex_e.VR_NOT_IN_PYDICOM.items() if vr in TEXT_VRS}
    for mask, (vr, *_rest) in RepeatersDictionary.items():
        if vr in TEXT_VRS:
            found[int(mask.replace("x", "0"), 16)] = vr
    return sorted(found.items())


TEXT_ATTRIBUTES = text_attributes()
NONE: frozenset[int] = frozenset()


def plant(
    ds: Dataset, location: int, planted: set[str], skip: frozenset[int] = frozenset()
) -> None:
    """A marker ``Q<location><index>Z`` in every text attribute of ``ds``."""
    for index, (tag, vr) in enumerate(TEXT_ATTRIBUTES):
        if tag in skip:
            continue
        marker = f"Q{location:02d}{index:04d}Z"
        value = f"https://example.org/{marker}" if vr == "UR" else marker
        ds.add(DataElement(tag, vr, value))
        planted.add(marker)


def item(**values: object) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def code(value_scheme: tuple[str, str], **more: object) -> Dataset:
    return item(CodeValue=value_scheme[0], CodingSchemeDesignator=value_scheme[1], **more)


CODE_KEYS = frozenset({tag_for_keyword("CodeValue"), tag_for_keyword("CodingSchemeDesignator")})


def everywhere() -> tuple[Dataset, set[str]]:
    """CT_small with markers at the top level and at depths 1 to 3 of every kind of
    sequence: allowlisted, coded, Table E.1-1's kept ones, an option's, required-empty
    and unknown."""
    planted: set[str] = set()
    ds = load("CT_small.dcm")
    ds.WindowCenter, ds.WindowWidth = 40, 400
    plant(ds, 0, planted)

    shared, measures, voi = Dataset(), item(PixelSpacing=[0.5, 0.5]), Dataset()
    plant(shared, 1, planted)
    plant(measures, 2, planted)
    plant(voi, 3, planted)
    measures.FrameVOILUTSequence = [voi]  # depth 3
    shared.PixelMeasuresSequence = [measures]
    ds.SharedFunctionalGroupsSequence = [shared]

    # A coded item whose code is allowed: everything but the code must go, the meaning too.
    view = code(ANTERIOR)
    plant(view, 4, planted, skip=CODE_KEYS)
    modifier = Dataset()
    plant(modifier, 5, planted)  # its code is a marker: the item goes
    view.ViewModifierCodeSequence = [modifier]
    detector = item(ImagePositionPatient=[0, 0, 0], ViewCodeSequence=[view])
    plant(detector, 6, planted)
    ds.DetectorInformationSequence = [detector]

    reference = item(ReferencedSOPClassUID=ds.SOPClassUID, ReferencedSOPInstanceUID="1.2.3.4")
    plant(reference, 7, planted)
    ds.ReferencedImageSequence = [reference]  # Table E.1-1 X/Z/U*: kept, items cleaned

    ethnic = Dataset()
    plant(ethnic, 8, planted)
    ds.EthnicGroupCodeSequence = [ethnic]  # kept by the Patient Characteristics option

    radionuclide = Dataset()
    plant(radionuclide, 9, planted)
    dose = item(RadionuclideTotalDose="740", RadionuclideCodeSequence=[radionuclide])
    ds.RadiopharmaceuticalInformationSequence = [dose]

    unknown, deeper = Dataset(), Dataset()
    plant(unknown, 10, planted)
    plant(deeper, 11, planted)
    unknown.add(DataElement(0x0040A730, "SQ", Sequence([deeper])))  # Content Sequence
    ds.RealWorldValueMappingSequence = [unknown]  # not on the allowlist
    ds.file_meta.ImplementationVersionName = "Q999999Z"
    planted.add("Q999999Z")
    return ds, planted


def strings(ds: Dataset) -> Iterator[str]:
    for elem in ds.iterall():
        yield str(elem.value)
    for elem in ds.file_meta:
        yield str(elem.value)


def test_it_removes_a_marker_from_every_text_attribute_at_every_depth():
    ds, planted = everywhere()
    assert len(TEXT_ATTRIBUTES) > 700  # pydicom 3.0 has 776
    assert len(planted) > 11 * len(TEXT_ATTRIBUTES)  # each one at 12 places
    result = deidentify(ds, POLICY)
    data = written(result.dataset)

    left = {m.decode() for m in MARKER.findall(data)}
    assert not left, f"{len(left)} markers written, e.g. {sorted(left)[:10]}"
    assert not [m for m in planted if m.encode() in data]
    back = dcmread(io.BytesIO(data))
    assert not [s for s in strings(back) if re.search(r"Q\d{6}Z", s)]


def test_it_keeps_what_the_viewer_needs_from_the_planted_data_set():
    ds, _ = everywhere()
    out = dcmread(io.BytesIO(written(deidentify(ds, POLICY).dataset)))
    assert (out.Rows, out.Columns, out.BitsStored) == (ds.Rows, ds.Columns, ds.BitsStored)
    assert (out.WindowCenter, out.WindowWidth) == (ds.WindowCenter, ds.WindowWidth)
    assert (out.RescaleIntercept, out.RescaleSlope) == (ds.RescaleIntercept, ds.RescaleSlope)
    assert out.RescaleType == "US"  # a marker is no defined term: "unspecified"
    assert out.ImagePositionPatient == ds.ImagePositionPatient
    assert out.Modality == "CT" and str(out.PatientName) == "LIGHTBOX^bs068"
    measures = out.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0]
    assert measures.PixelSpacing == [0.5, 0.5]
    view = out.DetectorInformationSequence[0].ViewCodeSequence[0]
    assert (view.CodeValue, view.CodingSchemeDesignator) == ANTERIOR
    assert view.CodeMeaning == "Anterior projection"  # the standard's, not the file's
    assert list(view.ViewModifierCodeSequence) == []  # its code was a marker
    assert view_label(out) == "ANT"
    assert out.ReferencedImageSequence[0].ReferencedSOPClassUID == ds.SOPClassUID
    assert out.RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose == 740
    assert list(out.RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence) == []
    assert "RealWorldValueMappingSequence" not in out


def test_it_removes_the_free_text_the_issue_names():
    ds = load("CT_small.dcm")
    ds.WindowCenterWidthExplanation = DIAGNOSIS
    ds.ContentDescription = DIAGNOSIS
    ds.ContentLabel = "GLIOBLASTOMA"
    ds.ProcedureCodeSequence = [code(("24727-0", "LN"), CodeMeaning=DIAGNOSIS)]
    ds.AnatomicRegionSequence = [code(("12738006", "SCT"), CodeMeaning=DIAGNOSIS)]
    ds.TextValue = DIAGNOSIS
    ds.add_new(0x00540400, "SH", "GLIOBLASTOMA")  # (0054,0400) Image ID
    result = deidentify(ds, POLICY)
    data = written(result.dataset)

    assert b"GLIOBLASTOMA" not in data
    out = dcmread(io.BytesIO(data))
    assert not [s for s in strings(out) if "GLIOBLASTOMA" in s]
    for keyword in ("WindowCenterWidthExplanation", "TextValue", "ImageID"):
        assert keyword not in out
    assert "ProcedureCodeSequence" not in out
    assert out.ContentLabel == "ANONYMIZED"  # Type 1 where present: a dummy
    assert out.ContentDescription in (None, "")  # Type 2: emptied
    anatomy = out.AnatomicRegionSequence[0]  # a standard code keeps the standard's meaning
    assert (anatomy.CodeValue, anatomy.CodeMeaning) == ("12738006", "Brain")
    actions = {entry.path: entry.action for entry in result.report.entries}
    assert actions["WindowCenterWidthExplanation"] is Action.REMOVED
    assert actions["ContentLabel"] is Action.REPLACED


def test_a_view_code_is_kept_only_when_it_is_a_standard_view():
    ds = load("CT_small.dcm")
    ds.ViewCodeSequence = [
        code(("Q123456Z", "SCT"), CodeMeaning="anterior"),
        code(("G-5216", "SRT"), CodeMeaning="posterior, see DOE^JOHN"),  # SRT: mapped
    ]
    out = deidentify(ds, POLICY).dataset
    assert len(out.ViewCodeSequence) == 1
    kept = out.ViewCodeSequence[0]
    assert (kept.CodeValue, kept.CodingSchemeDesignator) == POSTERIOR
    assert kept.CodeMeaning == "Posterior projection"
    assert view_label(out) == "POST"


def test_a_code_string_that_is_not_one_is_emptied_in_place():
    ds = load("CT_small.dcm")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "glioma here", "AXIAL"]
    out = deidentify(ds, POLICY).dataset
    assert list(out.ImageType) == ["ORIGINAL", "PRIMARY", "", "AXIAL"]


def test_an_allowlisted_attribute_with_a_text_vr_is_removed():
    ds = load("CT_small.dcm")
    ds.add(DataElement(tag_for_keyword("SliceThickness"), "LO", "GLIOBLASTOMA"))
    out = deidentify(ds, POLICY).dataset
    assert "SliceThickness" not in out


def test_free_text_is_removed_even_where_the_patient_characteristics_option_keeps():
    ds = load("CT_small.dcm")
    ds.EthnicGroup = "GLIOBLASTOMA"
    ds.PatientAge = "042Y"
    out = deidentify(ds, POLICY).dataset
    assert "EthnicGroup" not in out and out.PatientAge == "042Y"


def test_an_enhanced_image_gets_dummies_where_its_equipment_module_needs_them():
    ds = load("emri_small.dcm")
    ds.DeviceSerialNumber = "SN-GLIOBLASTOMA"
    ds.Manufacturer = "GLIOBLASTOMA"
    out = deidentify(ds, POLICY).dataset
    assert out.DeviceSerialNumber == "ANONYMIZED" and out.Manufacturer == "ANONYMIZED"
    plain = load("CT_small.dcm")
    plain.DeviceSerialNumber = plain.Manufacturer = "GLIOBLASTOMA"
    out = deidentify(plain, POLICY).dataset
    assert "DeviceSerialNumber" not in out and out.Manufacturer in (None, "")


def test_the_meta_view_comes_from_coded_values_so_nm_pairs_still_pair():
    nm = load("JPEG2000_UNC.dcm")
    for view, expected in ((ANTERIOR, "ANT"), (POSTERIOR, "POST")):
        nm.DetectorInformationSequence = [item(ViewCodeSequence=[code(view)])]
        raw = io.BytesIO()
        nm.save_as(raw, enforce_file_format=True)
        assert prepare_dicom(raw.getvalue(), POLICY).meta["view"] == expected


# -- the allowlist itself -------------------------------------------------------------------


def test_no_allowlisted_attribute_is_free_text_or_a_table_row():
    table = {label for label, *_ in conformance_rows()}
    for tag, group in KEPT.items():
        label = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
        assert label not in table, f"{label} is decided by Table E.1-1, not {group.name}"
        assert not allowlist.dictionary_vrs(tag) & FREE_TEXT_VRS, label
        # Dates are the table's to shift: an allowlisted one would be kept as it came.
        assert not allowlist.dictionary_vrs(tag) & {"DA", "DT"}, label
    for group in allowlist.GROUPS:
        assert group.reason and group.keywords


def test_codes_are_kept_only_in_the_contexts_the_allowlist_names():
    view, anatomy = tag_for_keyword("ViewCodeSequence"), tag_for_keyword("AnatomicRegionSequence")
    procedure = tag_for_keyword("ProcedureCodeSequence")
    assert allowed_code(view, *reversed(ANTERIOR)) is not None
    assert allowed_code(view, "SCT", "12738006") is None  # brain is no view
    assert allowed_code(anatomy, "SCT", "12738006") is not None
    assert allowed_code(procedure, "LN", "24727-0") is None


@pytest.mark.parametrize("rule", allowlist.VALUE_RULES, ids=lambda r: r.keyword)
def test_a_defined_term_is_kept_and_anything_else_is_not(rule):
    tag = tag_for_keyword(rule.keyword)
    ds = load("CT_small.dcm")
    ds.PatientID = "PAT-1"
    good = {"RescaleType": "HU", "ModalityLUTType": "OD", "StackID": "2"}.get(
        rule.keyword, "+0100"
    )
    vr = annex_e.dictionary_vr(tag)
    for value, expected in ((good, good), ("GLIOBLASTOMA", rule.fallback)):
        ds.add(DataElement(tag, vr, value))
        out = deidentify(ds, POLICY).dataset
        assert (out[tag].value if tag in out else None) == expected


@pytest.mark.parametrize("module", [allowlist, annex_e], ids=lambda m: m.__name__)
def test_the_new_modules_have_runnable_examples_and_no_django(module):
    import doctest

    failed, attempted = doctest.testmod(module)
    assert attempted > 0 and failed == 0
    assert "django" not in Path(module.__file__).read_text()
