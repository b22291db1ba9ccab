"""python manage.py import_radlex FILE.owl [--dry-run]

Load RadLex (RSNA's radiology lexicon) from its OWL file, which the operator downloads
from RSNA under RadLex's licence: every term becomes a ``RADLEX`` code with its preferred
name and synonyms, so that authors can code cases by RadLex ID, search finds a case by
any name of its codes, and grading accepts a synonym of the diagnosis. The file is read
as a stream, with a progress bar, then saved in one transaction, with another: a file
that cannot be read saves nothing, and a re-import updates what changed. Exit status is
non-zero, with a one-line error, when the file cannot be used.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from lightbox.interchange.radlex import MAX_BYTES, RadLexError, read_radlex
from lightbox.interchange.radlex.save import SaveResult, save_terms, source_of


class DryRun(Exception):
    """Raised to roll back a dry run once everything has been written and counted."""

    def __init__(self, result: SaveResult) -> None:
        super().__init__("dry run")
        self.result = result


class Command(BaseCommand):
    help = "Load RadLex terms and synonyms from a RadLex OWL file into the codes table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="FILE.owl", help="the RadLex OWL (RDF/XML) file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read the file and count what would change, and save nothing",
        )

    def handle(
        self, *args: object, path: str, dry_run: bool, verbosity: int, **options: object
    ) -> None:
        file = Path(path)
        try:
            size = file.stat().st_size
            stream = file.open("rb")
        except OSError as e:
            raise CommandError(f"{path}: {e.strerror or e}") from None
        if size > MAX_BYTES:
            raise CommandError(f"{path}: {size:,} bytes is more than the {MAX_BYTES:,} read")
        quiet = verbosity == 0 or None  # None: a bar on a terminal, none in a log file
        with (
            stream,
            tqdm(total=size, desc="Reading", unit="B", unit_scale=True, disable=quiet) as bar,
        ):
            try:
                found = read_radlex(stream, progress=bar.update)
            except RadLexError as e:
                raise CommandError(f"{path}: {e}") from None
            except OSError as e:
                raise CommandError(f"{path}: {e.strerror or e}") from None
        source = source_of(file.name, found.version)
        total = len(found.terms)
        try:
            with (
                transaction.atomic(),
                tqdm(total=total, desc="Saving", unit="term", disable=quiet) as bar,
            ):
                result = save_terms(found, source=source, progress=bar.update)
                if dry_run:
                    raise DryRun(result)
        except DryRun as rolled_back:
            result = rolled_back.result
        for warning in [*found.warnings, *result.warnings]:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        verb = "would be " if dry_run else ""
        version = f" {found.version}" if found.version else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"RadLex{version}: {total:,} terms from {found.classes:,} classes: "
                f"{result.created:,} {verb}created, {result.updated:,} {verb}updated, "
                f"{result.unchanged:,} unchanged; {result.kept:,} codes not in the file kept; "
                f"{result.cases:,} case(s) {verb}brought up to date."
            )
        )
