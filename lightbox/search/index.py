"""Keeping the index in step with the cases.

A case is re-indexed inside the transaction that changes it: the signal handlers below
run in the saving code's transaction, so a published case is findable, and a retired or
private one gone, the moment the change commits, and a rolled-back change leaves the
index as it was. Code that saves many rows at once wraps them in :func:`batch` so that
each case is indexed once, at the end of the block. Sentence embeddings are slower, so
they are computed after commit by a task (see :mod:`lightbox.search.tasks`); until then a
case is found by everything but its embedding. This module enqueues that task, which
imports nothing from here: both number their writes with
:meth:`lightbox.search.models.Generation.next_seq`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from lightbox.search import registry, tasks
from lightbox.search.backends import backend
from lightbox.search.models import Audience, Entry, Generation

__all__ = ["batch", "index_cases", "rebuild"]

_local = threading.local()


def normalise(item: str) -> str:
    return " ".join(item.lower().split())


def age_range(age: int | None) -> str:
    if age is None:
        return ""
    if age >= 90:
        return "90+"
    low = age // 10 * 10
    return f"{low}–{low + 9}"


def _entries(ids: Sequence[int], seq: int) -> tuple[list[Entry], set[int]]:
    from lightbox.cases.models import Case, Status, Visibility

    cases = (
        Case.objects.filter(pk__in=ids)
        .select_related("series")
        .prefetch_related("authors", "radiopharmaceuticals")
    )
    entries = []
    for case in cases:
        if case.status != Status.PUBLISHED or case.visibility == Visibility.PRIVATE:
            audience = Audience.OWNERS
        elif case.visibility == Visibility.PUBLIC:
            audience = Audience.PUBLIC
        else:
            audience = Audience.INSTITUTION
        when = case.case_date or (case.published_at or case.created).date()
        entries.append(
            Entry(
                case_id=case.pk,
                seq=seq,
                audience=audience,
                number=case.number,
                published=case.published_at or case.created,
                field=case.anatomic_field,
                category=case.category,
                modality=case.modality,
                series=case.series.prefix,
                difficulty=case.difficulty,
                quality=case.quality,
                year=when.year if isinstance(when, dt.date) else None,
                age=age_range(case.patient_age),
                sex=case.patient_sex,
                agents=list(
                    dict.fromkeys(r.agent.strip() for r in case.radiopharmaceuticals.all())
                ),
                authors=list(dict.fromkeys(a.name.strip() for a in case.authors.all())),
                topic_id=case.topic_id,
                acr_codes=list(case.acr_codes),
                differential=[normalise(str(x)) for x in case.differential],
                keywords=[normalise(str(x)) for x in case.keywords],
            )
        )
    return entries, {e.case_id for e in entries}


def index_cases(ids: Iterable[int]) -> None:
    """Re-index these cases now, in the current transaction; ids of deleted cases leave
    a tombstone."""
    ids = sorted(set(ids))
    if not ids:
        return
    with transaction.atomic():
        seq = Generation.next_seq()
        entries, found = _entries(ids, seq)
        gone = [i for i in ids if i not in found]
        docs: dict[int, dict[str, str]] = {i: {} for i in found}
        for source in registry.sources():
            for case_id, texts in source.collect(list(found)).items():
                docs[case_id].update(texts)
        search = backend()
        search.replace(docs)
        if gone:
            search.delete(gone)
        # Keep the embedding when the case keeps its id: the task replaces it if the
        # text changed (see tasks.embed_cases).
        Entry.objects.bulk_create(
            entries,
            update_conflicts=True,
            unique_fields=["case_id"],
            update_fields=[
                f.name
                for f in Entry._meta.concrete_fields
                if f.name not in ("case_id", "embedded_text", "vector")
            ],
        )
        Entry.objects.filter(case_id__in=gone).update(seq=seq, audience=Audience.GONE)
        if found:
            tasks.embed_after_commit(sorted(found))


@contextmanager
def batch() -> Iterator[None]:
    """Index each touched case once, when the block ends (still in its transaction).

    For code that saves many cases, or one case many times (its authors, doses and
    images each fire a save signal): importers (``import_legacy``), bulk edits, restores.
    Inside the block the save signals only collect the ids of the cases they touch; when
    the block ends, those cases are indexed in one :func:`index_cases` call, inside the
    block's transaction, so the index still changes exactly when the cases do, and a
    rolled-back block leaves both as they were. A batch inside a batch joins the outer one.
    An importer that commits page by page wraps each group of pages in a batch, and each
    page in a savepoint inside it: a failed page's ids are indexed harmlessly (a case that
    is not there leaves nothing behind).
    """
    outer = getattr(_local, "pending", None)
    if outer is not None:
        yield
        return
    _local.pending = set()
    try:
        with transaction.atomic():
            yield
            pending, _local.pending = _local.pending, None
            index_cases(pending)
    finally:
        _local.pending = None


def schedule(ids: Iterable[int]) -> None:
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.update(ids)
    else:
        index_cases(ids)


def _changed(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return  # loaddata: `manage.py reindex` afterwards
    for source in registry.sources():
        if (case_ids := source.watch.get(sender)) is not None:
            schedule(i for i in case_ids(instance) if i is not None)


def connect_signals() -> None:
    for source in registry.sources():
        for model in source.watch:
            uid = f"search-{source.name}-{model._meta.label}"
            post_save.connect(_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(_changed, sender=model, dispatch_uid=uid + "-delete")


def rebuild(progress: Any = None, chunk: int = 500) -> int:
    """Re-index every case from scratch; ``progress(n)`` is called after each chunk.
    Returns the number of cases indexed."""
    from lightbox.cases.models import Case

    search = backend()
    search.ensure_schema()
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    # Entries of cases that no longer exist become tombstones.
    stale = set(Entry.objects.exclude(audience=Audience.GONE).values_list("case_id", flat=True))
    ids += sorted(stale - set(ids))
    with transaction.atomic(), search.filling():
        search.clear()
        for start in range(0, len(ids), chunk):
            index_cases(ids[start : start + chunk])
            if progress:
                progress(len(ids[start : start + chunk]))
    with connection.cursor() as cur:  # fresh statistics for the query planner
        cur.execute("ANALYZE")
    return len(ids)


def after_migrate(**kwargs: Any) -> None:
    """Create (or re-create) the full-text table; refill it if it is new."""
    using = kwargs.get("using", "default")
    if using != "default" or connection.vendor not in ("sqlite", "postgresql"):
        return
    from lightbox.cases.models import Case

    search = backend()
    if search.ensure_schema() and (total := Case.objects.count()):
        # The full-text tables are new (or their columns changed): refill them, showing
        # progress, as a large library takes minutes.
        from tqdm import tqdm

        quiet = kwargs.get("verbosity", 1) == 0
        desc = "Rebuilding the search index"
        with tqdm(total=total, desc=desc, unit="case", disable=quiet) as bar:
            rebuild(progress=bar.update)
    elif not Entry.objects.exists():
        # `flush` empties the tables Django knows and then sends post_migrate: empty the
        # full-text table too, so no text of a deleted case lingers in it.
        search.clear()
