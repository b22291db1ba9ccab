"""The demo library's DICOM: series built from the public test files of pydicom and
pydicom-data, to be uploaded to the demo cases like any other DICOM.

Django-free. :func:`build` returns the files of one named series as Part 10 bytes; the
demo loader (:mod:`lightbox.interchange.demo.save`) sends them through the upload pipeline,
so they are de-identified, grouped, stored and rendered exactly as an author's upload.

Most series are a test file as it ships. Where the test data cannot give a series a
newcomer should meet, one is *built*, and what was done is stated here, in the case text
and in ``docs/demo.md``:

- ``nm-bone-post``: the test data hold one whole-body projection, the anterior one
  (``JPEG-LL.dcm``). The posterior series is that image mirrored left–right, so the
  viewer's ANT/POST layout can be shown; it is not a posterior acquisition.
- ``ct-stack``: no test file is a CT series of more than one slice big enough to read.
  The stack is three single slices of three different people (``CT_small.dcm``,
  ``bad_sequence.dcm``, ``explicit_VR-UN.dcm``), ordered head to foot in one series.
- ``nm-bone-ant``, ``nm-bone-post``: the test file is a Secondary Capture; it is
  re-labelled as what it shows, an NM Image with a coded view, so that the view is known.

Some files are stored on their side or mirrored (their own orientation attributes say
so); those are turned to the usual display orientation, pixels and geometry together,
which changes no anatomy. Compressed files whose codestreams confuse some decoders are
stored decompressed.

Examples
--------
>>> files = build("nm-bone-post")
>>> len(files), files[0][128:132]
(1, b'DICM')
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

__all__ = ["BUILDERS", "DemoDataMissing", "build", "sources"]

# (0008,0016) SOP Class UID of the NM Image IOD.
NM_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.20"


class DemoDataMissing(RuntimeError):
    """A DICOM test file the demo needs is not installed (pydicom or pydicom-data)."""


def _path(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        raise DemoDataMissing(
            f"DICOM test file {name!r} is not installed: install the pinned pydicom and "
            "pydicom-data packages (pip install -e .)"
        )
    return Path(path)


def _as_shipped(name: str) -> bytes:
    return _path(name).read_bytes()


def _read(name: str, *, decompress: bool = True) -> Dataset:
    with warnings.catch_warnings():
        # Several test files are odd on purpose (a VR mismatch, a malformed sequence);
        # pydicom warns of what it has already worked around.
        warnings.simplefilter("ignore")
        ds = dcmread(_path(name))
        if decompress and "PixelData" in ds and ds.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress(generate_instance_uid=False)
    return ds


def _uid(*parts: str) -> str:
    """A UID derived from ``parts``: the same demo series gets the same UIDs every time."""
    return str(generate_uid(entropy_srcs=["lightbox-demo", *parts]))


def _bytes(ds: Dataset) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    # Decompressed (or built) pixels are written explicit VR little endian; a file whose
    # pixels were not touched keeps its own (compressed) syntax.
    meta.TransferSyntaxUID = ds.file_meta.get("TransferSyntaxUID", ExplicitVRLittleEndian)
    if not meta.TransferSyntaxUID.is_compressed:
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.preamble = bytes(128)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _set_pixels(ds: Dataset, pixels: np.ndarray) -> None:
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()


def _code(code: Code) -> Dataset:
    """A code sequence item: (0008,0100) Code Value, (0008,0102) Coding Scheme Designator,
    (0008,0104) Code Meaning."""
    item = Dataset()
    item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme_designator
    item.CodeMeaning = code.meaning
    return item


# -- nuclear medicine -------------------------------------------------------------------


def _nm_whole_body(view: str) -> Dataset:
    """The pydicom-data whole-body bone scan, detector 1, as an NM Image with its view
    coded. ``JPEG-LL.dcm`` is the lossless original of that projection (the other NM
    files are lossy copies of it)."""
    ds = _read("JPEG-LL.dcm")
    source_series = str(ds.SeriesInstanceUID)
    # It shipped as a Secondary Capture of an NM image, which is what it is: say so, so
    # that it is read (and its view known) as NM. Capture attributes go with the class.
    ds.SOPClassUID = NM_IMAGE_STORAGE
    for keyword in ("ConversionType", "SourceImageSequence", "DerivationCodeSequence"):
        if keyword in ds:
            delattr(ds, keyword)
    detector = Dataset()
    # (0054,0220) View Code Sequence inside (0054,0022) Detector Information Sequence.
    projection = (
        codes.CID26.AnteriorProjection if view == "ANT" else codes.CID26.PosteriorProjection
    )
    detector.ViewCodeSequence = Sequence([_code(projection)])
    ds.DetectorInformationSequence = Sequence([detector])
    # A count window that saturates the bladder keeps the skeleton readable in the
    # case page's picture; the viewer sets its own from the counts.
    ds.WindowCenter, ds.WindowWidth = 55, 110
    ds.SeriesInstanceUID = _uid(source_series, view)
    ds.SOPInstanceUID = _uid(source_series, view, "image")
    ds.SeriesNumber = 1 if view == "ANT" else 2
    ds.InstanceNumber = 1
    # (0020,0020) Patient Orientation: an anterior view shows the patient's left on the
    # viewer's right (rows run to the left, columns to the feet); a posterior view the
    # opposite.
    ds.PatientOrientation = ["L", "F"] if view == "ANT" else ["R", "F"]
    return ds


def nm_bone_ant() -> list[bytes]:
    """Whole-body bone scan, anterior projection, as acquired."""
    return [_bytes(_nm_whole_body("ANT"))]


def nm_bone_post() -> list[bytes]:
    """The anterior projection mirrored left–right and labelled posterior: **not** a
    posterior acquisition (the test data have none), only what lets the viewer lay out
    an ANT/POST pair. The case text says so."""
    ds = _nm_whole_body("POST")
    _set_pixels(ds, np.fliplr(ds.pixel_array))
    ds.ImageType = ["DERIVED", "SECONDARY", "WHOLE BODY", "EMISSION"]
    ds.DerivationDescription = "Lightbox demo: the anterior projection mirrored left-right"
    return [_bytes(ds)]


# -- CT ---------------------------------------------------------------------------------


def ct_head_subdural() -> list[bytes]:
    """An axial non-contrast head CT slice (``693_UNCR.dcm``), as shipped."""
    return [_as_shipped("693_UNCR.dcm")]


def ct_head() -> list[bytes]:
    """An axial head CT slice through the skull base (``J2K_pixelrep_mismatch.dcm``),
    decompressed: its JPEG 2000 codestream and its (0028,0103) Pixel Representation
    disagree, which some decoders get wrong."""
    return [_bytes(_read("J2K_pixelrep_mismatch.dcm"))]


def ct_perfusion() -> list[bytes]:
    """Two slices of a CT perfusion cerebral blood flow map (``eCT_Supplemental.dcm``,
    an Enhanced CT image of two frames), turned to the radiological convention."""
    ds = _read("eCT_Supplemental.dcm")
    # (0020,0037) Image Orientation (Patient) -1\0\0: its columns run to the patient's
    # right, so as stored the right hemisphere is on the viewer's right. Flip the columns
    # and move each frame's (0020,0032) Image Position to the new first column.
    shared = ds.SharedFunctionalGroupsSequence[0]
    orientation = shared.PlaneOrientationSequence[0]
    spacing = float(shared.PixelMeasuresSequence[0].PixelSpacing[1])
    if [float(v) for v in orientation.ImageOrientationPatient][:3] == [-1.0, 0.0, 0.0]:
        _set_pixels(ds, ds.pixel_array[:, :, ::-1])
        orientation.ImageOrientationPatient = [1, 0, 0, *orientation.ImageOrientationPatient[3:]]
        for frame in ds.PerFrameFunctionalGroupsSequence:
            position = frame.PlanePositionSequence[0]
            x, y, z = (float(v) for v in position.ImagePositionPatient)
            position.ImagePositionPatient = [round(x - (ds.Columns - 1) * spacing, 4), y, z]
    # The rescale and window live in the functional groups, which Lightbox's picture
    # renderer does not read (yet): the same values at the top level, for the case page.
    transform = shared.PixelValueTransformationSequence[0]
    ds.RescaleIntercept, ds.RescaleSlope = transform.RescaleIntercept, transform.RescaleSlope
    ds.RescaleType = "US"
    voi = shared.FrameVOILUTSequence[0]
    ds.WindowCenter, ds.WindowWidth = voi.WindowCenter, voi.WindowWidth
    return [_bytes(ds)]


def ct_stack() -> list[bytes]:
    """Three axial CT slices of three different people, in one series, head to foot:
    mid-thorax, thoracolumbar junction, upper abdomen. The test data hold no CT series of
    several readable slices; this one exists to show stack scrolling and window presets,
    and the case text says what it is."""
    study, series = _uid("ct-stack", "study"), _uid("ct-stack", "series")
    abdomen = _upright(_read("explicit_VR-UN.dcm"))
    # A CT Image that says (0008,0064) Conversion Type DV, a Secondary Capture attribute
    # the public collection it comes from added when it converted the study. Upload would
    # hold it for pixel review (a capture may show burned-in text); this slice has none —
    # we looked — and the attribute does not belong in a CT Image, so it goes.
    del abdomen.ConversionType
    slices = [_read("CT_small.dcm"), _read("bad_sequence.dcm"), abdomen]
    out = []
    for number, ds in enumerate(slices, start=1):
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.FrameOfReferenceUID = _uid("ct-stack", "frame-of-reference", str(number))
        ds.SOPInstanceUID = _uid("ct-stack", "slice", str(number))
        ds.SeriesNumber, ds.InstanceNumber = 1, number
        # One pseudonymous patient for the stack, so de-identification shifts all of its
        # dates alike; the names each file carries are still there for it to remove.
        ds.PatientID = "LIGHTBOX-DEMO-CT-STACK"
        ds.WindowCenter, ds.WindowWidth = 40, 400
        out.append(_bytes(ds))
    return out


def _upright(ds: Dataset) -> Dataset:
    """A slice stored upside down ((0020,0037) 1\\0\\0\\0\\-1\\0: rows run to the patient's
    front) turned upright, its (0020,0032) Image Position moved to the new first row."""
    iop = [float(v) for v in ds.ImageOrientationPatient]
    if iop == [1.0, 0.0, 0.0, 0.0, -1.0, 0.0]:
        _set_pixels(ds, ds.pixel_array[::-1, :])
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        row_spacing = float(ds.PixelSpacing[0])
        ds.ImagePositionPatient = [x, round(y - (ds.Rows - 1) * row_spacing, 4), z]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    return ds


# -- MR ---------------------------------------------------------------------------------


def mr_shoulder() -> list[bytes]:
    """A coronal oblique T1-weighted shoulder image, JPEG 2000 lossless, as shipped."""
    return [_as_shipped("MR2_J2KR.dcm")]


def mr_liver() -> list[bytes]:
    """An axial fat-suppressed T1-weighted image of the upper abdomen after gadolinium
    (``MR-SIEMENS-DICOM-WithOverlays.dcm``), as shipped; its overlay, which marks the
    lesion, does not survive de-identification."""
    return [_as_shipped("MR-SIEMENS-DICOM-WithOverlays.dcm")]


def mr_brain_3d() -> list[bytes]:
    """A multi-frame Enhanced MR image: ten contiguous slices (64 × 64) of a 3D
    T1-weighted gradient-echo brain volume (``emri_small.dcm``), as shipped."""
    return [_as_shipped("emri_small.dcm")]


# -- radiography ------------------------------------------------------------------------


def cr_chest() -> list[bytes]:
    """A PA chest radiograph, JPEG 2000 lossless (``RG1_J2KR.dcm``), without its
    (0028,0030) Pixel Spacing of 0\\0: a spacing must be positive, and with a zero one
    the viewer draws nothing. The pixels are as shipped."""
    ds = _read("RG1_J2KR.dcm", decompress=False)
    if [float(v) for v in ds.get("PixelSpacing", [])] == [0.0, 0.0]:
        del ds.PixelSpacing
    return [_bytes(ds)]


def cr_tibia() -> list[bytes]:
    """An AP radiograph of the right distal tibia and ankle (``RG3_J2KR.dcm``), turned
    to the usual orientation."""
    ds = _read("RG3_J2KR.dcm")
    # (0020,0020) Patient Orientation R\F: the patient's right is on the viewer's right
    # and the side marker reads backwards. An AP view is shown the other way round.
    if [str(v) for v in ds.get("PatientOrientation", [])] == ["R", "F"]:
        _set_pixels(ds, np.fliplr(ds.pixel_array))
        ds.PatientOrientation = ["L", "F"]
    return [_bytes(ds)]


BUILDERS: dict[str, Callable[[], list[bytes]]] = {
    "nm-bone-ant": nm_bone_ant,
    "nm-bone-post": nm_bone_post,
    "ct-head-subdural": ct_head_subdural,
    "ct-head": ct_head,
    "ct-perfusion": ct_perfusion,
    "ct-stack": ct_stack,
    "mr-shoulder": mr_shoulder,
    "mr-liver": mr_liver,
    "mr-brain-3d": mr_brain_3d,
    "cr-chest": cr_chest,
    "cr-tibia": cr_tibia,
}

# The test files each series is made from: for the docs and the demo's own tests.
SOURCES: dict[str, tuple[str, ...]] = {
    "nm-bone-ant": ("JPEG-LL.dcm",),
    "nm-bone-post": ("JPEG-LL.dcm",),
    "ct-head-subdural": ("693_UNCR.dcm",),
    "ct-head": ("J2K_pixelrep_mismatch.dcm",),
    "ct-perfusion": ("eCT_Supplemental.dcm",),
    "ct-stack": ("CT_small.dcm", "bad_sequence.dcm", "explicit_VR-UN.dcm"),
    "mr-shoulder": ("MR2_J2KR.dcm",),
    "mr-liver": ("MR-SIEMENS-DICOM-WithOverlays.dcm",),
    "mr-brain-3d": ("emri_small.dcm",),
    "cr-chest": ("RG1_J2KR.dcm",),
    "cr-tibia": ("RG3_J2KR.dcm",),
}


def sources(name: str) -> tuple[str, ...]:
    """The pydicom / pydicom-data test files series ``name`` is made from."""
    return SOURCES[name]


def build(name: str) -> tuple[bytes, ...]:
    """The files of demo series ``name`` (a key of :data:`BUILDERS`), as DICOM Part 10
    bytes, in instance order.

    Raises
    ------
    KeyError
        For a name that is not a demo series.
    DemoDataMissing
        When a test file it needs is not installed.
    """
    return tuple(BUILDERS[name]())
