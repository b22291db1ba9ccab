"""Orthanc → Lightbox: Debian's Orthanc, on loopback, sends a CT series to our receiver by
C-STORE (its REST "send to modality"), as an institution forwarding from its PACS would.
The series lands as a draft case, de-identified."""

from __future__ import annotations

import queue
import threading

import pytest

from lightbox.imaging.models import Instance, ReceivedStudy, Upload
from lightbox.interchange.pacs import orthanc
from lightbox.interchange.pacs.server import make_server
from lightbox.ops.tests.conftest import free_port
from lightbox.test import PLANTED_NAME, ct_slices

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lightbox_receiver(settings, people):
    settings.DICOM_AE_AUTHORS = {"ORTHANC": "alice"}
    port = free_port()
    closed: queue.Queue = queue.Queue()
    server = make_server(
        "127.0.0.1", port, ae_title="LIGHTBOX", allowed=["ORTHANC"], on_close=closed.put
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port, closed
    server.shutdown()


def test_orthanc_forwards_a_ct_series_that_lands_de_identified(
    lightbox_receiver, people, tmp_path
):
    if orthanc.binary() is None:
        pytest.skip("Debian's orthanc is not installed (apt-get install orthanc)")
    port, closed = lightbox_receiver
    files = ct_slices(12, size=128)
    modalities = {"lightbox": ("LIGHTBOX", "127.0.0.1", port)}
    with orthanc.Orthanc(tmp_path / "orthanc", free_port(), free_port(), modalities) as pacs:
        stored = pacs.upload(files)
        study = {s["ParentStudy"] for s in stored}
        assert len(study) == 1
        pacs.send("lightbox", sorted(study))
        intake = closed.get(timeout=120)
    assert intake.calling_ae == "ORTHANC" and intake.stored == 12
    received = ReceivedStudy.objects.select_related("case").get()
    assert received.case.created_by == people["alice"]
    assert received.instances_received == 12
    assert Upload.objects.get().state == "done"
    instances = Instance.objects.filter(series__study__case=received.case)
    assert instances.count() == 12
    for instance in instances:
        data = instance.file.open("rb").read()
        assert PLANTED_NAME.encode() not in data and b"ZZMRN0001" not in data
    assert received.case.images.get().file  # its key image was rendered
