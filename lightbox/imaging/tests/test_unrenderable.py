"""A file whose pixels cannot be rendered is stored and marked, and stops nothing else.

pydicom's ``JPEG-lossy.dcm`` is 12-bit JPEG Extended: neither Pillow nor libjpeg as
installed decode it. Beside it, every other series still gets its key image; the reason is
one line, on the upload status and the image page; frames asked for later answer 404.
"""

import io
import logging
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from lightbox.imaging import frames, ingest
from lightbox.imaging.dicom.render import RenderError, render_file
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Instance, Upload
from lightbox.imaging.uploads import receive
from lightbox.lib.isolation import LimitExceeded
from lightbox.test import Named, Nobody, make_case

pytestmark = pytest.mark.django_db

LOSSY = Path(get_testdata_file("JPEG-lossy.dcm", download=False))
CT = Path(get_testdata_file("CT_small.dcm", download=False))


def _process(case, files, user=None) -> Upload:
    upload = receive(case, user or Nobody(), [Named(n, d) for n, d in files])
    return process_upload(upload.pk)


def _into_series(path: Path, like: Path, number: int, sop: str) -> bytes:
    """``path``'s pixels as instance ``number`` of ``like``'s series."""
    ds, series = pydicom.dcmread(path), pydicom.dcmread(like, stop_before_pixels=True)
    ds.StudyInstanceUID, ds.SeriesInstanceUID = series.StudyInstanceUID, series.SeriesInstanceUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = sop
    ds.InstanceNumber = number
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_it_stores_and_marks_an_unrenderable_file_and_shows_the_other_series(client, people):
    alice = people["alice"]
    case = make_case(created_by=alice)
    upload = _process(case, [("lossy.dcm", LOSSY.read_bytes()), ("ct.dcm", CT.read_bytes())])
    assert upload.state == Upload.State.DONE, upload.error
    lossy, ct = upload.files.get(name="lossy.dcm"), upload.files.get(name="ct.dcm")
    assert (lossy.state, ct.state, ct.error) == ("done", "done", "")
    reason = lossy.instance.render_error
    assert reason.startswith("cannot decode the pixel data")
    assert "\n" not in reason and len(reason) <= 300
    assert lossy.error == f"stored, but cannot be shown as a picture: {reason}"
    # Every series has its image: the CT's with its key frame (and it is the main one).
    ct_image = ct.instance.series.image
    assert ct_image.file and ct_image.thumbnail and ct_image.is_main
    lossy_image = lossy.instance.series.image
    assert not lossy_image.file and not lossy_image.is_main
    client.force_login(alice)
    status = client.get(f"/uploads/{upload.pk}/").content.decode()
    assert "stored, but cannot be shown as a picture: cannot decode the pixel data" in status


def test_the_key_frame_falls_back_to_the_nearest_instance_that_renders():
    case = make_case()
    series = [
        ("a.dcm", _into_series(CT, CT, 1, "1.2.826.0.1.77.1")),
        ("b.dcm", _into_series(LOSSY, CT, 2, "1.2.826.0.1.77.2")),  # the middle one
        ("c.dcm", _into_series(CT, CT, 3, "1.2.826.0.1.77.3")),
    ]
    upload = _process(case, series)
    assert upload.state == Upload.State.DONE
    image = case.images.get()
    assert image.file and image.width == 128  # the CT slice's frame, not nothing
    marked = Instance.objects.exclude(render_error="").values_list("instance_number", flat=True)
    assert list(marked) == [2]


def test_key_frames_are_rendered_by_the_limited_child_processes(monkeypatch):
    calls = []
    real = ingest._pool()

    class Recording:
        def __getattr__(self, name):
            return getattr(real, name)

        def run(self, fn, *args):
            calls.append(fn)
            return real.run(fn, *args)

    monkeypatch.setattr(ingest, "_pool", lambda: Recording())
    _process(make_case(), [("ct.dcm", CT.read_bytes())])
    assert calls == [render_file]


def test_a_render_that_breaks_a_limit_is_one_line_and_stops_nothing(monkeypatch):
    class OverLimit:
        def __getattr__(self, name):
            return getattr(ingest.Isolated, name)

        def map_unordered(self, fn, jobs):
            yield from real.map_unordered(fn, jobs)

        def run(self, fn, *args):
            raise LimitExceeded("processing took longer than 120 s")

    real = ingest._pool()
    monkeypatch.setattr(ingest, "_pool", lambda: OverLimit())
    case = make_case()
    upload = _process(case, [("ct.dcm", CT.read_bytes())])
    assert upload.state == Upload.State.DONE
    f = upload.files.get()
    assert f.instance.render_error == "processing took longer than 120 s"
    assert f.error == "stored, but cannot be shown as a picture: processing took longer than 120 s"


def test_a_frame_of_an_unrenderable_file_is_404_not_500(client, people, monkeypatch):
    """Not tried at ingest (the series' key frame is another instance's): the first
    request finds out, marks it, and later requests answer without decoding again."""
    case = make_case(created_by=people["alice"])
    client.force_login(people["alice"])  # a secondary capture: it waits for pixel review
    _process(
        case,
        [
            ("a.dcm", _into_series(CT, CT, 1, "1.2.826.0.1.78.1")),
            ("b.dcm", _into_series(CT, CT, 2, "1.2.826.0.1.78.2")),
            ("z.dcm", _into_series(LOSSY, CT, 9, "1.2.826.0.1.78.9")),
        ],
    )
    lossy = Instance.objects.get(instance_number=9)
    assert lossy.render_error == ""
    url = f"/cases/{case.number}/instances/{lossy.pk}/frames/1.png"
    assert client.get(url).status_code == 404
    lossy.refresh_from_db()
    assert lossy.render_error.startswith("cannot decode the pixel data")

    def fail(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(frames, "render_png", fail)
    assert client.get(url).status_code == 404
    # The stack without JavaScript steps over it; the page says why it is missing.
    page = client.get(f"/cases/{case.number}/images/{case.images.get().pk}/?frame=3")
    text = page.content.decode()
    assert f"/instances/{lossy.pk}/frames/" not in text
    assert "1 image of this series cannot be shown as a picture here" in text


def test_render_errors_are_one_line_and_log_no_traceback(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RenderError) as raised:
        render_file(LOSSY.read_bytes())
    assert "\n" not in str(raised.value)
    assert "pylibjpeg" in str(raised.value)  # which decoders were tried, and why each failed
    assert not [r for r in caplog.records if r.exc_info]


def test_a_malformed_number_of_frames_is_refused_in_one_line():
    bad = Path(get_testdata_file("badVR.dcm", download=False)).read_bytes()
    upload = _process(make_case(), [("bad.dcm", bad), ("ct.dcm", CT.read_bytes())])
    outcomes = {f.name: (f.state, f.error) for f in upload.files.all()}
    assert outcomes == {
        "bad.dcm": ("failed", "(0028,0008) Number of Frames is '1A', not a whole number"),
        "ct.dcm": ("done", ""),
    }
