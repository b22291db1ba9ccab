"""Render one frame of a DICOM image as an 8-bit picture for a browser.

Django-free. The grey-scale pipeline is the one PS3.4 Annex N describes: stored values →
Modality LUT (rescale to e.g. Hounsfield units) → VOI LUT (windowing) → presentation
(polarity). Colour images are passed through at 8 bits per sample.

Examples
--------
>>> from pydicom import dcmread
>>> from pydicom.data import get_testdata_file
>>> ds = dcmread(get_testdata_file("CT_small.dcm", download=False))
>>> render_frame(ds, window=(40, 400)).size  # soft-tissue window, centre 40, width 400
(128, 128)
>>> render_png(ds)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from PIL import Image
from pydicom import Dataset, dcmread
from pydicom.multival import MultiValue
from pydicom.pixels.processing import apply_color_lut, apply_modality_lut, apply_voi_lut
from pydicom.pixels.utils import pixel_array

__all__ = ["RenderError", "Rendered", "frame_count", "render_file", "render_frame", "render_png"]

FloatArray = npt.NDArray[np.float64]

# (0028,0004) Photometric Interpretation values that are one grey sample per pixel.
GREYSCALE = frozenset({"MONOCHROME1", "MONOCHROME2"})
# Nuclear-medicine studies are read black-on-white: hot (high-count) areas dark.
READ_INVERTED_MODALITIES = frozenset({"NM"})
# Longest reason a RenderError gives: one line of a status table.
MAX_REASON = 300


class RenderError(ValueError):
    """The frame cannot be rendered; the message is one line that says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(one_line(reason))


def one_line(text: str) -> str:
    """``text`` on one line, at most :data:`MAX_REASON` characters: decoders report
    failures as several indented lines (one per plugin tried)."""
    parts = [" ".join(line.split()) for line in str(text).splitlines()]
    joined = "; ".join(p for p in parts if p).replace(":;", ":")
    return joined if len(joined) <= MAX_REASON else joined[: MAX_REASON - 1] + "…"


# pydicom logs each decoder plugin's failure with its traceback before it raises one
# error naming them all. That error is what Lightbox reports (one line, see RenderError);
# the logged tracebacks would only repeat it, in a server log or a command's output.
class _DropDecoderTracebacks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is None


logging.getLogger("pydicom.pixels.decoders.base").addFilter(_DropDecoderTracebacks())


def frame_count(ds: Dataset) -> int:
    """Number of frames in ``ds``: (0028,0008) Number of Frames, or 1 when absent or 0.

    Raises
    ------
    ValueError
        When (0028,0008) is present but not a whole number (``"1A"``): pydicom's decoders
        would fail on it, and guessing a count could show the wrong pixels.

    Examples
    --------
    >>> from pydicom import dcmread
    >>> from pydicom.data import get_testdata_file
    >>> frame_count(dcmread(get_testdata_file("CT_small.dcm", download=False)))
    1
    """
    value = ds.get("NumberOfFrames")
    if value in (None, ""):
        return 1
    try:
        count = int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"(0028,0008) Number of Frames is {str(value)[:20]!r}, not a whole number"
        ) from None
    # A stored 0 is non-conformant; every decoder treats it as one frame.
    return max(count, 1)


@dataclass(frozen=True)
class Rendered:
    """A rendered frame: PNG bytes and their size in pixels."""

    png: bytes
    width: int
    height: int
    frame: int


def render_file(source: str | bytes, frame: int | None = None) -> Rendered:
    """Read a DICOM file (a path or its bytes) and render one frame as PNG: the entry
    point of the limited child process that renders key images at ingest.

    Parameters
    ----------
    source : str or bytes
        The path of a stored, de-identified DICOM file, or its bytes.
    frame : int, optional
        Zero-based; the middle frame when omitted.

    Raises
    ------
    RenderError
        The file cannot be read or its pixels decoded (one line that says why).

    Examples
    --------
    >>> from pydicom.data import get_testdata_file
    >>> rendered = render_file(get_testdata_file("CT_small.dcm", download=False))
    >>> rendered.png[:4] == b"\\x89PNG", rendered.width, rendered.frame
    (True, 128, 0)
    """
    with warnings.catch_warnings():
        # pydicom warns of padding and VR mismatches it has already worked around.
        warnings.simplefilter("ignore")
        try:
            ds = dcmread(io.BytesIO(source) if isinstance(source, bytes) else source)
        except Exception as e:  # noqa: BLE001 - any reader failure is "cannot read"
            raise RenderError(f"cannot read the file ({e.__class__.__name__}: {e})") from None
        try:
            index = frame_count(ds) // 2 if frame is None else frame
        except ValueError as e:
            raise RenderError(str(e)) from None
        picture = render_frame(ds, index)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return Rendered(out.getvalue(), picture.width, picture.height, index)


def render_frame(
    ds: Dataset,
    frame: int = 0,
    *,
    window: tuple[float, float] | None = None,
    invert: bool | None = None,
    max_size: int | None = None,
) -> Image.Image:
    """Render frame ``frame`` of ``ds`` as an 8-bit Pillow image.

    Parameters
    ----------
    ds : pydicom.Dataset
        A dataset with (7FE0,0010) Pixel Data and a file meta (0002,0010) Transfer Syntax
        UID; any syntax pydicom's installed plugins decode (JPEG, JPEG 2000, JPEG-LS, RLE).
    frame : int, optional
        Zero-based frame index; only that frame is decoded.
    window : tuple of (float, float), optional
        ``(centre, width)`` in modality units (Hounsfield units for CT), applied as a
        LINEAR window. When omitted the dataset's own VOI is used — (0028,3010) VOI LUT
        Sequence, or (0028,1050) Window Center / (0028,1051) Window Width — and, when it has
        none, the minimum and maximum of the frame. Ignored for colour images.
    invert : bool, optional
        ``True`` shows high values dark. When omitted, MONOCHROME1 images (whose lowest
        value is white by definition) and nuclear-medicine images (read black-on-white)
        are inverted and everything else, colour included, is not.
    max_size : int, optional
        For previews: the decoded frame is subsampled (every n-th pixel) until neither
        side is much over ``max_size`` *before* the LUTs, so a thumbnail costs a fraction
        of a full rendering. Resize the result for the final size.

    Returns
    -------
    PIL.Image.Image
        Mode ``"L"`` for grey-scale images, ``"RGB"`` for colour ones.

    Raises
    ------
    RenderError
        When ``frame`` is out of range, ``window`` has a width that is not positive, or
        the dataset has no decodable pixel data; the message is one line that says which.

    Examples
    --------
    >>> from pydicom import dcmread
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmread(get_testdata_file("MR_small.dcm", download=False))
    >>> render_frame(ds).mode
    'L'
    """
    try:
        frames = frame_count(ds)
    except ValueError as e:
        raise RenderError(str(e)) from None
    if not 0 <= frame < frames:
        raise RenderError(
            f"frame {frame} is out of range: this image has {frames} "
            f"frame{'s' if frames != 1 else ''} (0 to {frames - 1})"
        )
    if window is not None and not window[1] > 0:
        raise RenderError(f"window width must be positive, got {window[1]}")

    arr = _decode(ds, frame)
    if max_size and max(arr.shape[:2]) >= 2 * max_size:
        step = max(arr.shape[:2]) // max_size
        arr = arr[::step, ::step]
    try:
        return _present(ds, arr, window, invert)
    except (RenderError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - malformed LUTs fail in many ways
        raise RenderError(f"cannot apply the grey-scale or colour mapping: {e}") from None


def _present(
    ds: Dataset, arr: npt.NDArray[Any], window: tuple[float, float] | None, invert: bool | None
) -> Image.Image:
    """Decoded stored values → 8-bit picture (Modality LUT, VOI LUT, polarity)."""
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    modality = str(ds.get("Modality", "")).upper()

    if photometric == "PALETTE COLOR":
        colour = apply_color_lut(arr, ds)
        return _rgb_image(_to_uint8(colour, _lut_bits(colour)), bool(invert))
    if arr.ndim == 3:
        # Three samples per pixel: RGB, or YBR which pydicom has already converted to RGB.
        # Colour is never inverted unless asked: a colour NM screen capture is as saved.
        return _rgb_image(_to_uint8(arr, int(ds.get("BitsStored", 8))), bool(invert))
    if photometric not in GREYSCALE:
        raise RenderError(f"cannot render (0028,0004) Photometric Interpretation {photometric!r}")

    if invert is None:
        invert = photometric == "MONOCHROME1" or modality in READ_INVERTED_MODALITIES
    grey = np.rint(_voi(ds, apply_modality_lut(arr, ds), window) * 255.0).astype(np.uint8)
    # Inverting after rounding makes inverted and plain renderings exact complements.
    return Image.fromarray(255 - grey if invert else grey)


def render_png(
    ds: Dataset,
    frame: int = 0,
    *,
    window: tuple[float, float] | None = None,
    invert: bool | None = None,
) -> bytes:
    """:func:`render_frame`, encoded as PNG bytes.

    Examples
    --------
    >>> from pydicom import dcmread
    >>> from pydicom.data import get_testdata_file
    >>> ds = dcmread(get_testdata_file("CT_small.dcm", download=False))
    >>> render_png(ds, window=(40, 400)).startswith(b"\\x89PNG")
    True
    """
    out = io.BytesIO()
    render_frame(ds, frame, window=window, invert=invert).save(out, "PNG")
    return out.getvalue()


# -- steps ------------------------------------------------------------------------------


def _decode(ds: Dataset, frame: int) -> npt.NDArray[Any]:
    if "PixelData" not in ds:
        raise RenderError("the dataset has no (7FE0,0010) Pixel Data")
    try:
        # index= decodes one frame, so a 500-frame cine costs one frame's work.
        return pixel_array(ds, index=frame)
    except MemoryError:
        raise
    except Exception as e:  # noqa: BLE001 - decoders raise anything on bad data
        # AttributeError when (0002,0010) Transfer Syntax UID is missing,
        # NotImplementedError for a syntax no plugin handles, RuntimeError when every
        # plugin failed (12-bit JPEG Extended, a corrupt codestream), ValueError for
        # inconsistent attributes.
        raise RenderError(f"cannot decode the pixel data: {e}") from None


def _voi(ds: Dataset, values: npt.NDArray[Any], window: tuple[float, float] | None) -> FloatArray:
    """Map modality values to 0.0 (black) … 1.0 (white), before any inversion."""
    if window is None:
        window = _stored_linear_window(ds)
    if window is not None:
        centre, width = window
        # PS3.3 C.11.2.1.2.1 LINEAR: the same half-pixel convention as pydicom and viewers.
        low = centre - 0.5 - (width - 1) / 2
        scaled = (values.astype(np.float64) - low) / max(width - 1, 1e-9)
        return np.clip(scaled, 0.0, 1.0)
    if _has_voi(ds):
        out = apply_voi_lut(values, ds)
        low, high = _voi_output_range(ds, out)
        return _normalise(out.astype(np.float64), low, high)
    # No VOI stored: stretch the frame's own range, the usual fallback of viewers.
    floats = values.astype(np.float64)
    return _normalise(floats, float(floats.min()), float(floats.max()))


def _stored_linear_window(ds: Dataset) -> tuple[float, float] | None:
    """The first stored (0028,1050)/(0028,1051) window when it is a plain LINEAR one and no
    VOI LUT table overrides it: the same mapping ``apply_voi_lut`` makes, computed
    directly (a quarter of the time, which counts for a thousand thumbnails)."""
    if ds.get("VOILUTSequence") or str(ds.get("VOILUTFunction", "") or "LINEAR") != "LINEAR":
        return None
    try:
        centre, width = (
            float(v[0] if isinstance(v, MultiValue) else v)
            for v in (ds.get("WindowCenter"), ds.get("WindowWidth"))
        )
    except (TypeError, ValueError, IndexError):
        return None
    return (centre, width) if width >= 1 else None


def _has_voi(ds: Dataset) -> bool:
    lut = ds.get("VOILUTSequence")
    if lut and "LUTDescriptor" in lut[0] and "LUTData" in lut[0]:
        return True
    centre, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    return centre not in (None, "") and width not in (None, "")


def _voi_output_range(ds: Dataset, out: npt.NDArray[Any]) -> tuple[float, float]:
    """The range ``apply_voi_lut`` maps into: a LUT's entries, or the window's output."""
    if np.issubdtype(out.dtype, np.integer):
        # (0028,3006) LUT Data: some writers declare 16 bits in (0028,3002) LUT Descriptor
        # and use 12, so the table's own extremes are the honest output range.
        data = np.asarray(ds.VOILUTSequence[0].LUTData, dtype=np.float64)
        if data.size > 1:
            return float(data.min()), float(data.max())
        return 0.0, float(2 ** int(ds.VOILUTSequence[0].LUTDescriptor[2]) - 1)
    # Windowing sends everything below the window to its output minimum and everything
    # above to its maximum; probing with ±inf asks pydicom for exactly those bounds.
    probe = apply_voi_lut(np.array([-np.inf, np.inf]), ds)
    return float(probe[0]), float(probe[1])


def _normalise(values: FloatArray, low: float, high: float) -> FloatArray:
    if not high > low:
        # A flat frame (or a degenerate LUT) carries no contrast: show it black.
        return np.zeros_like(values)
    return np.clip((values - low) / (high - low), 0.0, 1.0)


def _lut_bits(arr: npt.NDArray[Any]) -> int:
    # apply_color_lut returns 8-bit samples for 8-bit palettes, 16-bit otherwise.
    return 8 if arr.dtype.itemsize == 1 else 16


def _to_uint8(arr: npt.NDArray[Any], bits: int) -> npt.NDArray[np.uint8]:
    if arr.dtype == np.uint8 and bits <= 8:
        return cast(npt.NDArray[np.uint8], arr)
    top = float(2 ** max(bits, 1) - 1)
    scaled = np.clip(arr.astype(np.float64) / top, 0.0, 1.0) * 255.0
    return np.rint(scaled).astype(np.uint8)


def _rgb_image(rgb: npt.NDArray[np.uint8], invert: bool) -> Image.Image:
    if invert:
        rgb = 255 - rgb
    return Image.fromarray(np.ascontiguousarray(rgb))
