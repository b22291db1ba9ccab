"""python manage.py worker — the background task worker, ready before its first task.

django-tasks-db's ``db_worker`` with three things done first, as every worker start must:
what a crash interrupted is recovered (quarantine wiped, unfinished uploads queued again,
see :func:`lightbox.imaging.tasks.recover`), open uploads nobody finished are cancelled
(:func:`lightbox.imaging.uploads.sweep_abandoned`, then again every minute while the
worker runs, with uploaded names that are due forgotten), and the limited processes that
decode uploads are started, so the first upload does not wait for them. Takes every
option of ``db_worker``.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorker

from lightbox.imaging import ingest, tasks, uploads
from lightbox.lib import lifeline

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


class Command(DbWorker):
    help = "Run the background task worker (recovers interrupted uploads first)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Until db_worker installs its own handlers: a stop request while recovering or
        # starting the pool exits cleanly (the pool shut down), not with a traceback.
        previous = {s: signal.signal(s, _exit) for s in (signal.SIGINT, signal.SIGTERM)}
        if recovered := tasks.recover():
            self.stdout.write(f"Re-queued {recovered} unfinished upload(s).")
        if abandoned := uploads.sweep_abandoned():
            self.stdout.write(f"Cancelled {abandoned} abandoned open upload(s).")
        uploads.forget_names()
        with lifeline.parent_of():  # its pool dies with it, even on kill -9 (main thread)
            ingest.warm_up()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_until, args=(stop,), name="upload-sweeper", daemon=True
        )
        sweeper.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()


def _sweep_until(stop: threading.Event) -> None:
    """Every minute until ``stop`` is set: cancel abandoned open uploads and forget the
    uploaded names that are due (see :func:`lightbox.imaging.uploads.forget_names`). A
    failed sweep is logged and tried again next time: it must never stop the worker."""
    while not stop.wait(SWEEP_SECONDS):
        try:
            uploads.sweep_abandoned()
            uploads.forget_names()
        except Exception:
            logger.exception("sweeping uploads failed")
        finally:
            close_old_connections()
