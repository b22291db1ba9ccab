"""python manage.py load_demo [--if-empty]

Load the demo library: ten published cases across NM, CT, MRI and radiography, with topic
pages and DICOM series uploaded and de-identified like any other. Safe to run twice:
nothing is created when a demo case already exists.
``--if-empty`` (what ``make run`` uses) loads only into a library with no cases at all, so
an institution's own teaching file is never mixed with demo content.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lightbox.cases.access import visible_cases_q
from lightbox.cases.models import Case
from lightbox.interchange.demo.load import DemoContentError


class Command(BaseCommand):
    help = "Load the demo teaching-file library (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="load only when the library has no cases at all",
        )

    def handle(self, *args: object, if_empty: bool, **options: object) -> None:
        if if_empty and (count := Case.objects.count()):
            self.stdout.write(
                f"Demo library not loaded: the library already has {count} case(s) (--if-empty)."
            )
            return
        verbosity = options.get("verbosity", 1)
        progress = isinstance(verbosity, int) and verbosity > 0
        try:
            # The loader reads the demo files as it is imported: a bad one is reported here.
            from lightbox.interchange.demo.save import DemoDataMissing, DemoLoadFailed, load_demo
        except DemoContentError as e:
            raise CommandError(str(e)) from None
        try:
            # tqdm redraws its line with "\r"; Django's OutputWrapper would append a newline
            # to every write, so the bar goes to the wrapped stream itself.
            created = load_demo(progress=progress, stdout=getattr(self.stderr, "_out", None))
        except (DemoDataMissing, DemoLoadFailed) as e:
            raise CommandError(str(e)) from None
        if created:
            # The home page counts what a visitor may see: say why it shows fewer.
            shown = min(created, Case.objects.filter(visible_cases_q(AnonymousUser())).count())
            note = (
                f" ({shown} public; the other {created - shown} only for signed-in users "
                "or editors, as their visibility or status says)"
                if shown < created
                else ""
            )
            message = f"Loaded the demo library: {created} cases{note}."
            self.stdout.write(self.style.SUCCESS(message))
        else:
            self.stdout.write("Demo library already loaded: nothing to do.")
