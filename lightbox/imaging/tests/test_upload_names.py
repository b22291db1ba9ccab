"""The names files were uploaded under are forgotten once they no longer help."""

import datetime as dt

import pytest
from django.utils import timezone
from pydicom.data import get_testdata_file

from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Upload
from lightbox.imaging.uploads import forget_names, receive
from lightbox.test import Named, Nobody, make_case, png_bytes

pytestmark = pytest.mark.django_db

CT = get_testdata_file("CT_small.dcm", download=False)


def _upload(case) -> Upload:
    with open(CT, "rb") as fp:
        ct = fp.read()
    files = [
        Named("Smith_John_CT.dcm", ct),
        Named("Smith_John_CT_copy.dcm", ct),  # skipped, its message names the first
        Named("Smith_John_notes.txt", b"not an image"),
        Named("Smith_John_photo.png", png_bytes()),
    ]
    upload = receive(case, Nobody(), files)
    return process_upload(upload.pk)


def test_it_forgets_uploaded_names_days_after_the_upload(client, people, settings):
    settings.UPLOAD_NAMES_DAYS = 7
    case = make_case(created_by=people["alice"])
    upload = _upload(case)
    assert "Smith_John" in " ".join(f.name + f.error for f in upload.files.all())
    assert forget_names(upload.finished + dt.timedelta(days=6)) == 0  # still useful

    assert forget_names(upload.finished + dt.timedelta(days=7, seconds=1)) == 1
    files = list(upload.files.order_by("order"))
    assert [f.name for f in files] == ["file 1", "file 2", "file 3", "file 4"]
    assert all("Smith" not in f.error for f in files)
    assert "file 1" in files[1].error  # the duplicate still says which file it matched
    upload.refresh_from_db()
    assert upload.names_forgotten and "Smith" not in upload.error
    client.force_login(people["alice"])
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    api = client.get(f"/api/v1/uploads/{upload.pk}").content.decode()
    assert "Smith" not in page and "Smith" not in api
    assert forget_names(timezone.now() + dt.timedelta(days=30)) == 0  # once


def test_it_leaves_unfinished_uploads_alone(settings, people):
    settings.UPLOAD_NAMES_DAYS = 0
    case = make_case(created_by=people["alice"])
    upload = receive(case, Nobody(), [Named("Smith_John.png", png_bytes())], enqueue=False)
    assert upload.state == Upload.State.QUEUED
    assert forget_names(timezone.now() + dt.timedelta(days=1)) == 0
    assert upload.files.get().name == "Smith_John.png"
