"""Hostile DICOM: each gets a clear per-file error and the worker survives."""

import io
import struct
import zlib
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from lightbox.imaging.dicom.prepare import RejectedFile, prepare_dicom, prepare_path, sniff
from lightbox.imaging.ingest import deid_policy
from lightbox.lib.isolation import Isolated

CT = get_testdata_file("CT_small.dcm", download=False)
CT_BYTES = Path(CT).read_bytes()


def _bytes(ds: Dataset, **kw) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True, **kw)
    return out.getvalue()


def _prepare(data: bytes):
    return prepare_dicom(data, deid_policy("bs001"))


def test_a_truncated_file_is_refused():
    data = CT_BYTES
    with pytest.raises(RejectedFile):
        _prepare(data[: len(data) // 3])


def test_an_element_longer_than_the_file_is_refused():
    data = bytearray(CT_BYTES)
    at = data.find(b"\x10\x00\x10\x00PN")  # (0010,0010) Patient's Name, explicit VR
    data[at + 6 : at + 8] = struct.pack("<H", 0xFFF0)
    data = bytes(data[: at + 200])
    with pytest.raises(RejectedFile, match="not a readable DICOM|pixel data"):
        _prepare(data)


def _nested_sequences(depth: int) -> bytes:
    """CT_small with a (0040,A730) Content Sequence nested ``depth`` deep, written by hand:
    pydicom's own writer runs out of stack long before 300."""
    undefined = b"\xff\xff\xff\xff"
    open_sq = b"\x40\x00\x30\xa7SQ\x00\x00" + undefined + b"\xfe\xff\x00\xe0" + undefined
    close_sq = b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    leaf = b"\x08\x00\x00\x01SH\x02\x00X "  # (0008,0100) Code Value
    nested = open_sq * depth + leaf + close_sq * depth
    data = CT_BYTES
    at = data.rfind(b"\xe0\x7f\x10\x00")  # (7FE0,0010) Pixel Data: insert just before
    return data[:at] + nested + data[at:]


def test_sequences_nested_300_deep_are_refused(tmp_path):
    # Run as uploads are: in a limited child process, so that even a crash is contained.
    path = tmp_path / "deep.dcm"
    path.write_bytes(_nested_sequences(300))
    with Isolated(workers=1, memory_bytes=2 * 1024**3, seconds=60) as pool:
        [outcome] = pool.map_unordered(
            prepare_path, [("deep", (str(path), "dicom", deid_policy("bs001")))]
        )
    assert isinstance(outcome.error, RejectedFile), outcome.error
    assert "nested too deep" in str(outcome.error)


def test_a_few_nested_sequences_are_fine():
    prepared = _prepare(_nested_sequences(5))
    assert prepared.meta["rows"] == 128


def test_rows_and_columns_inconsistent_with_the_pixel_data_are_refused():
    ds = pydicom.dcmread(CT)
    ds.Rows = 4096
    with pytest.raises(RejectedFile, match="pixel data is .* but Rows×Columns×Frames needs"):
        _prepare(_bytes(ds))


def test_a_deflate_bomb_is_refused_before_it_expands():
    ds = pydicom.dcmread(CT)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = "1.2.840.10008.1.2.1.99"
    body = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
    bomb = body.compress(b"\x00" * (600 * 1024**2)) + body.flush()  # 600 MB of zeros
    header = io.BytesIO()
    pydicom.filewriter.write_file_meta_info(header, meta, enforce_standard=True)
    data = bytes(128) + b"DICM" + header.getvalue() + bomb
    assert len(data) < 4 * 1024**2  # 600 MB from under 4 MB
    with pytest.raises(RejectedFile, match="expands beyond"):
        _prepare(data)


def test_a_dicomdir_is_skipped_with_an_explanation():
    path = get_testdata_file("DICOMDIR", download=False)
    with pytest.raises(RejectedFile, match="DICOMDIR"):
        _prepare(Path(path).read_bytes())


def test_a_report_without_pixels_is_refused():
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    ds.SOPInstanceUID = generate_uid()
    ds.PatientName = "X"
    with pytest.raises(RejectedFile, match="no pixel data"):
        _prepare(_bytes(ds))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (CT_BYTES, "dicom"),
        (CT_BYTES[128 + 4 :], "dicom"),  # no preamble, meta header first
        (b"PK\x03\x04rest", "zip"),
        (b"\x89PNG\r\n\x1a\n....", "image"),
        (b"<?xml version='1.0'?><svg/>", "svg"),
        (b"<html>", "unknown"),
        (b"", "unknown"),
    ],
)
def test_sniffing_reads_content_not_names(data, kind):
    assert sniff(data) == kind
