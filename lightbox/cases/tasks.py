"""Background work for cases, run by the task worker (django.tasks)."""

from __future__ import annotations

from django.tasks import task

from lightbox.cases import pages
from lightbox.cases.models import Case


@task
def render_case_pages(case_id: int) -> None:
    """Render a changed case's reading pages before its first reader asks for them.

    Idempotent and cheap to repeat: several edits in one transaction enqueue this several
    times, and every run after the first finds the pages current.
    """
    if not Case.objects.filter(pk=case_id).exists():
        return  # deleted before the worker got to it
    for view in pages.PRERENDERED:
        if not pages.is_current(case_id, view):
            pages.render_and_store(case_id, view)
