"""The audit log says which way an upload came: from the upload page (a browser session,
which sends its files through the API's endpoints) or through the API (a token)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lightbox.audit.models import AuditEntry
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


def _picture() -> SimpleUploadedFile:
    return SimpleUploadedFile("view.png", png_bytes(), content_type="image/png")


def test_an_upload_from_the_page_is_not_put_down_to_the_api(client, people):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    client.force_login(people["alice"])
    response = client.post(f"/api/v1/cases/{case.number}/uploads", {"files": [_picture()]})
    assert response.status_code == 202, response.content
    entry = AuditEntry.objects.get(action="upload")
    assert entry.summary == f"uploaded 1 file(s) to {case.number} from the upload page"
    assert entry.data["via"] == "web"


def test_an_upload_with_a_token_is_put_down_to_the_api(client, people, token_for):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    headers = token_for(people["alice"])
    opened = client.post(f"/api/v1/cases/{case.number}/uploads?open=true", headers=headers)
    assert opened.status_code == 201, opened.content
    upload = opened.json()["id"]
    files = {"files": [_picture()]}
    added = client.post(f"/api/v1/uploads/{upload}/files", files, headers=headers)
    assert added.status_code in (200, 201, 202), added.content
    finished = client.post(f"/api/v1/uploads/{upload}/finish", headers=headers)
    assert finished.status_code == 202, finished.content
    entry = AuditEntry.objects.get(action="upload")
    assert entry.summary == f"uploaded 1 file(s) to {case.number} through the API, in parts"
    assert entry.data["via"] == "api"
