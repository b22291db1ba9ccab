"""What the presenter's screen and an attendee's phone show of the current case.

Before the reveal both read the case through :func:`lightbox.cases.unknown.view` (a
template given it cannot show what it cannot read) and its images through
:func:`~lightbox.cases.unknown.image_view`; the answer is added to the context only once
:func:`~lightbox.cases.access.conference_shows_answer` says so — for attendees, the
diagnosis alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from lightbox.cases import unknown
from lightbox.cases.access import conference_shows_answer
from lightbox.cases.models import Case, Radiopharmaceutical
from lightbox.conference.models import Conference, Stage
from lightbox.imaging.models import Image

__all__ = ["Picture", "attendee_screen", "pictures", "presenter_screen"]


@dataclass(frozen=True, slots=True)
class Picture:
    """One image as a screen shows it: addresses already made, unknown-safe text only."""

    src: str
    full: str
    alt: str
    caption: str
    is_main: bool
    width: int | None
    height: int | None
    viewer: str = ""


def _shown_images(case: Case) -> list[Image]:
    """The case's images with a picture, less any still waiting for pixel review (they
    may show burned-in identifiers: never on a projector or a phone)."""
    images = [i for i in Image.objects.filter(case=case) if i.file and not i.needs_pixel_review]
    for image in images:
        image.case = case  # addresses need the case number: no query per image
    return images


def _attendee_url(conference: Conference, image: Image, kind: str) -> str:
    url = reverse("lightbox-conference-image", args=[conference.code, image.pk, kind])
    # The address changes with the pixels, as on the case page (Image.get_file_url).
    return f"{url}?v={image.sha256[:12]}" if image.sha256 else url


def pictures(conference: Conference, case: Case, *, presenter: bool) -> list[Picture]:
    """The case's images, main first. The presenter's point at the case's own image
    addresses and viewer; an attendee's at the conference's, which open only the current
    case's images and only while the room is open."""
    out = []
    for image in sorted(_shown_images(case), key=lambda i: (not i.is_main, i.order, i.pk)):
        shown = unknown.image_view(image)
        if presenter:
            full = image.get_file_url()
            src = full if image.is_main or not image.thumbnail else image.get_thumbnail_url()
            viewer = image.get_absolute_url()
        else:
            full = _attendee_url(conference, image, "full")
            thumb = image.thumbnail and _attendee_url(conference, image, "thumb")
            src, viewer = (full if image.is_main or not thumb else thumb), ""
        out.append(
            Picture(
                src=src,
                full=full,
                alt=shown.alt_text,
                caption=shown.caption,
                is_main=shown.is_main,
                width=shown.width,
                height=shown.height,
                viewer=viewer,
            )
        )
    return out


def _position(conference: Conference) -> tuple[int, int]:
    """``(n, of)``: the current case's place on the agenda, counted from 1."""
    current = conference.current
    order = list(conference.agenda.order_by("order", "pk").values_list("pk", flat=True))
    n = order.index(current.pk) + 1 if current is not None and current.pk in order else 0
    return n, len(order)


def presenter_screen(conference: Conference) -> dict[str, Any]:
    item = conference.current
    n, of = _position(conference)
    context: dict[str, Any] = {"case": None, "position": n, "count": of}
    if item is None:
        return context
    case = Case.objects.select_related("series", "topic").get(pk=item.case_id)
    context |= {
        "case": unknown.view(case),
        "pictures": pictures(conference, case, presenter=True),
    }
    if conference.stage == Stage.REVEALED:
        # The projector shows the whole answer once it is revealed, not before.
        context |= {
            "known": case,
            "doses": list(Radiopharmaceutical.objects.filter(case=case)),
        }
    return context


def attendee_screen(conference: Conference) -> dict[str, Any]:
    item = conference.current
    n, of = _position(conference)
    context: dict[str, Any] = {"case": None, "position": n, "count": of}
    if item is None:
        return context
    case = Case.objects.select_related("series").get(pk=item.case_id)
    context |= {
        "case": unknown.view(case),
        "pictures": pictures(conference, case, presenter=False),
    }
    if conference_shows_answer(conference):
        context |= {"revealed": True, "diagnosis": case.diagnosis}
    return context
