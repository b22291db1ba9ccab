"""An image that upload files were sent for (an importer's captioned image whose original
is the DICOM) becomes the view of the series they land in, keeping its place, captions
and main flag; a second image sent for the same series keeps its own picture."""

import io

import pydicom
import pytest
from pydicom.data import get_testdata_file

from lightbox.imaging import uploads
from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Image, UploadFile
from lightbox.test import Named, Nobody, make_case, png_bytes

pytestmark = pytest.mark.django_db


def _slice(number: int) -> bytes:
    """A slice of one CT series: same study and series, its own SOP Instance UID."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.SOPInstanceUID = f"{ds.SOPInstanceUID}.{number}"
    ds.InstanceNumber = number
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _upload_for(case, sent_for: list[tuple[bytes, Image | None]]):
    upload = uploads.open_upload(case, Nobody())
    for n, (data, image) in enumerate(sent_for, 1):
        rows = uploads.add_files(upload, [Named(f"IM{n}", data)])
        if image is not None:
            UploadFile.objects.filter(pk=rows[0].pk).update(image=image)
    uploads.finish(upload, enqueue=False)
    return process_upload(upload.pk)


def test_the_series_fills_the_image_it_was_sent_for_in_its_place():
    case = make_case()
    first = add_image(case, png_bytes(), caption="Before", answer_caption="After", is_main=True)
    waiting = Image.objects.create(case=case, order=1, caption="Axial CT", answer_caption="Mass")
    last = add_image(case, png_bytes(color=30), caption="Last")
    assert _upload_for(case, [(_slice(1), waiting), (_slice(2), waiting)]).state == "done"
    waiting.refresh_from_db()
    assert waiting.series is not None and waiting.series.instance_count == 2
    assert (waiting.order, waiting.caption, waiting.answer_caption) == (1, "Axial CT", "Mass")
    assert waiting.file and waiting.thumbnail  # the key frame
    assert list(case.images.order_by("order")) == [first, waiting, last]  # none added
    assert first.series is None and case.images.get(is_main=True) == first


def test_a_picture_replaced_by_its_series_key_frame_and_a_second_one_kept():
    case = make_case()
    key = add_image(case, png_bytes(color=10), caption="Slice 1")
    other = add_image(case, png_bytes(color=20), caption="Slice 2")
    old_sha = key.sha256
    _upload_for(case, [(_slice(1), key), (_slice(2), other)])
    key.refresh_from_db()
    other.refresh_from_db()
    assert key.series is not None and key.sha256 != old_sha  # now the series' key frame
    assert other.series is None and other.caption == "Slice 2"  # its own picture stays
    assert case.images.count() == 2


def test_without_an_image_named_the_series_is_added_at_the_end():
    case = make_case()
    add_image(case, png_bytes(), caption="A picture")
    _upload_for(case, [(_slice(1), None)])
    shown = case.images.get(series__isnull=False)
    assert (shown.order, shown.caption) == (1, "")
