"""Pixel review: an author masks burned-in text or confirms there is none.

Review state belongs to each instance. Until every instance of a series that needs review
is masked or confirmed, the image showing the series is hidden from readers and blocks
publication (see ``Case.publication_blockers``); the image's state is derived from its
instances (:meth:`PixelReview.of_series`). Confirming and masking act on the instances
that need review (all of them when none does: masking again after a review). Masking
changes the stored pixels of every frame of those instances (or of the picture), never
just an overlay.
"""

from __future__ import annotations

import contextlib
import hashlib
import io

import pydicom
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import QuerySet
from PIL import Image as PILImage
from PIL import ImageDraw
from pydicom.uid import ExplicitVRLittleEndian

from lightbox.imaging import frames
from lightbox.imaging.dicom.mask import Rect, mask_rectangles
from lightbox.imaging.dicom.picture import encode, pixels_only, to_srgb
from lightbox.imaging.images import _delete_on_commit, _thumbnail, show_series
from lightbox.imaging.models import Image, Instance, PixelReview
from lightbox.lib.disk import disk_full_reason

__all__ = ["Rect", "confirm", "mask", "to_review"]


def to_review(image: Image) -> QuerySet[Instance]:
    """The instances of the image's series that a review acts on: those that need it, or
    every one when none does."""
    assert image.series is not None
    instances = image.series.instances.all()
    needed = instances.filter(pixel_review=PixelReview.NEEDED)
    return needed if needed.exists() else instances


def confirm(image: Image) -> None:
    """The author has looked: no burned-in identifiers."""
    with transaction.atomic():
        if image.series is not None:
            image.series.instances.filter(pixel_review=PixelReview.NEEDED).update(
                pixel_review=PixelReview.CONFIRMED
            )
            states = image.series.instances.values_list("pixel_review", flat=True)
            image.pixel_review = PixelReview.of_series(states)
        else:
            image.pixel_review = PixelReview.CONFIRMED
        image.save(update_fields=["pixel_review"])


def mask(image: Image, rects: list[Rect]) -> None:
    """Black out ``rects`` (pixel coordinates of the picture reviewed) in every frame of
    the instances under review, then re-render the series' key image.

    Raises
    ------
    ValueError
        Nothing was masked (pixels that cannot be decoded, a full disk): every change is
        rolled back and the masked files already written are deleted, so no file is left
        that nothing refers to.
    """
    written: list[tuple[Storage, str]] = []
    try:
        _mask(image, rects, written)
    except BaseException as e:
        for storage, name in written:
            with contextlib.suppress(OSError):
                if name:
                    storage.delete(name)
        reason = disk_full_reason(e)
        if reason or isinstance(e, ValueError):
            image.refresh_from_db()  # the page shown next shows what is stored
        if reason:
            raise ValueError(f"the server's disk is full ({reason})") from None
        raise


def _mask(image: Image, rects: list[Rect], written: list[tuple[Storage, str]]) -> None:
    old_files: list[str] = []
    old_frames: list[tuple[int, str]] = []
    with transaction.atomic():
        if image.series is not None:
            for instance in to_review(image):
                old_frames.append((instance.series_id, instance.sha256))
                with instance.file.open("rb") as fp:
                    ds = pydicom.dcmread(fp)
                try:
                    masked = mask_rectangles(ds, rects)
                except Exception as e:  # noqa: BLE001 - decoders raise anything on bad data
                    raise ValueError(
                        f"the pixels of instance {instance.instance_number or instance.pk} "
                        f"cannot be decoded ({e.__class__.__name__})"
                    ) from None
                out = io.BytesIO()
                pydicom.dcmwrite(out, masked, enforce_file_format=True)
                data = bytes(128) + out.getvalue()[128:]
                digest = hashlib.sha256(data).hexdigest()
                if instance.file.name:  # always: the file was just read
                    old_files.append(instance.file.name)
                instance.file.save(f"{digest[:20]}.dcm", ContentFile(data), save=False)
                written.append((instance.file.storage, instance.file.name or ""))
                instance.sha256, instance.size = digest, len(data)
                instance.transfer_syntax = ExplicitVRLittleEndian  # masked files are uncompressed
                instance.pixel_review = PixelReview.MASKED
                # Written by pydicom here, uncompressed: renderable whatever the original was.
                instance.render_error = ""
                instance.save()
            # The image's state follows from its instances' (masked now).
            image = show_series(image.series) or image
        else:
            # The thumbnail shows what is masked too.
            old_files += [n for n in (image.file.name, image.thumbnail.name) if n]
            _mask_picture(image, rects, written)
            image.pixel_review = PixelReview.MASKED
            image.save(update_fields=["pixel_review"])
        # The unmasked files go only once the masked ones are committed.
        _delete_on_commit(image.file.storage, old_files)
        # So do the web images rendered from them, which show what was masked.
        transaction.on_commit(lambda: [frames.forget(*old) for old in old_frames])


def _mask_picture(image: Image, rects: list[Rect], written: list[tuple[Storage, str]]) -> None:
    """Black out ``rects`` in a plain picture and store it again as a PNG of its pixels
    alone (a picture stored before metadata was stripped may still carry some), under its
    new content hash."""
    with image.file.open("rb") as fp:
        stored = PILImage.open(fp)
        stored.load()
    picture = pixels_only(to_srgb(stored))
    draw = ImageDraw.Draw(picture)
    for rect in rects:
        draw.rectangle((rect.x, rect.y, rect.x + rect.width - 1, rect.y + rect.height - 1), fill=0)
    data = encode(picture, "PNG")
    image.sha256 = hashlib.sha256(data).hexdigest()
    image.file.save(f"{image.sha256[:24]}.png", ContentFile(data), save=False)
    written.append((image.file.storage, image.file.name or ""))
    image.thumbnail.save(f"{image.sha256[:24]}.jpg", ContentFile(_thumbnail(picture)), save=False)
    written.append((image.thumbnail.storage, image.thumbnail.name or ""))
    image.width, image.height = picture.size
    image.save()
