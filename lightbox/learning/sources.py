"""The lists a session can be started from, each read as the reader may see it.

A *source* is a query string: ``list=<kind>`` and the kind's own parameters, the same
ones its page takes. Kinds:

==========  ============================================  ==========================
kind        parameters                                    the cases
==========  ============================================  ==========================
search      ``q`` and the facets of the search page      the search's results, best
                                                          first
field       ``field`` (ACR digit), optional ``category``  newest first
modality    ``modality`` (e.g. NM)                        newest first
series      ``series`` (prefix, e.g. bs)                  by number
topic       ``topic`` (slug)                              newest first
keyword     ``keyword``                                   newest first
acr         ``code`` (e.g. 4.3 or 642.3212)               newest first
missed      (none)                                        the reader's last answer
                                                          on each was not right
new         (none)                                        never answered, newest first
random      (none)                                        any order
due         (none)                                        the review queue, most
                                                          overdue first
demo        (none)                                        the demo library's cases,
                                                          by number: the ready-made
                                                          quiz of ``make run``
==========  ============================================  ==========================

Every list holds published cases only (a session is for reading, not for reviewing
drafts), narrowed by :func:`lightbox.cases.access.visible_cases_q`.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lightbox.cases import acr
from lightbox.cases.access import visible_cases_q
from lightbox.cases.models import Case, Modality, Status
from lightbox.learning.models import RIGHT_OUTCOMES, Attempt, Card, Outcome, today_bounds
from lightbox.search import engine

__all__ = ["KINDS", "Source", "cases_of", "describe", "due_ids", "list_url", "parse"]

KINDS = (
    "search", "field", "modality", "series", "topic", "keyword", "acr", "missed", "new",
    "random", "due", "demo",
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    kind: str
    params: QueryDict

    def get(self, name: str) -> str:
        # No NUL: PostgreSQL refuses it in any text it is given.
        return str(self.params.get(name, ""))[:200].replace("\x00", "")

    def urlencode(self) -> str:
        return self.params.urlencode()


def parse(raw: str) -> Source | None:
    """The source a query string names, or ``None`` when it names none."""
    params = QueryDict(raw[:2000])
    kind = params.get("list", "")
    return Source(kind, params) if kind in KINDS else None


def _published(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(visible_cases_q(user)).filter(status=Status.PUBLISHED)


def describe(source: Source) -> str:
    """A session's title, in words."""
    kind = source.kind
    if kind == "search":
        text = source.get("q")
        return f"Search: {text}" if text else "Search results"
    if kind == "field":
        name = acr.field_name(source.get("field")) or "Anatomic field"
        category = acr.category_name(source.get("category"))
        return f"{name}: {category}" if category else name
    if kind == "modality":
        value = source.get("modality")
        return f"{Modality(value).label} cases" if value in Modality.values else "Modality"
    labels = {
        "series": f"Series {source.get('series')}",
        "topic": f"Topic: {source.get('topic')}",
        "keyword": f"Keyword: {source.get('keyword')}",
        "acr": f"ACR code {source.get('code')}",
        "missed": "Cases I missed",
        "new": "New to me",
        "random": "Random cases",
        "due": "Due for review",
        "demo": "The demo quiz",
    }
    return labels.get(kind, "Cases")


def cases_of(source: Source, user: Any, length: int, seed: int | None = None) -> list[int]:
    """Up to ``length`` case ids of the source, in order, as ``user`` may see them."""
    kind = source.kind
    if kind == "search":
        selected = {
            name: source.params.getlist(name) for name in engine.FACETS if name in source.params
        }
        results = engine.search(
            user,
            source.get("q"),
            selected,
            source.get("sort"),
            per_page=min(length, engine.MAX_PER_PAGE),
            unknown=True,
            thumbnails=False,
        )
        published = set(
            _published(user)
            .filter(pk__in=[h.case.pk for h in results.hits])
            .values_list("pk", flat=True)
        )
        return [h.case.pk for h in results.hits if h.case.pk in published][:length]
    if kind == "due":
        return due_ids(user, length)
    cases = _published(user)
    # The list pages' own orders: newest first, or by number when they were sorted so.
    newest = (
        ("series__prefix", "sequence")
        if source.get("sort") == "number"
        else ("-published_at", "-pk")
    )
    if kind == "field":
        cases = cases.filter(anatomic_field=source.get("field")).order_by(*newest)
        if source.get("category"):
            cases = cases.filter(category=source.get("category"))
    elif kind == "modality":
        cases = cases.filter(modality=source.get("modality")).order_by(*newest)
    elif kind == "series":
        cases = cases.filter(series__prefix=source.get("series")).order_by(*newest)
    elif kind == "topic":
        cases = cases.filter(topic__slug=source.get("topic")).order_by(*newest)
    elif kind == "keyword":
        wanted = source.get("keyword").casefold()
        cases = cases.order_by(*newest)
        return _matching(cases, "keywords", lambda k: k.casefold() == wanted, length)
    elif kind == "acr":
        code = source.get("code")
        cases = cases.order_by(*newest)
        return _matching(cases, "acr_codes", lambda c: bool(code) and c.startswith(code), length)
    elif kind == "missed":
        return _missed(user, cases, length)
    elif kind == "new":
        answered = Attempt.objects.filter(user=user.pk, case=OuterRef("pk"))
        cases = cases.filter(~Exists(answered)).order_by(*newest)
    elif kind == "demo":
        cases = cases.filter(is_demo=True).order_by("series__prefix", "sequence")
    elif kind == "random":
        ids = list(cases.values_list("pk", flat=True))
        _random.Random(seed).shuffle(ids)
        return ids[:length]
    return list(cases.values_list("pk", flat=True)[:length])


def _matching(
    cases: QuerySet[Case], name: str, test: Callable[[str], bool], length: int
) -> list[int]:
    """Cases one of whose ``name`` list items passes ``test`` (JSON lists are matched
    here: SQLite has no containment lookup), in the order of ``cases``."""
    out: list[int] = []
    for pk, items in cases.values_list("pk", name):
        if any(test(str(item)) for item in items or ()):
            out.append(pk)
            if len(out) >= length:
                break
    return out


def _missed(user: Any, cases: QuerySet[Case], length: int) -> list[int]:
    """Cases whose latest answer by ``user`` was not right, most recent miss first."""
    latest: dict[int, tuple[str, bool | None]] = {}
    rows = (
        Attempt.objects.filter(user=user.pk)
        .order_by("-created")
        .values_list("case_id", "outcome", "self_graded_right")
    )
    for case_id, outcome, self_right in rows:
        latest.setdefault(case_id, (outcome, self_right))
    missed = [
        pk
        for pk, (outcome, self_right) in latest.items()
        if not (outcome in RIGHT_OUTCOMES or (outcome == Outcome.UNSURE and self_right))
    ]
    allowed = set(cases.filter(pk__in=missed).values_list("pk", flat=True))
    return [pk for pk in missed if pk in allowed][:length]


def due_ids(user: Any, length: int, now: Any = None) -> list[int]:
    """The reader's cards due by the end of today, most overdue first, on cases the
    reader may still read (a retired or hidden case leaves the queue)."""
    _, end = today_bounds(now or timezone.now())
    cards = Card.objects.filter(user=user.pk, due__lt=end).order_by("due")
    allowed = _published(user).filter(pk__in=cards.values("case_id"))
    ids = set(allowed.values_list("pk", flat=True))
    return [c for c in cards.values_list("case_id", flat=True) if c in ids][:length]


def list_url(source: Source) -> str:
    """The page the list is read on (a session's "back to the list"); "" when its values
    make no address."""
    kind, get = source.kind, source.get
    if kind == "search":
        params = source.params.copy()
        params.pop("list", None)
        return f"{reverse('lightbox-search')}?{params.urlencode()}"
    routes = {
        "modality": ("lightbox-browse-modality", ["modality"]),
        "series": ("lightbox-series-detail", ["series"]),
        "topic": ("lightbox-topic-detail", ["topic"]),
        "keyword": ("lightbox-keyword-detail", ["keyword"]),
        "acr": ("lightbox-browse-acr", ["code"]),
        "field": ("lightbox-browse-field", ["field"]),
    }
    if kind == "field" and get("category"):
        routes["field"] = ("lightbox-browse-category", ["field", "category"])
    if kind not in routes:
        return reverse("lightbox-learn")
    name, keys = routes[kind]
    try:
        return reverse(name, args=[get(key) for key in keys])
    except NoReverseMatch:
        return ""
