"""Serving case images, behind the same access check as the case itself."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from lightbox.cases.access import can_view_case
from lightbox.imaging.models import Image


def _get_image(request: HttpRequest, number: str, pk: int) -> Image:
    image = get_object_or_404(Image.objects.select_related("case__series"), pk=pk)
    if (
        not image.file
        or image.case.number != number
        or not can_view_case(request.user, image.case)
    ):
        raise Http404("No such image.")
    return image


@require_safe
def image_view(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """ "View main image in a separate image viewer": the image alone, large."""
    image = _get_image(request, number, pk)
    siblings = list(image.case.images.all())
    return render(request, "imaging/image_view.html", {"image": image, "images": siblings})


@require_safe
def image_file(request: HttpRequest, number: str, pk: int, kind: str) -> FileResponse:
    image = _get_image(request, number, pk)
    field = {"full": image.file, "thumb": image.thumbnail}.get(kind)
    if not field:
        raise Http404("No such image file.")
    response = FileResponse(field.open("rb"))
    # Content never changes under a URL: a new image gets a new name and row.
    response["Cache-Control"] = "private, max-age=86400"
    return response
