"""Turning bytes into a stored case image: validate, strip metadata, thumbnail.

Pillow's decompression-bomb guard is on (``MAX_IMAGE_PIXELS``); every image is re-encoded
from its pixels alone, so no comment, EXIF, XMP, GPS, ICC or text block reaches storage,
and every stored file is named by its content hash.
"""

from __future__ import annotations

import hashlib
import io

import pydicom
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image as PILImage

from lightbox.cases.models import Case
from lightbox.imaging.dicom.picture import THUMBNAIL_SIZE, thumbnail_jpeg
from lightbox.imaging.dicom.prepare import PreparedPicture, RejectedFile, prepare_picture
from lightbox.imaging.dicom.render import frame_count, render_frame
from lightbox.imaging.models import Image, PixelReview, Series

__all__ = [
    "InvalidImage",
    "THUMBNAIL_SIZE",
    "add_image",
    "clean_image_bytes",
    "show_series",
    "store_picture",
]


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message says why, in one line."""


def clean_image_bytes(data: bytes) -> tuple[bytes, str, PILImage.Image]:
    """Decode ``data`` and re-encode its pixels alone (see :func:`prepare_picture`).

    Returns the new bytes, the file extension ("png" or "jpg") and the decoded image.
    Photographs (JPEG) stay JPEG; everything else becomes PNG (lossless).
    """
    try:
        prepared = prepare_picture(data)
    except RejectedFile as e:
        raise InvalidImage(str(e)) from None
    img = PILImage.open(io.BytesIO(prepared.data))
    img.load()
    return prepared.data, prepared.extension, img


def _thumbnail(img: PILImage.Image) -> bytes:
    """A JPEG thumbnail made from the pixels of ``img`` alone: whatever ``img.info``
    holds (a comment, a profile) is not written."""
    return thumbnail_jpeg(img, THUMBNAIL_SIZE)


def _save_files(image: Image, data: bytes, extension: str, picture: PILImage.Image) -> None:
    """Put a cleaned picture and its thumbnail on ``image`` (not yet saved).

    Both are stored under the picture's SHA-256 (see ``image_path``), never under a name
    a person wrote: a title, a caption or an uploaded file name may be a patient's.
    """
    image.sha256 = hashlib.sha256(data).hexdigest()
    image.file.save(f"{image.sha256[:24]}.{extension}", ContentFile(data), save=False)
    thumb = ContentFile(_thumbnail(picture))
    image.thumbnail.save(f"{image.sha256[:24]}.jpg", thumb, save=False)
    image.width, image.height = picture.size


@transaction.atomic
def add_image(case: Case, data: bytes, *, caption: str = "", is_main: bool = False) -> Image:
    """Store ``data`` as the next image of ``case``, under an opaque name.

    Raises
    ------
    InvalidImage
        When the bytes are not a JPEG/PNG/GIF/WebP/TIFF that Pillow can decode within
        limits.
    """
    clean, ext, img = clean_image_bytes(data)
    if is_main:
        case.images.filter(is_main=True).update(is_main=False)
    image = Image(case=case, order=case.images.count(), caption=caption, is_main=is_main)
    _save_files(image, clean, ext, img)
    image.save()
    return image


@transaction.atomic
def store_picture(case: Case, picture: PreparedPicture) -> Image:
    """Store an already cleaned picture as the next image of ``case``, under an opaque
    name."""
    image = Image(case=case, order=case.images.count())
    image.is_main = not case.images.filter(is_main=True).exists()
    _save_files(image, picture.data, picture.extension, PILImage.open(io.BytesIO(picture.data)))
    image.save()
    return image


def show_series(series: Series) -> Image:
    """Create or refresh the case image that shows ``series``: its key frame (the middle
    of the stack), thumbnail and pixel-review state."""
    instances = list(series.instances.all())
    key = instances[len(instances) // 2]
    with key.file.open("rb") as fp:
        ds = pydicom.dcmread(fp)
    frame = frame_count(ds) // 2
    picture = render_frame(ds, frame)
    out = io.BytesIO()
    picture.save(out, "PNG")
    data = out.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    case = series.study.case
    with transaction.atomic():
        image = Image.objects.filter(series=series).first()
        if image is None:
            image = Image(case=case, series=series, order=case.images.count())
            image.is_main = not case.images.filter(is_main=True).exists()
        elif image.sha256 == digest:
            return image
        image.sha256 = digest
        image.file.save(f"series-{series.pk}-{digest[:12]}.png", ContentFile(data), save=False)
        thumb = ContentFile(_thumbnail(picture))
        image.thumbnail.save(f"series-{series.pk}-{digest[:12]}-thumb.jpg", thumb, save=False)
        image.width, image.height = picture.size
        needs = any(i.pixel_review == PixelReview.NEEDED for i in instances)
        if needs:
            image.pixel_review = PixelReview.NEEDED
        image.save()
    return image
