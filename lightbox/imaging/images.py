"""Turning bytes into a stored case image: validate, strip metadata, thumbnail.

Pillow's decompression-bomb guard is on (``MAX_IMAGE_PIXELS``); every image is re-encoded,
so EXIF, XMP and GPS blocks never reach storage.
"""

from __future__ import annotations

import hashlib
import io

import pydicom
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image as PILImage

from lightbox.cases.models import Case
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

THUMBNAIL_SIZE = (320, 320)


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message says why, in one line."""


def clean_image_bytes(data: bytes) -> tuple[bytes, str, PILImage.Image]:
    """Decode ``data`` and re-encode it without metadata.

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
    thumb = img.copy()
    if thumb.mode not in ("L", "RGB"):
        thumb = thumb.convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=85)
    return out.getvalue()


@transaction.atomic
def add_image(
    case: Case,
    data: bytes,
    *,
    caption: str = "",
    answer_caption: str = "",
    is_main: bool = False,
    name: str = "image",
) -> Image:
    """Store ``data`` as the next image of ``case``, with its caption before the answer
    and its caption after it.

    Raises
    ------
    InvalidImage
        When the bytes are not a PNG/JPEG/WebP/TIFF that Pillow can decode within limits.
    """
    clean, ext, img = clean_image_bytes(data)
    digest = hashlib.sha256(clean).hexdigest()
    if is_main:
        case.images.filter(is_main=True).update(is_main=False)
    order = case.images.count()
    image = Image(case=case, order=order, caption=caption, is_main=is_main, sha256=digest)
    image.answer_caption = answer_caption
    image.width, image.height = img.size
    image.file.save(f"{name}-{digest[:12]}.{ext}", ContentFile(clean), save=False)
    thumb = ContentFile(_thumbnail(img))
    image.thumbnail.save(f"{name}-{digest[:12]}-thumb.jpg", thumb, save=False)
    image.width, image.height = img.size
    image.save()
    return image


@transaction.atomic
def store_picture(case: Case, picture: PreparedPicture, *, name: str = "image") -> Image:
    """Store an already cleaned picture as the next image of ``case``."""
    img = PILImage.open(io.BytesIO(picture.data))
    digest = hashlib.sha256(picture.data).hexdigest()
    image = Image(case=case, order=case.images.count(), sha256=digest)
    image.is_main = not case.images.filter(is_main=True).exists()
    image.file.save(
        f"{name}-{digest[:12]}.{picture.extension}", ContentFile(picture.data), save=False
    )
    image.thumbnail.save(
        f"{name}-{digest[:12]}-thumb.jpg", ContentFile(_thumbnail(img)), save=False
    )
    image.width, image.height = picture.width, picture.height
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
