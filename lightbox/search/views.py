"""The search page, the "paste findings" page and the case's similar-cases page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods, require_safe

from lightbox.cases.access import can_view_case
from lightbox.cases.models import Case, split_number
from lightbox.lib.params import int_param
from lightbox.search import engine, similar


def _selection(params: QueryDict) -> dict[str, list[str]]:
    return {name: params.getlist(name) for name in engine.FACETS if name in params}


def toggle_url(params: QueryDict, name: str, value: str) -> str:
    """The query string with one facet value ticked or unticked, back on page 1."""
    new = params.copy()
    values = new.getlist(name)
    new.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    new.pop("page", None)
    return "?" + new.urlencode()


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    params = request.GET
    results = engine.search(
        request.user,
        params.get("q", "")[:1000],
        _selection(params),
        params.get("sort", ""),
        int_param(params, "page", 1, minimum=1, maximum=engine.MAX_OFFSET),
        unknown=params.get("unknown") == "1",
        literal=params.get("literal") == "1",
    )
    for facet in results.facets:
        for value in facet.values:
            value.url = toggle_url(params, facet.name, value.value)  # type: ignore[attr-defined]
    page_params = params.copy()
    page_params.pop("page", None)
    literal_params = page_params.copy()
    literal_params["literal"] = "1"
    ctx: dict[str, Any] = {
        "results": results,
        "sorts": engine.SORTS,
        "chosen_sort": params.get("sort", "") if params.get("sort") in engine.SORTS else "",
        "base_query": page_params.urlencode(),
        # The same search as typed: no abbreviation expanded, nothing corrected or relaxed.
        "literal_url": "?" + literal_params.urlencode(),
        "fields": [(k, v) for k, v in engine.q.FIELDS.items()],
    }
    status = 400 if results.error and not results.timed_out else 200
    return render(request, "search/search.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def similar_text_page(request: HttpRequest) -> HttpResponse:
    # POST, so that pasted clinical text does not end up in URLs and server logs.
    text = request.POST.get("text", "") if request.method == "POST" else ""
    error, matches = "", []
    if request.method == "POST":
        if not text.strip():
            error = "Paste some findings or history to compare."
        elif len(text) > similar.MAX_TEXT:
            error = f"That is {len(text):,} characters; paste at most {similar.MAX_TEXT:,}."
        else:
            found = similar.like_text(text, request.user, limit=20)
            matches = similar.with_cards(request.user, found)
    ctx = {"text": text, "error": error, "matches": matches, "searched": request.method == "POST"}
    return render(request, "search/similar_text.html", ctx, status=400 if error else 200)


def _readable_case(request: HttpRequest, number: str) -> Case:
    try:
        split_number(number)
    except ValueError:
        raise Http404("No such case number.") from None
    case = get_object_or_404(Case.objects.select_related("series", "topic"), number=number.lower())
    # A case the reader may not see is indistinguishable from one that does not exist.
    if not can_view_case(request.user, case):
        raise Http404("No such case number.")
    return case


@require_safe
def case_similar(request: HttpRequest, number: str) -> HttpResponse:
    case = _readable_case(request, number)
    unknown = request.GET.get("unknown") == "1"
    found = similar.like_case(case, request.user, limit=20, unknown=unknown)
    matches = similar.with_cards(request.user, found, unknown=unknown)
    ctx = {"case": case, "matches": matches, "unknown": unknown}
    return render(request, "search/case_similar.html", ctx)
