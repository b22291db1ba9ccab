"""Pictures re-encoded from their pixels alone. Django-free.

A picture file carries text beside its pixels: JPEG comments (COM) and APPn segments (EXIF
with ImageDescription, Artist and UserComment, XMP, ICC profiles with their descriptions,
IPTC captions, Adobe blocks), PNG text chunks (tEXt, zTXt, iTXt) and eXIf, iCCP and tIME
chunks, GIF comments, WebP EXIF and XMP chunks, TIFF tags. Any of them may hold a patient's
name or the diagnosis. Pillow keeps what it read in ``Image.info``, carries it through
``copy()`` and ``convert()``, and writes parts of it back when saving (a JPEG's comment, a
PNG's ICC profile). So the pictures Lightbox writes are new images the pixel values are
copied into (:func:`pixels_only`), with an empty ``info``: nothing of the source but its
pixels can reach the file.

What the source's metadata *means* for the pixels is applied first, so the picture still
looks as its author saw it: an ICC profile is converted to sRGB (:func:`to_srgb`) and an
EXIF orientation is turned into the pixels (:func:`upright`).

Examples
--------
>>> import io
>>> from PIL import Image
>>> source = io.BytesIO()
>>> Image.new("RGB", (8, 8), "red").save(source, "JPEG", comment=b"DOE^JOHN")
>>> b"DOE^JOHN" in encode(Image.open(source), "JPEG")
False
"""

from __future__ import annotations

import io

from PIL import Image, ImageCms, ImageOps

__all__ = ["THUMBNAIL_SIZE", "encode", "pixels_only", "thumbnail_jpeg", "to_srgb", "upright"]

THUMBNAIL_SIZE = (320, 320)
# Modes each output keeps as they are; any other is converted (see pixels_only).
JPEG_MODES = ("L", "RGB")
PNG_MODES = ("1", "L", "LA", "I;16", "RGB", "RGBA")
# ICC colour spaces (header bytes 16-19) and the image modes littlecms transforms from them.
_ICC_MODES = {"RGB": ("RGB", "RGBA"), "GRAY": ("L",), "CMYK": ("CMYK",)}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def pixels_only(img: Image.Image, modes: tuple[str, ...] = PNG_MODES) -> Image.Image:
    """A new image with the pixels of ``img`` and nothing else (``info`` is empty).

    Parameters
    ----------
    img : PIL.Image.Image
        A decoded image, of any mode.
    modes : tuple of str
        The modes kept as they are. Any other mode is converted to ``"RGBA"`` when the
        image has transparency and ``"RGBA"`` is in ``modes``, else to ``"RGB"``: a
        palette becomes its colours (the palette itself is not carried).

    Returns
    -------
    PIL.Image.Image
        A new image holding only the pixel values, so saving it in any format writes no
        comment, profile, EXIF, XMP, text chunk or resolution of the source.
    """
    transparent = "transparency" in img.info or img.mode in ("LA", "La", "PA", "RGBA", "RGBa")
    if img.mode not in modes or "transparency" in img.info:
        img = img.convert("RGBA" if transparent and "RGBA" in modes else "RGB")
    # A fresh image the pixels are pasted into: one copy of them, and an empty ``info``.
    clean = Image.new(img.mode, img.size)
    clean.paste(img, (0, 0))
    return clean


def to_srgb(img: Image.Image) -> Image.Image:
    """``img`` with its embedded ICC profile applied: its colours converted to sRGB.

    A picture without a profile is taken as sRGB already (what browsers do) and returned
    as it is. So is one whose profile cannot be read or does not fit its mode (a grey
    profile on a colour image): the pixels are shown as they are, as a browser would
    show them. A grey picture stays grey; a CMYK one becomes RGB.
    """
    icc = img.info.get("icc_profile")
    if not icc:
        return img
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = profile.profile.xcolor_space.strip()
        if img.mode not in _ICC_MODES.get(space, ()):
            return img
        output = "RGBA" if img.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(img, profile, _SRGB, outputMode=output)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img
    if converted is None:  # only when converting in place, which this does not ask for
        return img
    return converted.convert("L") if img.mode == "L" else converted


def upright(img: Image.Image) -> Image.Image:
    """``img`` turned as its EXIF Orientation (0x0112) says, so the tag can be dropped."""
    try:
        return ImageOps.exif_transpose(img)
    except (SyntaxError, ValueError, TypeError, OSError):
        return img  # a malformed EXIF block: show the pixels as stored


def encode(img: Image.Image, fmt: str) -> bytes:
    """``img`` as a ``"JPEG"`` (quality 92) or ``"PNG"`` file with no metadata segment.

    The output holds what the format needs and nothing taken from the source: a JPEG is
    SOI, the bare JFIF APP0 header Pillow writes (version 1.01, no units, density 1:1, no
    thumbnail), quantisation and Huffman tables, frame, scan, EOI; a PNG is IHDR, IDAT
    and IEND.
    """
    picture = pixels_only(to_srgb(upright(img)), JPEG_MODES if fmt == "JPEG" else PNG_MODES)
    out = io.BytesIO()
    if fmt == "JPEG":
        picture.save(out, "JPEG", quality=92)
    else:
        picture.save(out, "PNG")
    return out.getvalue()


def thumbnail_jpeg(img: Image.Image, size: tuple[int, int] = THUMBNAIL_SIZE) -> bytes:
    """A JPEG thumbnail of ``img`` within ``size``, built from its pixels alone."""
    thumb = pixels_only(img, JPEG_MODES)
    thumb.thumbnail(size)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=85)
    return out.getvalue()
