"""python manage.py import_dicom PATH... --case NUMBER

Add DICOM files, folders of them (DICOMDIR studies included) or zips, and JPEG/PNG
pictures, to a case, through the same pipeline as a browser upload: quarantine,
de-identification, grouping, rendering, storage. A progress bar, one line per file that
was not stored as it is (failed, skipped, or stored without a picture) and a summary;
the exit status is non-zero if any file failed.

The command processes its upload itself and does not enqueue it, so a running worker
(``serve``) never races it for the same files; should a worker that has just started
take the upload first (it re-queues every unfinished upload), the command follows that
worker's progress instead (see :mod:`lightbox.imaging.lease`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lightbox.cases.models import Case
from lightbox.imaging.ingest import abandon, process_upload
from lightbox.imaging.models import Upload, UploadFile
from lightbox.imaging.uploads import NotReceived, receive

# How often the command looks at an upload another process is working on.
FOLLOW_SECONDS = 0.5


class _Named:
    """A file opened lazily, so a folder of thousands is never open all at once."""

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        self._fp: BinaryIO | None = None

    def read(self, n: int = -1) -> bytes:
        if self._fp is None:
            self._fp = self.path.open("rb")
        data = self._fp.read(n)
        if not data:
            self._fp.close()
        return data


def _expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink())
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    return files


class Command(BaseCommand):
    help = "Add DICOM files, folders or zips (and JPEG/PNG pictures) to a case."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--case", required=True, metavar="NUMBER", help="e.g. bs068")

    def handle(
        self, *args: object, paths: list[str], case: str, verbosity: int, **options: object
    ):
        try:
            target = Case.objects.get(number=case.lower())
        except Case.DoesNotExist:
            raise CommandError(f"no case {case}") from None
        files = _expand(paths)
        if not files:
            raise CommandError("no files found")
        try:
            upload = receive(target, _CommandUser(), [_Named(p) for p in files], enqueue=False)
        except NotReceived as e:
            raise CommandError(str(e)) from None
        bar = tqdm(
            total=len(files), unit="file", desc="Processing", disable=None if verbosity else True
        )
        reported: set[int] = set()

        def progress(f: UploadFile) -> None:
            bar.total = max(bar.total, upload.files.count())  # zips add their members
            bar.update(1)
            self._report(f, reported, bar)

        try:
            upload = self._process(upload, progress, reported, bar)
        except KeyboardInterrupt:
            bar.close()
            abandon(upload.pk, "the import was interrupted")
            raise CommandError(
                f"interrupted: the rest was not imported (upload {upload.pk})"
            ) from None
        except Exception:
            # Logged by ingest with its traceback: a bug, not bad input.
            bar.close()
            upload.refresh_from_db()
            raise CommandError(
                f"{upload.error or 'processing stopped'} (upload {upload.pk})"
            ) from None
        bar.close()
        # What was decided after the files (stored without a picture) or for all of them
        # at once (a full disk).
        for f in upload.files.exclude(pk__in=reported).exclude(error=""):
            self._report(f, reported, None)
        summary = _summary(upload)
        if upload.state == Upload.State.FAILED:
            raise CommandError(f"{upload.error}\n{summary}")
        if upload.files.filter(state=UploadFile.State.FAILED).exists():
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _process(
        self,
        upload: Upload,
        progress: Callable[[UploadFile], None],
        reported: set[int],
        bar: tqdm,
    ) -> Upload:
        """Process the upload here; while another process owns it, follow it (and take
        it over if that process stops)."""
        while True:
            upload = process_upload(upload.pk, progress=progress)
            if upload.state in (Upload.State.DONE, Upload.State.FAILED):
                return upload
            for f in upload.files.exclude(state=UploadFile.State.QUEUED).exclude(pk__in=reported):
                bar.update(1)
                self._report(f, reported, bar)
            time.sleep(FOLLOW_SECONDS)

    def _report(self, f: UploadFile, reported: set[int], bar: tqdm | None) -> None:
        """One line for a file not stored as it is: ``state: name: why``."""
        reported.add(f.pk)
        if not f.error:
            return
        line = f"{f.state}: {f.name}: {f.error}"
        if bar is None:
            self.stderr.write(line)
        else:
            with bar.external_write_mode():
                self.stderr.write(line)


def _summary(upload: Upload) -> str:
    states = list(upload.files.values_list("state", flat=True))
    failed, skipped = states.count("failed"), states.count("skipped")
    done = upload.files.filter(state=UploadFile.State.DONE)
    stored = done.filter(instance__isnull=False).count()
    pictures = done.filter(image__isnull=False).count()
    unrenderable = done.filter(instance__isnull=False).exclude(error="").count()
    without = f", {unrenderable} of them without a picture" if unrenderable else ""
    return (
        f"{len(states)} file(s): {stored} DICOM stored, {pictures} picture(s) stored, "
        f"{skipped} skipped, {failed} failed{without} (upload {upload.pk})"
    )


class _CommandUser:
    """The command line acts as no particular user."""

    is_authenticated = False
