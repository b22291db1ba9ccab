"""Metrics for Prometheus, in the OpenMetrics text format (``GET /metrics``).

Two kinds, kept apart on purpose:

- **Per request** (method, route name, status class, latency): counted in each web
  process as it answers, with prometheus-client's *multiprocess mode*: every process
  writes its counts to memory-mapped files in one folder (``LIGHTBOX_METRICS_DIR``,
  ``metrics/`` in the data directory), and a scrape, whichever gunicorn process answers
  it, adds up the files of all of them. Counts of a process that has exited stay in its
  files, so totals never drop when gunicorn replaces a worker; :func:`serve_directory`
  gives each `serve` an empty folder of its own when it starts.
- **Of the whole install** (task queue depth and age, uploads finished and failed, DICOM
  instances stored, cases by status): read from the database at scrape time, so they are
  the same whichever process or machine answers, and a worker process (which serves no
  scrape) needs to count nothing. They are a few aggregate queries on indexed columns.

Who may read them is :func:`allowed`: by default only a caller on this machine, not
through a proxy; with ``LIGHTBOX_METRICS_TOKEN`` set, anyone bearing that token.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpRequest
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from lightbox.cases.models import Case, Status
from lightbox.imaging.models import Instance, Upload
from lightbox.ops import queue

__all__ = [
    "CONTENT_TYPE_LATEST",
    "REQUESTS",
    "allowed",
    "exposition",
    "is_local",
    "serve_directory",
    "status_class",
]

# The budgets are in milliseconds: buckets fine enough to see a 5 ms case page.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FORWARDED = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")


def _directory() -> Path:
    path = Path(settings.METRICS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


_directory()  # before the first metric is made: its values live in files there

REQUESTS = Histogram(
    "lightbox_http_request_duration_seconds",
    "Time to answer a request, by method, route name and status class; its _count is the "
    "number of requests.",
    ["method", "route", "status"],
    buckets=BUCKETS,
)


def status_class(status: int) -> str:
    """``2xx``, ``4xx``, ...

    >>> status_class(204), status_class(503)
    ('2xx', '5xx')
    """
    return f"{status // 100}xx"


def serve_directory(pid: int) -> Path:
    """A new, empty metrics folder for the `serve` with process id ``pid``, under the
    configured one; the folders of servers no longer running are removed (their counts
    ended with them, and each server is scraped apart, on its own port)."""
    base = Path(settings.METRICS_DIR)
    base.mkdir(parents=True, exist_ok=True)
    for old in base.glob("serve-*"):
        number = old.name.removeprefix("serve-")
        if number.isdigit() and not _alive(int(number)):
            shutil.rmtree(old, ignore_errors=True)
    path = base / f"serve-{pid}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def is_local(request: HttpRequest) -> bool:
    """Whether the caller is on this machine and not behind a proxy: a reverse proxy on
    the same machine connects from loopback for callers anywhere, so a forwarded request
    is never local."""
    if any(request.META.get(header) for header in _FORWARDED):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def allowed(request: HttpRequest) -> bool:
    """Whether ``request`` may read metrics (and /readyz's details): the bearer token
    when ``LIGHTBOX_METRICS_TOKEN`` is set, else a local caller (see :func:`is_local`)."""
    token = settings.METRICS_TOKEN
    if not token:
        return is_local(request)
    given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


class InstallCollector(Collector):
    """The install's state, read from the database (and the queue's store) at each
    scrape. A store that does not answer is reported as down, never as a failed scrape:
    the request metrics are most wanted exactly then."""

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        database_up = GaugeMetricFamily(
            "lightbox_database_up", "Whether the database answered this scrape (1) or not (0)."
        )
        try:
            found = list(self._database())
        except DatabaseError:
            database_up.add_metric([], 0)
            yield database_up
            return
        database_up.add_metric([], 1)
        yield database_up
        yield from found

    def _queue(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "lightbox_task_queue_up", "Whether the task queue answered this scrape (1) or not (0)."
        )
        try:
            found = queue.stats()
        except (queue.QueueUnavailable, DatabaseError):
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "lightbox_task_queue_depth",
            "Tasks queued and due, not yet started.",
            labels=["backend"],
        )
        depth.add_metric([found["backend"]], found["depth"])
        yield depth
        oldest = GaugeMetricFamily(
            "lightbox_task_queue_oldest_seconds",
            "How long the oldest waiting task has been due (0 when none waits).",
            labels=["backend"],
        )
        oldest.add_metric([found["backend"]], found["oldest_seconds"] or 0.0)
        yield oldest
        if found["workers"] is not None:
            workers = GaugeMetricFamily(
                "lightbox_task_workers", "Live task workers.", labels=["backend"]
            )
            workers.add_metric([found["backend"]], found["workers"])
            yield workers

    def _database(self) -> Iterator[Metric]:
        uploads = CounterMetricFamily(
            "lightbox_uploads_finished",
            "Uploads whose processing ended, by outcome (counted from the database: deleting "
            "a case deletes its uploads, which Prometheus sees as a counter reset).",
            labels=["outcome"],
        )
        by_state = dict(
            Upload.objects.filter(state__in=[Upload.State.DONE, Upload.State.FAILED])
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
        for state in (Upload.State.DONE, Upload.State.FAILED):
            uploads.add_metric([str(state)], by_state.get(state, 0))
        yield uploads
        instances = CounterMetricFamily(
            "lightbox_dicom_instances_deidentified",
            "DICOM instances de-identified and stored (counted from the database); its rate "
            "is the ingest rate.",
        )
        instances.add_metric([], Instance.objects.count())
        yield instances
        cases = GaugeMetricFamily("lightbox_cases", "Cases by status.", labels=["status"])
        counted = dict(
            Case.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        for status in Status:
            cases.add_metric([str(status)], counted.get(status, 0))
        yield cases


def exposition() -> bytes:
    """Every metric, in the OpenMetrics text format."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(_directory()))
    registry.register(InstallCollector())
    return generate_latest(registry)
