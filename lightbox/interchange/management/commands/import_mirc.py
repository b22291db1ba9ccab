"""python manage.py import_mirc PATH... [--series PREFIX] [--user USERNAME]

Import MIRCdocuments (RSNA MIRC Teaching File System) as draft cases. A PATH is a zip (a
MIRC export: the document's XML and its files) or a folder (a MIRC storage folder, one
document per subfolder; zips inside it are imported too). Each document becomes a
private draft in the series (``mirc`` by default), owned by ``--user`` when given (else
only editors see it until someone takes it on).

A package that breaks a rule (a zip bomb, a path climbing out, an entity in its XML,
nesting too deep) is refused whole, on one line, before anything of it is stored. Each
document's DICOM files then go through the same quarantine and de-identification as any
upload, processed here with a progress bar. Every document gets its report: patient data
dropped, elements kept as unparsed text, files missing or refused. The exit status is
non-zero if anything failed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from lightbox.cases.models import NUMBER_RE
from lightbox.imaging.ingest import abandon, process_upload
from lightbox.imaging.models import Upload, UploadFile
from lightbox.interchange.mirc.package import FolderPackage, Package, PackageError, ZipPackage
from lightbox.interchange.mirc.save import (
    DEFAULT_SERIES,
    Imported,
    ImportFailed,
    package_limits,
    read_documents,
    save_document,
    series_for,
)
from lightbox.interchange.mirc.types import MircDocument

# How often the command looks at an upload another process is working on.
FOLLOW_SECONDS = 0.5


class Command(BaseCommand):
    help = "Import MIRCdocument zips or folders (RSNA MIRC) as draft cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="zips or folders")
        parser.add_argument(
            "--series",
            default=DEFAULT_SERIES,
            metavar="PREFIX",
            help=f"number the cases in this series, made if needed (default: {DEFAULT_SERIES})",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="the author the drafts belong to (default: none)"
        )

    def handle(
        self,
        *args: object,
        paths: list[str],
        series: str,
        user: str | None,
        verbosity: int,
        **options: object,
    ) -> None:
        if not NUMBER_RE.match(f"{series}1"):
            raise CommandError(f"--series {series!r}: 2–4 lowercase letters, e.g. mirc")
        owner = self._user(user)
        self.verbosity = verbosity
        self.counts = {"created": 0, "failed": 0, "dicom": 0, "dicom_failed": 0}
        documents: list[tuple[str, Package, str, MircDocument]] = []
        self.opened: list[Any] = []
        try:
            self._run(paths, series, owner, documents, verbosity)
        finally:
            for fp in self.opened:
                fp.close()

    def _run(
        self,
        paths: list[str],
        series: str,
        owner: Any,
        documents: list[tuple[str, Package, str, MircDocument]],
        verbosity: int,
    ) -> None:
        for name, package in self._packages(paths):
            try:
                documents += [(name, package, p, d) for p, d in read_documents(package)]
            except ImportFailed as e:
                self.counts["failed"] += 1
                self.stderr.write(self.style.ERROR(f"error: {name}: nothing imported: {e}"))
        target = series_for(series)
        bar = tqdm(
            total=len(documents), desc="Importing", unit="doc", disable=None if verbosity else True
        )
        with bar:
            for name, package, path, doc in documents:
                where = f"{name}:{path}"
                try:
                    done = save_document(
                        package, path, doc, series=target, user=owner, enqueue=False
                    )
                except (ImportFailed, PackageError) as e:
                    self.counts["failed"] += 1
                    self._say(bar, self.stderr, self.style.ERROR(f"error: {where}: {e}"))
                else:
                    self.counts["created"] += 1
                    self._say(bar, self.stdout, f"{where}: created {done.case.number}")
                    if done.upload is not None:
                        self._dicom(done, where, bar)
                    for line in done.report:
                        self._say(
                            bar, self.stderr, self.style.WARNING(f"warning: {where}: {line}")
                        )
                bar.update(1)
        c = self.counts
        summary = (
            f"{len(documents)} document(s): {c['created']} created, {c['failed']} failed; "
            f"{c['dicom']} DICOM file(s) stored, {c['dicom_failed']} failed"
        )
        if c["failed"] or c["dicom_failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _user(self, username: str | None) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"--user {username}: no such user") from None

    def _packages(self, paths: list[str]) -> list[tuple[str, Package]]:
        limits = package_limits()
        found: list[tuple[str, Package]] = []
        for name in paths:
            path = Path(name)
            if path.is_dir():
                if any(p.suffix.lower() == ".xml" for p in path.rglob("*") if p.is_file()):
                    found.append((name, FolderPackage(path, limits)))
                for inner in sorted(path.rglob("*")):
                    if (
                        inner.suffix.lower() == ".zip"
                        and inner.is_file()
                        and not inner.is_symlink()
                    ):
                        found.append((str(inner), ZipPackage(self._open(inner), limits)))
            elif path.is_file():
                found.append((name, ZipPackage(self._open(path), limits)))
            else:
                raise CommandError(f"{name}: no such file or folder")
        return found

    def _open(self, path: Path) -> Any:
        fp = path.open("rb")
        self.opened.append(fp)
        return fp

    def _dicom(self, done: Imported, where: str, outer: tqdm) -> None:
        """Process the document's DICOM upload here, with a bar of its own."""
        first = done.upload
        assert first is not None
        upload: Upload = first
        bar = tqdm(
            total=upload.files.count(),
            desc="De-identifying",
            unit="file",
            leave=False,
            disable=None if self.verbosity else True,
        )

        def progress(f: UploadFile) -> None:
            bar.total = max(bar.total, upload.files.count())  # zips add their members
            bar.update(1)

        try:
            with bar:
                while True:
                    upload = process_upload(upload.pk, progress=progress)
                    if upload.state in (Upload.State.DONE, Upload.State.FAILED):
                        break
                    time.sleep(FOLLOW_SECONDS)  # a worker took it: follow it
        except KeyboardInterrupt:
            abandon(upload.pk, "the import was interrupted")
            raise CommandError(
                f"interrupted: {where} is case {done.case.number}, its DICOM not all imported"
            ) from None
        except Exception:
            upload.refresh_from_db()
            raise CommandError(f"{where}: {upload.error or 'DICOM processing stopped'}") from None
        files = upload.files.all()
        self.counts["dicom"] += files.filter(state=UploadFile.State.DONE).count()
        self.counts["dicom_failed"] += files.filter(state=UploadFile.State.FAILED).count()
        if upload.state == Upload.State.FAILED:
            self._say(outer, self.stderr, self.style.ERROR(f"error: {where}: {upload.error}"))
        for f in upload.files.exclude(error=""):
            line = f"{f.state}: {f.name}: {f.error}"
            self._say(outer, self.stderr, self.style.WARNING(f"warning: {where}: {line}"))

    @staticmethod
    def _say(bar: tqdm, stream: OutputWrapper, line: str) -> None:
        """One line above the progress bar, which is redrawn below it."""
        with bar.external_write_mode():
            stream.write(line)
