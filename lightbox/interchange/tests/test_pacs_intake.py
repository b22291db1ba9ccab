"""Instances received over DICOM, from the C-STORE request on: a draft case per study,
for the mapped author or the inbox, through the same quarantine and de-identification as
uploads; teaching-file manifests select the images and supply the author's note."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.test import TestCase
from django.utils import timezone

from lightbox.cases.models import Case
from lightbox.deid.dicom import remap_uid
from lightbox.imaging import quarantine, received
from lightbox.imaging.dicom.kos import example_manifest
from lightbox.imaging.models import Instance, ReceivedStudy, Upload
from lightbox.interchange.pacs import intake as intake_module
from lightbox.interchange.pacs.intake import (
    CANNOT_UNDERSTAND,
    SUCCESS,
    Intake,
    Refused,
)
from lightbox.test import PLANTED_NAME, ct_slices, part10

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mapping(settings):
    settings.DICOM_AE_AUTHORS = {"CT_WS1": "alice", "LEARNER_WS": "bob"}
    settings.DICOM_MANIFEST_MINUTES = 10


def _send(calling_ae: str, files: list[bytes]) -> Intake:
    """One association's worth; what it queues is processed when it ends (the test's
    transaction never commits, so the on-commit queueing is run by hand)."""
    intake = Intake(calling_ae)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for data in files:
            assert intake.store(data) == SUCCESS
        intake.close()
    return intake


def _uid(data: bytes, keyword: str) -> str:
    import io

    import pydicom

    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).get(keyword))


def _stored_bytes() -> bytes:
    """Every stored file (on disk or in a bucket) and whatever else sits under media/."""
    from django.core.files.storage import default_storage

    from lightbox.test import stored_names

    media = Path(settings.MEDIA_ROOT)
    local = b"".join(p.read_bytes() for p in media.rglob("*") if p.is_file())
    return local + b"".join(default_storage.open(n).read() for n in stored_names())


def test_a_study_from_a_mapped_ae_becomes_its_authors_draft_de_identified(people):
    files = ct_slices(3)
    intake = _send("CT_WS1", files)
    assert intake.stored == 3
    study = ReceivedStudy.objects.select_related("case").get()
    case = study.case
    assert case.created_by == people["alice"] and case.status == "draft"
    assert case.visibility == "private" and case.number.startswith("pacs")
    assert study.calling_ae == "CT_WS1" and study.instances_received == 3
    # Known by the re-mapped Study Instance UID, never the one the PACS sent.
    original = _uid(files[0], "StudyInstanceUID")
    assert study.study_uid == remap_uid(original, settings.DEID_SECRET.encode())
    assert original not in str(list(ReceivedStudy.objects.values_list()))
    upload = Upload.objects.get()
    assert upload.state == "done" and upload.received_from == "CT_WS1"
    assert upload.created_by == people["alice"]
    assert Instance.objects.filter(series__study__case=case).count() == 3
    stored = _stored_bytes()
    assert stored and PLANTED_NAME.encode() not in stored
    assert b"ZZMRN0001" not in stored and b"ZZPLANTED HOSPITAL" not in stored
    # Nothing identified is left in quarantine.
    assert not [p for p in Path(settings.QUARANTINE_DIR).rglob("*") if p.is_file()]


def test_an_unmapped_ae_sends_to_the_inbox(people):
    _send("UNKNOWN_AE", ct_slices(2))
    study = ReceivedStudy.objects.get()
    assert study.in_inbox and study.case.created_by is None
    assert Upload.objects.get().created_by is None


def test_an_ae_mapped_to_a_learner_sends_to_the_inbox(people):
    _send("LEARNER_WS", ct_slices(1))
    assert ReceivedStudy.objects.get().in_inbox


def test_one_case_per_study_and_later_instances_join_it(people):
    first, second = ct_slices(2), ct_slices(2)
    _send("CT_WS1", [first[0], second[0]])
    _send("CT_WS1", [first[1], second[1]])  # another association, later
    assert ReceivedStudy.objects.count() == 2 == Case.objects.count()
    for study in ReceivedStudy.objects.all():
        assert Instance.objects.filter(series__study__case=study.case).count() == 2
        assert study.instances_received == 2


def test_the_same_instance_sent_twice_is_stored_once(people):
    files = ct_slices(2)
    _send("CT_WS1", files)
    _send("CT_WS1", files)
    assert Instance.objects.count() == 2


def test_a_long_send_is_processed_in_uploads_of_limited_size(people, monkeypatch):
    monkeypatch.setattr(intake_module, "FILES_PER_UPLOAD", 2)
    _send("CT_WS1", ct_slices(5))
    assert Upload.objects.count() == 3
    assert set(Upload.objects.values_list("state", flat=True)) == {"done"}
    assert Instance.objects.count() == 5


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 200,
        b"not dicom at all, just words" * 10,
        bytes(128) + b"DICM" + b"\xff" * 300,
    ],
)
def test_unreadable_bytes_are_refused_and_nothing_is_kept(people, data):
    intake = Intake("CT_WS1")
    with pytest.raises(Refused) as caught:
        intake.store(data)
    intake.close()
    assert caught.value.status == CANNOT_UNDERSTAND and "\n" not in caught.value.message
    assert not Upload.objects.exists() and not Case.objects.exists()
    assert not list(Path(quarantine.root()).rglob("*.bin"))


def test_an_instance_without_a_study_uid_is_refused(people):
    import io

    import pydicom

    ds = pydicom.dcmread(io.BytesIO(ct_slices(1)[0]))
    del ds.StudyInstanceUID
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    with pytest.raises(Refused, match="Study Instance UID"):
        Intake("CT_WS1").store(out.getvalue())


def test_a_truncated_instance_is_refused_by_de_identification_not_stored(people):
    data = ct_slices(1)[0]
    _send("CT_WS1", [data[: len(data) // 2]])  # the header reads; the pixels are cut short
    upload = Upload.objects.get()
    assert upload.files.get().state == "failed"
    assert not Instance.objects.exists()


def test_a_key_object_selection_not_for_teaching_is_ignored(people):
    ko = example_manifest(["1.2.3.4"], title=("DCM", "113001", "Rejected for Quality Reasons"))
    intake = _send("CT_WS1", [part10(ko)])
    assert intake.ignored == 1
    assert not ReceivedStudy.objects.exists() and not Upload.objects.exists()


def _manifest_for(files: list[bytes], chosen: list[int], **options) -> bytes:
    study = _uid(files[0], "StudyInstanceUID")
    series = _uid(files[0], "SeriesInstanceUID")
    uids = [_uid(files[i], "SOPInstanceUID") for i in chosen]
    return part10(example_manifest(uids, study_uid=study, series_uid=series, **options))


def test_a_teaching_manifest_selects_the_images_and_supplies_the_note(people):
    files = ct_slices(4)
    manifest = _manifest_for(
        files,
        [0, 2],
        note="Classic case: note the sign.",
        texts={"TCE107": "Sarcoidosis", "121060": "Cough.", "111023": "Lymphoma; TB"},
    )
    # The PACS sends everything, the manifest last.
    _send("CT_WS1", [*files, manifest])
    study = ReceivedStudy.objects.select_related("case").get()
    assert study.manifest == "complete" and study.selected_arrived == 2
    kept = set(Instance.objects.values_list("sop_uid", flat=True))
    secret = settings.DEID_SECRET.encode()
    assert kept == {remap_uid(_uid(files[i], "SOPInstanceUID"), secret) for i in (0, 2)}
    assert study.note == "Classic case: note the sign."
    case = study.case
    assert case.diagnosis == "Sarcoidosis" and case.brief_history == "Cough."
    assert case.differential == ["Lymphoma", "TB"]
    assert "Classic case" in case.discussion
    series = case.studies.get().series.get()
    assert series.instance_count == 2


def test_instances_after_the_manifest_that_it_does_not_select_are_not_kept(people):
    files = ct_slices(3)
    intake = _send("CT_WS1", [_manifest_for(files, [1]), *files])
    assert intake.stored == 1
    study = ReceivedStudy.objects.get()
    assert study.instances_not_selected == 2
    assert study.manifest == "complete"
    assert Instance.objects.count() == 1


def test_a_manifest_whose_images_never_arrive_is_incomplete_after_the_timeout(people):
    files = ct_slices(3)
    _send("CT_WS1", [files[0], _manifest_for(files, [0, 1, 2])])
    study = ReceivedStudy.objects.get()
    assert study.manifest == "waiting" and study.selected_arrived == 1
    later = timezone.now() + dt.timedelta(minutes=11)
    # Shown as incomplete at once, even before anything looks again...
    assert received.manifest_state(study, later) == "incomplete"
    # ...and recorded so when the receiver looks again.
    assert received.refresh_due(later) == 1
    study.refresh_from_db()
    assert study.manifest == "incomplete" and study.selected_missing == 2
    # A late image still completes it.
    _send("CT_WS1", files[1:])
    received.refresh_due(later)
    study.refresh_from_db()
    assert study.manifest == "complete"


def test_the_manifest_never_removes_what_an_author_uploaded(people):
    from lightbox.imaging.ingest import process_upload
    from lightbox.imaging.uploads import receive
    from lightbox.test import Named

    files = ct_slices(3)
    _send("CT_WS1", files[:1])
    case = ReceivedStudy.objects.get().case
    upload = receive(case, people["alice"], [Named("mine.dcm", files[2])])
    process_upload(upload.pk)
    _send("CT_WS1", [_manifest_for(files, [0])])
    assert Instance.objects.filter(series__study__case=case).count() == 2


def test_manifest_texts_never_overwrite_what_the_author_wrote(people):
    files = ct_slices(1)
    _send("CT_WS1", files)
    case = ReceivedStudy.objects.get().case
    case.diagnosis = "My own diagnosis"
    case.save()
    _send("CT_WS1", [_manifest_for(files, [0], texts={"TCE107": "The PACS's diagnosis"})])
    case.refresh_from_db()
    assert case.diagnosis == "My own diagnosis"


def test_a_hostile_manifest_is_refused_in_one_line(people):
    ko = example_manifest(["1.2.3.4"])
    series = ko.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    series.ReferencedSOPSequence[0].ReferencedSOPInstanceUID = "not-a-uid"
    with pytest.raises(Refused) as caught:
        Intake("CT_WS1").store(part10(ko))
    assert caught.value.status == CANNOT_UNDERSTAND
    assert "reference 1" in caught.value.message
    assert not ReceivedStudy.objects.exists()


def test_instances_a_killed_receiver_acknowledged_are_recorded_when_it_starts_again(people):
    from lightbox.interchange.management.commands.dicom_receiver import finish_left_open

    files = ct_slices(3)
    intake = Intake("CT_WS1")
    for data in files:
        intake.store(data)  # written to quarantine, not yet recorded; then the kill
    upload = Upload.objects.get()
    assert upload.state == "receiving" and not upload.files.exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert finish_left_open() == 1
    upload.refresh_from_db()
    assert upload.state == "done" and upload.files.count() == 3
    assert Instance.objects.count() == 3
