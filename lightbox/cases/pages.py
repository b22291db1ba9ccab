"""Stored, rendered case articles: the reading pages' fast path.

A case page is the same HTML for every reader allowed to see it, and cases change rarely,
so each view of a case (``unknown``, ``known``, ``print``) is rendered once and stored in
:class:`~lightbox.cases.models.RenderedPage`. Reading a case is then one small SQL query
that fetches the access fields and the stored article together.

A stored article is used only while its ``stamp`` equals the case's ``updated`` (bumped by
every change to the case or to anything shown on it; see ``signals.py``) and its
``version`` equals the current templates' fingerprint (so an upgrade that changes a
template re-renders everything). Otherwise the read renders, stores and serves it.
After a save, a background task renders the pages ahead of the first reader.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from lightbox.cases import unknown
from lightbox.cases.models import Case, CaseAuthor, CaseCode, Radiopharmaceutical, RenderedPage
from lightbox.imaging.models import Image, Instance, PixelReview

__all__ = ["VIEWS", "article", "is_current", "lookup", "render_and_store", "template_version"]

logger = logging.getLogger(__name__)

VIEWS = ("unknown", "known", "print")
PRERENDERED = ("unknown", "known")


@cache
def template_version() -> str:
    """A fingerprint of everything that shapes an article: its templates and tag code."""
    digest = hashlib.sha256()
    sources = sorted((Path(settings.BASE_DIR) / "templates" / "cases").glob("_*.html"))
    sources += [Path(__file__).parent / "templatetags" / "lightbox.py"]
    sources += [Path(settings.BASE_DIR) / "lightbox" / "lib" / "markdown.py"]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class PageRow:
    """What a read needs before it may serve a page: who may see it, and the page."""

    case: Case
    html: str | None
    # The difficulty readers measured (lightbox.learning), and from how many first
    # answers: it changes with every answer, so it is read here, not stored in the page.
    measured: tuple[float, int] | None = None


def lookup(number: str, view: str) -> PageRow | None:
    """The case numbered ``number`` with its stored ``view`` article, in one query.

    Plain SQL on purpose: this runs on every case page, and building the same statement
    through the ORM costs several times more than executing it.
    """
    from lightbox.learning.models import CaseDifficulty

    cases, pages = Case._meta.db_table, RenderedPage._meta.db_table
    measured = CaseDifficulty._meta.db_table
    sql = (
        f"SELECT c.id, c.title, c.status, c.visibility, c.created_by_id, p.html, "  # noqa: S608
        f"m.difficulty, m.attempts "
        f"FROM {cases} c LEFT JOIN {pages} p ON p.case_id = c.id AND p.view = %s "
        f"AND p.stamp = c.updated AND p.version = %s "
        f"LEFT JOIN {measured} m ON m.case_id = c.id WHERE c.number = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [view, template_version(), number])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, title, status, visibility, created_by_id, html, difficulty, attempts = row
    case = Case(
        id=pk,
        number=number,
        title=title,
        status=status,
        visibility=visibility,
        created_by_id=created_by_id,
    )
    return PageRow(
        case=case,
        html=zlib.decompress(html).decode() if html else None,
        measured=(float(difficulty), int(attempts)) if attempts else None,
    )


def article_context(case_id: int, view: str) -> dict[str, object]:
    """Everything an article template shows, in plain queries (the prefetch machinery
    costs more than the queries themselves here)."""
    case = Case.objects.select_related("series", "topic").get(pk=case_id)
    images = list(Image.objects.filter(case=case))
    for image in images:
        image.case = case  # image URLs need the case number: no query per image
    authors = list(CaseAuthor.objects.filter(case=case))
    stacks = _stacks(case, images)
    if view == "unknown":
        # Rendered from the unknown's view of the case: what the template cannot read,
        # it cannot show (see lightbox.cases.unknown).
        return {
            "case": unknown.view(case),
            "known": False,
            "authors": [unknown.author_view(a) for a in authors],
            "images": [unknown.image_view(i) for i in images],
            "stacks": stacks,
            "doses": [],
            "codes": [],
        }
    return {
        "case": case,
        "known": True,
        "authors": authors,
        "images": images,
        "stacks": stacks,
        "doses": list(Radiopharmaceutical.objects.filter(case=case)),
        "codes": [c.code for c in CaseCode.objects.filter(case=case).select_related("code")],
    }


def _stacks(case: Case, images: list[Image]) -> dict[int, dict[str, object]]:
    """For the main image when it shows a series of more than one frame: every frame a
    reader may see, as the URLs of their pictures, and where the key frame is among them
    (the middle frame of the middle instance), so that the case page scrolls through the
    stack (static/lightbox/stack.js). Instances needing pixel review or that cannot be
    rendered are left out, as the viewer page leaves them out for readers."""
    main = next((i for i in images if i.is_main), None)
    if main is None or main.series_id is None or main.needs_pixel_review:
        return {}
    instances = list(
        Instance.objects.filter(series_id=main.series_id, render_error="")
        .exclude(pixel_review=PixelReview.NEEDED)
        .order_by("instance_number", "position", "pk")
        .values_list("pk", "frames")
    )
    frames = [(pk, f) for pk, count in instances for f in range(max(count, 1))]
    if len(frames) < 2:
        return {}
    middle_pk, middle_count = instances[len(instances) // 2]
    start = frames.index((middle_pk, max(middle_count, 1) // 2))
    urls = [reverse("lightbox-instance-frame", args=[case.number, pk, f + 1]) for pk, f in frames]
    return {main.pk: {"id": f"stack-{main.pk}", "data": {"frames": urls, "start": start}}}


def render_and_store(case_id: int, view: str) -> str:
    """Render one article and store it. A failed store (a locked or read-only database)
    is logged and the page is still served."""
    context = article_context(case_id, view)
    html = render_to_string(f"cases/_article_{view}.html", context)
    stamp = context["case"].updated  # type: ignore[attr-defined]
    page = RenderedPage(
        case_id=case_id,
        view=view,
        stamp=stamp,
        version=template_version(),
        html=zlib.compress(html.encode(), 6),
    )
    try:
        RenderedPage.objects.bulk_create(
            [page],
            update_conflicts=True,
            unique_fields=["case", "view"],
            update_fields=["stamp", "version", "html"],
        )
    except DatabaseError:
        logger.warning("could not store the rendered %s page of case %s", view, case_id)
    return html


def article(row: PageRow, view: str) -> SafeString:
    """The stored article of ``row``, or a fresh one."""
    html = row.html if row.html is not None else render_and_store(row.case.pk, view)
    # Our own template output (every text section already through nh3): safe as it is.
    return mark_safe(html)  # noqa: S308


def is_current(case_id: int, view: str) -> bool:
    """Whether the stored ``view`` page of the case matches the case as it is now."""
    return RenderedPage.objects.filter(
        case_id=case_id,
        view=view,
        version=template_version(),
        stamp=Case.objects.filter(pk=case_id).values("updated")[:1],
    ).exists()
