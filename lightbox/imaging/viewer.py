"""What the image viewer shows: the manifest of stacks for one image of a case.

The viewer (frontend/, Cornerstone3D) reads this JSON; see frontend/README.md for the
contract. A DICOM-backed image becomes a stack of its series' de-identified instances,
in (0020,0013) Instance Number and slice-position order; a picture becomes a one-image
"web" stack. The case's other images follow as further stacks, so the viewer can switch
between them, and an NM anterior view is laid out beside its posterior partner.

Pixel review is checked per instance: for a reader, an instance that still needs review
is never listed, whatever the state of the image that shows its series.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from lightbox.imaging.models import Image, Instance, PixelReview

__all__ = ["PAIRED_VIEWS", "manifest"]

# (0018,5101) View Position / (0054,0220) View Code of whole-body NM pairs.
PAIRED_VIEWS = {"ANT": "POST", "POST": "ANT", "ANTERIOR": "POSTERIOR", "POSTERIOR": "ANTERIOR"}


def _stack(image: Image, reviewer: bool) -> dict[str, Any]:
    label = image.caption[:40] or f"Image {image.order + 1}"
    series = image.series
    if series is None:
        return {
            "label": label,
            "modality": "OT",
            "kind": "web",
            "imageIds": [image.get_file_url()],
            "frames": [1],
            "invert": False,
            "window": None,
        }
    shown = Instance.objects.filter(series=series).order_by("instance_number", "position", "pk")
    if not reviewer:
        shown = shown.exclude(pixel_review=PixelReview.NEEDED)
    instances = list(shown)
    number = image.case.number
    return {
        "label": series.view or label,
        "modality": series.modality,
        "kind": "dicom",
        "imageIds": [reverse("lightbox-instance-file", args=[number, i.pk]) for i in instances],
        "frames": [i.frames for i in instances],
        "invert": series.modality == "NM",
        "window": None,
    }


def manifest(image: Image, visible: list[Image], *, reviewer: bool = False) -> dict[str, Any]:
    """The viewer manifest opening on ``image``; ``visible`` is every image of the case
    the reader may see (in case order). Instances that need pixel review are listed only
    for a ``reviewer`` (the case's authors and editors)."""
    others = [i for i in visible if i.pk != image.pk and i.file]
    stacks = [_stack(image, reviewer)]
    layout = "1x1"
    view = (image.series.view.upper() if image.series else "") or ""
    if partner_view := PAIRED_VIEWS.get(view):
        partner = next(
            (i for i in others if i.series and i.series.view.upper() == partner_view), None
        )
        if partner:
            stacks.append(_stack(partner, reviewer))
            others.remove(partner)
            layout = "1x2"
    stacks += [_stack(i, reviewer) for i in others]
    return {
        "title": f"Case {image.case.number} — {stacks[0]['label']}",
        "stacks": stacks,
        "layout": layout,
    }
