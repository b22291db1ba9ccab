"""Previous and next within the list a case was opened from.

A list page links its cases with ``?in=<the list>`` (the list as a session source, see
:mod:`lightbox.learning.sources`); the case page then shows where the case sits in that
list and links its neighbours, carrying the same ``in``. Only lists a page shows qualify
(not a reader's own queues), read as the reader may see them, up to :data:`LIMIT` cases.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from lightbox.cases.models import Case
from lightbox.learning import sources

__all__ = ["LIMIT", "neighbours"]

LIMIT = 1000
LIST_KINDS = frozenset(
    {"search", "field", "modality", "series", "topic", "keyword", "acr", "demo"}
)


def neighbours(request: HttpRequest, case_id: int) -> dict[str, Any] | None:
    """The list ``request`` names in ``in``, and the case's place in it; ``None`` when it
    names none, or the case is not in it."""
    raw = request.GET.get("in", "")[:2000]
    source = sources.parse(raw)
    if source is None or source.kind not in LIST_KINDS:
        return None
    ids = sources.cases_of(source, request.user, LIMIT)
    if case_id not in ids:
        return None
    i = ids.index(case_id)
    before = ids[i - 1] if i else None
    after = ids[i + 1] if i + 1 < len(ids) else None
    numbers = dict(Case.objects.filter(pk__in=[before, after]).values_list("pk", "number"))
    query = "?" + urlencode({"in": raw})
    return {
        "title": sources.describe(source),
        "position": i + 1,
        "count": len(ids),
        "previous": None if before is None else numbers.get(before),
        "next": None if after is None else numbers.get(after),
        "query": query,
        "back": sources.list_url(source),
    }
