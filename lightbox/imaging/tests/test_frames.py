"""Web images of single frames: rendered on first request, kept, and behind the case's
access check; the viewer page steps through them without JavaScript."""

import io

import pydicom
import pytest
from django.core.files.storage import storages
from PIL import Image as PILImage
from pydicom.data import get_testdata_file

from lightbox.imaging import frames
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, PixelReview
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, make_case

pytestmark = pytest.mark.django_db


def _slices(count: int) -> list[Named]:
    """A stack of ``count`` CT slices from pydicom's CT_small, one series."""
    files = []
    for n in range(count):
        ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"1.2.826.0.1.3680043.9.7{n}"
        ds.InstanceNumber = count - n  # arrive in reverse: the stack is sorted
        ds.PixelData = (ds.pixel_array + 100 * n).astype(ds.pixel_array.dtype).tobytes()
        out = io.BytesIO()
        ds.save_as(out, enforce_file_format=True)
        files.append(Named(f"IM{n}.dcm", out.getvalue()))
    return files


def _stack(count: int = 3, **case_fields):
    case = make_case(**case_fields)
    upload = receive(case, Nobody(), _slices(count))
    process_upload(upload.pk)
    return case, case.images.get()


def _png(response) -> PILImage.Image:
    return PILImage.open(io.BytesIO(b"".join(response.streaming_content)))


def test_a_frame_is_rendered_once_then_served_from_storage(client, monkeypatch):
    case, _ = _stack(1)
    instance = Instance.objects.get(series__study__case=case)
    url = f"/cases/{case.number}/instances/{instance.pk}/frames/1.png"
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "image/png"
    assert _png(first).size == (128, 128)
    assert storages["derived"].exists(frames.frame_name(instance, 0))

    def fail(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(frames, "render_png", fail)
    again = client.get(url)
    assert again.status_code == 200 and _png(again).size == (128, 128)


def test_frames_out_of_range_are_404(client):
    case, _ = _stack(1)
    instance = Instance.objects.get(series__study__case=case)
    for frame in (0, 2, 99):
        url = f"/cases/{case.number}/instances/{instance.pk}/frames/{frame}.png"
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(("status", "visibility"), [("draft", "public"), ("published", "private")])
def test_frames_of_hidden_cases_are_404(client, status, visibility):
    case, _ = _stack(1, status=status, visibility=visibility)
    instance = Instance.objects.get(series__study__case=case)
    assert (
        client.get(f"/cases/{case.number}/instances/{instance.pk}/frames/1.png").status_code == 404
    )
    assert not storages["derived"].exists(frames.frame_name(instance, 0))


def test_frames_needing_pixel_review_are_hidden_from_readers(client):
    case, _ = _stack(1)
    instance = Instance.objects.get(series__study__case=case)
    Instance.objects.filter(pk=instance.pk).update(pixel_review=PixelReview.NEEDED)
    assert (
        client.get(f"/cases/{case.number}/instances/{instance.pk}/frames/1.png").status_code == 404
    )


def test_a_frame_is_only_found_under_its_own_case(client):
    case, _ = _stack(1)
    other = make_case()
    instance = Instance.objects.get(series__study__case=case)
    assert (
        client.get(f"/cases/{other.number}/instances/{instance.pk}/frames/1.png").status_code
        == 404
    )


def test_without_javascript_the_viewer_steps_through_the_stack(client):
    case, image = _stack(3)
    ordered = list(Instance.objects.filter(series__study__case=case).order_by("instance_number"))
    html = client.get(image.get_absolute_url()).content.decode()
    # Opens on the key image, the middle of the stack, with links either way.
    assert f"/instances/{ordered[1].pk}/frames/1.png" in html
    assert 'href="?frame=1" rel="prev"' in html and 'href="?frame=3" rel="next"' in html
    html = client.get(image.get_absolute_url(), {"frame": "1"}).content.decode()
    assert f"/instances/{ordered[0].pk}/frames/1.png" in html
    assert 'rel="prev"' not in html
    # Out of range or not a number: clamped, or the key image; never an error.
    for asked, expected in (("999", ordered[2]), ("-4", ordered[0]), ("x", ordered[1])):
        page = client.get(image.get_absolute_url(), {"frame": asked})
        assert page.status_code == 200
        assert f"/instances/{expected.pk}/frames/1.png" in page.content.decode()
    frame = client.get(f"/cases/{case.number}/instances/{ordered[0].pk}/frames/1.png")
    assert frame.status_code == 200


def test_masking_replaces_the_frames_rendered_before(client, django_capture_on_commit_callbacks):
    from lightbox.imaging.review import Rect, mask

    case, image = _stack(1)
    instance = Instance.objects.get(series__study__case=case)
    url = f"/cases/{case.number}/instances/{instance.pk}/frames/1.png"
    before = _png(client.get(url)).convert("L")
    old = frames.frame_name(instance, 0)
    assert storages["derived"].exists(old)
    with django_capture_on_commit_callbacks(execute=True):
        mask(image, [Rect(0, 0, 64, 64)])
    assert not storages["derived"].exists(old)  # the unmasked picture is gone
    after = _png(client.get(url)).convert("L")
    corner = after.crop((0, 0, 64, 64))
    assert corner.getextrema()[0] == corner.getextrema()[1]  # one flat masked value
    assert after.crop((64, 64, 128, 128)).tobytes() == before.crop((64, 64, 128, 128)).tobytes()
