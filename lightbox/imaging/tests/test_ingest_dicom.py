"""Real DICOM through the whole pipeline: nothing identifiable survives, anywhere."""

import io
from pathlib import Path

import pydicom
import pytest
from django.core import management
from django.core.files.storage import default_storage, storages
from PIL import Image as PILImage
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from lightbox.imaging.frames import frame_png
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, Series, Study, UploadFile
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, make_case, stored_names

pytestmark = pytest.mark.django_db

DEID_DATA = Path(__import__("deid_data").__file__).parent / "data"
PLANTED = {
    "PatientName": "ZZPLANTED^NAME",
    "PatientID": "ZZPLANTEDID4711",
    "OtherPatientIDs": "ZZPLANTEDOTHER",
    "PatientAddress": "ZZPLANTED 12 Harbour Street",
    "InstitutionName": "ZZPLANTED General Hospital",
    "ReferringPhysicianName": "ZZPLANTED^DOCTOR",
    "AccessionNumber": "ZZPLANTACC1",
    "StudyID": "ZZPLANTSTUDY",
    "StudyDescription": "ZZPLANTED study description",
    "ImageComments": "ZZPLANTED comment",
    "PatientBirthDate": "19510407",
}
SOURCES = {
    "nm-whole-body-j2k.dcm": lambda: get_testdata_file("JPEG2000.dcm", download=False),
    "ct.dcm": lambda: get_testdata_file("CT_small.dcm", download=False),
    "mr-rle.dcm": lambda: get_testdata_file("MR_small_RLE.dcm", download=False),
    "mr-multiframe.dcm": lambda: get_testdata_file("emri_small.dcm", download=False),
    "jpeg-ls.dcm": lambda: get_testdata_file("JPEGLSNearLossless_08.dcm", download=False),
    "cr-j2k.dcm": lambda: get_testdata_file("RG1_J2KI.dcm", download=False),
    "us.dcm": lambda: str(DEID_DATA / "ultrasounds" / "GREYSCALE_IMAGE.dcm"),
    "cookie.dcm": lambda: str(DEID_DATA / "dicom-cookies" / "image1.dcm"),
}


def planted(source: str) -> tuple[bytes, str]:
    """The file with identifiers planted everywhere, and its original SOP Instance UID."""
    ds = pydicom.dcmread(source)
    for keyword, value in PLANTED.items():
        setattr(ds, keyword, value)
    ds.add_new(0x00091001, "LO", "ZZPLANTED private")  # a private element
    item = Dataset()
    item.ReferencedSOPClassUID = ds.SOPClassUID
    item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    item.PatientName = "ZZPLANTED^NESTED"
    ds.ReferencedImageSequence = Sequence([item])
    ds.add_new(0x60003000, "OW", b"\x00" * 8)  # an overlay plane
    ds.add_new(0x50000030, "SH", "ZZPLANTED curve")  # a retired curve
    out = io.BytesIO()
    ds.preamble = b"MZ" + b"\x90" * 126  # an executable's header in the preamble
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue(), str(ds.SOPInstanceUID)


def _ingest(case, files):
    upload = receive(case, Nobody(), [Named(name, data) for name, data in files])
    return process_upload(upload.pk)


@pytest.fixture(scope="module")
def planted_files():
    return {name: planted(source()) for name, source in SOURCES.items()}


def test_every_kind_decodes_groups_and_renders(planted_files, settings):
    case = make_case()
    upload = _ingest(case, [(name, data) for name, (data, _) in planted_files.items()])
    files = {f.name: f for f in upload.files.all()}
    assert {n: (f.state, f.error) for n, f in files.items()} == {
        n: ("done", "") for n in planted_files
    }
    assert Instance.objects.filter(series__study__case=case).count() == len(planted_files)
    multiframe = files["mr-multiframe.dcm"].instance
    assert multiframe.frames == 10
    for series in Series.objects.filter(study__case=case):
        image = series.image
        assert image.file and image.thumbnail
        assert image.width > 0
    # Every frame of every kind renders as a web image (on demand, see frames.py).
    for instance in Instance.objects.filter(series__study__case=case):
        for frame in {0, instance.frames - 1}:
            name = frame_png(instance, frame)
            with storages["derived"].open(name) as fp, PILImage.open(fp) as img:
                assert img.format == "PNG"
                assert img.size == (instance.columns, instance.rows)
    assert Study.objects.filter(case=case).count() == len(
        {
            pydicom.dcmread(io.BytesIO(d)).get("StudyInstanceUID", "")
            for d, _ in planted_files.values()
        }
    )


def test_no_planted_identifier_is_stored_anywhere(planted_files, settings, tmp_path):
    case = make_case()
    _ingest(case, [(name, data) for name, (data, _) in planted_files.items()])
    for instance in Instance.objects.filter(series__study__case=case):
        for frame in range(instance.frames):  # the web images are stored files too
            frame_png(instance, frame)
    originals = [uid for _, uid in planted_files.values()]
    needles = (
        [v.encode() for v in PLANTED.values()] + [b"ZZPLANTED"] + [u.encode() for u in originals]
    )
    # Stored files (on disk or in a bucket), and whatever sits on local disk beside them.
    stored = [(n, default_storage.open(n).read()) for n in stored_names()]
    stored += [
        (n, storages["derived"].open(n).read())
        for n in stored_names("frames", storages["derived"])
    ]
    assert any(name.startswith("frames/") for name, _ in stored)
    local = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    local += [p for p in Path(settings.QUARANTINE_DIR).rglob("*") if p.is_file()]
    dump = io.StringIO()
    management.call_command("dumpdata", stdout=dump)
    haystacks = [*stored, *[(str(p), p.read_bytes()) for p in local]] + [
        ("database", dump.getvalue().encode())
    ]
    for where, data in haystacks:
        for needle in needles:
            assert needle not in data, f"{needle!r} found in {where}"


def test_stored_files_carry_the_markers_and_a_zero_preamble(planted_files):
    case = make_case()
    _ingest(case, [("ct.dcm", planted_files["ct.dcm"][0])])
    instance = Instance.objects.get(series__study__case=case)
    raw = instance.file.read()
    assert raw[:128] == bytes(128)
    assert raw[128:132] == b"DICM"
    ds = pydicom.dcmread(io.BytesIO(raw))
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.PatientName == f"LIGHTBOX^{case.number}"
    codes = {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    assert "113100" in codes
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert ds.pixel_array.shape == (128, 128)


def test_uids_map_the_same_in_two_separate_worker_runs(planted_files):
    data, original = planted_files["ct.dcm"]
    first, second = make_case(), make_case()
    _ingest(first, [("ct.dcm", data)])
    _ingest(second, [("ct.dcm", data)])
    a = Instance.objects.get(series__study__case=first)
    b = Instance.objects.get(series__study__case=second)
    assert a.sop_uid == b.sop_uid != original
    assert a.series.series_uid == b.series.series_uid


def test_processing_the_same_file_again_adds_nothing(planted_files):
    case = make_case()
    data = planted_files["ct.dcm"][0]
    _ingest(case, [("ct.dcm", data)])
    upload = _ingest(case, [("again.dcm", data)])
    assert Instance.objects.filter(series__study__case=case).count() == 1
    again = upload.files.get()
    assert again.state == UploadFile.State.SKIPPED
    assert again.error == "duplicate: the same file as ct.dcm, already stored in this case"
    assert again.instance == Instance.objects.get(series__study__case=case)


def test_burned_in_ultrasound_needs_pixel_review_and_is_hidden(client, planted_files):
    case = make_case()
    _ingest(case, [("us.dcm", planted_files["us.dcm"][0])])
    image = case.images.get()
    assert image.needs_pixel_review
    assert client.get(image.get_file_url()).status_code == 404
    assert "awaiting pixel review" in client.get(case.get_absolute_url()).content.decode()


def test_the_upload_status_says_what_needs_pixel_review_and_links_to_it(
    client, people, planted_files
):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    upload = _ingest(case, [("us.dcm", planted_files["us.dcm"][0])])
    client.force_login(people["alice"])
    # The page, and the API the upload page's script reads.
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert '<tr class="state-review">' in page
    assert "<td>Done</td><td>Stored; needs pixel review (possible burned-in text)" in page
    assert f'href="/cases/{case.number}/review/">Pixel review</a></td>' in page
    assert "<td>Index</td>" not in page and ">index<" not in page
    [shown] = client.get(f"/api/v1/uploads/{upload.pk}").json()["files"]
    assert shown["needs_pixel_review"] is True
    assert (shown["progress"], shown["outcome"]) == (
        "Done",
        "Stored; needs pixel review (possible burned-in text)",
    )


def test_series_are_indexed_in_the_order_their_files_were_given(monkeypatch):
    """Files finish in any order; the first series given becomes the main image."""
    from lightbox.imaging import images, ingest

    case = make_case()
    study = Study.objects.create(case=case, study_uid="1.2.3")
    later = Series.objects.create(study=study, series_uid="1.2.3.1", modality="NM")
    first = Series.objects.create(study=study, series_uid="1.2.3.2", modality="MR")
    shown = []
    monkeypatch.setattr(images, "show_series", lambda series, **how: shown.append(series))
    ingest._index_series({later.pk: 5, first.pk: 0})
    assert [s.pk for s in shown] == [first.pk, later.pk]


def test_a_case_without_a_modality_takes_its_first_series(planted_files):
    case = make_case(modality="")
    _ingest(case, [("ct.dcm", planted_files["ct.dcm"][0])])
    case.refresh_from_db()
    assert case.modality == "CT"
    # Never over the author's choice.
    chosen = make_case(modality="NM")
    _ingest(chosen, [("ct.dcm", planted_files["ct.dcm"][0])])
    chosen.refresh_from_db()
    assert chosen.modality == "NM"
