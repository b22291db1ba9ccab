"""Rendering DICOM frames to 8-bit pictures: polarity, windowing, colour and frames."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file

from lightbox.imaging.dicom import frame_count, render_frame, render_png


def load(name: str) -> Dataset:
    path = get_testdata_file(name, download=False)
    assert path is not None, f"{name} is missing: install pydicom and pydicom-data"
    return dcmread(path)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


# -- polarity -------------------------------------------------------------------------------


def test_it_inverts_nm_by_default():
    ds = load("JPEG2000_UNC.dcm")  # NM whole-body bone scan, MONOCHROME2
    default = pixels(render_frame(ds))
    plain = pixels(render_frame(ds, invert=False))
    assert np.array_equal(default, 255 - plain)
    # Read black-on-white: the background (few counts) is white, the bladder black.
    assert np.median(default) > 200
    assert default.min() == 0


def test_it_does_not_invert_ct_by_default():
    ds = load("CT_small.dcm")
    assert np.array_equal(
        pixels(render_frame(ds, window=(40, 400))),
        pixels(render_frame(ds, window=(40, 400), invert=False)),
    )


def test_it_shows_monochrome1_with_low_values_bright():
    ds = load("MR_small.dcm")
    as_monochrome2 = pixels(render_frame(ds))
    ds.PhotometricInterpretation = "MONOCHROME1"
    assert np.array_equal(pixels(render_frame(ds)), 255 - as_monochrome2)


def test_it_lets_the_caller_override_monochrome1_inversion():
    ds = load("MR_small.dcm")
    as_monochrome2 = pixels(render_frame(ds))
    ds.PhotometricInterpretation = "MONOCHROME1"
    assert np.array_equal(pixels(render_frame(ds, invert=False)), as_monochrome2)


def test_it_inverts_on_request():
    ds = load("CT_small.dcm")
    plain = pixels(render_frame(ds, window=(40, 400)))
    assert np.array_equal(pixels(render_frame(ds, window=(40, 400), invert=True)), 255 - plain)


# -- windowing ------------------------------------------------------------------------------


def test_a_window_changes_the_output():
    ds = load("CT_small.dcm")
    soft = pixels(render_frame(ds, window=(40, 400)))
    bone = pixels(render_frame(ds, window=(400, 1800)))
    assert not np.array_equal(soft, bone)


def test_the_window_is_in_modality_units():
    ds = load("CT_small.dcm")  # (0028,1052) Rescale Intercept -1024: values become HU
    hu = ds.pixel_array.astype(float) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    out = pixels(render_frame(ds, window=(40, 400)))  # shows -160 … 240 HU
    assert (out[hu <= -161] == 0).all()
    assert (out[hu >= 241] == 255).all()
    middle = (hu > -100) & (hu < 180)
    assert ((out[middle] > 0) & (out[middle] < 255)).all()


def test_it_uses_the_stored_window_when_none_is_given():
    ds = load("MR_small.dcm")  # (0028,1050) 600, (0028,1051) 1600
    stored = pixels(render_frame(ds))
    explicit = pixels(render_frame(ds, window=(600, 1600)))
    assert np.abs(stored - explicit).max() <= 1


@pytest.mark.parametrize(
    ("centre", "width", "function"),
    [(40, 400, None), ([40, 300], [400, 1500], "LINEAR"), (-600, 1, None)],
)
def test_the_stored_linear_window_maps_as_pydicom_does(centre, width, function):
    """The direct path for a stored LINEAR window gives pydicom's apply_voi_lut result."""
    from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut

    ds = load("CT_small.dcm")
    ds.WindowCenter, ds.WindowWidth = centre, width
    if function:
        ds.VOILUTFunction = function
    values = apply_modality_lut(ds.pixel_array, ds)
    reference = apply_voi_lut(values, ds).astype(np.float64)
    low, high = apply_voi_lut(np.array([-np.inf, np.inf]), ds)
    expected = np.rint(np.clip((reference - low) / (high - low), 0, 1) * 255)
    assert np.abs(pixels(render_frame(ds, invert=False)) - expected).max() <= 1


def test_a_sigmoid_window_is_left_to_pydicom():
    ds = load("CT_small.dcm")
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 40, 400, "SIGMOID"
    linear = load("CT_small.dcm")
    linear.WindowCenter, linear.WindowWidth = 40, 400
    assert not np.array_equal(pixels(render_frame(ds)), pixels(render_frame(linear)))


def test_it_stretches_the_frame_range_when_there_is_no_voi():
    ds = load("CT_small.dcm")  # no Window Center / Width, no VOI LUT Sequence
    out = pixels(render_frame(ds))
    assert out.min() == 0
    assert out.max() == 255


def test_a_flat_frame_renders_black_without_warnings():
    ds = load("CT_small.dcm")
    ds.PixelData = np.full((128, 128), 7, dtype=np.int16).tobytes()
    assert pixels(render_frame(ds)).max() == 0


def test_a_window_width_must_be_positive():
    with pytest.raises(ValueError, match="window width"):
        render_frame(load("CT_small.dcm"), window=(40, 0))


# -- colour ---------------------------------------------------------------------------------


def test_rgb_passes_through_unchanged():
    ds = load("SC_rgb.dcm")
    image = render_frame(ds)
    assert image.mode == "RGB"
    assert np.array_equal(np.asarray(image), ds.pixel_array)


def test_16_bit_rgb_becomes_8_bit():
    image = render_frame(load("SC_rgb_16bit.dcm"))
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 0, 0)
    assert image.getpixel((0, 95)) == (255, 255, 255)


def test_ybr_is_shown_as_rgb():
    rgb = np.asarray(render_frame(load("SC_rgb.dcm")), dtype=np.int16)
    ybr = np.asarray(render_frame(load("SC_ybr_full_uncompressed.dcm")), dtype=np.int16)
    # YBR_FULL is a lossy 8-bit round trip of the same picture: a few levels of error.
    assert np.abs(rgb - ybr).max() <= 8


def test_palette_colour_is_expanded_to_rgb():
    image = render_frame(load("examples_palette.dcm"))
    assert image.mode == "RGB"
    assert image.size == (800, 350)


# -- frames and input -----------------------------------------------------------------------


def test_it_renders_the_requested_frame_of_a_multiframe_image():
    ds = load("emri_small.dcm")  # 10 frames
    assert frame_count(ds) == 10
    first, last = pixels(render_frame(ds, 0)), pixels(render_frame(ds, 9))
    assert first.shape == last.shape == (64, 64)
    assert not np.array_equal(first, last)


@pytest.mark.parametrize("frame", [10, -1])
def test_a_frame_out_of_range_is_a_clear_error(frame):
    with pytest.raises(ValueError, match=r"frame .* out of range: this image has 10 frames"):
        render_frame(load("emri_small.dcm"), frame)


def test_a_single_frame_image_has_only_frame_zero():
    with pytest.raises(ValueError, match="has 1 frame "):
        render_frame(load("CT_small.dcm"), 1)


def test_it_decodes_jpeg_2000():
    compressed = pixels(render_frame(load("JPEG2000.dcm")))
    uncompressed = pixels(render_frame(load("JPEG2000_UNC.dcm")))
    assert np.array_equal(compressed, uncompressed)


def test_a_dataset_without_pixel_data_is_a_clear_error():
    ds = load("CT_small.dcm")
    del ds.PixelData
    with pytest.raises(ValueError, match="no .* Pixel Data"):
        render_frame(ds)


def test_render_png_encodes_the_rendered_frame():
    ds = load("CT_small.dcm")
    data = render_png(ds, window=(40, 400))
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = Image.open(io.BytesIO(data))
    assert decoded.mode == "L"
    assert np.array_equal(pixels(decoded), pixels(render_frame(ds, window=(40, 400))))
