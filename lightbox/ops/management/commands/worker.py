"""python manage.py worker — the background task worker, ready before its first task.

django-tasks-db's ``db_worker`` with two things done first, as every worker start must:
what a crash interrupted is recovered (quarantine wiped, unfinished uploads queued again,
see :func:`lightbox.imaging.ingest.recover`), and the limited processes that decode
uploads are started, so the first upload does not wait for them. Takes every option of
``db_worker``.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorker

from lightbox.imaging import ingest
from lightbox.lib import lifeline


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


class Command(DbWorker):
    help = "Run the background task worker (recovers interrupted uploads first)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Until db_worker installs its own handlers: a stop request while recovering or
        # starting the pool exits cleanly (the pool shut down), not with a traceback.
        previous = {s: signal.signal(s, _exit) for s in (signal.SIGINT, signal.SIGTERM)}
        if recovered := ingest.recover():
            self.stdout.write(f"Re-queued {recovered} unfinished upload(s).")
        with lifeline.parent_of():  # its pool dies with it, even on kill -9 (main thread)
            ingest.warm_up()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        super().handle(*args, **options)
