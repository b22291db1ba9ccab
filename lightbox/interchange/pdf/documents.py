"""What each PDF holds: a case (known, or as a handout with the unknown first), a topic
page, a conference agenda as a handout.

The views (:mod:`lightbox.interchange.pdf.views`) decide who may have which document,
through :mod:`lightbox.cases.access` as the HTML pages do; this module is given what
they allowed and builds the document's HTML and the table of pictures it may embed
(:class:`Pictures`), which is all the renderer will fetch.

An unknown part (a handout's first pages, every case of an agenda handout) is rendered
on its own from :func:`lightbox.cases.unknown.view` and friends, with nothing else in its
template's context: it cannot show what it cannot read. The answer follows on a new page.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from lightbox.cases import unknown
from lightbox.cases.access import can_view_case, visible_cases_q
from lightbox.cases.models import Case, CaseAuthor, Radiopharmaceutical, Topic
from lightbox.conference.models import Conference
from lightbox.imaging.models import Image
from lightbox.interchange.pdf.render import Media, media_url

__all__ = [
    "MAX_TOPIC_CASES",
    "Document",
    "Figure",
    "Pictures",
    "agenda_document",
    "case_document",
    "topic_document",
]

#: A topic's PDF lists at most this many of its cases (then says how many more there are).
MAX_TOPIC_CASES = 200


class Pictures:
    """The pictures one document may embed, each added only after the caller's access
    check, under an opaque address (:func:`~lightbox.interchange.pdf.render.media_url`)
    that says nothing of the file's name. Read through the storage API when WeasyPrint
    asks for it."""

    def __init__(self) -> None:
        self.media: dict[str, Media] = {}
        self._urls: dict[str, str] = {}

    def add(self, file: FieldFile) -> str:
        """The address of ``file`` in this document (the same file: the same address)."""
        name = file.name or ""
        if name in self._urls:
            return self._urls[name]
        url = media_url(str(len(self._urls) + 1))
        storage = file.storage
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.media[url] = Media(open=lambda: storage.open(name, "rb"), mime_type=mime_type)
        self._urls[name] = url
        return url


@dataclass(frozen=True, slots=True)
class Figure:
    """One image as a PDF shows it. ``src`` is empty when there is no picture to show
    (``note`` says why); ``answer_caption`` is empty in an unknown part."""

    number: int
    src: str
    alt: str
    caption: str
    is_main: bool
    answer_caption: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A PDF to make: its title (the file's metadata), HTML, pictures and file name."""

    title: str
    html: str
    media: dict[str, Media] = field(default_factory=dict)
    filename: str = "lightbox.pdf"


def _images(case: Case) -> list[Image]:
    images = list(Image.objects.filter(case=case).order_by("order", "pk"))
    for image in images:
        image.case = case  # alt text and addresses need the case: no query per image
    return images


def _picture(image: Any, pictures: Pictures) -> tuple[str, str]:
    """``(src, note)`` of an image. A picture still waiting for pixel review may show
    burned-in identifiers: no PDF carries it, whoever asks (a PDF leaves the site)."""
    if image.needs_pixel_review:
        return "", "Image awaiting pixel review by its authors"
    if not image.file:
        return "", "Image file not yet available"
    return pictures.add(image.file), ""


def unknown_figures(images: list[Image], pictures: Pictures) -> list[Figure]:
    """The figures of an unknown part, read through the unknown's view of each image
    (which has no answer caption to read)."""
    figures = []
    for n, image in enumerate(images, 1):
        shown = unknown.image_view(image)
        src, note = _picture(shown, pictures)
        figures.append(
            Figure(
                number=n,
                src=src,
                alt=shown.alt_text,
                caption=shown.caption,
                is_main=shown.is_main,
                note=note,
            )
        )
    return figures


def known_figures(images: list[Image], pictures: Pictures) -> list[Figure]:
    figures = []
    for n, image in enumerate(images, 1):
        src, note = _picture(image, pictures)
        figures.append(
            Figure(
                number=n,
                src=src,
                alt=image.alt_text,
                caption=image.caption,
                is_main=image.is_main,
                answer_caption=image.answer_caption,
                note=note,
            )
        )
    return figures


def _authors(case: Case) -> list[CaseAuthor]:
    return list(CaseAuthor.objects.filter(case=case).order_by("order", "pk"))


def unknown_part(case: Case, pictures: Pictures, *, page_break: bool = False) -> SafeString:
    """The case as an unknown: rendered from the unknown's views alone."""
    context = {
        "case": unknown.view(case),
        "known": False,
        "authors": [unknown.author_view(a) for a in _authors(case)],
        "figures": unknown_figures(_images(case), pictures),
        "page_break": page_break,
    }
    return mark_safe(render_to_string("interchange/pdf/_unknown.html", context))  # noqa: S308


def answer_part(case: Case, pictures: Pictures, *, heading: str) -> SafeString:
    """The answer of a case, for the page after its unknown: the title, the images'
    answer captions, and every section of the known page."""
    context = {
        "case": case,
        "known": True,
        "heading": heading,
        # An agenda's answer key holds many cases: each its own heading ids.
        "id_prefix": f"{case.number}-",
        "figures": known_figures(_images(case), pictures),
        "doses": list(Radiopharmaceutical.objects.filter(case=case)),
    }
    return mark_safe(render_to_string("interchange/pdf/_answer.html", context))  # noqa: S308


def known_part(case: Case, pictures: Pictures) -> SafeString:
    """The whole case, as its known page and print view show it."""
    context = {
        "case": case,
        "known": True,
        "authors": _authors(case),
        "id_prefix": f"{case.number}-",
        "figures": known_figures(_images(case), pictures),
        "doses": list(Radiopharmaceutical.objects.filter(case=case)),
    }
    return mark_safe(render_to_string("interchange/pdf/_known.html", context))  # noqa: S308


def _document(
    request: HttpRequest, title: str, body: list[SafeString], pictures: Pictures, filename: str
) -> Document:
    context = {"title": title, "body": body, "site_name": settings.SITE_NAME}
    html = render_to_string("interchange/pdf/document.html", context, request=request)
    return Document(title=title, html=html, media=pictures.media, filename=filename)


def case_document(request: HttpRequest, case: Case, *, handout: bool) -> Document:
    """The case as its known page shows it; or, as a ``handout``, the unknown first and
    the answer from the next page on. The caller has checked that the reader may see
    the case (:func:`lightbox.cases.access.can_view_case`)."""
    pictures = Pictures()
    if handout:
        body = [
            unknown_part(case, pictures),
            answer_part(case, pictures, heading=f"Case {case.number}: the answer"),
        ]
        # The file's title is on the first page a reader sees: not the case's title.
        title, filename = f"Case {case.number}", f"{case.number}-handout.pdf"
    else:
        body = [known_part(case, pictures)]
        title = f"Case {case.number}" + (f": {case.title}" if case.title else "")
        filename = f"{case.number}.pdf"
    return _document(request, title, body, pictures, filename)


def topic_cases(request: HttpRequest, topic: Topic) -> tuple[list[Any], int]:
    """The topic's cases the reader may see, as its page orders them (newest first), at
    most :data:`MAX_TOPIC_CASES`, each through the unknown's view with its main image;
    and how many there are in all."""
    visible = Case.objects.filter(visible_cases_q(request.user), topic=topic)
    total = visible.count()
    cases = list(
        visible.select_related("series")
        .prefetch_related(
            Prefetch(
                "images",
                queryset=Image.objects.filter(is_main=True).exclude(pixel_review="needed"),
                to_attr="main_images",
            )
        )
        .order_by("-published_at", "-pk")[:MAX_TOPIC_CASES]
    )
    return cases, total


def topic_document(request: HttpRequest, topic: Topic) -> Document:
    """The topic page: its discussion and references, then its cases as every list shows
    them (number, modality, exam, brief history and the main image; never the title or
    the diagnosis), only those the reader may see."""
    pictures = Pictures()
    cases, total = topic_cases(request, topic)
    cards = []
    for case in cases:
        main = next(iter(case.main_images), None)  # type: ignore[attr-defined]
        src = ""
        if main is not None and (main.thumbnail or main.file):
            src = pictures.add(main.thumbnail or main.file)
        cards.append({"case": unknown.view(case), "src": src})
    context = {"topic": topic, "cards": cards, "total": total, "more": total - len(cards)}
    body = [mark_safe(render_to_string("interchange/pdf/_topic.html", context))]  # noqa: S308
    return _document(request, topic.title, body, pictures, f"topic-{topic.slug}.pdf")


def agenda_document(request: HttpRequest, conference: Conference, *, answers: bool) -> Document:
    """The agenda as a handout for the room: each case as an unknown, one to a page; with
    ``answers``, an answer key after the last of them. Only cases the presenter may
    read (an agenda holds no other, but access can change after a case is added)."""
    pictures = Pictures()
    cases = [item.case for item in conference.items() if can_view_case(request.user, item.case)]
    context = {"conference": conference, "cases": [unknown.view(c) for c in cases]}
    body = [mark_safe(render_to_string("interchange/pdf/_agenda.html", context))]  # noqa: S308
    body += [unknown_part(case, pictures, page_break=True) for case in cases]
    if answers:
        body += [
            answer_part(case, pictures, heading=f"Case {case.number}: the answer")
            for case in cases
        ]
    return _document(
        request, conference.title, body, pictures, f"conference-{conference.pk}-handout.pdf"
    )
