"""Serving case images, behind the same access check as the case itself."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from lightbox.cases.access import can_edit_case, can_view_case
from lightbox.cases.models import Case
from lightbox.imaging.models import Image, Upload, UploadFile
from lightbox.imaging.uploads import TooLarge, receive


def _get_image(request: HttpRequest, number: str, pk: int) -> Image:
    image = get_object_or_404(Image.objects.select_related("case__series"), pk=pk)
    if (
        not image.file
        or image.case.number != number
        or not can_view_case(request.user, image.case)
    ):
        raise Http404("No such image.")
    # Possible burned-in identifiers: only the case's authors and editors may look.
    if image.needs_pixel_review and not can_edit_case(request.user, image.case):
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


def _editable_case(request: HttpRequest, number: str) -> Case:
    case = get_object_or_404(Case.objects.select_related("series"), number=number.lower())
    if not can_edit_case(request.user, case):
        raise Http404("No such case.")
    return case


@login_required
@require_http_methods(["GET", "POST"])
def upload_images(request: HttpRequest, number: str) -> HttpResponse:
    """Add images to a case: files, a folder or a zip. Works without JavaScript; with it,
    upload.js shows each file's progress and outcome in place."""
    case = _editable_case(request, number)
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            messages.error(request, "Choose at least one file, folder or zip.")
        else:
            try:
                upload = receive(case, request.user, files)
            except TooLarge as e:
                messages.error(request, f"Not uploaded: {e}")
            else:
                return redirect("lightbox-upload-status", upload.pk)
    recent = case.uploads.order_by("-created")[:5]
    return render(request, "imaging/upload.html", {"case": case, "recent": recent})


@login_required
@require_safe
def upload_status(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    upload = get_object_or_404(Upload.objects.select_related("case__series"), pk=upload_id)
    if not (upload.created_by_id == request.user.pk or can_edit_case(request.user, upload.case)):
        raise Http404("No such upload.")
    files = list(upload.files.all())
    context = {
        "upload": upload,
        "case": upload.case,
        "files": files,
        "processed": sum(f.state != UploadFile.State.QUEUED for f in files),
        "failed": sum(f.state == UploadFile.State.FAILED for f in files),
        "finished": upload.state in (Upload.State.DONE, Upload.State.FAILED),
    }
    return render(request, "imaging/upload_status.html", context)
