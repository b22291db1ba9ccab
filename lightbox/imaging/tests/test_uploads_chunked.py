"""One upload built from several requests: a folder of more files than one request carries.

Django refuses a request with more than DATA_UPLOAD_MAX_NUMBER_FILES files while it parses
the body; that refusal must be a clear answer (the API's error shape, the site's page),
and a larger folder must still arrive as one upload: opened, filled in parts, finished.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lightbox.imaging import quarantine, uploads
from lightbox.imaging.models import Upload, UploadFile
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, people):
    client.force_login(people["alice"])
    return people["alice"]


@pytest.fixture
def incoming(settings, tmp_path):
    """Django's temporary upload files go to this test's own quarantine."""
    folder = tmp_path / "quarantine" / "incoming"
    folder.mkdir(parents=True)
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100  # every file goes through a temporary file
    return folder


def _notes(count, start=0):
    """Small files that are not images: each fails alone, quickly, in processing."""
    return [
        SimpleUploadedFile(f"note-{start + i}.txt", b"note %d" % (start + i)) for i in range(count)
    ]


def _quarantined(settings):
    return [p for p in settings.QUARANTINE_DIR.rglob("*") if p.is_file()]


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    return error["message"]


def test_it_refuses_more_files_than_one_request_carries_with_a_clear_413_in_the_api(
    client, author, settings, incoming
):
    case = make_case(created_by=author)
    response = client.post(f"/api/v1/cases/{case.number}/uploads", {"files": _notes(201)})
    message = _assert_error(response, 413, "too_large")
    assert "More than 200 files in one request" in message
    assert "/api/v1/uploads/{id}/files" in message
    assert not Upload.objects.exists()
    assert list(incoming.iterdir()) == []  # Django's temporary files went at once


@pytest.fixture
def processed(monkeypatch):
    """The uploads the worker processed, in order (tasks run at once in tests)."""
    from lightbox.imaging import ingest

    calls = []
    real = ingest.process_upload

    def spy(upload_id, *args, **kwargs):
        calls.append(str(upload_id))
        return real(upload_id, *args, **kwargs)

    monkeypatch.setattr(ingest, "process_upload", spy)
    return calls


def test_it_builds_one_upload_from_several_requests_and_processes_it_once(
    client, author, settings, processed, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        opened = client.post(f"/api/v1/cases/{case.number}/uploads?open=true")
        assert opened.status_code == 201, opened.content
        upload = opened.json()
        assert (upload["state"], upload["total"]) == ("receiving", 0)
        url = upload["url"]
        for start, count in ((0, 200), (200, 200), (400, 49)):
            part = client.post(f"{url}/files", {"files": _notes(count, start)})
            assert part.status_code == 200, part.content
            assert part.json()["state"] == "receiving"
        last = client.post(f"{url}/files", {"files": [SimpleUploadedFile("a.png", png_bytes())]})
        assert last.json()["total"] == 450
    # Nothing was processed while the parts arrived.
    assert processed == []
    assert set(UploadFile.objects.values_list("state", "step").distinct()) == {
        ("queued", "received")
    }

    with django_capture_on_commit_callbacks(execute=True):
        finished = client.post(f"{url}/finish")
    assert finished.status_code == 202, finished.content
    assert processed == [upload["id"]]
    done = client.get(url).json()
    assert (done["state"], done["total"], done["processed"]) == ("done", 450, 450)
    assert [f["name"] for f in done["files"]][:2] == ["note-0.txt", "note-1.txt"]
    assert done["files"][-1]["name"] == "a.png"
    assert done["files"][-1]["state"] == "done"
    assert Upload.objects.count() == 1
    assert case.images.count() == 1
    assert _quarantined(settings) == []


def test_it_holds_the_size_limit_for_the_whole_upload_across_requests(client, author, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    case = make_case(created_by=author)
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    first = client.post(f"{url}/files", {"files": [SimpleUploadedFile("a.bin", b"a" * 600)]})
    assert first.status_code == 200
    second = client.post(f"{url}/files", {"files": [SimpleUploadedFile("b.bin", b"b" * 600)]})
    message = _assert_error(second, 413, "too_large")
    assert "b.bin" in message
    assert "1,000 bytes" in message
    upload = Upload.objects.get()
    assert upload.state == Upload.State.RECEIVING  # the refused part changed nothing
    assert list(upload.files.values_list("name", flat=True)) == ["a.bin"]
    assert [p.read_bytes() for p in _quarantined(settings)] == [b"a" * 600]


def test_it_refuses_files_and_a_second_finish_once_an_upload_is_finished(
    client, author, processed, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    client.post(f"{url}/files", {"files": _notes(1)})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{url}/finish").status_code == 202
        _assert_error(client.post(f"{url}/finish"), 409, "conflict")
        late = client.post(f"{url}/files", {"files": _notes(1, 1)})
    assert len(processed) == 1
    assert "no longer receiving files" in _assert_error(late, 409, "conflict")
    assert Upload.objects.get().files.count() == 1


def test_it_refuses_to_finish_an_upload_without_files(client, author):
    case = make_case(created_by=author)
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    assert "at least one file" in _assert_error(client.post(f"{url}/finish"), 400, "bad_request")
    assert Upload.objects.get().state == Upload.State.RECEIVING


def test_a_cancelled_upload_is_wiped_at_once(client, author, settings):
    case = make_case(created_by=author)
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    client.post(f"{url}/files", {"files": _notes(3)})
    assert len(_quarantined(settings)) == 3
    cancelled = client.post(f"{url}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "failed"
    assert {f["state"] for f in cancelled.json()["files"]} == {"failed"}
    assert _quarantined(settings) == []
    _assert_error(client.post(f"{url}/cancel"), 409, "conflict")


def test_only_the_person_who_opened_an_upload_may_add_to_it(client, people):
    case = make_case(created_by=people["alice"])
    client.force_login(people["alice"])
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    client.force_login(people["charlie"])  # another author: may not even see it
    for action in ("files", "finish", "cancel"):
        _assert_error(client.post(f"{url}/{action}", {"files": _notes(1)}), 404, "not_found")
    client.force_login(people["erin"])  # an editor sees it, but it is not hers to fill
    _assert_error(client.post(f"{url}/files", {"files": _notes(1)}), 403, "forbidden")
    client.logout()
    _assert_error(client.post(f"{url}/finish"), 401, "unauthenticated")
    assert Upload.objects.get().files.count() == 0


def test_an_opening_request_may_carry_the_first_part(client, author):
    case = make_case(created_by=author)
    opened = client.post(f"/api/v1/cases/{case.number}/uploads?open=1", {"files": _notes(2)})
    assert opened.status_code == 201
    assert (opened.json()["state"], opened.json()["total"]) == ("receiving", 2)


def test_an_opening_request_whose_files_are_refused_leaves_nothing(client, author, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    case = make_case(created_by=author)
    url = f"/api/v1/cases/{case.number}/uploads?open=true"
    response = client.post(url, {"files": [SimpleUploadedFile("big.bin", b"x" * 2000)]})
    _assert_error(response, 413, "too_large")
    assert not Upload.objects.exists()  # nobody knows its id: it is not left open
    assert _quarantined(settings) == []


def test_a_single_request_without_files_is_refused(client, author):
    case = make_case(created_by=author)
    response = client.post(f"/api/v1/cases/{case.number}/uploads")
    assert "at least one file" in _assert_error(response, 400, "bad_request")
    assert not Upload.objects.exists()


def test_the_upload_form_over_the_per_request_limit_gives_a_clear_page(client, author, incoming):
    case = make_case(created_by=author)
    response = client.post(f"/cases/{case.number}/images/add/", {"files": _notes(201)})
    assert response.status_code == 413
    page = response.content.decode()
    assert "More than 200 files were sent at once" in page
    assert "put the folder in a zip" in page
    assert f'href="/cases/{case.number}/images/add/"' in page  # back to the form
    assert "<h1>Not accepted</h1>" in page
    assert not Upload.objects.exists()
    assert list(incoming.iterdir()) == []


def test_the_upload_form_takes_as_many_files_as_one_request_may_carry(
    client, author, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cases/{case.number}/images/add/", {"files": _notes(200)})
    assert response.status_code == 302
    assert Upload.objects.get().files.count() == 200


def test_the_upload_page_tells_the_script_how_to_split_a_folder(client, author, settings):
    settings.UPLOAD_PART_BYTES = 5_000_000
    case = make_case(created_by=author)
    page = client.get(f"/cases/{case.number}/images/add/").content.decode()
    assert 'data-part-files="200"' in page
    assert 'data-part-bytes="5000000"' in page
    assert "without JavaScript, choose at most 200 at a time" in page


@pytest.mark.parametrize(
    ("data", "content_type", "status", "needle"),
    [
        ("&".join(f"f{i}=x" for i in range(1001)), "form", 413, "Too many form fields"),
        ("x=" + "a" * 20_000, "form", 413, "more than 10,000 bytes"),
        (b"--b\r\nbroken", "multipart/form-data", 400, "could not be read"),
    ],
)
def test_every_form_page_answers_a_body_django_refuses_with_a_clear_page(
    client, settings, data, content_type, status, needle
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    if content_type == "form":
        content_type = "application/x-www-form-urlencoded"
    response = client.post("/accounts/login/", data, content_type=content_type)
    assert response.status_code == status
    page = response.content.decode()
    assert needle in page
    assert "<h1>Not accepted</h1>" in page


def test_the_api_answers_a_body_django_refuses_in_its_error_shape(client, author, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    case = make_case(created_by=author)
    url = f"/api/v1/cases/{case.number}/uploads"
    fields = client.post(url, "x=" + "a" * 200, content_type="application/x-www-form-urlencoded")
    assert "more than 100 bytes" in _assert_error(fields, 413, "too_large")
    body = client.post(url, "{" + " " * 200 + "}", content_type="application/json")
    assert "more than 100 bytes" in _assert_error(body, 413, "too_large")
    broken = client.post(url, b"--x\r\nbroken", content_type="multipart/form-data")
    _assert_error(broken, 400, "bad_request")


def test_the_status_page_shows_an_upload_still_receiving(client, author):
    case = make_case(created_by=author)
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    client.post(f"{url}/files", {"files": _notes(3)})
    upload = Upload.objects.get()
    page = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "Receiving: 3 files" in page
    assert "Processing starts when the last part has arrived" in page
    assert 'http-equiv="refresh"' in page


def test_the_status_page_shows_the_progress_of_the_whole_upload(
    client, author, django_capture_on_commit_callbacks
):
    case = make_case(created_by=author)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/cases/{case.number}/images/add/", {"files": _notes(4)})
    page = client.get(response["Location"]).content.decode()
    assert "Done: 4 of 4 files processed, 4 failed." in page
    assert '<progress max="4" value="4"' in page


def test_an_abandoned_open_upload_is_cancelled_and_wiped(author, settings):
    settings.UPLOAD_OPEN_MINUTES = 30
    case = make_case(created_by=author)
    stale, fresh = uploads.open_upload(case, author), uploads.open_upload(case, author)
    for upload in (stale, fresh):
        uploads.add_files(upload, _notes(2))
    Upload.objects.filter(pk=stale.pk).update(
        last_received=timezone.now() - dt.timedelta(minutes=31)
    )

    assert uploads.sweep_abandoned() == 1

    stale.refresh_from_db()
    assert stale.state == Upload.State.FAILED
    assert "no file arrived for 30 minutes" in stale.error
    assert set(stale.files.values_list("state", "quarantine")) == {("failed", "")}
    assert not (quarantine.root() / str(stale.pk)).exists()
    assert Upload.objects.get(pk=fresh.pk).state == Upload.State.RECEIVING
    assert len(list((quarantine.root() / str(fresh.pk)).iterdir())) == 2


def test_the_quarantine_sweep_keeps_the_files_of_an_open_upload(author):
    """A worker starting on another upload sweeps quarantine: an upload still receiving
    its parts keeps what it has received."""
    case = make_case(created_by=author)
    upload = uploads.open_upload(case, author)
    uploads.add_files(upload, _notes(2))
    leftover = quarantine.root() / "a-crashed-upload"
    leftover.mkdir()

    quarantine.sweep(keep=set())

    assert len(list((quarantine.root() / str(upload.pk)).iterdir())) == 2
    assert not leftover.exists()


def test_the_openapi_schema_describes_the_upload_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    create = paths["/api/v1/cases/{number}/uploads"]["post"]
    assert {"201", "202"} <= set(create["responses"])
    assert "open" in [p["name"] for p in create["parameters"]]
    for action in ("files", "finish", "cancel"):
        assert "post" in paths[f"/api/v1/uploads/{{upload_id}}/{action}"]
    upload = schema["components"]["schemas"]["UploadOut"]["properties"]
    assert "sent_bytes" in upload
