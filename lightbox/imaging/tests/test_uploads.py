"""Uploading to a case: the API, the pipeline, and every kind of bad input."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lightbox.imaging.models import Image, Upload
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, people):
    client.force_login(people["alice"])
    return people["alice"]


def _upload(client, case, *files, capture):
    with capture(execute=True):
        response = client.post(f"/api/v1/cases/{case.number}/uploads", {"files": list(files)})
    return response


def _status(client, response):
    assert response.status_code == 202, response.content
    return client.get(response.json()["url"]).json()


def test_a_picture_is_stored_without_its_metadata(
    client, author, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    photo = io.BytesIO()
    from PIL import Image as PILImage

    exif = PILImage.Exif()
    exif[0x010E] = "Patient PLANTEDNAME"
    PILImage.new("RGB", (64, 48), "white").save(photo, "JPEG", exif=exif)
    response = _upload(
        client,
        case,
        SimpleUploadedFile("photo.jpg", photo.getvalue()),
        capture=django_capture_on_commit_callbacks,
    )
    upload = _status(client, response)
    assert upload["state"] == "done"
    assert [f["state"] for f in upload["files"]] == ["done"]
    image = Image.objects.get(case=case)
    assert image.is_main
    assert b"PLANTEDNAME" not in image.file.read()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "evil.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "SVG",
        ),
        ("page.jpg", b"<html><body>not a jpeg</body></html>", "not a DICOM file or a JPEG"),
        ("empty.dcm", b"", "not a DICOM file"),
        ("x" * 300 + ".png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a readable image"),
        ("../../etc/passwd", b"root:x:0:0", "not a DICOM file"),
    ],
)
def test_bad_files_fail_alone_with_a_clear_error(
    client, author, django_capture_on_commit_callbacks, name, data, message
):
    case = make_case(created_by=author)
    response = _upload(
        client,
        case,
        SimpleUploadedFile(name, data),
        SimpleUploadedFile("good.png", png_bytes()),
        capture=django_capture_on_commit_callbacks,
    )
    upload = _status(client, response)
    bad, good = upload["files"]
    assert bad["state"] == "failed"
    assert message in bad["error"]
    assert len(bad["name"]) <= 120
    assert "/" not in bad["name"]
    assert good["state"] == "done"
    assert upload["state"] == "done"


def test_a_picture_declaring_30000_by_30000_pixels_is_refused(
    client, author, django_capture_on_commit_callbacks
):
    out = io.BytesIO()
    from PIL import Image as PILImage

    PILImage.new("1", (30000, 30000)).save(out, "PNG")
    case = make_case(created_by=author)
    response = _upload(
        client,
        case,
        SimpleUploadedFile("huge.png", out.getvalue()),
        capture=django_capture_on_commit_callbacks,
    )
    [f] = _status(client, response)["files"]
    assert f["state"] == "failed"
    assert "too large" in f["error"]


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_a_zip_is_expanded_into_its_files(client, author, django_capture_on_commit_callbacks):
    case = make_case(created_by=author)
    data = _zip({"a/one.png": png_bytes(), "a/two.png": png_bytes(color=30)})
    response = _upload(
        client,
        case,
        SimpleUploadedFile("study.zip", data),
        capture=django_capture_on_commit_callbacks,
    )
    upload = _status(client, response)
    assert [(f["name"], f["state"]) for f in upload["files"]] == [
        ("study.zip", "done"),
        ("study.zip/one.png", "done"),
        ("study.zip/two.png", "done"),
    ]
    assert case.images.count() == 2


def test_a_zip_slip_is_refused(client, author, django_capture_on_commit_callbacks):
    case = make_case(created_by=author)
    data = _zip({"ok.png": png_bytes(), "../../evil.png": png_bytes()})
    response = _upload(
        client, case, SimpleUploadedFile("x.zip", data), capture=django_capture_on_commit_callbacks
    )
    [f] = _status(client, response)["files"]
    assert f["state"] == "failed"
    assert "climbing out" in f["error"]
    assert case.images.count() == 0


def test_nothing_is_left_in_quarantine(
    client, author, settings, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    _upload(
        client,
        case,
        SimpleUploadedFile("a.png", png_bytes()),
        SimpleUploadedFile("bad.svg", b"<svg/>"),
        capture=django_capture_on_commit_callbacks,
    )
    leftovers = [p for p in settings.QUARANTINE_DIR.rglob("*") if p.is_file()]
    assert leftovers == []


def test_only_authors_and_editors_may_upload(client, people, django_capture_on_commit_callbacks):
    case = make_case(created_by=people["alice"])
    url = f"/api/v1/cases/{case.number}/uploads"
    file = SimpleUploadedFile("a.png", png_bytes())
    assert client.post(url, {"files": [file]}).status_code == 401
    client.force_login(people["charlie"])
    assert client.post(url, {"files": [file]}).status_code == 403
    client.force_login(people["erin"])
    file.seek(0)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"files": [file]}).status_code == 202


def test_an_upload_status_is_private(client, people, django_capture_on_commit_callbacks):
    case = make_case(created_by=people["alice"])
    client.force_login(people["alice"])
    response = _upload(
        client,
        case,
        SimpleUploadedFile("a.png", png_bytes()),
        capture=django_capture_on_commit_callbacks,
    )
    url = response.json()["url"]
    client.force_login(people["charlie"])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 401


def test_a_request_over_the_limit_is_refused_unread(client, author, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    case = make_case(created_by=author)
    response = client.post(
        f"/api/v1/cases/{case.number}/uploads",
        {"files": [SimpleUploadedFile("big.png", b"x" * 5_000_000)]},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Upload.objects.exists()


def test_the_upload_page_works_without_javascript(
    client, author, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    page = client.get(f"/cases/{case.number}/images/add/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{case.number}/images/add/",
            {"files": [SimpleUploadedFile("a.png", png_bytes())]},
        )
    assert response.status_code == 302
    status = client.get(response["Location"]).content.decode()
    assert "Done: 1 of 1 file processed" in status
    assert "a.png" in status


def test_the_upload_page_is_refused_to_outsiders(client, people):
    case = make_case(created_by=people["alice"])
    assert client.get(f"/cases/{case.number}/images/add/").status_code == 302  # to sign in
    client.force_login(people["charlie"])
    assert client.get(f"/cases/{case.number}/images/add/").status_code == 404
