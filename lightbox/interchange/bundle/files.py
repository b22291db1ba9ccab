"""Checking a bundle's files before they are stored: pictures with nothing but pixels, DICOM
that Lightbox's de-identification has already been through. Django-free.

A bundle carries its DICOM and pictures byte for byte, so they are not de-identified again
on import (that would re-map every UID and shift every date a second time). Instead each
file must show that it is what a Lightbox install stores, or the bundle is refused:

- a **picture** (PNG or JPEG: an image, its key frame or thumbnail) is made only of the
  parts :func:`lightbox.imaging.dicom.picture.encode` writes: no text chunk, comment,
  EXIF, XMP or ICC segment (each could hold a name), nothing after its end (a polyglot),
  and it decodes within the pixel limit;
- a **DICOM** file has a zero preamble, a file meta of the five attributes Lightbox
  writes, the markers (0012,0062) Patient Identity Removed = YES and a (0012,0063)
  De-identification Method by Lightbox, a case pseudonym as (0010,0010) Patient's Name
  and (0010,0020) Patient ID, and de-identifying it again would remove, empty or change
  nothing but what it always re-maps (UIDs) and shifts (dates and times). So an attribute
  the profile does not keep, anywhere in the data set, refuses the file.

Examples
--------
>>> import io
>>> from PIL import Image
>>> out = io.BytesIO()
>>> Image.new("L", (4, 4)).save(out, "PNG")
>>> check_picture(out.getvalue(), "png")
>>> out = io.BytesIO()
>>> Image.new("L", (4, 4)).save(out, "JPEG", comment=b"DOE^JANE")
>>> check_picture(out.getvalue(), "jpg")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lightbox.interchange.bundle.files.FileRefused: a JPEG comment (COM segment): ...
"""

from __future__ import annotations

import io
import os
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image
from pydicom import Dataset, dcmread
from pydicom.datadict import keyword_for_tag
from pydicom.dataelem import DataElement
from pydicom.multival import MultiValue

from lightbox.deid import DeidentificationError, DeidPolicy, deidentify
from lightbox.imaging.dicom.prepare import MAX_PICTURE_PIXELS

__all__ = ["DicomCheck", "FileRefused", "check_dicom", "check_picture"]


class FileRefused(ValueError):
    """A bundle file that Lightbox would not have stored; the message says why, in one line
    that holds no value from the file."""


# -- pictures -------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that carry pixels or how to show them, and no text of any kind.
PNG_CHUNKS = frozenset(
    {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB", b"pHYs", b"sBIT"}
)
# JPEG markers of tables, frames, scans and restart intervals: SOF0-3, 5-7, 9-11, 13-15,
# DHT, DAC, DQT, DRI, SOS.
JPEG_SEGMENTS = frozenset(
    {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
    | {0xC4, 0xCC, 0xDB, 0xDD, 0xDA}
)
SOI, EOI, SOS, APP0, COM = 0xD8, 0xD9, 0xDA, 0xE0, 0xFE
# The bare JFIF APP0 Pillow writes: version 1.01, no units, density 1:1, no thumbnail.
JFIF_APP0 = re.compile(rb"JFIF\x00\x01[\x00-\x02][\x00-\x02].{4}\x00\x00", re.DOTALL)


def check_picture(data: bytes, extension: str) -> None:
    """Refuse a picture (``extension`` "png" or "jpg") that holds anything but pixels.

    Raises
    ------
    FileRefused
        Not that format, a part that may hold text, bytes after its end, more than
        ``MAX_PICTURE_PIXELS`` pixels, or pixels that do not decode.
    """
    if extension == "png":
        _png_chunks(data)
        expected = "PNG"
    elif extension == "jpg":
        _jpeg_segments(data)
        expected = "JPEG"
    else:
        raise FileRefused(f"a .{extension[:10]} file: pictures are .png or .jpg")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != expected:
                    raise FileRefused(f"not a {expected} picture")
                if img.width * img.height > MAX_PICTURE_PIXELS:
                    raise FileRefused(f"over {MAX_PICTURE_PIXELS:,} pixels")
                img.load()
    except FileRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(f"over {MAX_PICTURE_PIXELS:,} pixels") from None
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds on hostile input
        raise FileRefused(f"the pixels do not decode ({type(e).__name__})") from None


def _png_chunks(data: bytes) -> None:
    if not data.startswith(PNG_SIGNATURE):
        raise FileRefused("not a PNG picture")
    pos, names = len(PNG_SIGNATURE), []
    while pos < len(data):
        if pos + 12 > len(data):
            raise FileRefused("a PNG chunk is cut short")
        length, name = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise FileRefused("a PNG chunk is cut short")
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            raise FileRefused("a PNG chunk fails its checksum")
        if name not in PNG_CHUNKS:
            shown = name.decode("latin-1") if name.isalpha() else "unknown"
            raise FileRefused(f"a PNG {shown} chunk: a picture keeps its pixels only")
        names.append(name)
        pos = end
        if name == b"IEND":
            break
    if not names or names[0] != b"IHDR" or names[-1] != b"IEND":
        raise FileRefused("a PNG must run from IHDR to IEND")
    if pos != len(data):
        raise FileRefused("bytes after the end of the PNG")


def _jpeg_segments(data: bytes) -> None:
    if data[:2] != b"\xff\xd8":
        raise FileRefused("not a JPEG picture")
    pos = 2
    while True:
        if pos + 2 > len(data) or data[pos] != 0xFF:
            raise FileRefused("a JPEG segment is cut short or misplaced")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == EOI:
            pos += 2
            break
        if 0xD0 <= marker <= 0xD7:  # a restart marker has no length
            pos += 2
            continue
        if pos + 4 > len(data):
            raise FileRefused("a JPEG segment is cut short")
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        body = data[pos + 4 : pos + 2 + length]
        if length < 2 or len(body) != length - 2:
            raise FileRefused("a JPEG segment is cut short")
        if marker == APP0:
            if not JFIF_APP0.fullmatch(body):
                raise FileRefused("a JPEG APP0 segment other than a bare JFIF header")
        elif marker == COM:
            raise FileRefused("a JPEG comment (COM segment): a picture keeps its pixels only")
        elif 0xE1 <= marker <= 0xEF:
            raise FileRefused(
                f"a JPEG APP{marker - 0xE0} segment (EXIF, XMP, ICC…): a picture keeps its "
                "pixels only"
            )
        elif marker not in JPEG_SEGMENTS:
            raise FileRefused(f"a JPEG segment of unknown kind (marker FF{marker:02X})")
        pos += 2 + length
        if marker == SOS:
            pos = _end_of_scan(data, pos)
    if pos != len(data):
        raise FileRefused("bytes after the end of the JPEG")


def _end_of_scan(data: bytes, pos: int) -> int:
    """Where the entropy-coded data that starts at ``pos`` ends: the first marker that is
    neither a stuffed zero byte nor a restart."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise FileRefused("a JPEG scan runs past the end of the file")
        following = data[pos + 1]
        if following == 0 or 0xD0 <= following <= 0xD7:
            pos += 2
            continue
        return pos


# -- DICOM ------------------------------------------------------------------------------------

# (0002,0000) File Meta Information Group Length, (0002,0001) Version, (0002,0002) Media
# Storage SOP Class UID, (0002,0003) Media Storage SOP Instance UID, (0002,0010) Transfer
# Syntax UID, (0002,0012) Implementation Class UID, (0002,0013) Implementation Version Name.
FILE_META_TAGS = frozenset(
    {0x00020000, 0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012, 0x00020013}
)
# Values de-identification always changes again: UIDs are re-mapped, dates shifted.
CHANGED_EVERY_TIME = frozenset({"UI", "DA", "DT", "TM"})
# (7FE0,0010) Pixel Data, (7FE0,0008) Float Pixel Data, (7FE0,0009) Double Float Pixel Data:
# kept as they are (compared by presence only: they may be large).
PIXEL_TAGS = frozenset({0x7FE00010, 0x7FE00008, 0x7FE00009})
PSEUDONYM_ID = re.compile(r"[a-z]{2,4}\d{1,6}")


@dataclass(frozen=True)
class DicomCheck:
    """What checking a DICOM file found out about it (it passed)."""

    #: Why its pixels may show burned-in text (empty when nothing suggests it).
    pixel_review_reasons: tuple[str, ...]


def check_dicom(data: bytes) -> DicomCheck:
    """Refuse a DICOM file that Lightbox's de-identification has not left as it is.

    Raises
    ------
    FileRefused
        Not a DICOM Part 10 file, a preamble that is not zeros, file meta beyond what
        Lightbox writes, no de-identification markers, a patient name or ID that is not a
        case pseudonym, or an attribute that de-identification would remove or change.
    """
    # pydicom warns of what it can read anyway; what matters is said by FileRefused.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _check_dicom(data)


def _check_dicom(data: bytes) -> DicomCheck:
    try:
        ds = dcmread(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - pydicom raises many kinds on hostile input
        raise FileRefused(f"not a readable DICOM file ({type(e).__name__})") from None
    if ds.preamble != bytes(128):
        raise FileRefused("the 128-byte preamble is not zeros (Lightbox zeroes it)")
    meta = getattr(ds, "file_meta", None)
    if meta is None or not meta:
        raise FileRefused("no file meta information")
    if extra := sorted(int(e.tag) for e in meta if int(e.tag) not in FILE_META_TAGS):
        raise FileRefused(f"file meta {_label(extra[0])} is not one Lightbox writes")
    try:
        _markers(ds)
        name = str(ds.get("PatientName", "") or "")
        patient_id = str(ds.get("PatientID", "") or "")
        policy = DeidPolicy(os.urandom(32), name or "LIGHTBOX^xx0", patient_id or "xx0")
        again = deidentify(ds, policy)
        problems = list(_differences(ds, again.dataset, ""))
    except FileRefused:
        raise
    except DeidentificationError as e:
        raise FileRefused(f"cannot be checked: {e}") from None
    except Exception as e:  # noqa: BLE001 - a malformed element, met while walking
        raise FileRefused(f"an element cannot be read ({type(e).__name__})") from None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FileRefused(f"{problems[0]}{more}: not de-identified as Lightbox stores DICOM")
    return DicomCheck(tuple(again.report.pixel_review_reasons))


def _markers(ds: Dataset) -> None:
    if str(ds.get("PatientIdentityRemoved", "")).strip().upper() != "YES":
        raise FileRefused("(0012,0062) Patient Identity Removed is not YES")
    method = ds.get("DeidentificationMethod")
    values = [str(v) for v in method] if isinstance(method, MultiValue) else [str(method or "")]
    if not values or not values[0].startswith("Lightbox:"):
        # Another de-identifier's output has not been through Lightbox's profile.
        raise FileRefused("(0012,0063) De-identification Method does not name Lightbox")
    name, patient_id = ds.get("PatientName"), ds.get("PatientID")
    if patient_id is not None and not PSEUDONYM_ID.fullmatch(str(patient_id)):
        raise FileRefused("(0010,0020) Patient ID is not a case pseudonym")
    if name is not None and str(name) != f"LIGHTBOX^{patient_id}":
        raise FileRefused("(0010,0010) Patient's Name is not the case pseudonym")


def _differences(ours: Dataset, again: Dataset, prefix: str) -> Iterator[str]:
    """What de-identifying ``ours`` a second time removed or changed, by attribute."""
    for elem in ours:
        tag = int(elem.tag)
        where = f"{prefix}{_label(tag)}"
        if tag not in again:
            if _has_value(elem):
                yield f"{where} would be removed"
            continue
        other = again[tag]
        if not _has_value(elem) and not _has_value(other):
            continue  # empty either way ("" read from a file, None once emptied)
        if elem.VR == "SQ":
            items, kept = list(elem.value or []), list(other.value or [])
            if len(items) != len(kept):
                yield f"{where} would lose items"
                continue
            for number, (item, same) in enumerate(zip(items, kept, strict=True)):
                yield from _differences(item, same, f"{where}[{number}].")
        elif tag in PIXEL_TAGS or elem.VR in CHANGED_EVERY_TIME:
            continue
        elif _value(elem) != _value(other):
            yield f"{where} would be changed"


def _has_value(elem: DataElement) -> bool:
    value = elem.value
    return not (value is None or value == "" or value == b"" or len(_seq(value)) == 0)


def _seq(value: Any) -> list[Any] | str | bytes:
    if isinstance(value, str | bytes):
        return value
    try:
        return list(value)
    except TypeError:
        return [value]


def _value(elem: DataElement) -> Any:
    value = elem.value
    if isinstance(value, str | bytes | int | float) or value is None:
        return value
    try:
        return [str(v) for v in value]
    except TypeError:
        return str(value)


def _label(tag: int) -> str:
    keyword = "" if (tag >> 16) % 2 else keyword_for_tag(tag)
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text
