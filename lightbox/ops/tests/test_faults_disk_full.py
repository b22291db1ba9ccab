"""Fault drill: the disk fills up while something other than an upload writes.

Uploads and DICOM receive have their own drills (lightbox/imaging/tests/test_disk_full_*.py).
The other writers of stored files are covered here: an author masking burned-in text
(new DICOM files, pictures and thumbnails) and a bundle import (every file of every case).
Each must answer clearly and leave nothing half-written: no changed row, no file that
nothing refers to, nothing the reader would see half done.
"""

from __future__ import annotations

import errno
import io
import json
from pathlib import Path

import pydicom
import pytest
from django.core.management import CommandError, call_command
from pydicom.data import get_testdata_file

from lightbox.cases.models import Case
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, PixelReview
from lightbox.imaging.uploads import receive
from lightbox.lib.storage import AtomicFileSystemStorage
from lightbox.test import Named, make_case, png_bytes

# The disk of local storage fills up; files in a bucket are another drill
# (lightbox/lib/tests/test_s3.py: a failed upload in a batch).
pytestmark = [pytest.mark.django_db, pytest.mark.local_storage]

SERIES_UID = "1.2.826.0.1.3680043.9.7.1.77"


def _stored(settings) -> set[str]:
    """Every file under the media root, as names relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _fill_disk_after(monkeypatch, writes: int) -> list[str]:
    """Let ``writes`` more files be stored, then answer every write as a full disk would.
    Returns the names written meanwhile."""
    real_save = AtomicFileSystemStorage._save
    saved: list[str] = []

    def save(self, name, content):
        if len(saved) >= writes:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.location))
        saved.append(real_save(self, name, content))
        return saved[-1]

    monkeypatch.setattr(AtomicFileSystemStorage, "_save", save)
    return saved


def _burned_in_slice(number: int) -> Named:
    """A CT slice (pydicom's CT_small) declaring text burned into its pixels."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.SeriesInstanceUID = SERIES_UID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{SERIES_UID}.{number}"
    ds.InstanceNumber = number
    ds.BurnedInAnnotation = "YES"  # (0028,0301)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return Named(f"IM{number}.dcm", out.getvalue())


def test_a_full_disk_while_masking_a_series_masks_nothing_and_leaves_no_file(
    client, people, settings, monkeypatch
):
    alice = people["alice"]
    case = make_case(created_by=alice)
    process_upload(receive(case, alice, [_burned_in_slice(n) for n in (1, 2, 3)]).pk)
    image = case.images.get()
    assert image.pixel_review == PixelReview.NEEDED
    files_before = dict(Instance.objects.values_list("pk", "file"))
    stored_before = _stored(settings)

    written = _fill_disk_after(monkeypatch, 1)  # the first masked slice fits, then no more
    client.force_login(alice)
    rects = [{"x": 0, "y": 0, "width": 40, "height": 10}]
    response = client.post(
        f"/cases/{case.number}/images/{image.pk}/review/",
        {"action": "mask", "rects": json.dumps(rects)},
    )
    assert response.status_code == 200
    assert "Nothing masked: the server&#x27;s disk is full (No space left on device)" in (
        response.content.decode()
    )
    assert len(written) == 1  # one masked file was written before the disk filled ...
    assert _stored(settings) == stored_before  # ... and is gone again
    assert dict(Instance.objects.values_list("pk", "file")) == files_before
    assert set(Instance.objects.values_list("pixel_review", flat=True)) == {PixelReview.NEEDED}
    image.refresh_from_db()
    assert image.pixel_review == PixelReview.NEEDED  # still hidden from readers


def test_a_full_disk_while_masking_a_picture_keeps_the_picture_as_it_was(
    client, people, settings, monkeypatch
):
    alice = people["alice"]
    case = make_case(created_by=alice)
    process_upload(receive(case, alice, [Named("photo.png", png_bytes((80, 60)))]).pk)
    image = case.images.get()
    before = (image.file.name, image.thumbnail.name, image.sha256)
    stored_before = _stored(settings)

    _fill_disk_after(monkeypatch, 1)  # the masked picture fits, its thumbnail does not
    client.force_login(alice)
    response = client.post(
        f"/cases/{case.number}/images/{image.pk}/review/",
        {"action": "mask", "rects": json.dumps([{"x": 0, "y": 0, "width": 8, "height": 8}])},
    )
    assert response.status_code == 200
    assert "disk is full" in response.content.decode()
    assert _stored(settings) == stored_before
    image.refresh_from_db()
    assert (image.file.name, image.thumbnail.name, image.sha256) == before
    assert image.file.storage.exists(image.file.name)


def test_a_full_disk_during_a_bundle_import_keeps_no_half_case(
    people, settings, tmp_path, monkeypatch
):
    alice = people["alice"]
    first = make_case(created_by=alice, title="First of the bundle")
    second = make_case(first.series, created_by=alice, title="Second of the bundle")
    for case in (first, second):
        process_upload(receive(case, alice, [Named("a.png", png_bytes()),
                                             Named("b.png", png_bytes(color=30))]).pk)  # fmt: skip
    bundle = tmp_path / "library.zip"
    call_command("export_bundle", "--all", str(bundle), stdout=io.StringIO())
    cases_before = set(Case.objects.values_list("pk", flat=True))
    stored_before = _stored(settings)

    # Imported again under new numbers: the first case's files (2 pictures, 2 thumbnails)
    # fit, then the disk is full.
    _fill_disk_after(monkeypatch, 4)
    with pytest.raises(CommandError) as raised:
        call_command("import_bundle", str(bundle), "--renumber", stdout=io.StringIO())
    message = str(raised.value)
    assert "could not be stored (No space left on device): nothing of it was kept" in message
    assert "1 case(s) before it were imported" in message
    assert "/" not in message.split("could not be stored", 1)[1]  # no server path
    # The first case is whole; of the second there is no row and no file.
    [kept] = Case.objects.exclude(pk__in=cases_before)
    assert kept.title == "First of the bundle" and kept.images.count() == 2
    expected = {str(n) for i in kept.images.all() for n in (i.file.name, i.thumbnail.name)}
    assert _stored(settings) - stored_before == expected
