"""An author uploads a study in a real browser and reads it in the viewer."""

import pydicom
import pytest
from playwright.sync_api import expect
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from lightbox.test import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _nm_pair(folder):
    """The NM whole-body image as an anterior and a posterior view of one study."""
    study = generate_uid()
    paths = []
    for view in ("ANT", "POST"):
        ds = pydicom.dcmread(get_testdata_file("JPEG2000.dcm", download=False))
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, generate_uid()
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.ViewPosition = view
        ds.PatientName = "ZZBROWSER^PLANTED"
        path = folder / f"nm-{view}.dcm"
        ds.save_as(path)
        paths.append(path)
    return paths


def _sign_in(page, username):
    page.goto("/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def test_upload_watch_view_window_scroll_and_nm_pair(page, people, tmp_path, screenshot_dir):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    mr = get_testdata_file("emri_small.dcm", download=False)  # 10 frames
    _sign_in(page, "alice")
    page.goto(f"/cases/{case.number}/")
    page.get_by_role("link", name="Add images").click()
    page.set_input_files("input[data-files]", [mr, *_nm_pair(tmp_path)])
    expect(page.get_by_text("3 files chosen.")).to_be_visible()
    page.get_by_role("button", name="Upload").click()
    status = page.locator("[data-status]")
    page.wait_for_selector("[data-status][data-state=done]", timeout=60_000)
    expect(status).to_contain_text("3 of 3 files processed")
    page.screenshot(path=screenshot_dir / "upload-status.png", full_page=True)

    # The MR clip in the viewer: window/level by drag, then scroll the stack.
    page.goto(f"/cases/{case.number}/")
    page.get_by_role("link", name="in a separate image viewer").click()
    page.wait_for_selector("body[data-viewer-ready=true]", timeout=30_000)
    viewport = page.locator(".lbv-viewport").first
    if viewport.get_attribute("data-modality") != "MR":
        page.locator("select").first.select_option(label="Image 1 (MR)")
        page.wait_for_selector(".lbv-viewport[data-modality=MR]")
    before = viewport.get_attribute("data-voi")
    box = viewport.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 40, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "before => document.querySelector('.lbv-viewport').dataset.voi !== before", arg=before
    )
    viewport.click()
    page.keyboard.press("ArrowDown")
    page.wait_for_function("() => document.querySelector('.lbv-viewport').dataset.index !== '0'")
    page.screenshot(path=screenshot_dir / "viewer-mr.png")

    # The NM pair opens side by side.
    nm = case.images.filter(series__view="ANT").get()
    page.goto(nm.get_absolute_url())
    page.wait_for_selector("body[data-viewer-ready=true]", timeout=30_000)
    labels = page.locator(".lbv-viewport").evaluate_all("vs => vs.map(v => v.dataset.label)")
    assert labels == ["ANT", "POST"]
    assert page.locator(".lbv-viewport").first.get_attribute("data-invert") == "true"
    page.screenshot(path=screenshot_dir / "viewer-nm-pair.png")
