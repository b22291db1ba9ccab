"""python manage.py import_legacy PATH... [--dry-run] [--visibility public|institution|private]

Import legacy teaching-file pages (text or HTML). Folders are searched for .txt, .htm and
.html files. Each page imports in its own transaction: a bad page is reported on one line
and the others still import. Exit status is non-zero if any page failed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction
from tqdm import tqdm

from lightbox.cases.models import Visibility
from lightbox.interchange.legacy_import import ImportFailed, import_legacy_file

PAGE_SUFFIXES = {".txt", ".htm", ".html", ""}


class DryRun(Exception):
    """Raised to roll back a dry run after the whole import has been validated."""


def _expand(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(path.rglob("*"))
            files.extend(p for p in found if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
        else:
            files.append(path)
    return files


class Command(BaseCommand):
    help = "Import legacy teaching-file pages (text or HTML) as cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="pages or folders")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="parse and validate everything, report, and save nothing",
        )
        parser.add_argument(
            "--visibility",
            choices=Visibility.values,
            default=Visibility.PUBLIC,
            help="visibility of newly created cases (default: public, as the pages were "
            "published); re-imports keep a case's current visibility",
        )

    def handle(
        self,
        *args: object,
        paths: list[str],
        dry_run: bool,
        visibility: str,
        verbosity: int,
        **options: object,
    ) -> None:
        self.verbosity = verbosity
        self.visibility = visibility
        files = _expand(paths)
        counts = {"created": 0, "updated": 0, "failed": 0}
        # A real import commits page by page, so an interrupted run keeps what it finished;
        # a dry run wraps everything in one transaction and rolls it back.
        try:
            with transaction.atomic() if dry_run else contextlib.nullcontext():
                self._import_all(files, counts, progress=verbosity > 0)
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        verb = "would be " if dry_run else ""
        summary = (
            f"{len(files)} file(s): {counts['created']} {verb}created, "
            f"{counts['updated']} {verb}updated, {counts['failed']} failed"
        )
        if counts["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _import_all(self, files: list[Path], counts: dict[str, int], progress: bool) -> None:
        # disable=None: a bar on a terminal, none in a log file.
        bar = tqdm(files, desc="Importing", unit="page", disable=None if progress else True)
        for path in bar:
            try:
                # A savepoint per page: a failure rolls back that page alone.
                with transaction.atomic():
                    result = import_legacy_file(path, visibility=self.visibility)
            except ImportFailed as e:
                counts["failed"] += 1
                self._say(bar, self.stderr, self.style.ERROR(f"error: {path}: {e}"))
                continue
            counts["created" if result.created else "updated"] += 1
            for warning in result.warnings:
                self._say(bar, self.stderr, self.style.WARNING(f"warning: {path}: {warning}"))
            if self.verbosity > 1:
                verb = "created" if result.created else "updated"
                self._say(bar, self.stdout, f"{path}: {verb} {result.number}")

    @staticmethod
    def _say(bar: tqdm, stream: OutputWrapper, line: str) -> None:
        """One line above the progress bar, which is redrawn below it."""
        with bar.external_write_mode():
            stream.write(line)
