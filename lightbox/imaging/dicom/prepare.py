"""Turn one untrusted uploaded file into what Lightbox stores. Django-free.

This is the part of ingest that touches hostile bytes: it runs in a worker process with a
memory cap and a time limit (see :mod:`lightbox.lib.isolation`) and returns only
de-identified bytes and plain values, never the original. The caller stores them.

* :func:`sniff` says what a file is from its bytes, never from its name.
* :func:`prepare_dicom` reads, de-identifies (:func:`lightbox.deid.deidentify`) and checks
  a DICOM file.
* :func:`prepare_picture` re-encodes a JPEG/PNG/GIF/WebP/TIFF from its pixels alone.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

import pydicom
import pydicom.config
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from lightbox.deid import DeidPolicy, deidentify, view_label
from lightbox.imaging.dicom import picture
from lightbox.imaging.dicom.render import frame_count

__all__ = [
    "PreparedDicom",
    "PreparedPicture",
    "RejectedFile",
    "SkippedFile",
    "prepare_dicom",
    "prepare_path",
    "prepare_picture",
    "sniff",
]

# pydicom's reading validation logs the offending *values* (a malformed birth date, a
# name): identifiers in a log file. Lightbox validates what it needs itself.
pydicom.config.settings.reading_validation_mode = pydicom.config.IGNORE

MAX_PICTURE_PIXELS = 80_000_000
# What Pillow must say a picture is. GIF is here because teaching files of the 1990s (the
# pages the legacy importer reads) are full of GIF figures.
PICTURE_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "TIFF")
Image.MAX_IMAGE_PIXELS = MAX_PICTURE_PIXELS  # Pillow's decompression-bomb guard
# (0002,0002) Media Storage SOP Class UID of a DICOMDIR: an index, not an image.
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
# Pixel data larger than this (bytes, decoded) is refused before it is decoded.
MAX_PIXEL_BYTES = 2 * 1024**3
# (0002,0010) Deflated Explicit VR Little Endian, and how far it may inflate.
DEFLATED = "1.2.840.10008.1.2.1.99"
MAX_INFLATED_BYTES = 512 * 1024**2


# The first bytes of a JPEG, PNG, GIF (87a, 89a) and TIFF (little, big endian); WebP is a
# RIFF container, checked apart.
PICTURE_SIGNATURES = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)


class RejectedFile(ValueError):
    """A file Lightbox will not store; the message is one line for the upload status."""


class SkippedFile(RejectedFile):
    """A file that is rightly not stored and is no error (a DICOMDIR index)."""


@dataclass
class PreparedDicom:
    data: bytes  # the de-identified Part 10 file (empty once staged, see prepare_path)
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    staged: str = ""  # where prepare_path left the file, for storage to link


@dataclass
class PreparedPicture:
    data: bytes
    extension: str
    width: int
    height: int


def sniff(data: bytes) -> str:
    """``"dicom"``, ``"zip"``, ``"image"``, ``"svg"`` or ``"unknown"``, from the content."""
    head = data[:4096]
    if len(data) >= 132 and data[128:132] == b"DICM":
        return "dicom"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(PICTURE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    lowered = head.lstrip().lower()
    if lowered.startswith(b"<svg") or (lowered.startswith(b"<?xml") and b"<svg" in lowered):
        return "svg"
    if _looks_like_raw_dicom(head):
        return "dicom"
    return "unknown"


def _looks_like_raw_dicom(head: bytes) -> bool:
    """A Part 10 file without its preamble, or a bare dataset: starts with group 0002 or
    0008 in little endian, as old PACS exports do."""
    return (
        len(head) >= 8
        and head[1] == 0
        and head[0] in (0x02, 0x08)
        and head[2:4]
        in (
            b"\x00\x00",
            b"\x01\x00",
            b"\x02\x00",
            b"\x05\x00",
            b"\x08\x00",
            b"\x10\x00",
            b"\x12\x00",
            b"\x16\x00",
            b"\x18\x00",
        )
    )


def _guard_deflate(data: bytes) -> None:
    """Refuse a Deflated Explicit VR Little Endian file that inflates past the limit.

    pydicom inflates the whole dataset in one call; a few kilobytes of deflate can ask for
    gigabytes. Inflate it here first, bounded, and only then let pydicom read it.
    """
    if DEFLATED.encode() not in data[:65536]:
        # Not deflated: (0002,0010) sits in the file meta, within the first few hundred
        # bytes of any real file. (One that hides it further is still held by the
        # child's memory cap.)
        return
    fp = io.BytesIO(data)
    if fp.read(132)[128:132] != b"DICM":
        return  # no file meta: cannot be deflated
    try:
        meta = pydicom.filereader._read_file_meta_info(fp)
    except Exception:  # noqa: BLE001 - the real read below reports the problem
        return
    if meta.get("TransferSyntaxUID") != DEFLATED:
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        inflater.decompress(fp.read(), MAX_INFLATED_BYTES)
    except zlib.error as e:
        raise RejectedFile(f"deflated data is corrupt ({e})") from None
    if inflater.unconsumed_tail:
        raise RejectedFile(
            f"deflated data expands beyond {MAX_INFLATED_BYTES // 1024**2:,} MB: refused"
        )


def _read(data: bytes) -> Dataset:
    _guard_deflate(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True)
            # Touch every element now, inside the limits, so that a malformed length or a
            # 300-deep sequence fails here with a clear error rather than later.
            for _ in ds.iterall():
                pass
    except (InvalidDicomError, EOFError, ValueError, TypeError, KeyError, OSError) as e:
        raise RejectedFile(f"not a readable DICOM file ({e.__class__.__name__}: {e})") from None
    except RecursionError:
        raise RejectedFile("not a readable DICOM file (sequences nested too deep)") from None
    if ds.file_meta.get("MediaStorageSOPClassUID") == MEDIA_STORAGE_DIRECTORY:
        raise SkippedFile("a DICOMDIR index: the images it lists are read from their own files")
    if "SOPInstanceUID" not in ds:
        raise RejectedFile("not a DICOM image: no SOP Instance UID")
    return ds


def _check_pixels(ds: Dataset) -> None:
    if "PixelData" not in ds:
        raise RejectedFile("no pixel data: Lightbox stores images, not reports or structures")
    rows, cols = int(ds.get("Rows", 0)), int(ds.get("Columns", 0))
    try:
        frames = frame_count(ds)
    except ValueError as e:  # (0028,0008) "1A": no decoder can say which pixels are which
        raise RejectedFile(str(e)) from None
    bits = int(ds.get("BitsAllocated", 8))
    samples = int(ds.get("SamplesPerPixel", 1))
    if not rows or not cols:
        raise RejectedFile("(0028,0010) Rows or (0028,0011) Columns missing or zero")
    expected = rows * cols * frames * samples * max(bits, 8) // 8
    if expected > MAX_PIXEL_BYTES:
        raise RejectedFile(f"image too large: {rows}×{cols}×{frames} frames")
    ts = UID(ds.file_meta.get("TransferSyntaxUID", "1.2.840.10008.1.2.1"))
    if not ts.is_compressed:
        actual = len(ds.PixelData)
        if actual < expected:
            raise RejectedFile(
                f"pixel data is {actual:,} bytes but Rows×Columns×Frames needs {expected:,}"
            )


def _position(ds: Dataset) -> float | None:
    """Where the slice sits along its normal: (0020,0032) projected on (0020,0037)."""
    try:
        ipp = [float(v) for v in ds.ImagePositionPatient]
        iop = [float(v) for v in ds.ImageOrientationPatient]
    except (AttributeError, TypeError, ValueError):
        return None
    if len(ipp) != 3 or len(iop) != 6:
        return None
    row, col = iop[:3], iop[3:]
    normal = [
        row[1] * col[2] - row[2] * col[1],
        row[2] * col[0] - row[0] * col[2],
        row[0] * col[1] - row[1] * col[0],
    ]
    return sum(p * n for p, n in zip(ipp, normal, strict=True))


def _int(ds: Dataset, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _meta(ds: Dataset) -> dict[str, Any]:
    # (0018,5101) View Position, else a standard (0054,0220) View Code: ANT, POST, PA, …
    # From coded values only, never a meaning text from the file.
    view = view_label(ds)
    study_date = str(ds.get("StudyDate", "") or "")
    return {
        "study_uid": str(ds.get("StudyInstanceUID", "")),
        "series_uid": str(ds.get("SeriesInstanceUID", "")),
        "sop_uid": str(ds.SOPInstanceUID),
        "sop_class_uid": str(ds.get("SOPClassUID", "")),
        "study_date": study_date if len(study_date) == 8 else "",
        "series_number": _int(ds, "SeriesNumber"),
        "instance_number": _int(ds, "InstanceNumber"),
        "modality": str(ds.get("Modality", "") or "")[:16],
        "body_part": str(ds.get("BodyPartExamined", "") or "")[:64],
        "view": view[:16],
        "position": _position(ds),
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "frames": frame_count(ds),
        "transfer_syntax": str(ds.file_meta.get("TransferSyntaxUID", "")),
    }


def prepare_dicom(data: bytes, policy: DeidPolicy) -> PreparedDicom:
    """Read ``data`` as DICOM and de-identify it.

    Raises
    ------
    RejectedFile
        Not DICOM, a DICOMDIR, no pixel data, or pixel data inconsistent with its size.
    """
    original = _read(data)
    _check_pixels(original)
    result = deidentify(original, policy)
    ds = result.dataset
    out = io.BytesIO()
    try:
        pydicom.dcmwrite(out, ds, enforce_file_format=True)
    except (ValueError, TypeError, AttributeError) as e:
        raise RejectedFile(f"cannot write the de-identified file ({e})") from None
    clean = out.getvalue()
    # The preamble is ours: 128 zero bytes, whatever the original carried.
    clean = bytes(128) + clean[128:]
    return PreparedDicom(
        data=clean,
        size=len(clean),
        sha256=hashlib.sha256(clean).hexdigest(),
        meta=_meta(ds),
        report=result.report.to_json(),
    )


def prepare_picture(data: bytes) -> PreparedPicture:
    """Decode a picture under the pixel limit and re-encode its pixels alone.

    Accepted: JPEG, MPO (its first, primary image), PNG, GIF, WebP and TIFF, each a
    single still picture. A JPEG or MPO stays JPEG (re-compressed at quality 92); the
    others become PNG, losslessly. Nothing but the pixels reaches the output: no comment,
    APPn segment, ICC profile, text chunk or tag of the source (see
    :mod:`lightbox.imaging.dicom.picture`). An ICC profile is applied (converted to sRGB)
    and an EXIF orientation turned into the pixels before they are dropped.

    Raises
    ------
    RejectedFile
        Another format, an animated or multi-page picture (only its first frame would be
        kept, silently), more than ``MAX_PICTURE_PIXELS`` pixels, or bytes Pillow cannot
        decode.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PICTURE_FORMATS:
                    raise RejectedFile(f"{probe.format} images are not accepted")
                # An MPO's further images are alternate views or previews of the first.
                frames = getattr(probe, "n_frames", 1) if probe.format != "MPO" else 1
                if frames > 1:
                    raise RejectedFile(
                        f"an animated or multi-page {probe.format} ({frames} frames) is not "
                        "accepted: upload each frame as a picture, or the cine as DICOM"
                    )
                probe.verify()
            img = Image.open(io.BytesIO(data))
            img.load()
            fmt = "JPEG" if img.format in ("JPEG", "MPO") else "PNG"
            clean = picture.encode(img, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise RejectedFile(f"image too large: over {MAX_PICTURE_PIXELS:,} pixels") from None
    except RejectedFile:
        raise
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds on hostile input
        raise RejectedFile(f"not a readable image ({e.__class__.__name__})") from None
    with Image.open(io.BytesIO(clean)) as out:
        width, height = out.size
    return PreparedPicture(clean, "jpg" if fmt == "JPEG" else "png", width, height)


def prepare_path(
    path: str, kind: str, policy: DeidPolicy, staging: str = ""
) -> PreparedDicom | PreparedPicture:
    """Read a quarantined file and prepare it: the entry point of the limited child.

    With ``staging`` (a folder), the de-identified DICOM file is written there and only
    its path travels back to the parent, not its bytes. The child does not wait for the
    disk: the parent syncs staged files in the background and storage links them into
    place.
    """
    with open(path, "rb") as fp:
        data = fp.read()
    if kind != "dicom":
        return prepare_picture(data)
    prepared = prepare_dicom(data, policy)
    if staging:
        fd, prepared.staged = tempfile.mkstemp(dir=staging, suffix=".dcm")
        with os.fdopen(fd, "wb") as out:
            out.write(prepared.data)
        prepared.data = b""
    return prepared
