"""``manage.py reindex``: rebuild the search index (and embeddings) from the cases."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from lightbox.cases.models import Case
from lightbox.search import index, tasks


class Command(BaseCommand):
    help = (
        "Rebuild the search index from every case, then compute the sentence embeddings "
        "that are missing or out of date. Safe to run at any time; searches keep working."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-embeddings", action="store_true", help="Skip the sentence embeddings."
        )
        parser.add_argument(
            "--all-embeddings",
            action="store_true",
            help="Recompute every embedding, not just the missing or outdated ones.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Case.objects.count()
        quiet = options["verbosity"] == 0
        with tqdm(total=total, desc="Indexing", unit="case", disable=quiet) as bar:
            done = index.rebuild(progress=bar.update)
        if not options["no_embeddings"]:
            ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
            if options["all_embeddings"]:
                from lightbox.search.models import Entry

                Entry.objects.update(embedded_text="")
            with tqdm(total=len(ids), desc="Embedding", unit="case", disable=quiet) as bar:
                embedded = tasks.embed(ids, progress=bar.update)
        else:
            embedded = 0
        self.stdout.write(f"Indexed {done} case(s); computed {embedded} embedding(s).")
