"""Pixel review: mask burned-in text in the stored pixels, or confirm there is none."""

import io
import json
from pathlib import Path

import pydicom
import pytest
from PIL import Image as PILImage

from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Image, Instance, PixelReview
from lightbox.imaging.uploads import receive
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db

ULTRASOUND = (
    Path(__import__("deid_data").__file__).parent / "data" / "ultrasounds" / "GREYSCALE_IMAGE.dcm"
)


class Named(io.BytesIO):
    name = "us.dcm"


@pytest.fixture
def flagged(people):
    case = make_case(created_by=people["alice"])
    upload = receive(case, people["alice"], [Named(ULTRASOUND.read_bytes())])
    process_upload(upload.pk)
    image = case.images.get()
    assert image.pixel_review == PixelReview.NEEDED
    return image


def test_the_review_list_shows_flagged_images_to_their_author(client, people, flagged):
    client.force_login(people["alice"])
    html = client.get(f"/cases/{flagged.case.number}/review/").content.decode()
    assert f"/cases/{flagged.case.number}/images/{flagged.pk}/review/" in html


def test_masking_changes_the_stored_pixels_of_every_frame(
    client, people, flagged, django_capture_on_commit_callbacks
):
    client.force_login(people["alice"])
    instance = Instance.objects.get(series=flagged.series)
    old_name = instance.file.name
    old_key = [flagged.file.name, flagged.thumbnail.name]
    rects = [{"x": 0, "y": 0, "width": 200, "height": 40}]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/cases/{flagged.case.number}/images/{flagged.pk}/review/",
            {"action": "mask", "rects": json.dumps(rects)},
        )
    assert response.status_code == 302
    instance.refresh_from_db()
    assert instance.pixel_review == PixelReview.MASKED
    ds = pydicom.dcmread(instance.file.open("rb"))
    pixels = ds.pixel_array
    assert (pixels[:40, :200] == pixels.min(axis=(0, 1))).all()
    assert ds.BurnedInAnnotation == "NO"
    assert not instance.file.storage.exists(old_name)
    # The key image and thumbnail rendered before masking show the text: gone too.
    assert not any(flagged.file.storage.exists(name) for name in old_key)
    flagged.refresh_from_db()
    assert flagged.pixel_review == PixelReview.MASKED
    client.logout()
    assert client.get(flagged.get_file_url()).status_code == 200  # readers see it now


def test_confirming_unblocks_publication(client, people, flagged):
    case = flagged.case
    case.status = "draft"
    case.save()
    case.status = "published"
    assert case.publication_blockers()
    client.force_login(people["alice"])
    client.post(f"/cases/{case.number}/images/{flagged.pk}/review/", {"action": "confirm"})
    assert case.publication_blockers() == []


@pytest.mark.parametrize(
    "data",
    [
        {"action": "mask", "rects": "not json"},
        {"action": "mask", "rects": "[]"},
        {"action": "mask", "x": "a", "y": "0", "width": "1", "height": "1"},
        {"action": "mask", "rects": json.dumps([{"x": 5000, "y": 5000, "width": 5, "height": 5}])},
        {"action": "mask", "rects": '[{"x": 1e999, "y": 0, "width": 5, "height": 5}]'},
        {"action": "mask", "rects": json.dumps([{"x": 0, "y": 0, "width": 10**20, "height": 5}])},
        {"action": "mask", "rects": "[" * 100_000},
        {"action": "mask", "rects": '{"x": 0}'},
        {"action": "mask", "rects": "[1, 2]"},
        {"action": "mask", "x": "²", "y": "0", "width": "1", "height": "1"},
    ],
)
def test_bad_rectangles_change_nothing(client, people, flagged, data):
    client.force_login(people["alice"])
    response = client.post(f"/cases/{flagged.case.number}/images/{flagged.pk}/review/", data)
    assert response.status_code == 200
    assert "Nothing masked" in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.pixel_review == PixelReview.NEEDED


def test_a_picture_can_be_masked_with_the_plain_form(client, people):
    case = make_case(created_by=people["alice"])
    image = add_image(case, png_bytes((100, 50), color=200))
    Image.objects.filter(pk=image.pk).update(pixel_review=PixelReview.NEEDED)
    client.force_login(people["alice"])
    client.post(
        f"/cases/{case.number}/images/{image.pk}/review/",
        {"action": "mask", "x": "0", "y": "0", "width": "30", "height": "20"},
    )
    image.refresh_from_db()
    assert image.pixel_review == PixelReview.MASKED
    with PILImage.open(image.file.open("rb")) as picture:
        assert picture.getpixel((5, 5)) == 0
        assert picture.getpixel((60, 40)) == 200


def test_outsiders_cannot_review(client, people, flagged):
    url = f"/cases/{flagged.case.number}/images/{flagged.pk}/review/"
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(people["charlie"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "confirm"}).status_code == 404


def test_pixel_review_decisions_are_audited(client, people, flagged):
    from lightbox.audit.models import AuditEntry

    case, image = flagged.case, flagged
    client.force_login(people["alice"])
    client.post(f"/cases/{case.number}/images/{image.pk}/review/", {"action": "confirm"})
    entry = AuditEntry.objects.get(action="pixel_review")
    assert entry.actor == people["alice"] and entry.data["decision"] == "confirmed"
    assert entry.target_id == case.number


def test_a_masked_image_gets_a_new_address_so_no_browser_shows_the_old_pixels(
    client, people, django_capture_on_commit_callbacks
):
    """Image files are cached for a day: the address must change with the pixels."""
    case = make_case(created_by=people["alice"])
    image = add_image(case, png_bytes((64, 32), 200), is_main=True)
    before = (image.get_file_url(), image.get_thumbnail_url())
    client.force_login(people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/cases/{case.number}/images/{image.pk}/review/",
            {"action": "mask", "x": "0", "y": "0", "width": "8", "height": "8"},
        )
    image.refresh_from_db()
    after = (image.get_file_url(), image.get_thumbnail_url())
    assert image.pixel_review == PixelReview.MASKED
    assert before[0] != after[0] and before[1] != after[1]
    assert client.get(after[0]).status_code == 200
