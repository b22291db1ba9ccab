"""Serving case images, behind the same access check as the case itself."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from lightbox.audit.log import record as audit
from lightbox.cases.access import can_edit_case, can_view_case
from lightbox.cases.models import Case
from lightbox.imaging import frames, review, viewer
from lightbox.imaging.models import Image, Instance, PixelReview, Upload, UploadFile
from lightbox.imaging.uploads import NotReceived, receive
from lightbox.lib import zipstream
from lightbox.lib.params import int_param, parse_int


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


def _reviewer(request: HttpRequest, case: Case) -> bool:
    """Whether the user may see what still needs pixel review: the case's authors and
    editors only (it may show burned-in identifiers)."""
    return can_edit_case(request.user, case)


def _shown_instances(request: HttpRequest, image: Image) -> QuerySet[Instance]:
    """The image's instances this user may download, in stack order. Each instance is
    checked on its own: one still needing review is left out for readers even if the
    image's state says otherwise (belt and braces: the image is hidden then too)."""
    if image.series_id is None:  # a picture: no instances
        return Instance.objects.none()
    instances = Instance.objects.filter(series_id=image.series_id).order_by(
        "instance_number", "position", "pk"
    )
    if not _reviewer(request, image.case):
        instances = instances.exclude(pixel_review=PixelReview.NEEDED)
    return instances


def _visible_images(request: HttpRequest, image: Image) -> list[Image]:
    images = list(image.case.images.select_related("series").all())
    if not can_edit_case(request.user, image.case):
        images = [i for i in images if not i.needs_pixel_review]
    for other in images:
        other.case = image.case
    return images


@require_safe
def image_view(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """View main image in a separate image viewer: the PACS-like viewer, with the
    rendered picture for readers without JavaScript."""
    image = _get_image(request, number, pk)
    images = _visible_images(request, image)
    position = next((n for n, other in enumerate(images, 1) if other.pk == image.pk), 1)
    context: dict[str, Any] = {"image": image, "images": images, "position": position}
    if image.series_id:
        instances = _shown_instances(request, image)
        context["stack"] = _stack_position(image, instances, request.GET)
        context["unrenderable"] = instances.exclude(render_error="").count()
    return render(request, "imaging/image_view.html", context)


def _stack_position(
    image: Image, instances: QuerySet[Instance], query: Mapping[str, Any]
) -> dict[str, Any]:
    """Where a reader without JavaScript is in the image's stack: every frame of every
    instance shown (``instances``, in stack order) that can be rendered as a picture, the
    middle one (the key image) unless the query asks for another (``frame``, 1-based)."""
    renderable = instances.filter(render_error="").only("pk", "frames")
    stack = [(i.pk, f) for i in renderable for f in range(max(i.frames, 1))]
    total = len(stack)
    current = int_param(query, "frame", total // 2 + 1, minimum=1, maximum=total)
    pk, frame = stack[current - 1] if stack else (0, 0)
    return {
        "total": total,
        "current": current,
        "previous": current - 1 if current > 1 else None,
        "next": current + 1 if current < total else None,
        "url": reverse("lightbox-instance-frame", args=[image.case.number, pk, frame + 1])
        if stack
        else "",
    }


@require_safe
def image_manifest(request: HttpRequest, number: str, pk: int) -> JsonResponse:
    image = _get_image(request, number, pk)
    reviewer = _reviewer(request, image.case)
    return JsonResponse(viewer.manifest(image, _visible_images(request, image), reviewer=reviewer))


def _get_instance(request: HttpRequest, number: str, pk: int) -> Instance:
    """An instance the user may see: of a case they may view, and neither itself nor its
    series (the image showing it) waiting for pixel review, unless they may review it."""
    instance = get_object_or_404(
        Instance.objects.select_related("series__study__case", "series__image"), pk=pk
    )
    case = instance.series.study.case
    if case.number != number or not can_view_case(request.user, case):
        raise Http404("No such image.")
    image = getattr(instance.series, "image", None)
    waiting = instance.pixel_review == PixelReview.NEEDED or (
        image is not None and image.needs_pixel_review
    )
    if waiting and not _reviewer(request, case):
        raise Http404("No such image.")
    return instance


@require_safe
def instance_frame(request: HttpRequest, number: str, pk: int, frame: int) -> FileResponse:
    """One frame of a de-identified instance as a PNG (``frame`` counts from 1)."""
    instance = _get_instance(request, number, pk)
    try:
        png = frames.open_frame(instance, frame - 1)
    except frames.FrameNotFound as e:
        raise Http404(f"No such frame: {e}") from None
    response = FileResponse(
        png,
        content_type="image/png",
        filename=f"{number}-instance-{instance.pk}-frame-{frame}.png",
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_safe
def instance_file(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """One de-identified DICOM instance, for the viewer or to download."""
    instance = _get_instance(request, number, pk)
    response = FileResponse(
        instance.file.open("rb"),
        content_type="application/dicom",
        filename=f"{number}-instance-{instance.pk}.dcm",
    )
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_safe
def series_zip(request: HttpRequest, number: str, pk: int) -> StreamingHttpResponse:
    """A de-identified series as a zip of DICOM files."""
    image = _get_image(request, number, pk)
    if image.series is None:
        raise Http404("This image has no DICOM series.")
    instances = list(_shown_instances(request, image))
    members = ((f"{number}/IM{n + 1:05d}.dcm", i.file) for n, i in enumerate(instances))
    response = StreamingHttpResponse(zipstream.stream(members), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{number}-series-{pk}.zip"'
    return response


@require_safe
def image_file(request: HttpRequest, number: str, pk: int, kind: str) -> FileResponse:
    image = _get_image(request, number, pk)
    field = {"full": image.file, "thumb": image.thumbnail}.get(kind)
    # A FieldFile is false when its name is empty: no file.
    if field is None or not field.name:
        raise Http404("No such image file.")
    # The download's name is made of ids: FileResponse would otherwise take the stored
    # name, and an upload's name may be a patient's.
    extension = os.path.splitext(field.name)[1].lower()
    suffix = "-thumb" if kind == "thumb" else ""
    response = FileResponse(field.open("rb"), filename=f"{number}-image-{pk}{suffix}{extension}")
    # Pages link an image with its content hash (Image.get_file_url): new pixels, such as
    # a masked picture's, get a new address, so a day in the browser's cache is safe.
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
    """Add images to a case: files, a folder or a zip. Works without JavaScript for up to
    ``DATA_UPLOAD_MAX_NUMBER_FILES`` files at a time; with it, upload.js sends any number
    in parts as one upload, and shows each part's and each file's progress in place."""
    case = _editable_case(request, number)
    status = 200
    if request.method == "POST":
        files = request.FILES.getlist("files")
        if not files:
            messages.error(request, "Choose at least one file, folder or zip.")
        else:
            try:
                upload = receive(case, request.user, files)
            except NotReceived as e:
                messages.error(request, f"Not uploaded: {e}")
                status = e.status
            else:
                audit(
                    "upload",
                    request=request,
                    target=case,
                    summary=f"uploaded {len(files)} file(s) to {case.number}",
                    upload=str(upload.pk),
                )
                return redirect("lightbox-upload-status", upload.pk)
    context = {
        "case": case,
        "recent": case.uploads.order_by("-created")[:5],
        "files_per_request": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        "part_bytes": settings.UPLOAD_PART_BYTES,
    }
    return render(request, "imaging/upload.html", context, status=status)


@login_required
@require_safe
def upload_status(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """The progress of the whole upload and each file's outcome; refreshes itself until
    the upload is done or failed."""
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
        "sent_bytes": sum(f.size for f in files if f.depth == 0),
        "finished": upload.state in (Upload.State.DONE, Upload.State.FAILED),
    }
    return render(request, "imaging/upload_status.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pixel_review(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """Mask burned-in text, or confirm there is none. Authors and editors only."""
    case = _editable_case(request, number)
    image = get_object_or_404(Image.objects.select_related("series"), pk=pk, case=case)
    image.case = case
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "confirm":
            review.confirm(image)
            audit(
                "pixel_review",
                request=request,
                target=case,
                summary=f"confirmed image {image.pk} has no burned-in identifiers",
                image=image.pk,
                decision="confirmed",
            )
            messages.success(request, "Confirmed: no burned-in identifiers. The image is visible.")
            return redirect("lightbox-pixel-review-list", case.number)
        if action == "mask":
            try:
                rects = _rectangles(request.POST)
                review.mask(image, rects)
            except ValueError as e:
                messages.error(request, f"Nothing masked: {e}")
            else:
                audit(
                    "pixel_review",
                    request=request,
                    target=case,
                    summary=f"masked {len(rects)} area(s) of image {image.pk}",
                    image=image.pk,
                    decision="masked",
                    areas=[[r.x, r.y, r.width, r.height] for r in rects],
                )
                messages.success(request, f"Masked {len(rects)} area(s) in every frame.")
                return redirect("lightbox-pixel-review", case.number, image.pk)
    context = {"case": case, "image": image, "subject": _review_subject(image)}
    return render(request, "imaging/pixel_review.html", context)


def _review_subject(image: Image) -> dict[str, Any]:
    """What the author looks at and draws on: the picture, or, for a series, the middle
    frame of the instance under review nearest the middle of the stack (review acts on
    the instances that need it, which need not include the key image's)."""
    subject = {"url": image.get_file_url(), "width": image.width, "height": image.height}
    if image.series is None:
        return subject
    place = {pk: n for n, pk in enumerate(image.series.instances.values_list("pk", flat=True))}
    under_review = list(review.to_review(image))
    middle = len(place) // 2
    shown = min(under_review, key=lambda i: abs(place[i.pk] - middle))
    subject.update(count=len(under_review), total=len(place))
    if not shown.render_error:
        frame = max(shown.frames, 1) // 2 + 1
        args = [image.case.number, shown.pk, frame]
        subject.update(
            url=reverse("lightbox-instance-frame", args=args),
            width=shown.columns,
            height=shown.rows,
        )
    return subject


@login_required
@require_safe
def pixel_review_list(request: HttpRequest, number: str) -> HttpResponse:
    case = _editable_case(request, number)
    flagged = case.images.filter(pixel_review=PixelReview.NEEDED)
    return render(request, "imaging/pixel_review_list.html", {"case": case, "flagged": flagged})


#: Pixel coordinates a masked area may have: (0028,0010) Rows and (0028,0011) Columns
#: are 16-bit, and an area may start off the image's top or left edge.
MAX_PIXEL = 65_536


def _rectangles(data: Any) -> list[review.Rect]:
    """Rectangles from the drawing tool (JSON) or from the plain form's number fields.
    Raises ValueError, with what to correct, for anything else."""
    raw = data.get("rects") or ""
    try:
        items = (
            json.loads(raw) if raw else [{k: data.get(k) for k in ("x", "y", "width", "height")}]
        )
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested too deep
        items = None
    if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
        raise ValueError("give each area as whole-number x, y, width and height")
    rects = []
    for r in items:
        values = [
            value
            for k in ("x", "y", "width", "height")
            if (value := parse_int(r.get(k), minimum=-MAX_PIXEL, maximum=MAX_PIXEL)) is not None
        ]
        if len(values) < 4:
            raise ValueError(
                f"give each area as whole-number x, y, width and height, "
                f"each between -{MAX_PIXEL:,} and {MAX_PIXEL:,}"
            )
        rects.append(review.Rect(*values))
    rects = [r for r in rects if r.width > 0 and r.height > 0]
    if not rects or len(rects) > 50:
        raise ValueError("draw between 1 and 50 areas")
    return rects
