"""Personas and builders shared by every test.

alice is an author, bob a learner, charlie an outsider (an author with no link to the
case), erin an editor and root an administrator.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from PIL import Image as PILImage

from lightbox.cases.models import Case, CaseAuthor, Radiopharmaceutical, Series, Topic

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str = "learner", **extra: Any) -> User:
    from lightbox.accounts.models import Profile

    user = User.objects.create_user(
        username, f"{username}@example.org", PASSWORD, first_name=username.title(), **extra
    )
    Profile.objects.filter(user=user).update(role=role)
    return user


def personas() -> dict[str, User]:
    return {
        "alice": make_user("alice", "author"),
        "bob": make_user("bob", "learner"),
        "charlie": make_user("charlie", "author"),
        "erin": make_user("erin", "editor"),
        "root": make_user("root", "admin", is_superuser=True, is_staff=True),
    }


def make_series(prefix: str = "bs", name: str = "Bone scintigraphy") -> Series:
    series, _ = Series.objects.get_or_create(prefix=prefix, defaults={"name": name})
    return series


def make_topic(title: str = "Bone Scintigraphy", field: str = "4", category: str = "5") -> Topic:
    topic, _ = Topic.objects.get_or_create(
        title=title,
        defaults={
            "anatomic_field": field,
            "category": category,
            "discussion": "Bone-seeking tracers show osteoblastic activity.",
            "references": [{"text": "A textbook of scintigraphy.", "pmid": "", "doi": ""}],
        },
    )
    return topic


def make_case(series: Series | None = None, **fields: Any) -> Case:
    """A published, public nuclear-medicine case with every section filled."""
    defaults: dict[str, Any] = {
        "title": "Diffuse soft-tissue uptake",
        "case_date": dt.date(2024, 3, 14),
        "difficulty": 3,
        "quality": 4,
        "modality": "NM",
        "exam": "Whole-body bone scintigraphy",
        "patient_age": 51,
        "patient_sex": "F",
        "brief_history": "Woman with a long history of connective tissue disease.",
        "full_history": "Woman with connective tissue disease and firm skin nodules.",
        "findings": "Tracer uptake in the soft tissues of both thighs and arms.",
        "diagnosis": "Dystrophic soft-tissue calcification",
        "discussion": "Calcium deposits in damaged tissue take up bone tracers.",
        "followup": "Treated medically.",
        "differential": ["Dermatomyositis", "Scleroderma", "Hypercalcaemia"],
        "references": [{"text": "Doe J. Soft-tissue uptake.", "pmid": "123", "doi": ""}],
        "acr_codes": ["4.5"],
        "keywords": ["calcinosis"],
        "copyright": "Lightbox test institution",
        "status": "published",
        "visibility": "public",
    }
    defaults.update(fields)
    case = Case.objects.create(series=series or make_series(), **defaults)
    return case


def add_people(case: Case, *names: tuple[str, str]) -> None:
    for order, (name, credentials) in enumerate(names):
        CaseAuthor.objects.create(case=case, order=order, name=name, credentials=credentials)


def add_dose(case: Case, agent: str = "Tc-99m MDP", activity: str = "20", unit: str = "mCi"):
    return Radiopharmaceutical.objects.create(
        case=case, agent=agent, activity=Decimal(activity), unit=unit, route="i.v."
    )


def png_bytes(size: tuple[int, int] = (64, 32), color: int = 128) -> bytes:
    out = io.BytesIO()
    PILImage.new("L", size, color).save(out, "PNG")
    return out.getvalue()


def text_of(html: str) -> str:
    """A page's visible text on one line: tags dropped, whitespace collapsed."""
    import re
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).replace(" ,", ",")


class Named(io.BytesIO):
    """Bytes with a file name, as an uploaded file arrives."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name = name


class Nobody:
    """An anonymous uploader (the command line and tests)."""

    is_authenticated = False


#: The patient name every synthetic slice carries, to be looked for in what is stored.
PLANTED_NAME = "ZZPLANTED^PATIENT"


def ct_slices(
    count: int = 3,
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    size: int = 64,
    patient: str = PLANTED_NAME,
) -> list[bytes]:
    """A synthetic axial CT series as Part 10 files, as a PACS sends it: identifiers
    planted (name, ID, birth date, accession, institution), 16-bit pixels of a phantom."""
    import numpy as np
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    study_uid = study_uid or generate_uid()
    series_uid = series_uid or generate_uid()
    yy, xx = np.mgrid[:size, :size]
    phantom = np.where((yy - size // 2) ** 2 + (xx - size // 2) ** 2 < (size // 3) ** 2, 1024, 24)
    files = []
    for i in range(count):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.FrameOfReferenceUID = f"{series_uid}.1"
        ds.PatientName, ds.PatientID, ds.PatientBirthDate = patient, "ZZMRN0001", "19600101"
        ds.AccessionNumber, ds.InstitutionName = "ZZACC0001", "ZZPLANTED HOSPITAL"
        ds.StudyDate = ds.SeriesDate = "20240301"
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 1, i + 1
        ds.ImagePositionPatient = [-100.0, -100.0, float(i)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.8, 0.8], 1.0
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.WindowCenter, ds.WindowWidth = 40, 400
        ds.PixelData = (phantom + i).astype(np.int16).tobytes()
        out = io.BytesIO()
        pydicom.dcmwrite(out, ds, enforce_file_format=True)
        files.append(out.getvalue())
    return files


def part10(ds: Any) -> bytes:
    """A dataset (a Key Object Selection, say) as a Part 10 file, with its file meta."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    out = io.BytesIO()
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def stored_names(folder: str = "", storage: Any = None) -> list[str]:
    """Every stored file's name under ``folder`` of ``storage`` (the default storage), read
    through the storage API so that a test holds for local files and a bucket alike.
    Hidden folders (local staging) are not stored files."""
    from django.core.files.storage import default_storage

    storage = default_storage if storage is None else storage
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    names = [f"{prefix}{name}" for name in files if not name.startswith(".")]
    for sub in folders:
        if not sub.startswith("."):
            names += stored_names(f"{prefix}{sub}", storage)
    return sorted(names)
