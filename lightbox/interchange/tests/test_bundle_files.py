"""The checks of a bundle's pictures and DICOM files, on hostile input."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pydicom import dcmread
from pydicom.data import get_testdata_file

from lightbox.deid import DeidPolicy, deidentify, write_deidentified
from lightbox.imaging.dicom.picture import encode, thumbnail_jpeg
from lightbox.interchange.bundle.files import FileRefused, check_dicom, check_picture

POLICY = DeidPolicy(b"a test secret of thirty-two bytes", "LIGHTBOX^bs001", "bs001")


def picture(fmt: str, size=(16, 12), **options) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "gray").save(out, fmt, **options)
    return out.getvalue()


def noisy_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def deidentified(name: str = "CT_small.dcm") -> bytes:
    ds = dcmread(get_testdata_file(name, download=False))
    out = io.BytesIO()
    write_deidentified(deidentify(ds, POLICY).dataset, out)
    return out.getvalue()


def test_pictures_lightbox_writes_pass():
    img = Image.new("RGB", (64, 48), "gray")
    check_picture(encode(img, "PNG"), "png")
    check_picture(encode(img, "JPEG"), "jpg")
    check_picture(thumbnail_jpeg(img), "jpg")
    check_picture(encode(Image.new("L", (9, 9)), "PNG"), "png")


def _png_with_chunk(kind: bytes, body: bytes) -> bytes:
    data = picture("PNG")
    chunk = struct.pack(">I", len(body)) + kind + body
    chunk += struct.pack(">I", zlib.crc32(kind + body))
    return data[:33] + chunk + data[33:]  # after the signature and IHDR


@pytest.mark.parametrize(
    ("data", "ext", "expected"),
    [
        (_png_with_chunk(b"tEXt", b"Author\x00Jane Doe"), "png", "a PNG tEXt chunk"),
        (_png_with_chunk(b"eXIf", b"MM\x00*"), "png", "a PNG eXIf chunk"),
        (_png_with_chunk(b"iCCP", b"x\x00\x00"), "png", "a PNG iCCP chunk"),
        (_png_with_chunk(b"priv", b"secret"), "png", "a PNG priv chunk"),
        (_png_with_chunk(b"\x00\x01\x02\x03", b""), "png", "a PNG unknown chunk"),
        (picture("PNG")[:-6], "png", "cut short"),
        (picture("PNG") + b"<?php ?>", "png", "bytes after the end of the PNG"),
        (picture("PNG")[:20] + b"\xff" + picture("PNG")[21:], "png", "fails its checksum"),
        (picture("JPEG", comment=b"DOE^JANE"), "jpg", "a JPEG comment"),
        (picture("JPEG", exif=Image.Exif().tobytes()), "jpg", "a JPEG APP1 segment"),
        (picture("JPEG", icc_profile=b"\x00" * 200), "jpg", "a JPEG APP2 segment"),
        (picture("JPEG") + b"PK\x03\x04", "jpg", "bytes after the end of the JPEG"),
        (noisy_jpeg()[:-40], "jpg", "runs past the end"),
        (picture("JPEG"), "png", "not a PNG picture"),
        (picture("PNG"), "jpg", "not a JPEG picture"),
        (picture("GIF"), "gif", "pictures are .png or .jpg"),
        (b"", "png", "not a PNG picture"),
    ],
    ids=[
        "text",
        "exif",
        "icc",
        "private",
        "binary-name",
        "truncated",
        "polyglot",
        "crc",
        "comment",
        "app1",
        "app2",
        "jpeg-trailer",
        "jpeg-truncated",
        "jpeg-as-png",
        "png-as-jpeg",
        "gif",
        "empty",
    ],  # fmt: skip
)
def test_a_picture_with_more_than_pixels_is_refused(data, ext, expected):
    with pytest.raises(FileRefused, match=expected):
        check_picture(data, ext)


def test_a_picture_bomb_is_refused(monkeypatch):
    from lightbox.interchange.bundle import files

    monkeypatch.setattr(files, "MAX_PICTURE_PIXELS", 100)
    with pytest.raises(FileRefused, match="over 100 pixels"):
        check_picture(encode(Image.new("L", (20, 20)), "PNG"), "png")


def test_a_png_whose_pixels_do_not_decode_is_refused():
    data = picture("PNG")
    # Corrupt the IDAT stream but keep the chunk's checksum right.
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    body = b"\x00" * length
    bad = data[: start - 4] + b"IDAT" + body + struct.pack(">I", zlib.crc32(b"IDAT" + body))
    bad += data[start + length + 4 :]
    with pytest.raises(FileRefused, match="do not decode"):
        check_picture(bad, "png")


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "US1_UNCR.dcm"])
def test_dicom_lightbox_stored_passes_with_the_reasons_for_pixel_review_it_had(name):
    first = deidentify(dcmread(get_testdata_file(name, download=False)), POLICY).report
    result = check_dicom(deidentified(name))
    assert result.pixel_review_reasons == tuple(first.pixel_review_reasons)
    assert bool(result.pixel_review_reasons) == (name in ("US1_UNCR.dcm", "JPEG2000.dcm"))


def _edited(edit) -> bytes:
    ds = dcmread(io.BytesIO(deidentified()))
    edit(ds)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _in_sequence(ds):
    from pydicom import Dataset, Sequence

    item = Dataset()
    item.ReferencedSOPInstanceUID = "1.2.3"
    item.PatientName = "DOE^JANE"
    ds.ReferencedImageSequence = Sequence([item])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda ds: setattr(ds, "PatientAddress", "1 Main St"), "(0010,1040) PatientAddress"),
        (lambda ds: setattr(ds, "StudyDescription", "Jane's scan"), "StudyDescription would be"),
        (lambda ds: setattr(ds, "AccessionNumber", "A123"), "AccessionNumber would be"),
        (lambda ds: ds.add_new(0x00291010, "OB", b"\x01"), "(0029,1010) would be removed"),
        (_in_sequence, "ReferencedImageSequence[0].(0010,0010) PatientName would be"),
        (lambda ds: setattr(ds, "PatientID", "123456"), "Patient ID is not a case pseudonym"),
        (lambda ds: setattr(ds, "PatientName", "DOE^JOHN"), "Patient's Name is not the case"),
        (lambda ds: delattr(ds, "PatientIdentityRemoved"), "Patient Identity Removed is not"),
        (lambda ds: setattr(ds, "DeidentificationMethod", "dicognito"), "does not name Lightbox"),
        (lambda ds: setattr(ds, "preamble", b"MZ" + bytes(126)), "preamble is not zeros"),
        (
            lambda ds: setattr(ds.file_meta, "SourceApplicationEntityTitle", "HOSPITAL_PACS"),
            "file meta (0002,0016) SourceApplicationEntityTitle",
        ),
    ],
    ids=[
        "address",
        "description",
        "accession",
        "private",
        "nested",
        "id",
        "name",
        "marker",
        "method",
        "preamble",
        "meta",
    ],  # fmt: skip
)
def test_dicom_that_is_not_as_lightbox_stores_it_is_refused(edit, expected):
    with pytest.raises(
        FileRefused,
        match=expected.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]"),
    ):
        check_dicom(_edited(edit))


@pytest.mark.parametrize(
    "data",
    [b"", b"DICM", bytes(128) + b"DICM" + b"\xff" * 50, deidentified()[:300], b"\x00" * 4096],
    ids=["empty", "magic-only", "junk-after-magic", "truncated", "zeros"],
)
def test_what_is_not_dicom_is_refused_in_one_line(data):
    with pytest.raises(FileRefused) as e:
        check_dicom(data)
    assert "\n" not in str(e.value)


def test_the_raw_dicom_of_a_hospital_is_refused():
    raw = Path(get_testdata_file("CT_small.dcm", download=False)).read_bytes()
    with pytest.raises(FileRefused, match="preamble is not zeros"):
        check_dicom(raw)
    raw = bytes(128) + raw[128:]
    with pytest.raises(FileRefused, match=r"file meta \(0002,0016\) SourceApplicationEntity"):
        check_dicom(raw)
