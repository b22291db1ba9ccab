"""python manage.py serve — the web server and the task worker, together.

Starts the web server (gunicorn, see :mod:`lightbox.ops.webserver`) and the task worker
(``worker``: django-tasks-db's ``db_worker``, or an RQ worker with ``LIGHTBOX_TASKS=redis``,
which first recovers what a crash interrupted) as child processes, and the DICOM receiver
(``dicom_receiver``) as a third when ``LIGHTBOX_DICOM_PORT`` is set, and watches them all:

- Ctrl-C, SIGTERM or SIGHUP stops them all cleanly: each is asked to stop (SIGTERM), given
  ``GRACE_SECONDS`` to finish what it is doing, then killed with everything it started;
- if any exits, the others are stopped too and ``serve`` exits with status 1, so the
  installation is never half running (a service manager restarts the whole);
- if ``serve`` itself is killed (``kill -9``, the out-of-memory killer), the kernel ends
  every child, and they their own (:mod:`lightbox.lib.lifeline`), so nothing is left
  holding the port or the queue and a new ``serve`` starts at once.

Each child leads its own process group, holding everything it starts (gunicorn's web
processes; the worker's fork server and pool), so one signal to the group reaches all of
it; a Ctrl-C at the terminal reaches only ``serve``, which stops the children in order.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from lightbox.lib import lifeline
from lightbox.ops import metrics, webserver

GRACE_SECONDS = webserver.GRACE_SECONDS
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Command(BaseCommand):
    help = "Run the web server and the background task worker until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=settings.WEB_WORKERS,
            help="web server processes (default: LIGHTBOX_WEB_WORKERS, 2)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="no task worker here: workers run elsewhere (`manage.py worker`)",
        )

    def handle(
        self,
        *args: object,
        host: str,
        port: int,
        workers: int,
        no_worker: bool = False,
        **options: object,
    ) -> None:
        # This server's request counts start from zero, in a folder of its own: another
        # `serve` on the same data directory keeps its own (each is scraped on its port).
        os.environ["LIGHTBOX_METRICS_DIR"] = str(metrics.serve_directory(os.getpid()))
        web = webserver.command(host, port, workers)
        # The worker recovers whatever a crash interrupted before it takes a task.
        worker = [sys.executable, "-m", "django", "worker", "--no-reload"]
        # Started by its command's name: ops does not import interchange.
        receiver = [sys.executable, "-m", "django", "dicom_receiver"]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        for signum in STOP_SIGNALS:
            signal.signal(signum, stop)
        commands = [
            web,
            *([] if no_worker else [worker]),
            *([receiver] if settings.DICOM_PORT else []),
        ]
        children = [_start(argv) for argv in commands]
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(
            self.style.SUCCESS(f"Lightbox is running at http://{shown}:{port}/")
            + f"  (data in {settings.DATA_DIR}; Ctrl-C stops the server and the worker)"
        )
        if settings.DICOM_PORT:
            self.stdout.write(
                f"Receiving DICOM as {settings.DICOM_AE_TITLE} on "
                f"{settings.DICOM_HOST}:{settings.DICOM_PORT}"
            )
        self.stdout.flush()
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
        _stop(children)
        failed = [
            argv
            for argv, child in zip(commands, children, strict=True)
            if child.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)
        ]
        if not stopping and failed:
            self.stderr.write(f"A Lightbox process exited ({failed[0][2:4]}); stopped.")
            sys.exit(1)
        self.stdout.write("Lightbox stopped.")


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` as the leader of a new process group, to die with this process."""
    return subprocess.Popen(argv, process_group=0, preexec_fn=lifeline.preexec())


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask each child to stop, wait up to ``GRACE_SECONDS``, then kill each child's whole
    process group: what a child started and left behind goes too."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
    for child in children:
        # The group outlives its leader while any member lives, and Linux does not reuse
        # a process id that still names a group: this reaches only what the child started.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
