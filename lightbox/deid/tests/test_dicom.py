"""De-identification: every row of PS3.15 Table E.1-1, the options, UIDs, dates, markers,
planted identifiers in real files, burned-in text flags, and the conformance document."""

from __future__ import annotations

import datetime as dt
import doctest
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from deid_data.data import get_dataset
from pydicom import DataElement, Dataset, Sequence, config, dcmread, dcmwrite
from pydicom.data import get_testdata_file
from pydicom.datadict import DicomDictionary, dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataset import FileMetaDataset
from pydicom.tag import Tag
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from lightbox.deid import conformance
from lightbox.deid import dicom as deid_module
from lightbox.deid.dicom import (
    Action,
    DeidentificationError,
    DeidOptions,
    DeidPolicy,
    DeidReport,
    DeidResult,
    conformance_rows,
    date_shift_days,
    deidentify,
    remap_uid,
    write_deidentified,
)

REPO = Path(__file__).resolve().parents[3]
SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
POLICY = DeidPolicy(SECRET, "LIGHTBOX^bs068", "bs068")
NO_OPTIONS = DeidOptions(
    retain_patient_characteristics=False,
    retain_longitudinal_modified_dates=False,
    clean_descriptors=False,
)
UID_RE = re.compile(r"2\.25\.(0|[1-9][0-9]*)")
STANDARD_ROOT = "1.2.840.10008."


def load(name: str) -> Dataset:
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} is missing: install pydicom and pydicom-data"
    return dcmread(path)


def load_deid_data(folder: str, name: str) -> Dataset:
    return dcmread(Path(get_dataset(folder)) / name)


def written(ds: Dataset) -> bytes:
    out = io.BytesIO()
    write_deidentified(ds, out)
    return out.getvalue()


def assert_valid_uid(uid: str) -> None:
    assert len(uid) <= 64, uid
    assert UID_RE.fullmatch(uid), uid


# -- the table ------------------------------------------------------------------------------

# Table E.1-1 rows the 2026c table holds that pydicom 3.0.2's dictionary does not know yet,
# with their VRs from PS3.6.
NEW_VRS = {
    0x00081301: "SQ",
    0x00081302: "SQ",
    0x00081303: "SQ",
    0x00081304: "SQ",
    0x00100011: "SQ",
    0x00100012: "LT",
    0x00100013: "UT",
    0x00100014: "SQ",
    0x00100015: "SQ",
    0x00100016: "UT",
    0x00100041: "SQ",
    0x00100042: "UT",
    0x00100043: "SQ",
    0x00100044: "SQ",
    0x00100045: "UT",
    0x00100046: "SQ",
    0x00100047: "UR",
    0x00102162: "UC",
    0x0040A034: "DT",
    0x0040A035: "DT",
    0x0040B034: "DT",
    0x0040B036: "DT",
    0x0040B03B: "LT",
    0x0040B03F: "LO",
    0x0040E012: "UR",
}

# The Retain Patient Characteristics Option's "K" column (PS3.15 2025–2026).
PATIENT_CHARACTERISTICS = {
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
# Dates and times the Modified Dates Option does not cover.
NOT_LONGITUDINAL = {0x00100030, 0x00100032, 0x00160077}  # birth date, birth time, GPS time

# An allowlisted sequence Table E.1-1 does not list, to nest every row in.
CONTAINER = 0x00540022  # Detector Information Sequence
# Table E.1-1 rows that leave the choice to IOD conformance (X/Z, X/D, X/Z/D) and are
# Type 2 in an image IOD: emptied, not removed.
TYPE_2_IN_AN_IOD = {0x00400555}  # Acquisition Context Sequence
FREE_TEXT = {"LO", "LT", "SH", "ST", "UT", "UC", "UR", "PN"}


def table_rows() -> list[tuple[int, str, str]]:
    """(tag, name, code) of every single-tag row of the table in use."""
    rows = []
    for label, name, code, _ in conformance_rows():
        match = re.fullmatch(r"\(([0-9A-F]{4}),([0-9A-F]{4})\)", label)
        if match:
            rows.append((int(match[1] + match[2], 16), name, code))
    return rows


def vr_of(tag: int) -> str:
    if tag in NEW_VRS:
        return NEW_VRS[tag]
    return str(dictionary_VR(tag)).split(" or ")[0]


def sample(tag: int, vr: str) -> Any:
    """A valid value of VR ``vr``, unique to ``tag`` where the VR allows."""
    n = tag & 0xFFFFFF
    if vr == "SQ":
        item = Dataset()
        item.InstanceNumber = str(n)  # allowlisted: kept where the item is kept
        item.CodeMeaning = f"ITEM {n}"  # free text the table does not list: removed
        return Sequence([item])
    if tag == 0x00080201:  # Timezone Offset From UTC is kept only as an offset
        return "+0100"
    text = {
        "AE": f"AE{n}",
        "AS": "042Y",
        "CS": f"CS{n}",
        "DA": "19961023",
        "DS": "12.5",
        "DT": "19961023101530.123456+0100",
        "IS": "7",
        "LO": f"TEXT {n}",
        "LT": f"TEXT {n}",
        "PN": f"NAME^{n}",
        "SH": f"SH{n}",
        "ST": f"TEXT {n}",
        "TM": "101530",
        "UC": f"TEXT {n}",
        "UI": f"1.2.826.0.1.3680043.9.7777.{n}",
        "UR": f"https://example.org/{n}",
        "UT": f"TEXT {n}",
    }
    if vr in text:
        return text[vr]
    if vr in ("FL", "FD"):
        return 1.5
    if vr == "AT":
        return 0x00100010
    if vr in ("US", "SS", "UL", "SL", "UV", "SV"):
        return 7
    return b"\x01\x02\x03\x04\x05\x06\x07\x08"  # OB, OW, OF, OD, OL, OV, UN


def expected_outcome(tag: int, code: str, vr: str, options: DeidOptions) -> str:
    """What PS3.15 and Lightbox's documented choices say should happen to the row."""
    if tag == 0x00100010:
        return "pseudonym name"
    if tag == 0x00100020:
        return "pseudonym id"
    if tag >> 16 == 0x0002:
        return "absent"  # file meta in a data set body: the file meta is rebuilt
    if options.retain_patient_characteristics and tag in PATIENT_CHARACTERISTICS:
        if vr in FREE_TEXT:
            return "absent"  # Clean Descriptors: free text is never kept
        return "items" if vr == "SQ" else "kept"
    if options.retain_longitudinal_modified_dates and tag not in NOT_LONGITUDINAL:
        if vr in ("DA", "DT"):
            return "shifted"
        if vr == "TM" or tag == 0x00080201:  # times of day, Timezone Offset From UTC
            return "kept"
    if code in ("X/Z", "X/Z/D") and tag in TYPE_2_IN_AN_IOD:
        return "empty"
    if code in ("X", "X/Z", "X/D", "X/Z/D"):
        return "absent"
    if code in ("Z", "Z/D"):
        return "empty"
    if code == "D":
        return {"UI": "remapped", "SQ": "empty"}.get(vr, "dummy")
    if code == "U":
        return "remapped"
    if code == "X/Z/U*":
        return "items"
    raise AssertionError(f"unexpected action code {code}")


REPORTED_AS = {
    "absent": Action.REMOVED,
    "empty": Action.EMPTIED,
    "dummy": Action.REPLACED,
    "kept": Action.KEPT,
    "items": Action.KEPT,
    "remapped": Action.REMAPPED,
    "shifted": Action.SHIFTED,
    "pseudonym name": Action.REPLACED,
    "pseudonym id": Action.REPLACED,
}


def shifted(value: str, vr: str, days: int) -> str:
    moved = dt.date(int(value[:4]), int(value[4:6]), int(value[6:8])) + dt.timedelta(days)
    return moved.strftime("%Y%m%d") + (value[8:] if vr == "DT" else "")


def is_empty(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or value == b""
        or (isinstance(value, Sequence) and len(value) == 0)
    )


def check_row(
    tag: int, code: str, vr: str, outcome: str, before: Any, out: Dataset, days: int
) -> str | None:
    """``None`` if the row came out as ``outcome``, else what went wrong."""
    present = tag in out
    value = out[tag].value if present else None
    if outcome == "absent":
        return None if not present else "still present"
    if not present:
        return "missing"
    if outcome == "empty":
        return None if is_empty(value) else f"not empty: {value!r}"
    if outcome == "dummy":
        return None if not is_empty(value) and value != before else f"not a dummy: {value!r}"
    if outcome == "kept":
        return None if value == before else f"changed: {before!r} -> {value!r}"
    if outcome == "remapped":
        if value != remap_uid(before, SECRET) or value == before:
            return f"not remapped: {value!r}"
        assert_valid_uid(value)
        return None
    if outcome == "shifted":
        want = shifted(before, vr, days)
        return None if value == want else f"shifted to {value!r}, expected {want!r}"
    if outcome == "items":
        ok = len(value) == 1 and value[0].InstanceNumber == before[0].InstanceNumber
        if ok and "CodeMeaning" in value[0]:
            return "free text kept in an item"
        return None if ok else "items not kept"
    if outcome == "pseudonym name":
        return None if str(value) == "LIGHTBOX^bs068" else f"name is {value!r}"
    if outcome == "pseudonym id":
        return None if value == "bs068" else f"ID is {value!r}"
    raise AssertionError(outcome)


def test_the_table_is_the_2026c_edition_with_every_row():
    rows = conformance_rows()
    assert deid_module.TABLES_EDITION == "2026c"
    assert len(table_rows()) == 652  # and three repeating-group rows, and private attributes
    assert len(rows) == 656
    assert {code for _, _, code, _ in rows} == {
        "X",
        "Z",
        "D",
        "U",
        "Z/D",
        "X/Z",
        "X/D",
        "X/Z/D",
        "X/Z/U*",
    }
    labels = {label for label, _, _, _ in rows}
    assert {"(50xx,xxxx)", "(60xx,3000)", "(60xx,4000)", "(gggg,eeee), gggg odd"} <= labels


@pytest.mark.parametrize("nested", [False, True], ids=["top-level", "nested"])
@pytest.mark.parametrize("options", [DeidOptions(), NO_OPTIONS], ids=["options", "basic"])
def test_every_table_row_gets_its_action(nested: bool, options: DeidOptions):
    rows = table_rows()
    body = Dataset()
    for tag, _, _ in rows:
        vr = vr_of(tag)
        body.add(DataElement(tag, vr, sample(tag, vr)))
    ds = body
    if nested:
        ds = Dataset()
        ds.PatientID = "ORIGINAL-ID"  # the date shift follows the top-level Patient ID
        ds.add(DataElement(CONTAINER, "SQ", Sequence([body])))
    if not nested:
        body.PatientID = "ORIGINAL-ID"  # overrides the row's sample; checked as a row
    policy = DeidPolicy(SECRET, "LIGHTBOX^bs068", "bs068", options)
    result = deidentify(ds, policy)
    out = result.dataset[CONTAINER].value[0] if nested else result.dataset
    days = date_shift_days("ORIGINAL-ID", SECRET)
    prefix = "DetectorInformationSequence[0]." if nested else ""
    actions = {entry.path: entry.action for entry in result.report.entries}

    failures = []
    for tag, name, code in rows:
        vr = vr_of(tag)
        outcome = expected_outcome(tag, code, vr, options)
        problem = check_row(tag, code, vr, outcome, body[tag].value, out, days)
        path = prefix + (keyword_for_tag(tag) or f"({tag >> 16:04X},{tag & 0xFFFF:04X})")
        if problem is None and actions.get(path) != REPORTED_AS[outcome]:
            problem = f"reported {actions.get(path)}, expected {REPORTED_AS[outcome]}"
        if problem:
            failures.append(f"({tag >> 16:04X},{tag & 0xFFFF:04X}) {name} [{code}]: {problem}")
    assert not failures, f"{len(failures)} rows wrong:\n" + "\n".join(failures[:40])


def test_patient_characteristics_are_kept_only_with_the_option():
    ds = Dataset()
    ds.PatientAge, ds.PatientSex, ds.PatientSize, ds.PatientWeight = "042Y", "F", "1.6", "61"
    ds.SmokingStatus, ds.Allergies = "NO", "penicillin"
    kept = deidentify(ds, POLICY).dataset
    assert (kept.PatientAge, kept.PatientSex, kept.PatientSize, kept.PatientWeight) == (
        "042Y",
        "F",
        "1.6",
        "61",
    )
    assert kept.SmokingStatus == "NO"
    assert "Allergies" not in kept  # the option says clean: we remove
    basic = deidentify(ds, DeidPolicy(SECRET, "A^B", "b", NO_OPTIONS)).dataset
    assert "PatientAge" not in basic and "PatientWeight" not in basic
    assert basic.PatientSex in (None, "")  # Z: emptied


# -- dates ----------------------------------------------------------------------------------


def dated(**values: str) -> Dataset:
    """A data set with these values, as they might come, valid or not (no warnings)."""
    ds = Dataset()
    ds.PatientID = "PAT-0001"
    for keyword, value in values.items():
        tag = tag_for_keyword(keyword)
        ds.add(DataElement(tag, dictionary_VR(tag), value, validation_mode=config.IGNORE))
    return ds


def test_date_shift_is_whole_days_one_to_ten_years_back_and_never_zero():
    shifts = {date_shift_days(f"patient-{i}", SECRET) for i in range(500)}
    assert all(-3650 <= days <= -365 for days in shifts)
    assert len(shifts) > 400  # spread over the range, not a constant
    assert date_shift_days("patient-1", SECRET) != date_shift_days("patient-1", OTHER_SECRET)


def test_every_date_of_a_patient_moves_by_the_same_days_so_intervals_survive():
    ds = dated(StudyDate="19961023", AcquisitionDate="19961101", PatientBirthDate="19500101")
    out = deidentify(ds, POLICY).dataset
    days = date_shift_days("PAT-0001", SECRET)
    study = dt.datetime.strptime(out.StudyDate, "%Y%m%d").date()
    acquisition = dt.datetime.strptime(out.AcquisitionDate, "%Y%m%d").date()
    assert study == dt.date(1996, 10, 23) + dt.timedelta(days)
    assert (acquisition - study).days == 9
    assert out.PatientBirthDate in (None, "")  # not covered by the option: emptied
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"


def test_partial_dates_keep_their_precision():
    ds = dated(StudyDate="1996", SeriesDate="199610", ContentDate="19961023")
    out = deidentify(ds, POLICY).dataset
    assert re.fullmatch(r"\d{4}", out.StudyDate) and out.StudyDate < "1996"
    assert re.fullmatch(r"\d{6}", out.SeriesDate) and out.SeriesDate < "199610"
    assert re.fullmatch(r"\d{8}", out.ContentDate)


def test_datetimes_keep_time_and_offset_and_times_are_kept():
    ds = dated(
        AcquisitionDateTime="19961023101530.123456+0100",
        InstanceCoercionDateTime="199610",  # a partial DT
        AcquisitionTime="101530.5",
        TimezoneOffsetFromUTC="+0100",
    )
    out = deidentify(ds, POLICY).dataset
    days = date_shift_days("PAT-0001", SECRET)
    moved = dt.date(1996, 10, 23) + dt.timedelta(days)
    assert out.AcquisitionDateTime == f"{moved:%Y%m%d}101530.123456+0100"
    assert re.fullmatch(r"\d{6}", out.InstanceCoercionDateTime)
    assert out.AcquisitionTime == "101530.5"
    assert out.TimezoneOffsetFromUTC == "+0100"


def test_dates_at_any_depth_are_shifted_and_unreadable_dates_removed():
    ds = dated(StudyDate="not a date")
    ds.add_new(0x00181200, "DA", ["19961001", "19961002"])  # Date of Last Calibration, VM 1-n
    ds.DetectorInformationSequence = [Dataset()]  # allowlisted: its items are kept
    ds.DetectorInformationSequence[0].add_new(0x00181200, "DA", "19961023")
    ds.PerformedProtocolCodeSequence = [Dataset()]  # neither in the table nor allowlisted
    item = ds.PerformedProtocolCodeSequence[0]
    item.add_new(0x00140102, "DA", "19961023")  # Secondary Review Date: not in the table
    result = deidentify(ds, POLICY)
    out = result.dataset
    assert "StudyDate" not in out
    assert len(out[0x00181200].value) == 2 and "19961001" not in out[0x00181200].value
    days = date_shift_days("PAT-0001", SECRET)
    assert out.DetectorInformationSequence[0][0x00181200].value == shifted("19961023", "DA", days)
    assert "PerformedProtocolCodeSequence" not in out
    actions = {e.path: e.action for e in result.report.entries}
    assert actions["StudyDate"] is Action.REMOVED
    assert actions["PerformedProtocolCodeSequence"] is Action.REMOVED


def test_without_the_dates_option_dates_go():
    ds = dated(StudyDate="19961023", AcquisitionDate="19961023", AcquisitionTime="101530")
    out = deidentify(ds, DeidPolicy(SECRET, "A^B", "b", NO_OPTIONS)).dataset
    assert out.StudyDate in (None, "")  # Z
    assert "AcquisitionDate" not in out and "AcquisitionTime" not in out  # X/Z: X
    assert out.LongitudinalTemporalInformationModified == "REMOVED"


def test_the_pseudonym_keys_the_shift_when_there_is_no_patient_id():
    ds = Dataset()
    ds.StudyDate = "19961023"
    days = date_shift_days("bs068", SECRET)
    assert deidentify(ds, POLICY).dataset.StudyDate == shifted("19961023", "DA", days)


# -- UIDs -----------------------------------------------------------------------------------


def test_remapped_uids_are_valid_deterministic_and_keyed_by_the_secret():
    # Short, long (over 64 characters: remapping makes it valid), and with padding.
    originals = [generate_uid() for _ in range(200)] + ["1.2.3", "1.2.3.4.5.6.7.8.9." * 7]
    remapped = [remap_uid(uid, SECRET) for uid in originals]
    for uid in remapped:
        assert_valid_uid(uid)
    assert len(set(remapped)) == len(originals)
    assert remapped == [remap_uid(uid, SECRET) for uid in originals]
    assert not set(remapped) & {remap_uid(uid, OTHER_SECRET) for uid in originals}


def test_standard_uids_are_never_remapped():
    for uid in ("1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.1"):
        assert remap_uid(uid, SECRET) == uid
    ds = load("JPEG2000.dcm")
    out = deidentify(ds, POLICY).dataset
    assert out.SOPClassUID == ds.SOPClassUID
    assert out.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID
    assert out.file_meta.MediaStorageSOPClassUID == ds.SOPClassUID
    private_class = Dataset()
    private_class.SOPClassUID = "1.3.12.2.1107.5.9.1"  # a vendor's private SOP class
    assert deidentify(private_class, POLICY).dataset.SOPClassUID == "1.3.12.2.1107.5.9.1"


def test_references_in_sequences_follow_the_instances_they_reference():
    ds = load("CT_small.dcm")
    localizer, source = generate_uid(), generate_uid()
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ref.ReferencedSOPInstanceUID = localizer
    ds.ReferencedImageSequence = [ref]
    src = Dataset()
    src.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    src.ReferencedSOPInstanceUID = source
    ds.SourceImageSequence = [src]
    deeper = Dataset()
    deeper.ReferencedImageSequence = [Dataset()]
    deeper.ReferencedImageSequence[0].ReferencedSOPInstanceUID = source  # deeper still
    ds.SharedFunctionalGroupsSequence = [deeper]
    ds.add_new(0x00200242, "UI", localizer)  # SOP Instance UID of Concatenation Source
    result = deidentify(ds, POLICY)
    out = result.dataset

    localizer_ds = Dataset()
    localizer_ds.SOPInstanceUID = localizer
    new_localizer = deidentify(localizer_ds, POLICY).dataset.SOPInstanceUID
    assert out.ReferencedImageSequence[0].ReferencedSOPInstanceUID == new_localizer
    assert out.ReferencedImageSequence[0].ReferencedSOPClassUID == "1.2.840.10008.5.1.4.1.1.2"
    assert out.SourceImageSequence[0].ReferencedSOPInstanceUID == remap_uid(source, SECRET)
    deeper = out.SharedFunctionalGroupsSequence[0].ReferencedImageSequence[0]
    assert deeper.ReferencedSOPInstanceUID == remap_uid(source, SECRET)
    assert out[0x00200242].value == new_localizer  # allowlisted, not in the table: remapped
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.FrameOfReferenceUID == remap_uid(ds.FrameOfReferenceUID, SECRET)
    actions = {e.path: e.action for e in result.report.entries}
    assert actions["ReferencedImageSequence"] is Action.KEPT
    assert actions["ReferencedImageSequence[0].ReferencedSOPInstanceUID"] is Action.REMAPPED
    assert actions["file_meta.MediaStorageSOPInstanceUID"] is Action.REMAPPED


CHILD = """
import sys
from pydicom import dcmread
from pydicom.data import get_testdata_file
from lightbox.deid.dicom import DeidPolicy, date_shift_days, deidentify, remap_uid
uid, patient = sys.argv[1], sys.argv[2]
for secret in map(bytes.fromhex, sys.argv[3:]):
    ds = dcmread(get_testdata_file("CT_small.dcm", download=False))
    out = deidentify(ds, DeidPolicy(secret, "LIGHTBOX^bs068", "bs068")).dataset
    print(remap_uid(uid, secret), date_shift_days(patient, secret))
    print(out.SOPInstanceUID, out.StudyInstanceUID, out.StudyDate)
"""


def run_child(uid: str, patient: str, *secrets: bytes) -> list[str]:
    """What a fresh Python process (its own hash seed) computes for each secret."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, uid, patient, *(secret.hex() for secret in secrets)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "random"},
        timeout=60,
    )
    return done.stdout.split()


def test_uids_and_date_shifts_are_the_same_in_another_process():
    uid = "1.2.826.0.1.3680043.8.498.12345"
    first = run_child(uid, "PAT-9", SECRET, OTHER_SECRET)
    second = run_child(uid, "PAT-9", SECRET)
    assert first[:5] == second
    here = deidentify(load("CT_small.dcm"), POLICY).dataset
    assert second == [
        remap_uid(uid, SECRET),
        str(date_shift_days("PAT-9", SECRET)),
        here.SOPInstanceUID,
        here.StudyInstanceUID,
        here.StudyDate,
    ]
    other = first[5:]  # the other secret: other UIDs, another shift
    assert other[0] != second[0] and other[2] != second[2] and other[3] != second[3]
    assert other[1] != second[1] or other[4] != second[4]


# -- planted identifiers in real files -------------------------------------------------------

PLANTED = {
    "PatientName": "PLANTEDNAME^GIVEN",
    "PatientID": "PLANTED-PID-1",
    "OtherPatientIDs": "PLANTED-OTHER-PID",
    "PatientAddress": "PLANTED 12 Address Street",
    "PatientMotherBirthName": "PLANTEDMOTHER^M",
    "InstitutionName": "PLANTED General Hospital",
    "InstitutionAddress": "PLANTED 1 Hospital Road",
    "ReferringPhysicianName": "PLANTEDREFERRER^DR",
    "PerformingPhysicianName": "PLANTEDPERFORMER^DR",
    "OperatorsName": "PLANTEDOPERATOR^T",
    "AccessionNumber": "PLANTEDACC01",
    "StudyID": "PLANTEDSTUDY1",
    "StationName": "PLANTEDSTATION",
    "ImageComments": "PLANTED image comment",
    "StudyDescription": "PLANTED study description",
    "SeriesDescription": "PLANTED series description",
    "PatientBirthDate": "19230405",
    "StudyDate": "19961023",
}
PLANTED_ELSEWHERE = [
    "PLANTED-PRIVATE-VALUE",
    "PLANTED-NESTED-INSTITUTION",
    "PLANTED-NESTED-COMMENT",
    "PLANTEDDEEPNAME",
    "PLANTED-UNLISTED-PN",
    "PLANTED-OVERLAY-DATA",
    "PLANTED-OVERLAY-LABEL",
    "PLANTED-CURVE-DATA",
    "PLANTED-CURVE-LABEL",
    "PLANTED-ICON-COMMENT",
    "PLANTED-UNKNOWN-TAG",
    "PLANTED-SRC-AE",
]


def unlisted_person_name_tag() -> int:
    """A PN attribute of the dictionary that Table E.1-1 does not list."""
    listed = {tag for tag, _, _ in table_rows()}
    return next(
        tag
        for tag, (vr, _, _, retired, _) in sorted(DicomDictionary.items())
        if vr == "PN" and not retired and tag not in listed and tag >> 16 not in (0x0002,)
    )


def plant(ds: Dataset) -> Dataset:
    """Put identifiers everywhere a careless de-identifier would miss one."""
    for keyword, value in PLANTED.items():
        setattr(ds, keyword, value)
    block = ds.private_block(0x0011, "LIGHTBOX TEST", create=True)
    block.add_new(0x01, "LO", "PLANTED-PRIVATE-VALUE")
    # A kept sequence with removable attributes in its item, and deeper still.
    ref = Dataset()
    ref.ReferencedSOPClassUID = ds.SOPClassUID
    ref.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    ref.InstitutionName = "PLANTED-NESTED-INSTITUTION"
    ref.ImageComments = "PLANTED-NESTED-COMMENT"
    deep = Dataset()
    deep.CodeValue = "121311"
    deep.CodingSchemeDesignator = "DCM"
    deep.CodeMeaning = "Localizer"
    deep.PatientName = "PLANTEDDEEPNAME^X"
    deep.ReferringPhysicianName = "PLANTEDDEEPNAME^Y"
    ref.PurposeOfReferenceCodeSequence = [deep]  # a code item: rebuilt from the standard
    ds.ReferencedImageSequence = [ref]
    window = Dataset()  # an allowlisted sequence two deep, with names in it
    window.EnergyWindowLowerLimit, window.EnergyWindowUpperLimit = 126, 154
    window.PatientName = "PLANTEDDEEPNAME^X"
    window.ReferringPhysicianName = "PLANTEDDEEPNAME^Y"
    ds.EnergyWindowInformationSequence = [Dataset()]
    ds.EnergyWindowInformationSequence[0].EnergyWindowRangeSequence = [window]
    ds.add_new(unlisted_person_name_tag(), "PN", "PLANTED-UNLISTED-PN")
    # Overlay 6002 and curve 5000, data and text.
    ds.add_new(0x60020010, "US", 4)
    ds.add_new(0x60020011, "US", 4)
    ds.add_new(0x60020040, "CS", "G")
    ds.add_new(0x60021500, "LO", "PLANTED-OVERLAY-LABEL")
    ds.add_new(0x60023000, "OW", b"PLANTED-OVERLAY-DATA")
    ds.add_new(0x50000005, "US", 1)
    ds.add_new(0x50002500, "LO", "PLANTED-CURVE-LABEL")
    ds.add_new(0x50003000, "OW", b"PLANTED-CURVE-DATA")
    icon = Dataset()
    icon.Rows = icon.Columns = 1
    icon.ImageComments = "PLANTED-ICON-COMMENT"
    ds.IconImageSequence = [icon]
    ds.add_new(0x00750010, "UN", b"PLANTED-UNKNOWN-TAG ")  # a public tag nobody knows
    ds.file_meta.SourceApplicationEntityTitle = "PLANTED-SRC-AE"
    return ds


def identifying_strings(ds: Dataset) -> set[str]:
    """The file's own identifiers (long enough not to occur by chance) and UIDs."""
    found = set(PLANTED.values()) | set(PLANTED_ELSEWHERE)
    for keyword in ("PatientName", "PatientID", "InstitutionName", "ReferringPhysicianName"):
        for part in re.split(r"[\^= ]", str(ds.get(keyword, ""))):
            if len(part) >= 6:
                found.add(part)
    for elem in ds.iterall():
        if (
            elem.VR == "UI"
            and "Class" not in elem.keyword
            and "TransferSyntax" not in elem.keyword
        ):
            for uid in elem.value if elem.VM > 1 else [elem.value]:
                if uid and not str(uid).startswith(STANDARD_ROOT) and len(uid) > 10:
                    found.add(str(uid))
    return found


REAL_FILES = [
    ("pydicom", "CT_small.dcm"),
    ("pydicom", "MR_small.dcm"),
    ("pydicom", "JPEG2000.dcm"),  # NM secondary capture, JPEG 2000
    ("pydicom", "US1_UNCR.dcm"),
    ("pydicom", "MR_small_jpeg_ls_lossless.dcm"),
    ("pydicom", "MR_small_RLE.dcm"),
    ("pydicom", "JPEG-LL.dcm"),  # NM whole body, JPEG lossless
    ("pydicom", "emri_small_jpeg_2k_lossless.dcm"),  # enhanced MR, functional groups
    ("pydicom", "MR_small_bigendian.dcm"),
    ("pydicom", "image_dfl.dcm"),  # deflated
    ("pydicom", "MR-SIEMENS-DICOM-WithOverlays.dcm"),
    ("humans", "ctbrain1.dcm"),  # deid-data: fake PHI
    ("ultrasounds", "GREYSCALE_IMAGE.dcm"),  # deid-data: burned-in ultrasound text
]


def load_real(source: str, name: str) -> Dataset:
    return load(name) if source == "pydicom" else load_deid_data(source, name)


# GREYSCALE_IMAGE.dcm has a 122-character (0032,1030) Reason for Study; pydicom warns.
@pytest.mark.filterwarnings("ignore:The value length")
@pytest.mark.parametrize(("source", "name"), REAL_FILES, ids=[n for _, n in REAL_FILES])
def test_planted_identifiers_never_reach_the_written_file(source: str, name: str):
    ds = plant(load_real(source, name))
    ds.preamble = b"MZ\x90\x00" + b"\xcc" * 124  # and an executable's preamble
    shape = ds.pixel_array.shape
    secrets = identifying_strings(ds)
    result = deidentify(ds, POLICY)
    data = written(result.dataset)

    leaked = sorted(s for s in secrets if s.encode() in data)
    assert not leaked, f"{name}: {leaked}"
    assert data[:128] == bytes(128) and data[128:132] == b"DICM"
    back = dcmread(io.BytesIO(data))
    assert back.PatientIdentityRemoved == "YES"
    assert str(back.PatientName) == "LIGHTBOX^bs068" and back.PatientID == "bs068"
    codes = [item.CodeValue for item in back.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113108", "113107", "113105"]
    assert back.file_meta.TransferSyntaxUID == ds.file_meta.TransferSyntaxUID
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    assert "SourceApplicationEntityTitle" not in back.file_meta
    assert back.pixel_array.shape == shape
    assert not any(elem.tag.is_private for elem in back.iterall())
    curves_or_overlays = (range(0x5000, 0x501F), range(0x6000, 0x601F))
    assert not any(elem.tag.group in r for elem in back.iterall() for r in curves_or_overlays)
    assert "IconImageSequence" not in back

    report = json.dumps(result.report.to_json())
    leaked = sorted(s for s in secrets if s in report)
    assert not leaked, f"{name}: the report holds {leaked}"


def test_the_report_lists_removals_at_every_depth_by_path_and_never_a_value():
    ds = plant(load("CT_small.dcm"))
    result = deidentify(ds, POLICY)
    report = result.report
    actions = {entry.path: entry.action for entry in report.entries}
    assert actions["PatientName"] is Action.REPLACED
    assert actions["InstitutionName"] is Action.REMOVED
    assert actions["ReferencedImageSequence[0].InstitutionName"] is Action.REMOVED
    assert actions["ReferencedImageSequence[0].PurposeOfReferenceCodeSequence"] is (
        Action.REPLACED
    )
    deep = "EnergyWindowInformationSequence[0].EnergyWindowRangeSequence[0]."
    assert actions[deep + "PatientName"] is Action.REPLACED
    assert actions[deep + "ReferringPhysicianName"] is Action.EMPTIED
    private = ds.private_block(0x0011, "LIGHTBOX TEST").get_tag(0x01)
    assert actions[f"({private.group:04X},{private.element:04X})"] is Action.REMOVED
    assert actions["OverlayData"] is Action.REMOVED and actions["CurveData"] is Action.REMOVED
    assert actions["StudyDate"] is Action.SHIFTED and actions["PatientAge"] is Action.KEPT
    entry = next(e for e in report.entries if e.path == "AccessionNumber")
    assert (entry.tag, entry.keyword, entry.action) == (
        "(0008,0050)",
        "AccessionNumber",
        Action.EMPTIED,
    )
    as_json = report.to_json()
    assert as_json["profile"] == deid_module.PROFILE
    assert as_json["tables_edition"] == "2026c"
    assert as_json["options"] == [
        "Retain Patient Characteristics Option",
        "Retain Longitudinal Temporal Information Modified Dates Option",
        "Clean Descriptors Option",
    ]
    assert {"path", "tag", "keyword", "action"} == set(as_json["entries"][0])
    assert all(set(e) == {"path", "tag", "keyword", "action"} for e in as_json["entries"])
    for value in [*PLANTED.values(), *PLANTED_ELSEWHERE]:
        assert value not in json.dumps(as_json)


def test_markers_list_exactly_the_profile_and_the_options_applied():
    out = deidentify(load("MR_small.dcm"), POLICY).dataset
    assert out.PatientIdentityRemoved == "YES"
    items = [
        (item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning)
        for item in out.DeidentificationMethodCodeSequence
    ]
    assert items == [
        ("113100", "DCM", "Basic Application Confidentiality Profile"),
        ("113108", "DCM", "Retain Patient Characteristics Option"),
        ("113107", "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"),
        ("113105", "DCM", "Clean Descriptors Option"),
    ]
    assert all(len(value) <= 64 for value in out.DeidentificationMethod)
    assert "2026c" in out.DeidentificationMethod[0]
    basic = deidentify(load("MR_small.dcm"), DeidPolicy(SECRET, "A^B", "b", NO_OPTIONS))
    assert [i.CodeValue for i in basic.dataset.DeidentificationMethodCodeSequence] == ["113100"]
    assert basic.report.options == []


def test_an_executable_preamble_is_zeroed():
    ds = load("CT_small.dcm")
    assert ds.preamble[:2] == b"II"  # this one is even a TIFF header
    ds.preamble = b"MZ\x90\x00\x03" + b"\x00" * 55 + b"PE\x00\x00" + b"\xcc" * 64
    hostile = io.BytesIO()
    dcmwrite(hostile, ds, enforce_file_format=True)
    assert hostile.getvalue()[:2] == b"MZ"
    reread = dcmread(io.BytesIO(hostile.getvalue()))
    result = deidentify(reread, POLICY)
    assert result.dataset.preamble == bytes(128)
    assert written(result.dataset)[:132] == bytes(128) + b"DICM"
    # Even if someone sets it again before writing.
    result.dataset.preamble = b"MZ" + bytes(126)
    assert written(result.dataset)[:128] == bytes(128)


def test_the_input_data_set_is_not_modified():
    ds = plant(load("CT_small.dcm"))
    before = io.BytesIO()
    dcmwrite(before, ds, enforce_file_format=True)
    result = deidentify(ds, POLICY)
    result.dataset.ImageType.append("CHANGED")
    result.dataset.ReferencedImageSequence[0].ReferencedSOPClassUID = "1.2.3"
    after = io.BytesIO()
    dcmwrite(after, ds, enforce_file_format=True)
    assert before.getvalue() == after.getvalue()
    assert isinstance(result, DeidResult) and isinstance(result.report, DeidReport)


def test_unlisted_attributes_are_kept_only_when_allowlisted():
    ds = load("MR_small.dcm")
    ds.add_new(unlisted_person_name_tag(), "PN", "SOMEONE^ELSE")
    ds.add_new(0x00750010, "UN", b"\x01\x02")
    ds.ProcedureCodeSequence = [Dataset()]
    result = deidentify(ds, POLICY)
    out = result.dataset
    assert unlisted_person_name_tag() not in out
    assert 0x00750010 not in out and "ProcedureCodeSequence" not in out
    assert out.Rows == ds.Rows and out.ImageType == ds.ImageType  # allowlisted: kept
    assert out.EchoTime == ds.EchoTime  # an MR number: kept
    assert out.Manufacturer in (None, "")  # free text, Type 2 in General Equipment
    assert "ImagedNucleus" in ds and "ImagedNucleus" not in out  # SH: free text


# -- burned-in text -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The value length")
def test_ultrasound_with_burned_in_text_is_flagged_with_reasons():
    report = deidentify(load_deid_data("ultrasounds", "GREYSCALE_IMAGE.dcm"), POLICY).report
    assert report.needs_pixel_review
    assert "(0028,0301) Burned In Annotation is YES" in report.pixel_review_reasons
    assert any(reason.startswith("ultrasound") for reason in report.pixel_review_reasons)


def test_secondary_captures_are_flagged():
    for ds in (load_deid_data("humans", "ctbrain1.dcm"), load("SC_rgb_rle.dcm")):
        report = deidentify(ds, POLICY).report
        assert report.needs_pixel_review
        assert any("Secondary Capture" in reason for reason in report.pixel_review_reasons)


def test_a_ct_without_burned_in_annotation_is_not_flagged():
    ds = load("CT_small.dcm")
    ds.BurnedInAnnotation = "NO"
    report = deidentify(ds, POLICY).report
    assert not report.needs_pixel_review and report.pixel_review_reasons == []


@pytest.mark.parametrize(
    ("keyword", "value", "expected"),
    [
        ("Modality", "OT", "(0008,0060) Modality OT"),
        ("Modality", "XC", "(0008,0060) Modality XC"),
        ("Modality", "ES", "(0008,0060) Modality ES"),
        ("ConversionType", "WSD", "(0008,0064) Conversion Type WSD"),
        ("ConversionType", "ODD", "(0008,0064) Conversion Type is not a defined term"),
        ("RecognizableVisualFeatures", "YES", "(0028,0302) Recognizable Visual Features"),
    ],
)
def test_captures_photographs_and_odd_conversions_are_flagged(keyword, value, expected):
    ds = load("MR_small.dcm")
    setattr(ds, keyword, value)
    report = deidentify(ds, POLICY).report
    assert report.needs_pixel_review
    assert any(reason.startswith(expected) for reason in report.pixel_review_reasons)
    assert all("ODD" not in reason for reason in report.pixel_review_reasons)


def test_an_overlay_in_the_pixel_bits_is_flagged():
    ds = load("MR_small.dcm")
    ds.add_new(0x60000010, "US", ds.Rows)  # Overlay Rows, and no Overlay Data
    ds.add_new(0x60000102, "US", 15)  # Overlay Bit Position
    reasons = deidentify(ds, POLICY).report.pixel_review_reasons
    assert any("overlay embedded" in reason for reason in reasons)


# -- errors ---------------------------------------------------------------------------------


def test_a_weak_secret_or_a_bad_pseudonym_is_refused():
    with pytest.raises(DeidentificationError, match="at least 16 bytes"):
        DeidPolicy(b"short", "A^B", "b")
    with pytest.raises(DeidentificationError, match="backslash"):
        DeidPolicy(SECRET, "A\\B", "b")
    with pytest.raises(DeidentificationError, match="printable ASCII"):
        DeidPolicy(SECRET, "A^B", "b\n")
    with pytest.raises(DeidentificationError, match="over 64"):
        DeidPolicy(SECRET, "A^B", "b" * 65)
    with pytest.raises(DeidentificationError):
        remap_uid("1.2.3", b"")
    assert issubclass(DeidentificationError, ValueError)


def test_a_malformed_element_is_a_one_line_error_without_its_value():
    raw = io.BytesIO()
    ds = load("MR_small.dcm")
    dcmwrite(raw, ds, enforce_file_format=True)
    data = raw.getvalue()
    # Rows (0028,0010) US, length 2 -> length 3: the value no longer parses.
    rows = data.index(b"\x28\x00\x10\x00US\x02\x00")
    broken = data[:rows] + b"\x28\x00\x10\x00US\x03\x00\x40\x00\x00" + data[rows + 10 :]
    with pytest.raises(DeidentificationError) as caught:
        deidentify(dcmread(io.BytesIO(broken)), POLICY)
    message = str(caught.value)
    assert "\n" not in message and "(0028,0010)" in message


def test_compressed_pixels_without_a_transfer_syntax_are_refused():
    ds = load("JPEG2000.dcm")
    del ds.file_meta
    with pytest.raises(DeidentificationError, match="Transfer Syntax UID"):
        deidentify(ds, POLICY)


def test_a_data_set_without_sop_identity_cannot_be_written():
    ds = Dataset()
    ds.PatientName = "X^Y"
    result = deidentify(ds, POLICY)
    assert result.dataset.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    with pytest.raises(DeidentificationError, match="MediaStorageSOPClassUID"):
        write_deidentified(result.dataset, io.BytesIO())


def test_a_file_meta_only_instance_uid_is_remapped():
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.777"
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out = deidentify(ds, POLICY).dataset
    assert out.file_meta.MediaStorageSOPInstanceUID == remap_uid(
        "1.2.826.0.1.3680043.8.498.777", SECRET
    )
    assert Tag(0x00080018) not in out


# -- the conformance document ---------------------------------------------------------------


def test_the_conformance_document_is_generated_from_the_code():
    document = (REPO / "docs" / "deidentification.md").read_text(encoding="utf-8")
    assert document == conformance.render(), (
        "regenerate: python -m lightbox.deid.conformance > docs/deidentification.md"
    )
    for label, _, _, _ in conformance_rows():
        assert f"| `{label}` |" in document


def test_the_conformance_command_prints_the_document(capsys):
    assert conformance.main() == 0
    assert capsys.readouterr().out == conformance.render()


def test_the_examples_in_the_docstrings_run():
    for module in (deid_module, conformance):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0 and failed == 0
