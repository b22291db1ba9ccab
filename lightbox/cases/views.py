"""Reading a case: its page as an unknown, with the answer (known), and to print.

Browsing (home, the lists of cases, topics, ACR codes, keywords) is in
:mod:`lightbox.cases.browse_views`; writing in :mod:`lightbox.cases.edit_views`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from lightbox.cases import pages, unknown
from lightbox.cases.access import can_edit_case, can_view_case
from lightbox.cases.models import NUMBER_RE, Case, split_number


def _get_case(request: HttpRequest, number: str, queryset: QuerySet[Case]) -> Case:
    try:
        split_number(number)
    except ValueError:
        raise Http404("No such case number.") from None
    case = get_object_or_404(queryset, number=number.lower())
    # A case the reader may not see is indistinguishable from one that does not exist.
    if not can_view_case(request.user, case):
        raise Http404("No such case number.")
    return case


def readable_page(request: HttpRequest, number: str, view: str) -> pages.PageRow:
    """The stored ``view`` page of case ``number`` if the reader may see it; else 404."""
    try:
        split_number(number)
    except ValueError:
        raise Http404("No such case number.") from None
    row = pages.lookup(number, view)
    # A case the reader may not see is indistinguishable from one that does not exist.
    if row is None or not can_view_case(request.user, row.case):
        raise Http404("No such case number.")
    return row


def case_page(
    request: HttpRequest,
    number: str,
    view: str,
    *,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Serve one of the case's pages (``unknown``, ``known``, ``print``) from its stored
    article (see :mod:`lightbox.cases.pages`), with the reader's own parts put in (see
    :mod:`lightbox.learning.page`; ``extra`` is passed on: a session, a bound answer
    form). One query for an anonymous reader when the page is stored."""
    from lightbox.learning import page as learning_page

    row = readable_page(request, number, view)
    extra = extra or {}
    if "in" in request.GET and view != "print" and "session" not in extra:
        from lightbox.learning.listnav import neighbours

        extra["listnav"] = neighbours(request, row.case.pk)
    slots = {k: extra[k] for k in ("form", "session", "position") if k in extra}
    context = {
        # The unknown page's own parts (its <title>, the author tools) read the case
        # through the unknown's view too.
        "case": unknown.view(row.case) if view == "unknown" else row.case,
        "view": view,
        "article": learning_page.fill(
            request, row.case, view, pages.article(row, view), difficulty=row.measured, **slots
        ),
        "can_edit": request.user.is_authenticated and can_edit_case(request.user, row.case),
        **extra,
    }
    if view == "known":
        # Comments are part of the answer: never on the unknown page. They live outside
        # the stored article, which does not change when someone comments.
        from lightbox.comments.thread import thread_context

        context |= thread_context(request, row.case)
    template = "cases/case_print.html" if view == "print" else "cases/case_page.html"
    return render(request, template, context, status=status)


@require_safe
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The case as an unknown: nothing of the answer is in this response."""
    if number != number.lower() and NUMBER_RE.match(number.lower()):
        return redirect("lightbox-case-detail", number.lower(), permanent=True)
    return case_page(request, number, "unknown")


@require_safe
def case_known(request: HttpRequest, number: str) -> HttpResponse:
    """The whole case, answer included. Linkable directly."""
    return case_page(request, number, "known")


@require_safe
def case_print(request: HttpRequest, number: str) -> HttpResponse:
    return case_page(request, number, "print")
