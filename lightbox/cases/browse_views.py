"""Browsing: the home page, the lists of cases (all, by anatomic field and category, by
modality, series and topic), ACR code pages and the keyword index. Every list holds only
the cases the reader may see (:func:`lightbox.cases.access.visible_cases_q`).

``acr_codes`` and ``keywords`` are JSON lists, and SQLite cannot ask whether a JSON list
holds an item, so the code and keyword pages read ``(pk, list)`` pairs of the cases the
reader may see with ``values_list`` and match in Python. The work is one narrow query over
visible cases (for a code, narrowed further in the database to the rows whose codes' text
holds it), then one query for the page of cases shown.

A case's ``anatomic_field`` comes from its *first* code only, so it cannot narrow a code
search: a case coded ``4.5`` and ``642.3`` belongs on the page of ``6``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from lightbox.accounts.roles import is_editor
from lightbox.cases import acr
from lightbox.cases.access import visible_cases_q
from lightbox.cases.models import Case, Modality, Series, Topic
from lightbox.imaging.models import Image

__all__ = [
    "browse_acr",
    "browse_category",
    "browse_field",
    "browse_fields",
    "browse_modality",
    "case_list",
    "home",
    "keyword_detail",
    "keyword_list",
    "series_detail",
    "topic_detail",
    "topic_list",
]

# The longest text parse_code accepts is 6 + 1 + 8 characters; anything longer is not a code.
MAX_CODE_LENGTH = 15
# Far longer than any real keyword: a longer path is refused before any work.
MAX_KEYWORD_LENGTH = 1000
CHUNK = 2000

SERIES_PREFIX_RE = re.compile(r"^[a-z]{2,4}$")

Hit = tuple[int, list[str]]  # a case's pk and what matched (codes or keyword spellings)


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
    return Paginator(_ordered(request, cases), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )


def _ordered(request: HttpRequest, cases: QuerySet[Case]) -> QuerySet[Case]:
    """The order of every case list (see :func:`_listing`): newest first, or by number."""
    if request.GET.get("sort") == "number":
        return cases.order_by("series__prefix", "sequence")
    return cases.order_by("-published_at", "-pk")


def _page(request: HttpRequest, visible: QuerySet[Case], hits: list[Hit]) -> Page[Any]:
    """One page of ``hits`` (already in list order) as cases ready for the case cards,
    each with ``matched``: the codes or spellings that put it on this page."""
    page: Page[Any] = Paginator(hits, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    matched = dict(page.object_list)
    # Only this page's cases are loaded, as _listing loads them. Visibility is asked
    # again: what the reader may not see is never shown, even if it changed in between.
    cases = (
        visible.filter(pk__in=matched)
        .select_related("series")
        .prefetch_related(
            Prefetch(
                "images",
                queryset=Image.objects.filter(is_main=True).exclude(pixel_review="needed"),
                to_attr="main_images",
            )
        )
    )
    by_pk = {case.pk: case for case in cases}
    shown = []
    for pk, what in page.object_list:
        if (case := by_pk.get(pk)) is not None:
            case.matched = what  # type: ignore[attr-defined]
            shown.append(case)
    page.object_list = shown
    return page


# -- lists of cases -----------------------------------------------------------------------


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


# -- ACR codes ----------------------------------------------------------------------------


def _code(text: str) -> acr.AcrCode | None:
    """The ACR code in a URL, or None when it is not shaped like one (ASCII digits only:
    ``\\d`` alone would let Arabic-Indic or full-width digits through)."""
    if len(text) > MAX_CODE_LENGTH or not text.isascii():
        return None
    try:
        return acr.parse_code(text)
    except acr.InvalidAcrCode:
        return None


def codes_under(codes: object, prefix: str) -> list[str]:
    """The codes in ``codes`` (a case's ``acr_codes``) that are ``prefix`` or beneath it,
    in the case's order, each once."""
    if not isinstance(codes, list):
        return []
    found = [c.strip() for c in codes if isinstance(c, str) and c.strip().startswith(prefix)]
    return list(dict.fromkeys(found))


@require_safe
def browse_acr(request: HttpRequest, code: str) -> HttpResponse:
    """The cases the reader may see that have ``code`` or a code beneath it."""
    parsed = _code(code)
    if parsed is None:
        return render(request, "cases/browse_acr.html", {"invalid": True}, status=404)
    prefix = parsed.code
    if prefix != code:  # spaces around it (a stored code written so): one address per code
        return redirect("lightbox-browse-acr", prefix)
    visible = _visible(request)
    # A superset in the database (the codes' JSON text holds the prefix somewhere), the
    # exact prefix test in Python.
    rows = (
        _ordered(request, visible)
        .annotate(acr_text=Cast("acr_codes", TextField()))
        .filter(acr_text__contains=prefix)
        .values_list("pk", "acr_codes")
    )
    hits: list[Hit] = []
    per_code: Counter[str] = Counter()
    for pk, codes in rows.iterator(chunk_size=CHUNK):
        if found := codes_under(codes, prefix):
            hits.append((pk, found))
            per_code.update(found)
    broader = prefix[:-1]
    ctx = {
        "code": prefix,
        "field": parsed.field,
        "field_name": acr.field_name(parsed.field),
        "category": parsed.category or "",
        "category_name": acr.category_name(parsed.category),
        "broader": broader if broader and _code(broader) else "",
        "codes": sorted(per_code.items()),
        "total": len(hits),
        "page": _page(request, visible, hits),
        "study_source": study_source(request, "acr", code=prefix),
    }
    return render(request, "cases/browse_acr.html", ctx)


# -- keywords -----------------------------------------------------------------------------


def keyword_key(keyword: str) -> str:
    """What two spellings of one keyword share: ``"Bone  Scan"`` and ``"bone scan"``."""
    return " ".join(keyword.split()).casefold()


def _spellings(keywords: object) -> dict[str, str]:
    """A case's keywords: key → the case's spelling (whitespace tidied), each key once."""
    if not isinstance(keywords, list):
        return {}
    found: dict[str, str] = {}
    for keyword in keywords:
        if isinstance(keyword, str) and (spelling := " ".join(keyword.split())):
            found.setdefault(spelling.casefold(), spelling)
    return found


def _most_common(spellings: Counter[str]) -> str:
    """The spelling most cases use; on a tie, the first in code-point order."""
    return min(spellings, key=lambda s: (-spellings[s], s))


@require_safe
def keyword_list(request: HttpRequest) -> HttpResponse:
    """Every keyword of the cases the reader may see, with how many cases have it."""
    counts: Counter[str] = Counter()
    spellings: defaultdict[str, Counter[str]] = defaultdict(Counter)
    rows = _visible(request).order_by().values_list("keywords", flat=True)
    for keywords in rows.iterator(chunk_size=CHUNK):
        for key, spelling in _spellings(keywords).items():
            counts[key] += 1
            spellings[key][spelling] += 1
    keywords = [(_most_common(spellings[key]), counts[key]) for key in sorted(counts)]
    return render(request, "cases/keyword_list.html", {"keywords": keywords})


@require_safe
def keyword_detail(request: HttpRequest, keyword: str) -> HttpResponse:
    """The cases the reader may see that have ``keyword``, in any letter case."""
    if len(keyword) > MAX_KEYWORD_LENGTH or not (key := keyword_key(keyword)):
        raise Http404("No such keyword.")
    visible = _visible(request)
    hits: list[Hit] = []
    spellings: Counter[str] = Counter()
    rows = _ordered(request, visible).values_list("pk", "keywords")
    for pk, keywords in rows.iterator(chunk_size=CHUNK):
        if (spelling := _spellings(keywords).get(key)) is not None:
            hits.append((pk, [spelling]))
            spellings[spelling] += 1
    # A keyword no visible case has does not exist, for this reader.
    if not hits:
        raise Http404("No such keyword.")
    ctx = {
        "keyword": _most_common(spellings),
        "total": len(hits),
        "page": _page(request, visible, hits),
        "study_source": study_source(request, "keyword", keyword=_most_common(spellings)),
    }
    return render(request, "cases/keyword_detail.html", ctx)
