"""Reading teaching-file manifests (Key Object Selection documents), hostile ones included:
every malformed document is one ManifestError with a one-line message, never another
exception."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from lightbox.imaging.dicom import kos
from lightbox.imaging.dicom.kos import ManifestError, example_manifest, read_manifest


def test_it_reads_the_selection_the_note_and_the_teaching_texts():
    ds = example_manifest(
        ["1.2.3.1", "1.2.3.2", "1.2.3.1"],
        note="Look at the left hilum.",
        texts={
            "121060": "Cough for three weeks.",
            "TCE107": "Sarcoidosis",
            "111023": "Lymphoma; Tuberculosis",
            "TCE105": "hilar, nodes",
            "TCE101": "Dr. Teacher",
        },
    )
    manifest = read_manifest(ds)
    assert manifest.is_teaching and manifest.selects
    assert [r.sop_uid for r in manifest.references] == ["1.2.3.1", "1.2.3.2"]  # deduplicated
    assert manifest.references[0].series_uid == "1.2.3.0"
    assert manifest.note == "Look at the left hilum."
    assert manifest.text("history") == "Cough for three weeks."
    assert manifest.text("diagnosis") == "Sarcoidosis"
    assert manifest.texts["differential"] == ("Lymphoma; Tuberculosis",)
    assert manifest.text("author") == "Dr. Teacher"


@pytest.mark.parametrize(
    "title",
    [
        ("DCM", "113004", "For Teaching"),
        ("DCM", "128710", "For Teaching File Export"),
        ("IHERADTF", "TCE001", "For Teaching File Export"),
    ],
)
def test_each_teaching_title_selects(title):
    manifest = read_manifest(example_manifest(["1.2.3.4"], title=title))
    assert manifest.is_teaching and manifest.selects


def test_additional_teaching_file_information_is_teaching_but_selects_nothing():
    manifest = read_manifest(
        example_manifest(["1.2.3.4"], title=("IHERADTF", "TCE006", "Additional info"))
    )
    assert manifest.is_teaching and not manifest.selects


@pytest.mark.parametrize(
    "title", [("DCM", "113000", "Of Interest"), ("DCM", "113001", "Rejected for Quality")]
)
def test_other_titles_are_not_for_teaching(title):
    assert not read_manifest(example_manifest(["1.2.3.4"], title=title)).is_teaching


def test_texts_inside_containers_are_found_but_not_past_the_depth_limit():
    ds = example_manifest(["1.2.3.4"])
    inner = Dataset()
    inner.ValueType = "TEXT"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "121071", "DCM", "Findings"
    inner.ConceptNameCodeSequence = [code]
    inner.TextValue = "Bilateral hilar nodes."
    node = inner
    for _ in range(3):
        container = Dataset()
        container.ValueType = "CONTAINER"
        container.ContentSequence = [node]
        node = container
    ds.ContentSequence = [node]
    assert read_manifest(ds).text("findings") == "Bilateral hilar nodes."
    for _ in range(kos.MAX_DEPTH + 1):
        container = Dataset()
        container.ValueType = "CONTAINER"
        container.ContentSequence = [node]
        node = container
    ds.ContentSequence = [node]
    assert read_manifest(ds).text("findings") == ""


def _refused(ds: Dataset) -> str:
    with pytest.raises(ManifestError) as caught:
        read_manifest(ds)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_it_refuses_what_is_not_a_key_object_selection():
    ds = example_manifest(["1.2.3.4"])
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    assert "not a Key Object Selection" in _refused(ds)


def test_it_refuses_a_document_without_a_title():
    ds = example_manifest(["1.2.3.4"])
    del ds.ConceptNameCodeSequence
    assert "no title" in _refused(ds)
    ds.ConceptNameCodeSequence = [Dataset()]
    assert "no title" in _refused(ds)


@pytest.mark.parametrize("uid", ["", "1.2.abc", "1." + "2" * 80, "1..2"])
def test_it_refuses_a_reference_without_a_valid_uid(uid):
    ds = example_manifest(["1.2.3.4", "1.2.3.5"])
    ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    series = ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    series.ReferencedSOPSequence[1].ReferencedSOPInstanceUID = uid
    assert "reference 2" in _refused(ds)


def test_it_refuses_a_selection_of_too_many_instances(monkeypatch):
    monkeypatch.setattr(kos, "MAX_REFERENCES", 5)
    assert "more than 5" in _refused(example_manifest([f"1.2.3.{i}" for i in range(6)]))


def test_it_refuses_a_text_where_a_sequence_belongs():
    ds = example_manifest(["1.2.3.4"])
    del ds.ContentSequence
    ds.add_new(0x0040A730, "LO", "not a sequence")  # (0040,A730) Content Sequence
    assert "malformed" in _refused(ds) or "not a sequence" in _refused(ds)


def test_it_cuts_a_huge_text():
    ds = example_manifest(["1.2.3.4"], note="x" * 100_000)
    assert len(read_manifest(ds).note) == kos.MAX_TEXT


def test_a_manifest_with_no_references_selects_nothing():
    ds = example_manifest([])
    assert read_manifest(ds).references == ()
