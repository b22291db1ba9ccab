"""python manage.py serve — the web server and the task worker, together.

Starts gunicorn and the task worker (``worker``: django-tasks-db's ``db_worker``, which
first recovers what a crash interrupted) as child processes and watches both:
Ctrl-C (or SIGTERM) stops both cleanly, and if either exits the other is stopped too, so
the installation is never half running.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Run the web server (gunicorn) and the background task worker until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")

    def handle(self, *args: object, host: str, port: int, workers: int, **options: object):
        web = [
            sys.executable, "-m", "gunicorn", "lightbox.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "--graceful-timeout", str(GRACE_SECONDS),
        ]  # fmt: skip
        # The worker recovers whatever a crash interrupted before it takes a task.
        worker = [sys.executable, "-m", "django", "worker", "--no-reload"]
        children = [subprocess.Popen(web), subprocess.Popen(worker)]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(
            self.style.SUCCESS(f"Lightbox is running at http://{shown}:{port}/")
            + f"  (data in {settings.DATA_DIR}; Ctrl-C stops the server and the worker)"
        )
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.2)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
        if not stopping and failed:
            self.stderr.write(f"A Lightbox process exited ({failed[0].args[2:4]}); stopped.")
            sys.exit(1)
        self.stdout.write("Lightbox stopped.")
