"""Keep ``Case.updated`` honest: it changes whenever anything shown on the case changes.

The reading pages are stored rendered under that stamp (see pages.py), so an author added,
an image re-captioned or a topic renamed must bump it, or readers would see the old page.
After a change commits, the task worker renders the new pages ahead of the first reader.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    CaseCode,
    Code,
    CodeSynonym,
    Radiopharmaceutical,
    Series,
    Topic,
)

# Cases whose pages must be rendered when this thread's transaction commits.
_to_render = threading.local()


def render_after_commit(case_id: int) -> None:
    """Enqueue the rendering of a case's pages after commit, once per case per transaction.

    A case saved with its authors, doses and images is saved many times in one transaction
    (an import saves a hundred cases in one); each id is enqueued once. Every call
    registers the callback that enqueues them all, so one registered inside a savepoint that
    rolls back does not take the others with it. When no callback is pending, ids left over
    belong to a transaction that rolled back, and are forgotten.
    """
    pending: set[int] | None = getattr(_to_render, "ids", None)
    if pending is None or not transaction.get_connection().run_on_commit:
        pending = _to_render.ids = set()
    pending.add(case_id)
    transaction.on_commit(_enqueue_renders)


def _enqueue_renders() -> None:
    from lightbox.cases.tasks import render_case_pages

    pending: set[int] = getattr(_to_render, "ids", set())
    _to_render.ids = set()
    if not pending:
        return
    # One commit for all of them, not one each (on PostgreSQL, each is a WAL flush).
    with transaction.atomic():
        for case_id in sorted(pending):
            render_case_pages.enqueue(case_id)


def case_saved(sender: type[Case], instance: Case, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        render_after_commit(instance.pk)


def touch_case(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return  # loaddata: the case row arrives with its own stamp
    Case.objects.filter(pk=instance.case_id).update(updated=timezone.now())
    render_after_commit(instance.case_id)


# A topic or series change can touch thousands of cases: their pages are re-rendered
# lazily, on each case's next read, rather than all at once by the worker.
def touch_topic_cases(sender: type[Model], instance: Topic, **kwargs: Any) -> None:
    Case.objects.filter(topic=instance).update(updated=timezone.now())


def touch_code_cases(
    sender: type[Model], instance: Code, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        Case.objects.filter(case_codes__code=instance).update(updated=timezone.now())


def touch_synonym_cases(
    sender: type[Model], instance: CodeSynonym, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        Case.objects.filter(case_codes__code_id=instance.code_id).update(updated=timezone.now())


def touch_series_cases(sender: type[Model], instance: Series, **kwargs: Any) -> None:
    Case.objects.filter(series=instance).update(updated=timezone.now())


def connect_case_child(model: type[Model]) -> None:
    """Bump the parent case whenever a ``model`` row (with a ``case`` FK) changes."""
    post_save.connect(touch_case, sender=model, dispatch_uid=f"touch-case-{model.__name__}")
    post_delete.connect(touch_case, sender=model, dispatch_uid=f"touch-case-del-{model.__name__}")


post_save.connect(case_saved, sender=Case, dispatch_uid="render-case-pages")
connect_case_child(CaseAuthor)
connect_case_child(Radiopharmaceutical)
connect_case_child(CaseCode)
# A code's term is shown on every case that carries it (importers, which write codes in
# bulk, touch those cases themselves: see lightbox.interchange.radlex.save).
post_save.connect(touch_code_cases, sender=Code, dispatch_uid="touch-code-cases")
post_save.connect(touch_synonym_cases, sender=CodeSynonym, dispatch_uid="touch-synonym-cases")
post_delete.connect(touch_synonym_cases, sender=CodeSynonym, dispatch_uid="touch-synonym-del")
post_save.connect(touch_topic_cases, sender=Topic, dispatch_uid="touch-topic-cases")
post_save.connect(touch_series_cases, sender=Series, dispatch_uid="touch-series-cases")
