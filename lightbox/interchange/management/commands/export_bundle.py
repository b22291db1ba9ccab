"""python manage.py export_bundle (--case NUMBER ... | --all) OUT

Write cases, with every field, their history, comments and files byte for byte, and the
topic pages and series they belong to, into a bundle (a BagIt zip) that ``import_bundle``
reads back into any Lightbox. See docs/interchange.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lightbox.cases.models import Case, split_number
from lightbox.interchange.bundle.export import export_bundle
from lightbox.interchange.bundle.schema import BundleError


class Command(BaseCommand):
    help = "Export cases into a lossless bundle (a BagIt zip) that import_bundle reads."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--case",
            action="append",
            metavar="NUMBER",
            help="a case to export, by number (bs068); repeat for more",
        )
        which.add_argument("--all", action="store_true", help="every case, and every topic page")
        parser.add_argument("out", metavar="OUT", help="the bundle to write (a new .zip file)")

    def handle(
        self,
        *args: object,
        case: list[str] | None,
        all: bool,
        out: str,
        verbosity: int,
        **options: object,
    ) -> None:
        if all:
            cases = Case.objects.select_related("series").order_by("pk")
        else:
            numbers = []
            for number in case or []:
                try:
                    split_number(number)
                except ValueError as e:
                    raise CommandError(str(e)) from None
                numbers.append(number.strip().lower())
            cases = Case.objects.filter(number__in=numbers).select_related("series").order_by("pk")
            if missing := sorted(set(numbers) - set(cases.values_list("number", flat=True))):
                raise CommandError(f"no case {', '.join(missing)}: nothing was written")
        ids = list(cases.values_list("pk", flat=True))
        total = len(ids)
        if not total:
            raise CommandError("there is no case to export: nothing was written")
        with tqdm(
            total=total, desc="Exporting", unit="case", disable=None if verbosity > 0 else True
        ) as bar:
            try:
                # One case read at a time: a library need not fit in memory. (A case
                # deleted meanwhile is not exported.)
                one_by_one = (
                    found
                    for pk in ids
                    if (found := Case.objects.select_related("series").filter(pk=pk).first())
                )
                result = export_bundle(
                    one_by_one, Path(out), all_topics=all, progress=lambda c: bar.update()
                )
            except BundleError as e:
                raise CommandError(str(e)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {len(result.cases)} case(s), {len(result.topics)} topic page(s) and "
                f"{result.files} file(s) to {result.path} ({result.bytes:,} bytes)."
            )
        )
