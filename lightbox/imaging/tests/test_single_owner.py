"""One owner per upload: two runs of process_upload at once (``import_dicom`` beside a
worker that re-queued the upload, two workers) never process the same files twice, and
an upload whose owner died is still finished."""

import io
import subprocess
import threading
from pathlib import Path

import pydicom
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from pydicom.data import get_testdata_file

from lightbox.imaging import ingest, lease, quarantine
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, Upload, UploadFile
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, make_case, stored_names


def _slices(count: int) -> list[Named]:
    base = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    files = []
    for n in range(count):
        base.SOPInstanceUID = base.file_meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.9.{n}"
        base.InstanceNumber = n + 1
        out = io.BytesIO()
        base.save_as(out, enforce_file_format=True)
        files.append(Named(f"IM{n:03d}.dcm", out.getvalue()))
    return files


def _queued(count: int) -> Upload:
    return receive(make_case(), Nobody(), _slices(count), enqueue=False)


@pytest.mark.django_db(transaction=True)
def test_it_processes_an_upload_once_when_two_runners_start_together(settings):
    upload = _queued(80)
    ingest.warm_up()  # one pool, started before the race
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    states: list[str] = []

    def run() -> None:
        try:
            start.wait()
            states.append(process_upload(upload.pk).state)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)
        finally:
            connection.close()

    runners = [threading.Thread(target=run) for _ in range(2)]
    for t in runners:
        t.start()
    for t in runners:
        t.join(timeout=120)
    assert errors == []
    assert "done" in states
    upload.refresh_from_db()
    assert upload.state == Upload.State.DONE and upload.owner == ""
    assert set(upload.files.values_list("state", flat=True)) == {"done"}
    instances = Instance.objects.filter(series__study__case=upload.case)
    assert instances.count() == 80
    assert len({i.file.name for i in instances}) == 80
    assert len(stored_names("dicom")) == 80  # every file stored once, no orphan
    assert not (quarantine.root() / str(upload.pk)).exists()


@pytest.mark.django_db
def test_a_live_owner_is_left_alone():
    upload = _queued(2)
    other = "another-host:4242:cafe"
    Upload.objects.filter(pk=upload.pk).update(
        owner=other, heartbeat=timezone.now(), state=Upload.State.PROCESSING
    )
    returned = process_upload(upload.pk)
    assert returned.state == Upload.State.PROCESSING and returned.owner == other
    assert upload.files.filter(state=UploadFile.State.QUEUED).count() == 2
    assert all(quarantine.path_of(f.quarantine).exists() for f in upload.files.all())


@pytest.mark.django_db
def test_an_upload_whose_owner_died_is_taken_over_at_once():
    upload = _queued(2)
    gone = subprocess.run(["true"], check=True)  # noqa: S607 - a process that has ended
    dead = subprocess.Popen(["true"])  # noqa: S607
    dead.wait()
    assert gone.returncode == 0
    owner = f"{lease.socket.gethostname()}:{dead.pid}:dead"
    Upload.objects.filter(pk=upload.pk).update(
        owner=owner, heartbeat=timezone.now(), state=Upload.State.PROCESSING
    )
    assert process_upload(upload.pk).state == Upload.State.DONE


@pytest.mark.django_db
def test_an_owner_silent_past_its_lease_is_taken_over(settings):
    upload = _queued(1)
    silent_since = timezone.now() - timezone.timedelta(seconds=lease.lease_seconds() + 5)
    Upload.objects.filter(pk=upload.pk).update(
        owner="another-host:4242:cafe", heartbeat=silent_since, state=Upload.State.PROCESSING
    )
    assert process_upload(upload.pk).state == Upload.State.DONE


@pytest.mark.django_db
def test_an_owner_that_lost_its_lease_stops_without_failing_or_wiping(settings, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 1)
    upload = _queued(4)

    def taken_over(f: UploadFile) -> None:
        Upload.objects.filter(pk=upload.pk).update(
            owner="another-host:4242:cafe", heartbeat=timezone.now()
        )

    returned = process_upload(upload.pk, progress=taken_over)
    assert returned.state == Upload.State.PROCESSING  # the new owner finishes it
    assert returned.owner == "another-host:4242:cafe"
    left = upload.files.filter(state=UploadFile.State.QUEUED)
    assert left.count() >= 2
    assert all(quarantine.path_of(f.quarantine).exists() for f in left)
    assert list(Path(settings.STAGING_DIR).glob(f"{upload.pk}.*")) == []


@pytest.mark.django_db
def test_import_dicom_processes_its_upload_without_enqueuing_it(tmp_path, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    case = make_case()
    for named in _slices(3):
        (tmp_path / named.name).write_bytes(named.getvalue())
    call_command("import_dicom", str(tmp_path), "--case", case.number, stdout=io.StringIO())
    assert not DBTaskResult.objects.filter(task_path__endswith="process_upload").exists()
    assert Instance.objects.filter(series__study__case=case).count() == 3


@pytest.mark.django_db
def test_a_task_that_finds_the_upload_owned_looks_again_after_the_lease(settings):
    from django_tasks_db.models import DBTaskResult

    from lightbox.imaging.tasks import process_upload as task

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    upload = _queued(1)
    beat = timezone.now()
    Upload.objects.filter(pk=upload.pk).update(
        owner="another-host:4242:cafe", heartbeat=beat, state=Upload.State.PROCESSING
    )
    assert task.call(str(upload.pk)) == "processing"
    again = DBTaskResult.objects.get(task_path__endswith="process_upload")
    assert again.args_kwargs["args"] == [str(upload.pk)]
    assert again.run_after >= beat + timezone.timedelta(seconds=lease.lease_seconds())


@pytest.mark.django_db(transaction=True)
def test_import_dicom_follows_a_worker_that_took_its_upload_first(tmp_path, monkeypatch):
    """A worker starting meanwhile re-queues every unfinished upload and may claim the
    command's before the command does: the command then follows it to the end."""
    import time

    from lightbox.imaging.management.commands import import_dicom

    monkeypatch.setattr(import_dicom, "FOLLOW_SECONDS", 0.05)
    real = import_dicom.process_upload
    worker: list[threading.Thread] = []
    calls: list[str] = []

    def slow_worker(upload_id) -> None:
        try:
            real(upload_id, progress=lambda f: time.sleep(0.2))
        finally:
            connection.close()

    def command_side(upload_id, progress=None):
        if not worker:  # the worker gets there first
            worker.append(threading.Thread(target=slow_worker, args=(upload_id,)))
            worker[0].start()
            while not Upload.objects.filter(pk=upload_id, owner__gt="").exists():
                time.sleep(0.01)
        upload = real(upload_id, progress=progress)
        calls.append(upload.state)
        return upload

    monkeypatch.setattr(import_dicom, "process_upload", command_side)
    case = make_case()
    for named in _slices(5):
        (tmp_path / named.name).write_bytes(named.getvalue())
    out = io.StringIO()
    call_command("import_dicom", str(tmp_path), "--case", case.number, stdout=out)
    worker[0].join(30)
    assert calls[0] == "processing" and calls[-1] == "done"  # it followed, then saw it done
    assert "5 file(s): 5 DICOM stored, 0 picture(s) stored, 0 skipped, 0 failed" in out.getvalue()
    assert Instance.objects.filter(series__study__case=case).count() == 5
