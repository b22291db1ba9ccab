"""python manage.py dicom_receiver — receive studies from a PACS over DICOM (C-STORE).

Listens on ``LIGHTBOX_DICOM_HOST:LIGHTBOX_DICOM_PORT`` as ``LIGHTBOX_DICOM_AE_TITLE``,
accepting the calling AE titles of ``LIGHTBOX_DICOM_ALLOWED_AES`` (any when empty).
``manage.py serve`` starts it beside the web server and the worker when
``LIGHTBOX_DICOM_PORT`` is set; it can also run on its own (``--port`` and ``--host``
override the settings). Received instances go to the quarantine area and the task
worker de-identifies them, exactly as uploads (see :mod:`lightbox.interchange.pacs`).

At start it finishes the uploads a previous receiver left open (a crash, a kill): their
files are queued for the worker rather than waiting to be cancelled as abandoned. Every
``MANIFEST_SECONDS`` it looks again at the teaching-file manifests that wait for their
images (:func:`lightbox.imaging.received.refresh_due`). Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from lightbox.imaging import quarantine, received
from lightbox.imaging.models import Upload, UploadFile
from lightbox.imaging.uploads import NoFiles, NotOpen, discard, finish, record_quarantined
from lightbox.interchange.pacs.server import Summary, check_ae_title, make_server

logger = logging.getLogger(__name__)

MANIFEST_SECONDS = 15.0


class Command(BaseCommand):
    help = "Receive studies from a PACS over DICOM (a C-STORE SCP) until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=None, help="default: LIGHTBOX_DICOM_PORT (104 is usual)"
        )
        parser.add_argument("--host", default=None, help="default: LIGHTBOX_DICOM_HOST")

    def handle(self, *args: Any, port: int | None, host: str | None, **options: Any) -> None:
        port = settings.DICOM_PORT if port is None else port
        host = host or settings.DICOM_HOST
        if not 0 < port < 65536:
            raise CommandError(
                "no port to listen on: set LIGHTBOX_DICOM_PORT (e.g. 11112) or give --port"
            )
        try:
            ae_title = check_ae_title(settings.DICOM_AE_TITLE, "LIGHTBOX_DICOM_AE_TITLE")
            for calling in [*settings.DICOM_ALLOWED_AES, *settings.DICOM_AE_AUTHORS]:
                check_ae_title(calling, "calling AE title")
        except ValueError as e:
            raise CommandError(str(e)) from None
        if not re.fullmatch(r"[a-z]{2,4}", settings.DICOM_CASE_SERIES):
            raise CommandError(
                f"LIGHTBOX_DICOM_CASE_SERIES={settings.DICOM_CASE_SERIES!r}: a case series "
                "prefix is 2 to 4 lowercase letters, e.g. pacs"
            )
        if reopened := finish_left_open():
            self.stdout.write(f"Queued {reopened} upload(s) a previous receiver left open.")
        summary = Summary()
        try:
            server = make_server(
                host, port, ae_title=ae_title, allowed=settings.DICOM_ALLOWED_AES, summary=summary
            )
        except OSError as e:
            raise CommandError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
        stop = threading.Event()

        def shut_down(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, shut_down)
        serving = threading.Thread(target=server.serve_forever, name="dicom-server", daemon=True)
        serving.start()
        allowed = ", ".join(settings.DICOM_ALLOWED_AES) or "any calling AE title"
        self.stdout.write(
            self.style.SUCCESS(f"Receiving DICOM as {ae_title} on {host}:{port}")
            + f" (from {allowed}; Ctrl-C stops it)"
        )
        self.stdout.flush()
        while not stop.wait(MANIFEST_SECONDS):
            _look_at_manifests()
        server.shutdown()
        self.stdout.write(
            f"DICOM receiver stopped: {summary.stored} instance(s) received in "
            f"{summary.associations} association(s)."
        )


def _look_at_manifests() -> None:
    """Never lets an error stop the receiver: it is logged, and tried again next time."""
    try:
        received.refresh_due()
    except Exception:
        logger.exception("looking at teaching-file manifests failed")
    finally:
        close_old_connections()


def finish_left_open() -> int:
    """Queue the uploads a receiver that stopped left open: they hold instances it had
    already acknowledged to the PACS, some perhaps written to quarantine and not yet
    recorded, which are recorded first. Returns how many."""
    count = 0
    for upload in Upload.objects.filter(state=Upload.State.RECEIVING).exclude(received_from=""):
        try:
            record_quarantined(upload, _unrecorded(upload))
            finish(upload)
            count += 1
        except NoFiles:
            discard(upload)
        except NotOpen:
            pass
    return count


def _unrecorded(upload: Upload) -> list[UploadFile]:
    """The files in the upload's quarantine folder that no row names."""
    folder = quarantine.root() / str(upload.pk)
    if not folder.is_dir():
        return []
    known = set(upload.files.values_list("quarantine", flat=True))
    rows = []
    for path in sorted(folder.glob("*.bin")):
        relative = f"{upload.pk}/{path.name}"
        if relative in known or not quarantine.RELATIVE_RE.match(relative):
            continue
        order = int(path.stem)
        rows.append(
            UploadFile(
                upload=upload,
                order=order,
                name=f"{upload.received_from}-{order + 1}.dcm",
                size=path.stat().st_size,
                quarantine=relative,
            )
        )
    return rows
