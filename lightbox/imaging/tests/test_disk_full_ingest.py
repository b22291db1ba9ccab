"""A full disk while an upload is processed (the worker's side): a clear message, every
file not processed failed rather than left queued, quarantine and staging wiped at once,
and nothing half-stored."""

import errno
import io
from pathlib import Path

import pydicom
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from pydicom.data import get_testdata_file

from lightbox.imaging import ingest, quarantine
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, Upload, UploadFile
from lightbox.imaging.uploads import receive
from lightbox.lib.isolation import Outcome
from lightbox.lib.storage import AtomicFileSystemStorage
from lightbox.test import Named, Nobody, make_case

# About the local disk filling up: local storage, whatever LIGHTBOX_TEST_STORAGE says.
pytestmark = [pytest.mark.django_db, pytest.mark.local_storage]

FULL = OSError(errno.ENOSPC, "No space left on device")


def _slices(count: int) -> list[Named]:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    files = []
    for n in range(count):
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.88.{n}"
        out = io.BytesIO()
        ds.save_as(out, enforce_file_format=True)
        files.append(Named(f"IM{n}.dcm", out.getvalue()))
    return files


def _queued(count: int = 6) -> Upload:
    return receive(make_case(), Nobody(), _slices(count), enqueue=False)


def _assert_failed_cleanly(upload: Upload, settings) -> None:
    upload.refresh_from_db()
    assert upload.state == Upload.State.FAILED
    assert upload.error.startswith("the server's disk is full (No space left on device)")
    assert "/" not in upload.error  # no server path in the message
    assert not upload.files.filter(state=UploadFile.State.QUEUED).exists()
    for f in upload.files.exclude(state=UploadFile.State.DONE):
        assert f.state == UploadFile.State.FAILED and f.error and f.quarantine == ""
    assert not (quarantine.root() / str(upload.pk)).exists()
    staging = Path(settings.STAGING_DIR)
    assert not staging.exists() or not any(staging.rglob("*.dcm"))
    # Nothing half-stored: every stored file belongs to an instance, and back.
    stored = [p for p in (Path(settings.MEDIA_ROOT) / "dicom").rglob("*") if p.is_file()]
    assert len(stored) == Instance.objects.count()


def test_a_full_disk_at_the_storage_write_fails_the_upload_clearly(settings, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 2)
    upload = _queued()
    real_save = AtomicFileSystemStorage._save
    saved = []

    def save(self, name, content):
        if len(saved) == 2:  # the first batch is stored, then the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device", str(self.location))
        saved.append(name)
        return real_save(self, name, content)

    monkeypatch.setattr(AtomicFileSystemStorage, "_save", save)
    returned = process_upload(upload.pk)  # no exception: a full disk is no bug
    _assert_failed_cleanly(returned, settings)
    assert upload.files.filter(state=UploadFile.State.DONE).count() == 2  # kept
    assert set(upload.files.exclude(state="done").values_list("error", flat=True)) == {
        "not processed: the server's disk is full"
    }


def test_a_full_disk_while_syncing_the_staged_files_fails_the_upload_clearly(
    settings, monkeypatch
):
    upload = _queued()

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(ingest, "fsync_path", full)
    _assert_failed_cleanly(process_upload(upload.pk), settings)
    assert not upload.files.filter(state=UploadFile.State.DONE).exists()


def test_a_full_disk_in_the_child_stops_the_upload_at_once(settings, monkeypatch):
    """The child could not write its staged file: every other file would fail the same
    way, so the upload stops instead of failing them one by one."""
    asked = []

    class FullDiskPool:
        def map_unordered(self, fn, jobs):
            for key, _ in jobs:
                asked.append(key)
                yield Outcome(key, error=OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(ingest, "_pool", FullDiskPool)
    upload = _queued()
    _assert_failed_cleanly(process_upload(upload.pk), settings)
    assert len(asked) == 1


def test_a_full_database_disk_is_reported_as_a_full_disk(settings, monkeypatch):
    def full(files):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(ingest, "_update_files", full)
    upload = process_upload(_queued().pk)
    assert upload.state == Upload.State.FAILED
    assert upload.error.startswith("the server's disk is full (the database has no space left)")
    assert not upload.files.filter(state=UploadFile.State.QUEUED).exists()
    assert not (quarantine.root() / str(upload.pk)).exists()


def test_import_dicom_says_the_disk_is_full_without_a_traceback(tmp_path, monkeypatch, capsys):
    def full(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(AtomicFileSystemStorage, "_save", full)
    case = make_case()
    for named in _slices(3):
        (tmp_path / named.name).write_bytes(named.getvalue())
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="the server's disk is full") as raised:
        call_command("import_dicom", str(tmp_path), "--case", case.number, stdout=out, stderr=err)
    assert "3 failed" in str(raised.value)
    captured = capsys.readouterr()
    assert "Traceback" not in out.getvalue() + err.getvalue() + captured.out + captured.err


def test_a_frame_is_still_served_when_the_disk_is_too_full_to_keep_it(client, monkeypatch):
    """Rendered on demand by the web process: a full disk must not make it a 500."""
    upload = process_upload(_queued(1).pk)
    instance = upload.files.get().instance

    def full(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(AtomicFileSystemStorage, "_save", full)
    response = client.get(f"/cases/{upload.case.number}/instances/{instance.pk}/frames/1.png")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
