"""One SOP Instance UID twice in an upload: decided per file, never failing the batch.

The same bytes twice are skipped as a duplicate; different bytes under one UID keep the
first file and fail the second, naming the one kept. The other files are stored, and
nothing is left in staging or quarantine.
"""

import io
import shutil
from pathlib import Path

import pydicom
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from pydicom.data import get_testdata_file

from lightbox.imaging import ingest
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, Upload, UploadFile
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, make_case

pytestmark = pytest.mark.django_db


def _ct(brighter: int = 0) -> bytes:
    """pydicom's CT_small; ``brighter`` changes the pixels, not the SOP Instance UID."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.PixelData = (ds.pixel_array + brighter).astype(ds.pixel_array.dtype).tobytes()
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _mr() -> bytes:
    return Path(get_testdata_file("MR_small.dcm", download=False)).read_bytes()


def _process(case, files) -> Upload:
    upload = receive(case, Nobody(), [Named(name, data) for name, data in files])
    return process_upload(upload.pk)


def _outcomes(upload: Upload) -> dict[str, tuple[str, str]]:
    return {f.name: (f.state, f.error) for f in upload.files.all()}


def _left_behind(settings) -> list[Path]:
    places = [Path(settings.STAGING_DIR), Path(settings.QUARANTINE_DIR)]
    return [p for place in places if place.exists() for p in place.rglob("*") if p.is_file()]


def test_it_skips_the_same_file_given_twice(settings):
    case = make_case()
    upload = _process(case, [("a.dcm", _ct()), ("b.dcm", _ct()), ("mr.dcm", _mr())])
    assert upload.state == Upload.State.DONE
    assert _outcomes(upload) == {
        "a.dcm": ("done", ""),
        "b.dcm": ("skipped", "duplicate: the same file as a.dcm"),
        "mr.dcm": ("done", ""),
    }
    assert Instance.objects.filter(series__study__case=case).count() == 2
    skipped = upload.files.get(name="b.dcm")
    assert skipped.instance == upload.files.get(name="a.dcm").instance
    assert _left_behind(settings) == []


def test_it_keeps_the_first_of_two_different_files_with_one_sop_uid(settings):
    case = make_case()
    first, second = _ct(), _ct(brighter=300)
    upload = _process(case, [("a.dcm", first), ("b.dcm", second), ("mr.dcm", _mr())])
    assert upload.state == Upload.State.DONE
    outcomes = _outcomes(upload)
    assert outcomes["a.dcm"] == ("done", "") and outcomes["mr.dcm"] == ("done", "")
    state, error = outcomes["b.dcm"]
    assert state == "failed"
    assert error.startswith("not stored: a.dcm has the same SOP Instance UID but different")
    kept = upload.files.get(name="a.dcm").instance
    expected = pydicom.dcmread(io.BytesIO(first)).pixel_array
    assert (pydicom.dcmread(kept.file.open("rb")).pixel_array == expected).all()
    assert upload.files.get(name="b.dcm").instance is None
    assert Instance.objects.filter(series__study__case=case).count() == 2
    assert _left_behind(settings) == []


def test_it_decides_per_file_across_batches(settings, monkeypatch):
    """The duplicate meets its original in a later batch, after it was inserted."""
    monkeypatch.setattr(ingest, "BATCH", 1)
    case = make_case()
    upload = _process(case, [("a.dcm", _ct()), ("mr.dcm", _mr()), ("b.dcm", _ct())])
    assert _outcomes(upload)["b.dcm"] == ("skipped", "duplicate: the same file as a.dcm")
    assert upload.state == Upload.State.DONE
    assert Instance.objects.filter(series__study__case=case).count() == 2


def test_a_later_upload_of_a_conflicting_file_fails_alone():
    case = make_case()
    _process(case, [("a.dcm", _ct())])
    upload = _process(case, [("b.dcm", _ct(brighter=300)), ("mr.dcm", _mr())])
    outcomes = _outcomes(upload)
    assert outcomes["mr.dcm"] == ("done", "")
    assert outcomes["b.dcm"][0] == "failed"
    assert "a.dcm has the same SOP Instance UID" in outcomes["b.dcm"][1]


def test_the_api_reports_each_duplicate_on_its_own(
    client, people, django_capture_on_commit_callbacks
):
    client.force_login(people["alice"])
    case = make_case(created_by=people["alice"])
    files = [
        SimpleUploadedFile("a.dcm", _ct()),
        SimpleUploadedFile("a-again.dcm", _ct()),
        SimpleUploadedFile("b.dcm", _ct(brighter=300)),
        SimpleUploadedFile("mr.dcm", _mr()),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/cases/{case.number}/uploads", {"files": files})
    assert response.status_code == 202
    status = client.get(response.json()["url"]).json()
    assert status["state"] == "done"
    states = {f["name"]: f["state"] for f in status["files"]}
    assert states == {
        "a.dcm": "done",
        "a-again.dcm": "skipped",
        "b.dcm": "failed",
        "mr.dcm": "done",
    }


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_dicom", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_dicom_skips_a_copy_and_succeeds(tmp_path):
    case = make_case()
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "IM1").write_bytes(_ct())
    shutil.copy(folder / "IM1", folder / "IM1-copy")
    (folder / "IM2").write_bytes(_mr())
    out, err = _run(folder, "--case", case.number)
    assert "3 file(s): 2 DICOM stored, 0 picture(s) stored, 1 skipped, 0 failed" in out
    assert err.strip() == "skipped: IM1-copy: duplicate: the same file as IM1"
    assert "Traceback" not in out + err


def test_import_dicom_reports_a_conflicting_pair_and_exits_non_zero(tmp_path):
    case = make_case()
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "IM1").write_bytes(_ct())
    (folder / "IM1-edited").write_bytes(_ct(brighter=300))
    (folder / "IM2").write_bytes(_mr())
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 file.s.: 2 DICOM stored, .* 0 skipped, 1 failed"):
        call_command("import_dicom", str(folder), "--case", case.number, stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert lines == [
        "failed: IM1-edited: not stored: IM1 has the same SOP Instance UID but different "
        "content, and was kept (a SOP Instance UID names one image)"
    ]
    assert UploadFile.objects.filter(state="done", instance__isnull=False).count() == 2


def test_outcomes_are_taken_in_the_order_the_files_were_given():
    """Children finish in any order; which duplicate is kept must not depend on it."""
    from lightbox.lib.isolation import Outcome

    files = [UploadFile(order=i, name=f"{i}.dcm") for i in range(6)]
    finished = [Outcome(files[i], i) for i in (3, 1, 0, 5, 2, 4)]
    beats = []
    taken = list(ingest._in_given_order(iter(finished), files, lambda: beats.append(1)))
    assert [o.value for o in taken] == [0, 1, 2, 3, 4, 5]
    assert len(beats) == 6
