"""The task queue as the health checks and metrics see it: which backend, how much waits,
and how long the oldest task has waited.

A small version for the backends of ``main`` (``db``: django-tasks-db's table, and
``immediate``); the Redis queue of issue 15 §3 adds its own branch with the same
signature. :func:`stats` is a few cheap queries, never a scan of finished tasks.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, TypedDict

from django.db.models import Count, Min, Q
from django.tasks import task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone

__all__ = ["QueueStats", "QueueUnavailable", "backend", "stats"]

Backend = Literal["db", "redis", "immediate"]


class QueueStats(TypedDict):
    backend: Backend
    depth: int
    """Tasks queued and due, not yet started."""
    oldest_seconds: float | None
    """How long the oldest of them has been due; ``None`` when none waits."""
    workers: int | None
    """Live workers where the backend keeps a register of them; else ``None``."""


class QueueUnavailable(Exception):
    """The queue's store does not answer."""


def backend(alias: str = "default") -> Backend:
    """Which kind of backend runs the tasks of ``alias``."""
    configured = task_backends[alias]
    if isinstance(configured, ImmediateBackend):
        return "immediate"
    from django_tasks_db import DatabaseBackend

    if isinstance(configured, DatabaseBackend):
        return "db"
    raise ValueError(f"unknown task backend {type(configured).__name__}")


def stats(alias: str = "default") -> QueueStats:
    """The queue of ``alias`` now: see :class:`QueueStats`."""
    if backend(alias) == "immediate":
        return {"backend": "immediate", "depth": 0, "oldest_seconds": None, "workers": None}
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


def _age(since: dt.datetime, now: dt.datetime) -> float:
    return max(0.0, (now - since).total_seconds())
