"""MIRC packages for the tests, made of documents we wrote (``tests/mirc/*.xml``, in the
shapes of MIRC's templates) and pictures and DICOM made here."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pydicom
from PIL import Image as PILImage
from pydicom.data import get_testdata_file

DATA = Path(__file__).parent / "mirc"

# Everything identifying that the documents and their DICOM carry: none of it may be
# stored anywhere.
PHI = (
    "Johnathan",
    "PID-12345678",
    "MRN-998877",
    "ACC20061107",
    "1.2.826.0.1.3680043.2.1125.99.1",
    "Roe, Richard",
    "ZZPLANTED",
    "ZZPLANTEDID4711",
)


def document(name: str) -> bytes:
    return (DATA / f"{name}.xml").read_bytes()


def picture(kind: str = "JPEG", size: tuple[int, int] = (64, 48), color: int = 90) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (color, color, color)).save(out, kind)
    return out.getvalue()


def dicom(source: str = "CT_small.dcm") -> bytes:
    """A test file with a patient's identifiers planted in it."""
    ds = pydicom.dcmread(get_testdata_file(source, download=False))
    ds.PatientName = "ZZPLANTED^Johnathan"
    ds.PatientID = "ZZPLANTEDID4711"
    ds.AccessionNumber = "ACC20061107"
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``files``; ``ZIP_STORED`` for a member that would otherwise compress too
    well to be opened at all (a document of 10,000 nested elements)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def mstf_files(xml: bytes | None = None) -> dict[str, bytes]:
    """The MSTF document and every file it names (the icons too, as MIRC exports them)."""
    return {
        "MIRCdocument.xml": xml if xml is not None else document("mstf"),
        "img1.jpg": picture(size=(70, 50)),
        "img1_base.jpg": picture(size=(140, 100), color=120),
        "img1_icon.jpg": picture(size=(32, 24)),
        "img1.dcm": dicom(),
        "img1_an.jpg": picture(size=(140, 100), color=200),
        "img2.png": picture("PNG", (80, 60), 30),
        "img2_icon.jpg": picture(size=(32, 24)),
    }


def mstf_zip() -> bytes:
    return zip_of(mstf_files())


def basic_files() -> dict[str, bytes]:
    return {"basic.xml": document("basic"), "chest.png": picture("PNG"), "chest.dcm": dicom()}


def casemaker_files() -> dict[str, bytes]:
    return {
        "doc/casemaker.xml": document("casemaker"),
        "doc/us1.jpg": picture(),
        "doc/us1_icon.jpg": picture(size=(16, 16)),
        "doc/ct1.gif": picture("GIF"),
    }
