"""Pixel review belongs to each instance: a flagged file added later to a clean series is
never served to readers, by any download path, until its authors review it."""

import io
import json
import zipfile

import pydicom
import pytest
from django.core.exceptions import ValidationError
from pydicom.data import get_testdata_file

from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Image, Instance, PixelReview
from lightbox.imaging.uploads import receive
from lightbox.test import Named, make_case

pytestmark = pytest.mark.django_db

SERIES_UID = "1.2.826.0.1.3680043.9.7.1.55"


def _slice(number: int, *, burned_in: bool = False) -> Named:
    """A CT slice of one series (pydicom's CT_small), with its own SOP Instance UID."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.SeriesInstanceUID = SERIES_UID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{SERIES_UID}.{number}"
    ds.InstanceNumber = number
    ds.PixelData = (ds.pixel_array + 50 * number).astype(ds.pixel_array.dtype).tobytes()
    if burned_in:
        ds.BurnedInAnnotation = "YES"  # (0028,0301): text in the pixels
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return Named(f"IM{number}.dcm", out.getvalue())


def _upload(case, author, files):
    upload = receive(case, author, files)
    return process_upload(upload.pk)


@pytest.fixture
def series_with_a_late_flagged_instance(people):
    """A clean 3-slice CT series, published; then a second upload adds to the same series
    a slice marked BurnedInAnnotation YES, which sorts first so that the key frame (the
    middle of the stack) stays what it was."""
    alice = people["alice"]
    case = make_case(created_by=alice)
    _upload(case, alice, [_slice(n) for n in (1, 2, 3)])
    image = case.images.get()
    assert image.pixel_review == PixelReview.NOT_NEEDED
    key_before = image.sha256
    _upload(case, alice, [_slice(0, burned_in=True)])
    image.refresh_from_db()
    assert image.sha256 == key_before  # the key frame did not change
    late = Instance.objects.get(series=image.series, instance_number=0)
    assert late.pixel_review == PixelReview.NEEDED
    return case, image, late


def _zip_members(response) -> list[str]:
    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_it_never_serves_a_flagged_instance_added_to_a_clean_series(
    client, series_with_a_late_flagged_instance
):
    case, image, late = series_with_a_late_flagged_instance
    n = case.number
    assert image.pixel_review == PixelReview.NEEDED  # the series needs review again
    assert client.get(f"/cases/{n}/images/{image.pk}/series.zip").status_code == 404
    assert client.get(f"/cases/{n}/instances/{late.pk}.dcm").status_code == 404
    assert client.get(f"/cases/{n}/instances/{late.pk}/frames/1.png").status_code == 404
    assert client.get(f"/cases/{n}/images/{image.pk}/manifest.json").status_code == 404
    assert client.get(f"/cases/{n}/images/{image.pk}/thumb").status_code == 404
    assert client.get(f"/cases/{n}/images/{image.pk}/").status_code == 404
    assert "awaiting pixel review" in client.get(case.get_absolute_url()).content.decode()


def test_it_blocks_publication_until_the_late_instance_is_reviewed(
    client, people, series_with_a_late_flagged_instance
):
    case, image, late = series_with_a_late_flagged_instance
    case.status = "draft"
    case.save()
    case.status = "published"
    assert case.publication_blockers()
    with pytest.raises(ValidationError):
        case.full_clean()
    client.force_login(people["alice"])
    client.post(f"/cases/{case.number}/images/{image.pk}/review/", {"action": "confirm"})
    assert case.publication_blockers() == []
    client.logout()
    case.save()
    response = client.get(f"/cases/{case.number}/images/{image.pk}/series.zip")
    assert response.status_code == 200 and len(_zip_members(response)) == 4


def test_confirming_acts_on_the_instances_that_need_it(
    client, people, series_with_a_late_flagged_instance
):
    case, image, late = series_with_a_late_flagged_instance
    client.force_login(people["alice"])
    client.post(f"/cases/{case.number}/images/{image.pk}/review/", {"action": "confirm"})
    states = dict(Instance.objects.filter(series=image.series).values_list("pk", "pixel_review"))
    assert states.pop(late.pk) == PixelReview.CONFIRMED
    assert set(states.values()) == {PixelReview.NOT_NEEDED}  # the clean ones stay as they were
    image.refresh_from_db()
    assert image.pixel_review == PixelReview.CONFIRMED


def test_masking_changes_only_the_instances_that_need_it(
    client, people, series_with_a_late_flagged_instance, django_capture_on_commit_callbacks
):
    case, image, late = series_with_a_late_flagged_instance
    clean = {i.pk: i.sha256 for i in Instance.objects.filter(series=image.series) if i != late}
    client.force_login(people["alice"])
    page = client.get(f"/cases/{case.number}/images/{image.pk}/review/").content.decode()
    # The author sees (and draws on) the instance under review, not the unchanged key image.
    assert f"/cases/{case.number}/instances/{late.pk}/frames/1.png" in page
    rects = json.dumps([{"x": 0, "y": 0, "width": 20, "height": 10}])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/cases/{case.number}/images/{image.pk}/review/", {"action": "mask", "rects": rects}
        )
    late.refresh_from_db()
    assert late.pixel_review == PixelReview.MASKED
    pixels = pydicom.dcmread(late.file.open("rb")).pixel_array
    assert int(pixels[:10, :20].max()) == int(pixels.min())  # blacked out
    assert int(pixels[:10, 20:].max()) > int(pixels.min())
    for pk, sha256 in clean.items():
        instance = Instance.objects.get(pk=pk)
        assert (instance.sha256, instance.pixel_review) == (sha256, PixelReview.NOT_NEEDED)
    image.refresh_from_db()
    assert image.pixel_review == PixelReview.MASKED
    client.logout()
    response = client.get(f"/cases/{case.number}/instances/{late.pk}.dcm")
    assert response.status_code == 200


# Each download path checks the instance's own state, whatever the image says: here the
# image is made to say "not needed" while one instance still needs review (a window the
# ingest closes in one transaction, or rows from before review was per instance).


@pytest.fixture
def inconsistent(series_with_a_late_flagged_instance):
    case, image, late = series_with_a_late_flagged_instance
    Image.objects.filter(pk=image.pk).update(pixel_review=PixelReview.NOT_NEEDED)
    image.refresh_from_db()
    return case, image, late


def test_the_series_zip_leaves_out_an_instance_needing_review(client, people, inconsistent):
    case, image, late = inconsistent
    url = f"/cases/{case.number}/images/{image.pk}/series.zip"
    assert len(_zip_members(client.get(url))) == 3
    client.force_login(people["alice"])  # its author may download it all
    assert len(_zip_members(client.get(url))) == 4


def test_the_instance_file_of_an_instance_needing_review_is_404(client, people, inconsistent):
    case, image, late = inconsistent
    assert client.get(f"/cases/{case.number}/instances/{late.pk}.dcm").status_code == 404
    client.force_login(people["alice"])
    assert client.get(f"/cases/{case.number}/instances/{late.pk}.dcm").status_code == 200


def test_a_frame_of_an_instance_needing_review_is_404(client, inconsistent):
    case, image, late = inconsistent
    assert client.get(f"/cases/{case.number}/instances/{late.pk}/frames/1.png").status_code == 404


def test_the_viewer_manifest_leaves_out_an_instance_needing_review(client, people, inconsistent):
    case, image, late = inconsistent
    url = f"/cases/{case.number}/images/{image.pk}/manifest.json"
    ids = client.get(url).json()["stacks"][0]["imageIds"]
    assert len(ids) == 3 and f"/instances/{late.pk}.dcm" not in " ".join(ids)
    client.force_login(people["alice"])
    assert len(client.get(url).json()["stacks"][0]["imageIds"]) == 4


def test_the_stack_without_javascript_leaves_out_an_instance_needing_review(client, inconsistent):
    case, image, late = inconsistent
    for frame in range(1, 5):
        html = client.get(f"/cases/{case.number}/images/{image.pk}/?frame={frame}")
        text = html.content.decode()
        assert f"/instances/{late.pk}/frames/" not in text
    assert "of 3" in text


def test_a_clean_instance_of_a_series_under_review_is_hidden_too(
    client, series_with_a_late_flagged_instance
):
    """The series is hidden as a whole until every instance is reviewed."""
    case, image, late = series_with_a_late_flagged_instance
    clean = Instance.objects.filter(series=image.series).exclude(pk=late.pk).first()
    assert client.get(f"/cases/{case.number}/instances/{clean.pk}.dcm").status_code == 404
    assert client.get(f"/cases/{case.number}/instances/{clean.pk}/frames/1.png").status_code == 404


def test_the_thumbnail_of_a_series_needing_review_is_404_for_readers(
    client, people, series_with_a_late_flagged_instance
):
    case, image, _ = series_with_a_late_flagged_instance
    assert client.get(image.get_thumbnail_url()).status_code == 404
    client.force_login(people["alice"])
    assert client.get(image.get_thumbnail_url()).status_code == 200
