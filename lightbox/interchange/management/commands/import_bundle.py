"""python manage.py import_bundle BUNDLE [--skip-existing | --renumber] [--dry-run]

Import a bundle written by ``export_bundle``. Every byte is checked first: the BagIt
manifest's SHA-256 of every file, every DICOM file and picture (de-identified as Lightbox
stores them, nothing but pixels), every row and field of the JSON. The first problem is
reported in one line and nothing is stored. A case whose number is taken here refuses the
bundle, unless --skip-existing leaves it out or --renumber gives it the next free number.
See docs/interchange.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lightbox.interchange.bundle.bag import expanded_size
from lightbox.interchange.bundle.plan import read_bundle
from lightbox.interchange.bundle.save import save_bundle
from lightbox.interchange.bundle.schema import BundleError


class Command(BaseCommand):
    help = "Import a lossless bundle written by export_bundle, after checking all of it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundle", metavar="BUNDLE", help="the bundle (.zip) to import")
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--skip-existing",
            action="store_true",
            help="leave out the cases whose number is taken here (to finish an interrupted "
            "import)",
        )
        existing.add_argument(
            "--renumber",
            action="store_true",
            help="give the cases whose number is taken here the next free number of their series",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the bundle, say what it holds, store nothing",
        )

    def handle(
        self,
        *args: object,
        bundle: str,
        skip_existing: bool,
        renumber: bool,
        dry_run: bool,
        verbosity: int,
        **options: object,
    ) -> None:
        quiet = True if verbosity == 0 else None
        path = Path(bundle)
        try:
            with tqdm(
                total=expanded_size(str(path)) if path.is_file() else None,
                desc="Checking",
                unit="B",
                unit_scale=True,
                disable=quiet,
            ) as bar:
                plan = read_bundle(path, progress=bar.update)
            if dry_run:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{path}: a good bundle of {len(plan.cases)} case(s) and "
                        f"{len(plan.topics)} topic page(s); nothing was stored (--dry-run)."
                    )
                )
                return
            existing = "skip" if skip_existing else "renumber" if renumber else "refuse"
            try:
                with tqdm(
                    total=len(plan.cases), desc="Importing", unit="case", disable=quiet
                ) as bar:
                    result = save_bundle(
                        plan, existing=existing, source=path.name, progress=lambda c: bar.update()
                    )
            finally:
                plan.reader.close()
        except BundleError as e:
            raise CommandError(f"{path}: {e}") from None
        for old, new in result.renumbered.items():
            self.stdout.write(f"{old} is {new} here: {old} was taken.")
        if result.skipped:
            self.stdout.write(
                f"Skipped, their numbers being taken here: {', '.join(result.skipped)}."
            )
        if result.topics_kept:
            self.stdout.write(
                "Topic pages kept as they are here: " + ", ".join(result.topics_kept) + "."
            )
        if result.users_created:
            self.stdout.write(
                f"{len(result.users_created)} person(s) created as learners without a usable "
                "password: " + ", ".join(result.users_created) + "."
            )
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {len(result.created)} case(s) and {len(result.topics_created)} topic "
                f"page(s) from {path}."
            )
        )
