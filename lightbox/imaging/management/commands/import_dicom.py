"""python manage.py import_dicom PATH... --case NUMBER

Add DICOM files, folders of them (DICOMDIR studies included) or zips, and JPEG/PNG
pictures, to a case, through the same pipeline as a browser upload: quarantine,
de-identification, grouping, rendering, storage. A progress bar, one line per failed file
and a summary; the exit status is non-zero if any file failed.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lightbox.cases.models import Case
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import UploadFile
from lightbox.imaging.uploads import NotReceived, receive


class _Named:
    """A file opened lazily, so a folder of thousands is never open all at once."""

    def __init__(self, path: Path) -> None:
        self.path, self.name, self._fp = path, path.name, None

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
            upload = receive(target, _CommandUser(), [_Named(p) for p in files])
        except NotReceived as e:
            raise CommandError(str(e)) from None
        bar = tqdm(
            total=len(files), unit="file", desc="Processing", disable=None if verbosity else True
        )

        def progress(f: UploadFile) -> None:
            bar.total = max(bar.total, upload.files.count())  # zips add their members
            bar.update(1)
            if f.state in (UploadFile.State.FAILED, UploadFile.State.SKIPPED):
                with bar.external_write_mode():
                    self.stderr.write(f"{f.state}: {f.name}: {f.error}")

        process_upload(upload.pk, progress=progress)
        bar.close()
        states = list(upload.files.values_list("state", flat=True))
        failed, skipped = states.count("failed"), states.count("skipped")
        stored = upload.files.filter(state="done", instance__isnull=False).count()
        pictures = upload.files.filter(state="done", image__isnull=False).count()
        summary = (
            f"{len(states)} file(s): {stored} DICOM stored, {pictures} picture(s) stored, "
            f"{skipped} skipped, {failed} failed (upload {upload.pk})"
        )
        if failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))


class _CommandUser:
    """The command line acts as no particular user."""

    is_authenticated = False
