"""An author drops a 1,000-slice CT folder on the upload page: it arrives as one upload, in
parts, and is processed once."""

import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from lightbox.imaging.models import Series, Upload
from lightbox.test import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLICES = 1000


def _ct_folder(folder):
    """1,000 slices of one series: pydicom's CT_small.dcm, each with its own SOP
    Instance UID, instance number and position along the stack."""
    folder.mkdir()
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    x, y, _ = ds.ImagePositionPatient
    for n in range(SLICES):
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.InstanceNumber = n + 1
        ds.ImagePositionPatient = [x, y, -100.0 + n * 1.25]
        ds.SliceLocation = -100.0 + n * 1.25
        ds.save_as(folder / f"IM{n + 1:04d}.dcm")
    return folder


def _sign_in(page, username):
    page.goto("/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_a_1000_slice_ct_folder_uploads_from_the_browser_as_one_upload(
    page, people, tmp_path, screenshot_dir
):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    folder = _ct_folder(tmp_path / "ct")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    _sign_in(page, "alice")
    page.goto(f"/cases/{case.number}/images/add/")

    page.set_input_files("input[data-folder]", folder)
    expect(page.get_by_text(f"{SLICES} files chosen.")).to_be_visible()
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("[data-status][data-state=done]", timeout=300_000)

    status = page.locator("[data-status]").inner_text()
    assert f"{SLICES} of {SLICES} files processed" in status
    assert "failed" not in status.split("\n")[1]  # the summary line
    page.screenshot(path=screenshot_dir / "upload-1000-status.png")
    # One upload, sent in parts of at most 200 files, finished once.
    parts = [u for u in posts if u.endswith("/files")]
    assert len(parts) == SLICES // 200
    assert len([u for u in posts if u.endswith("/finish")]) == 1
    upload = Upload.objects.get()
    assert (upload.state, upload.files.count()) == (Upload.State.DONE, SLICES)
    series = Series.objects.get(study__case=case)
    assert (series.instance_count, series.modality) == (SLICES, "CT")
    assert series.instances.filter(position__isnull=False).count() == SLICES
