"""A full disk while an upload arrives: a clear answer, nothing queued, nothing left.

The disk is made full at the lowest call that writes: ``os.write`` and
``os.copy_file_range`` on a file inside quarantine, and the write of Django's own
temporary upload file, fail with ENOSPC after part of the bytes went in, as a real full
disk does.
"""

import errno
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files import uploadedfile
from django.core.files.uploadedfile import SimpleUploadedFile

from lightbox.imaging import quarantine
from lightbox.imaging.models import Upload
from lightbox.lib.disk import is_disk_full
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db

DISK_FULL = "The server is out of disk space"


@pytest.fixture
def author(client, people):
    client.force_login(people["alice"])
    return people["alice"]


@pytest.fixture
def incoming(settings, tmp_path):
    folder = tmp_path / "quarantine" / "incoming"
    folder.mkdir(parents=True)
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _in_quarantine(fd: int) -> bool:
    from django.conf import settings

    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return False
    return target.startswith(str(Path(settings.QUARANTINE_DIR)))


@pytest.fixture
def disk_full_after(monkeypatch):
    """Make the quarantine disk fill after ``n`` bytes have gone into it."""

    def arm(n: int) -> None:
        left = {"bytes": n}
        real_write, real_copy = os.write, os.copy_file_range

        def write(fd, data):
            if not _in_quarantine(fd):
                return real_write(fd, data)
            if left["bytes"] <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done = real_write(fd, bytes(data)[: left["bytes"]])
            left["bytes"] -= done
            return done

        def copy_file_range(src, dst, count, *args):
            if _in_quarantine(dst):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_copy(src, dst, count, *args)

        monkeypatch.setattr(os, "write", write)
        monkeypatch.setattr(os, "copy_file_range", copy_file_range)

    return arm


def _leftovers(settings):
    return [p for p in Path(settings.QUARANTINE_DIR).rglob("*") if p.is_file()]


def _files(count):
    return [SimpleUploadedFile(f"slice-{i}.dcm", os.urandom(4000)) for i in range(count)]


def test_the_api_answers_a_full_disk_with_507_and_keeps_nothing(
    client, author, settings, disk_full_after
):
    case = make_case(created_by=author)
    disk_full_after(6000)  # the second file fills it half-way
    response = client.post(f"/api/v1/cases/{case.number}/uploads", {"files": _files(3)})
    assert response.status_code == 507
    error = response.json()["error"]
    assert (error["code"], error["status"]) == ("insufficient_storage", 507)
    assert DISK_FULL in error["message"]
    assert not Upload.objects.exists()  # nothing queued, nothing half-received
    assert _leftovers(settings) == []


def test_the_upload_page_answers_a_full_disk_with_a_clear_message(
    client, author, settings, disk_full_after
):
    case = make_case(created_by=author)
    disk_full_after(6000)
    response = client.post(f"/cases/{case.number}/images/add/", {"files": _files(3)})
    assert response.status_code == 507
    assert DISK_FULL in response.content.decode()
    assert b'enctype="multipart/form-data"' in response.content  # the form, to try again
    assert not Upload.objects.exists()
    assert _leftovers(settings) == []


def test_a_full_disk_cancels_an_open_upload_and_wipes_what_it_received(
    client, author, settings, disk_full_after
):
    case = make_case(created_by=author)
    url = client.post(f"/api/v1/cases/{case.number}/uploads?open=true").json()["url"]
    assert client.post(f"{url}/files", {"files": _files(2)}).status_code == 200
    disk_full_after(1000)
    response = client.post(f"{url}/files", {"files": _files(2)})
    assert response.status_code == 507
    upload = Upload.objects.get()
    assert upload.state == Upload.State.FAILED
    assert DISK_FULL in upload.error
    assert set(upload.files.values_list("state", "quarantine")) == {("failed", "")}
    assert _leftovers(settings) == []
    assert client.post(f"{url}/files", {"files": _files(1)}).status_code == 409


@pytest.fixture
def temp_file_disk_full(monkeypatch):
    """Django's temporary upload files fill the disk: the second one fails half-way."""
    real = uploadedfile.tempfile.NamedTemporaryFile
    opened = []

    def named_temporary_file(*args, **kwargs):
        wrapper = real(*args, **kwargs)
        opened.append(wrapper.name)
        if len(opened) == 2:
            real_write = wrapper.write

            def write(data):
                real_write(data[:100])
                wrapper.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            wrapper.write = write
        return wrapper

    monkeypatch.setattr(uploadedfile.tempfile, "NamedTemporaryFile", named_temporary_file)
    return opened


@pytest.mark.parametrize("where", ["api", "page"])
def test_a_full_disk_while_django_writes_its_temporary_files_leaves_none(
    client, author, settings, incoming, temp_file_disk_full, where
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000  # every file goes to a temporary file
    case = make_case(created_by=author)
    url = {
        "api": f"/api/v1/cases/{case.number}/uploads",
        "page": f"/cases/{case.number}/images/add/",
    }
    response = client.post(url[where], {"files": _files(3)})
    assert response.status_code == 507
    body = response.content.decode()
    assert DISK_FULL in body
    if where == "api":
        assert response.json()["error"]["code"] == "insufficient_storage"
    assert len(temp_file_disk_full) == 2  # the second temporary file hit the full disk
    assert list(incoming.iterdir()) == []  # both removed at once, not an hour later
    assert not Upload.objects.exists()


def test_a_full_disk_while_a_zip_is_opened_fails_the_zip_and_keeps_nothing_of_it(
    client, author, settings, disk_full_after, django_capture_on_commit_callbacks
):
    members = io.BytesIO()
    with zipfile.ZipFile(members, "w") as z:
        for i in range(3):
            z.writestr(f"p{i}.png", png_bytes(color=10 * i))
    data = members.getvalue()
    case = make_case(created_by=author)
    # The zip itself goes in, then its first member, then the disk is full.
    disk_full_after(len(data) + len(png_bytes()) + 10)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/cases/{case.number}/uploads",
            {"files": [SimpleUploadedFile("study.zip", data)]},
        )
    assert response.status_code == 202
    upload = Upload.objects.get()
    assert upload.state == Upload.State.DONE
    rows = list(upload.files.order_by("order").values_list("name", "state", "error"))
    assert rows[0][:2] == ("study.zip", "failed")
    assert "ran out of disk space" in rows[0][2]
    assert [(name, state) for name, state, _ in rows[1:]] == [("study.zip/p0.png", "failed")]
    assert case.images.count() == 0
    assert _leftovers(settings) == []


def test_a_full_disk_in_the_kernel_copy_is_not_retried_another_way(
    tmp_path, settings, disk_full_after
):
    source = tmp_path / "slice.dcm"
    source.write_bytes(os.urandom(100_000))
    disk_full_after(10**9)  # os.write would succeed: only copy_file_range hits the full disk
    with source.open("rb") as fp, pytest.raises(OSError, match="No space left") as raised:
        quarantine.write("0f0e0d0c-0b0a-4908-8706-050403020100", 0, fp, limit=10**6)
    assert is_disk_full(raised.value)
    assert _leftovers(settings) == []
