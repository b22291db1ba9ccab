"""Turning bytes into a stored case image: validate, strip metadata, thumbnail.

Pillow's decompression-bomb guard is on (``MAX_IMAGE_PIXELS``); every image is re-encoded,
so EXIF, XMP and GPS blocks never reach storage.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from lightbox.cases.models import Case
from lightbox.imaging.models import Image

__all__ = ["InvalidImage", "THUMBNAIL_SIZE", "add_image", "clean_image_bytes"]

THUMBNAIL_SIZE = (320, 320)
MAX_PIXELS = 80_000_000
PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS


class InvalidImage(ValueError):
    """The bytes are not an image we accept; the message says why, in one line."""


def clean_image_bytes(data: bytes) -> tuple[bytes, str, PILImage.Image]:
    """Decode ``data`` and re-encode it without metadata.

    Returns the new bytes, the file extension ("png" or "jpg") and the decoded image.
    Photographs (JPEG) stay JPEG; everything else becomes PNG (lossless).
    """
    try:
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse it all.
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as probe:
                probe.verify()
            img = PILImage.open(io.BytesIO(data))
            img.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise InvalidImage(f"image too large: over {MAX_PIXELS:,} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise InvalidImage(f"not a readable image ({e.__class__.__name__})") from None
    out = io.BytesIO()
    if img.format == "JPEG":
        img.convert("RGB" if img.mode not in ("L", "RGB") else img.mode).save(
            out, "JPEG", quality=92
        )
        return out.getvalue(), "jpg", img
    if img.mode not in ("1", "L", "LA", "I;16", "RGB", "RGBA", "P"):
        img = img.convert("RGBA")
    img.save(out, "PNG", optimize=False)
    return out.getvalue(), "png", img


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
    case: Case, data: bytes, *, caption: str = "", is_main: bool = False, name: str = "image"
) -> Image:
    """Store ``data`` as the next image of ``case``.

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
    image.width, image.height = img.size
    image.file.save(f"{name}-{digest[:12]}.{ext}", ContentFile(clean), save=False)
    thumb = ContentFile(_thumbnail(img))
    image.thumbnail.save(f"{name}-{digest[:12]}-thumb.jpg", thumb, save=False)
    image.width, image.height = img.size
    image.save()
    return image
