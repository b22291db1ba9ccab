"""`manage.py worker`: recovers what a crash interrupted, starts its pool, then works."""

import pytest
from django.core.management import call_command
from django_tasks_db.management.commands.db_worker import Command as DbWorker

from lightbox.imaging import ingest, quarantine
from lightbox.imaging.models import Upload, UploadFile
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


def test_the_worker_recovers_interrupted_uploads_and_warms_up_first(
    monkeypatch, tmp_path, settings
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    case = make_case()
    upload = Upload.objects.create(case=case, state=Upload.State.PROCESSING)
    source = tmp_path / "photo.png"
    source.write_bytes(png_bytes())
    with source.open("rb") as fp:
        relative, size = quarantine.write(upload.pk, 0, fp, limit=10**7)
    UploadFile.objects.create(
        upload=upload, order=0, name="photo.png", size=size, quarantine=relative
    )
    leftover = quarantine.root() / "a-crashed-upload"
    leftover.mkdir()
    monkeypatch.setattr(ingest, "_POOL", None)
    calls = []
    monkeypatch.setattr(DbWorker, "handle", lambda self, *a, **o: calls.append(ingest._POOL))

    call_command("worker", "--no-reload")

    assert calls and calls[0] is not None  # the pool was running before the first task
    queued = DBTaskResult.objects.get()  # the unfinished upload is queued again
    assert queued.task_path == "lightbox.imaging.tasks.process_upload"
    assert queued.args_kwargs["args"] == [str(upload.pk)]
    assert quarantine.path_of(relative).exists()  # its bytes are kept for the retry
    assert not leftover.exists()  # what no unfinished upload owns is wiped


def test_the_worker_cancels_abandoned_open_uploads_as_it_starts(monkeypatch, settings, people):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from lightbox.imaging import uploads

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.UPLOAD_OPEN_MINUTES = 60
    case = make_case(created_by=people["alice"])
    upload = uploads.open_upload(case, people["alice"])
    uploads.add_files(upload, [_PngFile()])
    Upload.objects.filter(pk=upload.pk).update(
        last_received=timezone.now() - dt.timedelta(minutes=61)
    )
    monkeypatch.setattr(ingest, "warm_up", lambda: None)
    monkeypatch.setattr(DbWorker, "handle", lambda self, *a, **o: None)

    call_command("worker", "--no-reload")

    upload.refresh_from_db()
    assert upload.state == Upload.State.FAILED  # cancelled, not queued again
    assert not (quarantine.root() / str(upload.pk)).exists()
    assert not DBTaskResult.objects.exists()


def test_the_worker_sweeps_abandoned_uploads_while_it_runs_and_survives_a_failed_sweep(
    monkeypatch,
):
    import threading

    from lightbox.imaging import uploads
    from lightbox.ops.management.commands import worker

    stop, sweeps = threading.Event(), []

    def sweep():
        sweeps.append(1)
        if len(sweeps) == 1:
            raise RuntimeError("database went away")
        stop.set()
        return 0

    monkeypatch.setattr(worker, "SWEEP_SECONDS", 0)
    monkeypatch.setattr(uploads, "sweep_abandoned", sweep)
    worker._sweep_until(stop)
    assert len(sweeps) == 2


def test_the_worker_sweep_forgets_uploaded_names_that_are_due(monkeypatch):
    import threading

    from lightbox.imaging import uploads
    from lightbox.ops.management.commands import worker

    stop, forgotten = threading.Event(), []

    def forget():
        forgotten.append(1)
        stop.set()
        return 0

    monkeypatch.setattr(worker, "SWEEP_SECONDS", 0)
    monkeypatch.setattr(uploads, "sweep_abandoned", lambda: 0)
    monkeypatch.setattr(uploads, "forget_names", forget)
    worker._sweep_until(stop)
    assert forgotten == [1]


class _PngFile:
    name = "photo.png"

    def __init__(self):
        import io

        self._data = io.BytesIO(png_bytes())

    def read(self, n=-1):
        return self._data.read(n)


def test_a_task_whose_record_redis_lost_while_it_ran_ends_without_a_traceback(
    settings, redis_url, caplog
):
    """A Redis restarted without persistence while a worker ran a task: the task's record
    is gone when it ends. The worker says so in one line and writes the record again."""
    from django_rq.queues import get_queue
    from redis import Redis
    from rq.job import Job

    from lightbox.ops.management.commands.worker import LightboxJob, LightboxWorker
    from lightbox.search.tasks import embed_cases

    settings.TASKS = {
        "default": {"BACKEND": "lightbox.ops.queue.RQBackend", "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": -1}}
    result = embed_cases.enqueue([])
    client = Redis.from_url(redis_url)
    rq_queue = get_queue("default", job_class=LightboxJob)
    worker = LightboxWorker([rq_queue], connection=client, job_class=LightboxJob, name="w")
    job = rq_queue.dequeue_any([rq_queue], None, connection=client, job_class=LightboxJob)[0]
    run = job._execute

    def restarted_meanwhile():  # what a restart without the data does
        client.delete(job.key)
        return run()

    job._execute = restarted_meanwhile
    with caplog.at_level("WARNING"):
        worker.perform_job(job, rq_queue)

    assert f"task {result.id} (" in caplog.text
    assert "Redis no longer holds its record" in caplog.text
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    assert Job.fetch(result.id, connection=client).get_status() == "finished"  # kept again
    client.delete(job.key)
    with caplog.at_level("WARNING"):
        job.execute_failure_callback(worker.death_penalty_class, ValueError, ValueError(), None)
    assert caplog.text.count("Redis no longer holds its record") == 2


@pytest.mark.django_db
def test_a_worker_whose_redis_goes_away_as_it_starts_waits_and_requeues(
    settings, redis_url, monkeypatch, caplog
):
    """Redis killed between the worker's recovery and its first mark (a slow start on a
    busy machine): the worker waited for it, found the mark missing and queued the
    unfinished uploads again, instead of exiting with a traceback."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from lightbox.ops.management.commands import worker

    settings.TASKS = {
        "default": {"BACKEND": "lightbox.ops.queue.RQBackend", "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": -1}}
    settings.REDIS_URL = redis_url
    monkeypatch.setattr(worker.queue, "backend", lambda alias="default": "redis")

    def gone(self):
        raise RedisConnectionError("Error 111 connecting: Connection refused.")

    checked = []
    monkeypatch.setattr(worker._Keeper, "mark", gone)
    monkeypatch.setattr(worker._Keeper, "check", lambda self: checked.append(True))
    monkeypatch.setattr(worker.tasks, "recover", lambda: 0)
    monkeypatch.setattr(worker.ingest, "warm_up", lambda: None)
    with caplog.at_level("WARNING"):
        call_command("worker", "--batch")
    assert checked == [True]
    assert "Redis went away: Error 111" in caplog.text
