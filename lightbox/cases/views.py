"""Reading views: home, browse, the case page (unknown and known), topics, print."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from lightbox.accounts.roles import is_editor
from lightbox.cases import acr, pages, unknown
from lightbox.cases.access import can_edit_case, can_view_case, visible_cases_q
from lightbox.cases.models import NUMBER_RE, Case, Modality, Series, Topic, split_number
from lightbox.imaging.models import Image
from lightbox.search import views as search_views

SERIES_PREFIX_RE = re.compile(r"^[a-z]{2,4}$")


def study_source(request: HttpRequest, kind: str, **params: str) -> str:
    """A list page's cases as a list to study or step through (lightbox.learning.sources),
    in the order the page shows them."""
    if request.GET.get("sort") == "number":
        params["sort"] = "number"
    return urlencode({"list": kind, **params})


def _visible(request: HttpRequest) -> QuerySet[Case]:
    return Case.objects.filter(visible_cases_q(request.user))


def _listing(request: HttpRequest, cases: QuerySet[Case]) -> Page:
    """One page of a case list, newest first, with each case's main thumbnail."""
    cases = cases.select_related("series").prefetch_related(
        Prefetch(
            "images",
            queryset=Image.objects.filter(is_main=True).exclude(pixel_review="needed"),
            to_attr="main_images",
        )
    )
    if request.GET.get("sort") == "number":
        cases = cases.order_by("series__prefix", "sequence")
    else:
        cases = cases.order_by("-published_at", "-pk")
    return Paginator(cases, settings.PAGE_SIZE).get_page(request.GET.get("page"))


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


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    visible = _visible(request)
    by_field = dict(
        visible.exclude(anatomic_field="")
        .values_list("anatomic_field")
        .annotate(n=Count("pk"))
        .values_list("anatomic_field", "n")
    )
    by_modality = dict(
        visible.exclude(modality="")
        .values_list("modality")
        .annotate(n=Count("pk"))
        .values_list("modality", "n")
    )
    by_series = dict(
        visible.values_list("series").annotate(n=Count("pk")).values_list("series", "n")
    )
    ctx = {
        "total": sum(by_series.values()),
        "topic_count": Topic.objects.count(),
        "fields": [(d, name, by_field.get(d, 0)) for d, name in acr.fields().items()],
        "modalities": [(m, m.label, by_modality[m]) for m in Modality if m in by_modality],
        "series": [(s, by_series[s.pk]) for s in Series.objects.all() if s.pk in by_series],
        "newest": _listing(request, visible).object_list[:8],
    }
    if request.user.is_authenticated:
        from lightbox.learning.progress import due_today

        ctx["due"] = due_today(request.user)
        ctx["demo_quiz"] = visible.filter(is_demo=True, status="published").exists()
    return render(request, "cases/home.html", ctx)


@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    page = _listing(request, _visible(request))
    return render(request, "cases/case_list.html", {"page": page, "heading": "All cases"})


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


@require_safe
def case_similar(request: HttpRequest, number: str) -> HttpResponse:
    case = _get_case(request, number, Case.objects.select_related("series", "topic"))
    return search_views.case_similar(request, case)


@require_safe
def browse_fields(request: HttpRequest) -> HttpResponse:
    return redirect("lightbox-home")


@require_safe
def browse_field(request: HttpRequest, field: str) -> HttpResponse:
    name = acr.field_name(field)
    if not name:
        raise Http404("No such anatomic field.")
    cases = _visible(request).filter(anatomic_field=field)
    counts = dict(
        cases.values_list("category").annotate(n=Count("pk")).values_list("category", "n")
    )
    categories = [(d, label, counts.get(d, 0)) for d, label in acr.categories().items()]
    ctx = {
        "field": field,
        "field_name": name,
        "categories": categories,
        "uncategorised": counts.get("", 0),
        "page": _listing(request, cases),
        "topics": Topic.objects.filter(anatomic_field=field),
        "study_source": study_source(request, "field", field=field),
    }
    return render(request, "cases/browse_field.html", ctx)


@require_safe
def browse_category(request: HttpRequest, field: str, category: str) -> HttpResponse:
    field_name, category_name = acr.field_name(field), acr.category_name(category)
    if not field_name or not category_name:
        raise Http404("No such anatomic field or category.")
    cases = _visible(request).filter(anatomic_field=field, category=category)
    ctx = {
        "field": field,
        "field_name": field_name,
        "category": category,
        "category_name": category_name,
        "page": _listing(request, cases),
        "topics": Topic.objects.filter(anatomic_field=field, category=category),
        "study_source": study_source(request, "field", field=field, category=category),
    }
    return render(request, "cases/browse_category.html", ctx)


@require_safe
def browse_modality(request: HttpRequest, modality: str) -> HttpResponse:
    if modality not in Modality.values:
        raise Http404("No such modality.")
    page = _listing(request, _visible(request).filter(modality=modality))
    heading = f"{Modality(modality).label} cases"
    study = study_source(request, "modality", modality=modality)
    context = {"page": page, "heading": heading, "study_source": study}
    return render(request, "cases/case_list.html", context)


@require_safe
def series_detail(request: HttpRequest, prefix: str) -> HttpResponse:
    if not SERIES_PREFIX_RE.match(prefix):
        raise Http404("No such series.")
    series = get_object_or_404(Series, prefix=prefix)
    page = _listing(request, _visible(request).filter(series=series))
    ctx = {
        "page": page,
        "heading": f"{series.name} ({series.prefix})",
        "series": series,
        "study_source": study_source(request, "series", series=series.prefix),
    }
    return render(request, "cases/case_list.html", ctx)


@require_safe
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = Topic.objects.order_by("anatomic_field", "category", "title")
    context = {"topics": topics, "can_edit": is_editor(request.user)}
    return render(request, "cases/topic_list.html", context)


@require_safe
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    page = _listing(request, _visible(request).filter(topic=topic))
    context = {
        "topic": topic,
        "page": page,
        "can_edit": is_editor(request.user),
        "study_source": study_source(request, "topic", topic=topic.slug),
    }
    return render(request, "cases/topic_detail.html", context)
