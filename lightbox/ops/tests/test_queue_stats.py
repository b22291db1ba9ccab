"""lightbox.ops.queue.stats(): what the health checks see of the task queue, on each
backend."""

import datetime as dt

import pytest
from django.utils import timezone
from redis import Redis
from rq.job import Job
from rq.worker import SimpleWorker

from lightbox.ops import queue
from lightbox.search.tasks import embed_cases

DB = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
REDIS = {"default": {"BACKEND": "lightbox.ops.queue.RQBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db
def test_the_db_queue_counts_what_is_due_and_ages_it_from_when_it_fell_due(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB
    now = timezone.now()
    waiting = embed_cases.enqueue([])
    embed_cases.enqueue([])
    embed_cases.using(run_after=now + dt.timedelta(minutes=5)).enqueue([])  # not due yet
    due = embed_cases.using(run_after=now - dt.timedelta(seconds=30)).enqueue([])
    started = embed_cases.enqueue([])
    DBTaskResult.objects.filter(pk=waiting.id).update(enqueued_at=now - dt.timedelta(seconds=90))
    DBTaskResult.objects.filter(pk=due.id).update(enqueued_at=now - dt.timedelta(hours=2))
    DBTaskResult.objects.get(pk=started.id).claim("a-worker")

    found = queue.stats()

    assert found["backend"] == "db"
    assert found["depth"] == 3  # two queued, one deferred that fell due
    assert 90 <= found["oldest_seconds"] < 120  # since enqueued; the deferred one from due
    assert found["workers"] is None


@pytest.mark.django_db
def test_an_empty_db_queue_has_no_oldest_task(settings):
    settings.TASKS = DB
    assert queue.stats() == {"backend": "db", "depth": 0, "oldest_seconds": None, "workers": None}


def test_the_redis_queue_counts_its_jobs_and_only_live_workers(settings, redis_url):
    settings.TASKS = REDIS
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": -1}}
    assert queue.stats() == {
        "backend": "redis",
        "depth": 0,
        "oldest_seconds": None,
        "workers": 0,
    }
    embed_cases.enqueue([])
    embed_cases.enqueue([])
    embed_cases.using(run_after=timezone.now() + dt.timedelta(minutes=5)).enqueue([])
    client = Redis.from_url(redis_url)
    alive, killed = (SimpleWorker(["default"], connection=client, name=n) for n in "ab")
    alive.register_birth()
    killed.register_birth()
    client.delete(killed.key)  # a worker killed with kill -9: its heartbeat ran out

    found = queue.stats()

    assert found["backend"] == "redis"
    assert found["depth"] == 2  # the deferred one waits in RQ's schedule, not the queue
    assert 0 <= found["oldest_seconds"] < 60
    assert found["workers"] == 1


def test_a_redis_that_does_not_answer_is_said_plainly(settings):
    from lightbox.ops.tests.conftest import free_port

    settings.TASKS = REDIS
    port = free_port()
    settings.RQ_QUEUES = {"default": {"URL": f"redis://:secret@127.0.0.1:{port}/3"}}
    with pytest.raises(queue.QueueUnavailable, match=f"Redis at redis://127.0.0.1:{port}/3"):
        queue.stats()


def test_the_immediate_backend_never_has_anything_waiting(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert queue.stats() == {
        "backend": "immediate",
        "depth": 0,
        "oldest_seconds": None,
        "workers": None,
    }


def test_the_redis_backend_makes_djangos_own_tasks(settings, redis_url):
    """``@task`` makes its task with the default backend's class: django-tasks-rq's own
    would be the backport's, which the database backend refuses."""
    from django.tasks import Task, task

    settings.TASKS = REDIS
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    made = task(double)
    assert type(made) is Task
    assert made.using(backend="default").get_backend().alias == "default"
    settings.TASKS = DB
    assert type(made.using(backend="default").get_backend()).__name__ == "DatabaseBackend"


def double(n: int) -> int:
    return 2 * n


def test_the_redis_backend_passes_the_system_checks_without_django_rq_installed(
    settings, redis_url
):
    from django.core.checks import ERROR
    from django.tasks.checks import check_tasks  # what `manage.py check` runs for tasks

    settings.TASKS = REDIS
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    assert [m for m in check_tasks() if m.level >= ERROR] == []
    settings.RQ_QUEUES = {"other": {"URL": redis_url}}
    errors = [m.msg for m in check_tasks() if m.level >= ERROR]
    assert errors == ["'default' is not configured for django-rq"]


def test_a_task_queued_while_redis_is_away_is_logged_not_raised(settings, monkeypatch, caplog):
    """Tasks are queued once a transaction has committed: an error there would fail an
    edit or an upload that was already saved."""
    from django.tasks import TaskResultStatus

    from lightbox.ops.tests.conftest import free_port

    monkeypatch.setattr(queue, "ENQUEUE_PATIENCE", 0.6)
    settings.TASKS = REDIS
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}
    result = embed_cases.enqueue([1, 2])
    assert result.status == TaskResultStatus.FAILED
    assert result.args == [[1, 2]]
    assert "embed_cases was not queued: Redis does not answer" in caplog.text


@pytest.mark.django_db
def test_a_worker_queues_again_the_uploads_left_without_a_task(settings, redis_url):
    from lightbox.imaging.models import Upload
    from lightbox.ops.management.commands.worker import _Keeper
    from lightbox.test import make_case

    settings.TASKS = REDIS
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    stranded = Upload.objects.create(case=make_case(), state=Upload.State.QUEUED)
    keeper = _Keeper(Redis.from_url(redis_url), ["default"])
    embed_cases.enqueue([])  # something queued: the upload's task may be behind it
    keeper.check_stranded()
    client = Redis.from_url(redis_url)
    assert client.llen("rq:queue:default") == 1
    client.delete("rq:queue:default")  # the queue idle, the upload still queued
    keeper.check_stranded()
    (job_id,) = client.lrange("rq:queue:default", 0, -1)
    job = Job.fetch(job_id.decode(), connection=client)
    assert job.func_name == "lightbox.imaging.tasks.process_upload"
    assert list(job.args) == [str(stranded.pk)]
