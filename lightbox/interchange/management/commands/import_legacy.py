"""python manage.py import_legacy PATH... [--dry-run] [--visibility ...] [--no-embeddings]

Import legacy teaching-file pages (text or HTML). Folders are searched for .txt, .htm and
.html files. Each page imports in its own savepoint: a bad page is reported on one line and
the others still import. Pages commit in batches, each case indexed for search once, in the
batch's transaction; then the sentence embeddings of the imported cases are computed, with
a progress bar, unless --no-embeddings leaves them to the task worker. Exit status is
non-zero if any page failed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction
from tqdm import tqdm

from lightbox.cases.models import Visibility
from lightbox.interchange.legacy.save import ImportFailed, import_legacy_file
from lightbox.search import index, tasks
from lightbox.search.text.embeddings import EmbeddingModelMissing

PAGE_SUFFIXES = {".txt", ".htm", ".html", ""}
# A batch commits after this many pages or seconds, whichever comes first: few enough
# that an interrupted run loses little and other writers wait little (SQLite has one
# writer at a time), many enough that each commit and index update serves many pages.
PAGES_PER_BATCH = 100
SECONDS_PER_BATCH = 2.0


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
        parser.add_argument(
            "--no-embeddings",
            action="store_true",
            help="leave the sentence embeddings (the semantic part of similar cases) to the "
            "task worker instead of computing them before the command ends",
        )

    def handle(
        self,
        *args: object,
        paths: list[str],
        dry_run: bool,
        visibility: str,
        no_embeddings: bool,
        verbosity: int,
        **options: object,
    ) -> None:
        self.verbosity = verbosity
        self.visibility = visibility
        files = _expand(paths)
        counts = {"created": 0, "updated": 0, "failed": 0}
        imported: list[int] = []
        # A real import commits batch by batch, so an interrupted run keeps what it
        # finished; a dry run wraps everything in one transaction and rolls it back,
        # indexing nothing.
        try:
            with index.batch() if dry_run else contextlib.nullcontext():
                self._import_all(files, counts, imported, progress=verbosity > 0)
                if dry_run:
                    raise DryRun
        except DryRun:
            imported.clear()
        if imported:
            self._embed(imported, no_embeddings)
        verb = "would be " if dry_run else ""
        summary = (
            f"{len(files)} file(s): {counts['created']} {verb}created, "
            f"{counts['updated']} {verb}updated, {counts['failed']} failed"
        )
        if counts["failed"]:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _import_all(
        self, files: list[Path], counts: dict[str, int], imported: list[int], progress: bool
    ) -> None:
        # disable=None: a bar on a terminal, none in a log file.
        bar = tqdm(
            total=len(files), desc="Importing", unit="page", disable=None if progress else True
        )
        pending = iter(files)
        with bar:
            while batch := self._next_batch(pending, bar, counts, imported):
                bar.update(batch)

    def _next_batch(
        self, pending: Iterator[Path], bar: tqdm, counts: dict[str, int], imported: list[int]
    ) -> int:
        """Import up to a batch of pages in one transaction; returns how many were read.

        :func:`lightbox.search.index.batch` indexes each case the batch touched once, when
        it ends, instead of at every save of a case, its authors or its images.
        """
        done = 0
        started = time.monotonic()
        # Picture files written in the batch are made durable together, before the rows
        # that point at them commit.
        storage_batch = getattr(default_storage, "batch", contextlib.nullcontext)
        with index.batch(), storage_batch():
            for path in pending:
                done += 1
                self._import_one(path, bar, counts, imported)
                if done >= PAGES_PER_BATCH or time.monotonic() - started > SECONDS_PER_BATCH:
                    break
        return done

    def _import_one(
        self, path: Path, bar: tqdm, counts: dict[str, int], imported: list[int]
    ) -> None:
        try:
            # A savepoint per page: a failure rolls back that page alone.
            with transaction.atomic():
                result = import_legacy_file(path, visibility=self.visibility)
        except ImportFailed as e:
            counts["failed"] += 1
            self._say(bar, self.stderr, self.style.ERROR(f"error: {path}: {e}"))
            return
        counts["created" if result.created else "updated"] += 1
        if result.case_id is not None:
            imported.append(result.case_id)
        for warning in result.warnings:
            self._say(bar, self.stderr, self.style.WARNING(f"warning: {path}: {warning}"))
        if self.verbosity > 1:
            verb = "created" if result.created else "updated"
            self._say(bar, self.stdout, f"{path}: {verb} {result.number}")

    def _embed(self, ids: list[int], leave_to_worker: bool) -> None:
        """Compute the imported cases' missing embeddings, or say that the worker will.

        The worker's own tasks for these cases, queued as they were indexed, then find
        nothing left to compute (see :func:`lightbox.search.tasks.embed`).
        """
        ids = sorted(set(ids))
        later = (
            "the task worker (`manage.py worker`, run by `serve`) computes them; until then "
            "similar cases match these by codes and text only"
        )
        if leave_to_worker:
            self.stdout.write(f"Sentence embeddings of {len(ids)} case(s) not computed: {later}.")
            return
        quiet = self.verbosity == 0
        try:
            with tqdm(total=len(ids), desc="Embedding", unit="case", disable=quiet or None) as bar:
                computed = tasks.embed(ids, progress=bar.update)
        except EmbeddingModelMissing as e:
            self.stderr.write(self.style.WARNING(f"warning: embeddings not computed: {e}"))
            return
        self.stdout.write(f"Computed {computed} sentence embedding(s) for {len(ids)} case(s).")

    @staticmethod
    def _say(bar: tqdm, stream: OutputWrapper, line: str) -> None:
        """One line above the progress bar, which is redrawn below it."""
        with bar.external_write_mode():
            stream.write(line)
