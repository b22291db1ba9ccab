"""The task queue as the health checks and metrics see it: which backend, how much waits,
how long the oldest task has waited, how many workers are there to take it.

Three backends run the same tasks (``LIGHTBOX_TASKS``, see docs/deployment.md): ``db``
(django-tasks-db: the queue is a table), ``redis`` (django-tasks-rq: RQ's lists in Redis)
and ``immediate`` (each task runs as it is queued; nothing ever waits). :func:`stats`
asks whichever is configured, with a few cheap queries and no scan of finished tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from urllib.parse import urlsplit, urlunsplit

from django.core.checks import CheckMessage
from django.db.models import Count, Min, Q
from django.tasks import Task, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone
from django_tasks_rq import RQBackend as _RQBackend

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

__all__ = [
    "QueueStats",
    "RQBackend",
    "QueueUnavailable",
    "backend",
    "redis_connection",
    "shown",
    "stats",
]

Backend = Literal["db", "redis", "immediate"]


# How long queueing a task waits for a Redis that does not answer.
ENQUEUE_PATIENCE = 10.0


class RQBackend(_RQBackend):
    """django-tasks-rq's backend, making Django's own tasks.

    ``@task`` makes its task with the default backend's ``task_class``, and
    django-tasks-rq's is the one of the django-tasks backport, whose tasks find their
    backend through the backport's registry and which no other backend accepts (a test
    that switches to django-tasks-db, say). With Django's class the tasks are the same
    whatever the backend; django-tasks-rq's jobs run either kind.
    """

    task_class = Task  # type: ignore[assignment]  # the backport types it as its own

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        """Queue ``task``, waiting up to ``ENQUEUE_PATIENCE`` seconds for a Redis that
        does not answer (one restarting). If it still does not, the task is not queued:
        that is logged and a failed result returned, never raised, because tasks are
        queued once a transaction has committed (an edit saved, an upload received, a
        file stored by a worker) and an error there would fail what was already done. An
        upload whose task was lost so is queued again by a worker (see
        ``lightbox.ops.management.commands.worker``); an embedding by ``reindex``."""
        from django_tasks.base import TaskError, TaskResult, TaskResultStatus
        from redis.exceptions import RedisError

        deadline = time.monotonic() + ENQUEUE_PATIENCE
        while True:
            try:
                return super().enqueue(task, args, kwargs)
            except RedisError as e:
                if time.monotonic() < deadline:
                    time.sleep(0.5)
                    continue
                logger.error("%s was not queued: Redis does not answer (%s)", task.name, e)
                return TaskResult(
                    task=task,
                    id="",
                    status=TaskResultStatus.FAILED,
                    enqueued_at=None,
                    started_at=None,
                    last_attempted_at=None,
                    finished_at=None,
                    args=list(args),
                    kwargs=dict(kwargs),
                    backend=self.alias,
                    errors=[TaskError(exception_class_path=type(e).__name__, traceback=str(e))],
                    worker_ids=[],
                )

    def check(self, **kwargs: Any) -> Iterable[CheckMessage]:
        # django-tasks-rq asks for django_rq in INSTALLED_APPS, for its dashboard; nothing
        # here needs it, and its model has no table, which dumpdata (and so a backup)
        # trips over. The other checks stand: each queue configured, RQ recent enough.
        for message in super().check(**kwargs):
            if "INSTALLED_APPS" not in (message.hint or ""):
                yield message


class QueueStats(TypedDict):
    backend: Backend
    depth: int
    """Tasks queued and due, not yet started."""
    oldest_seconds: float | None
    """How long the oldest of them has been due; ``None`` when none waits."""
    workers: int | None
    """Live workers (Redis: each registers itself); ``None`` where the backend keeps no
    register of its workers (db) or needs none (immediate)."""


class QueueUnavailable(Exception):
    """The queue's store does not answer (Redis down or unreachable)."""


def backend(alias: str = "default") -> Backend:
    """Which kind of backend runs the tasks of ``alias``."""
    configured = task_backends[alias]
    if isinstance(configured, ImmediateBackend):
        return "immediate"
    from django_tasks_db import DatabaseBackend

    if isinstance(configured, DatabaseBackend):
        return "db"
    if isinstance(configured, _RQBackend):
        return "redis"
    raise ValueError(f"unknown task backend {type(configured).__name__}")


def stats(alias: str = "default") -> QueueStats:
    """The queue of ``alias`` now: see :class:`QueueStats`.

    Raises
    ------
    QueueUnavailable
        Redis does not answer (the message says where it was looked for).
    """
    kind = backend(alias)
    if kind == "db":
        return _db_stats(alias)
    if kind == "redis":
        return _redis_stats(alias)
    return {"backend": "immediate", "depth": 0, "oldest_seconds": None, "workers": None}


def _db_stats(alias: str) -> QueueStats:
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    never = get_date_max()  # django-tasks-db's run_after of a task not deferred
    found = (
        DBTaskResult.objects.ready()
        .filter(backend_name=alias)
        .aggregate(
            depth=Count("pk"),
            queued=Min("enqueued_at", filter=Q(run_after=never)),
            deferred=Min("run_after", filter=~Q(run_after=never)),
        )
    )
    # A deferred task has waited since it fell due, not since it was queued.
    due = [t for t in (found["queued"], found["deferred"]) if t is not None]
    return {
        "backend": "db",
        "depth": found["depth"],
        "oldest_seconds": _age(min(due), now) if due else None,
        "workers": None,
    }


def redis_connection(alias: str = "default") -> Redis:
    """The Redis connection the queues of ``alias`` use (RQ_QUEUES' first), kept for the
    process: django-rq makes a new client, and so a new TCP connection, at every call."""
    from django_rq.connection_utils import get_redis_connection
    from django_rq.settings import QUEUES

    config = QUEUES[sorted(task_backends[alias].queues)[0]]
    key = repr(sorted(config.items()))
    if (connection := _CONNECTIONS.get(key)) is None:
        connection = _CONNECTIONS[key] = get_redis_connection(config)
    return connection


_CONNECTIONS: dict[str, Redis] = {}


def shown(url: str) -> str:
    """``url`` without its password, to be printed.

    >>> shown("redis://:s3cret@redis.example:6379/0")
    'redis://:***@redis.example:6379/0'
    >>> shown("redis://127.0.0.1:6379/0")
    'redis://127.0.0.1:6379/0'
    """
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _redis_stats(alias: str) -> QueueStats:
    import django_rq
    from redis.exceptions import RedisError
    from rq.worker_registration import get_keys

    now = timezone.now()
    depth, oldest, workers = 0, None, set()
    connection = redis_connection(alias)
    try:
        for name in sorted(task_backends[alias].queues):
            queue = django_rq.get_queue(name, connection=connection)
            depth += queue.count
            first = queue.get_job_ids(0, 0)
            if first and (job := queue.fetch_job(first[0])) and job.enqueued_at:
                enqueued = job.enqueued_at
                if enqueued.tzinfo is None:
                    enqueued = enqueued.replace(tzinfo=dt.UTC)  # RQ keeps UTC
                oldest = enqueued if oldest is None else min(oldest, enqueued)
            # A killed worker's name stays in the queue's set until RQ's maintenance
            # clears it; its own key expires with its last heartbeat.
            keys = sorted(get_keys(queue))
            if keys:
                with connection.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.exists(key)
                    workers |= {k for k, e in zip(keys, pipe.execute(), strict=True) if e}
    except RedisError as e:
        raise QueueUnavailable(f"Redis at {_url(connection)} does not answer: {e}") from e
    return {
        "backend": "redis",
        "depth": depth,
        "oldest_seconds": _age(oldest, now) if oldest else None,
        "workers": len(workers),
    }


def _url(connection: Redis) -> str:
    """Where ``connection`` goes, without its password."""
    kwargs = connection.get_connection_kwargs()
    return f"redis://{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"


def _age(since: dt.datetime, now: dt.datetime) -> float:
    return max(0.0, (now - since).total_seconds())
