"""Black out rectangles of burned-in text in every frame of a DICOM file. Django-free.

The stored pixels change — an overlay is not enough, since anyone with the file could
remove it. The result is written uncompressed (Explicit VR Little Endian), so no lossy
re-encoding touches the rest of the image.

Examples
--------
>>> from pydicom import dcmread
>>> from pydicom.data import get_testdata_file
>>> ds = dcmread(get_testdata_file("CT_small.dcm", download=False))
>>> masked = mask_rectangles(ds, [Rect(0, 0, 10, 5)])
>>> int(masked.pixel_array[:5, :10].max()) == int(masked.pixel_array.min())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.utils import iter_pixels
from pydicom.uid import ExplicitVRLittleEndian

from lightbox.imaging.dicom.render import frame_count

__all__ = ["Rect", "mask_rectangles"]


@dataclass(frozen=True, slots=True)
class Rect:
    """A rectangle in pixel coordinates: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    def clipped(self, rows: int, columns: int) -> tuple[slice, slice] | None:
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(columns, self.x + self.width), min(rows, self.y + self.height)
        if x1 <= x0 or y1 <= y0:
            return None
        return slice(y0, y1), slice(x0, x1)


def mask_rectangles(ds: Dataset, rects: list[Rect]) -> Dataset:
    """A copy of ``ds`` whose pixels inside ``rects`` are set to the frame's minimum (black
    for MONOCHROME2, so text vanishes whatever the window), in every frame.

    Raises
    ------
    ValueError
        When no rectangle falls inside the image.
    """
    rows, columns = int(ds.Rows), int(ds.Columns)
    regions = [r for rect in rects if (r := rect.clipped(rows, columns))]
    if not regions:
        raise ValueError("no rectangle falls inside the image")
    frames = []
    for frame in iter_pixels(ds):
        out = frame.copy()
        fill = out.min(axis=(0, 1)) if out.ndim == 3 else out.min()
        for region in regions:
            out[region] = fill
        frames.append(out)
    pixels = np.stack(frames) if frame_count(ds) > 1 else frames[0]
    masked = ds.copy()
    masked.file_meta = FileMetaDataset(ds.file_meta)
    # (7FE0,0010) Pixel Data, uncompressed, with (0028,0004) RGB for decoded colour.
    masked.set_pixel_data(
        pixels,
        photometric_interpretation=(
            "RGB" if pixels.shape[-1:] == (3,) and int(ds.SamplesPerPixel) == 3
            else str(ds.PhotometricInterpretation)
        ),
        bits_stored=int(ds.BitsStored),
    )  # fmt: skip
    masked.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    # (0028,0301) Burned In Annotation: the text that was there is gone.
    masked.BurnedInAnnotation = "NO"
    return masked
