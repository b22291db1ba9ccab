"""The DICOM receiver on the network: a real pynetdicom SCU sends to our SCP on loopback.

The server runs in a thread of the test process, on the test database (each association
has its own thread and database connection, as in ``manage.py dicom_receiver``).
"""

from __future__ import annotations

import io
import queue
import socket
import threading

import pydicom
import pytest
from django.core.management import CommandError, call_command
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import KeyObjectSelectionDocumentStorage, Verification  # type: ignore[attr-defined]

from lightbox.imaging.dicom.kos import example_manifest
from lightbox.imaging.models import Instance, ReceivedStudy, Upload
from lightbox.interchange.pacs.server import _NoDelayServer, check_ae_title, make_server
from lightbox.ops.tests.conftest import free_port
from lightbox.test import PLANTED_NAME, ct_slices, part10

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings, people):
    settings.DICOM_AE_AUTHORS = {"CT_WS1": "alice"}
    port = free_port()
    closed: queue.Queue = queue.Queue()
    server = make_server(
        "127.0.0.1", port, ae_title="LIGHTBOX", allowed=["CT_WS1"], on_close=closed.put
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, closed
    server.shutdown()


def _scu(calling: str = "CT_WS1") -> AE:
    ae = AE(ae_title=calling)
    ae.add_requested_context(CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
    ae.add_requested_context(KeyObjectSelectionDocumentStorage, ExplicitVRLittleEndian)
    ae.add_requested_context(Verification)
    return ae


def _datasets(files: list[bytes]) -> list[pydicom.Dataset]:
    return [pydicom.dcmread(io.BytesIO(f)) for f in files]


def test_it_answers_an_echo(receiver):
    port, _ = receiver
    assoc = _scu().associate("127.0.0.1", port, ae_title="LIGHTBOX")
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


def test_a_ct_series_sent_by_c_store_lands_as_a_de_identified_draft(receiver, people):
    port, closed = receiver
    files = ct_slices(5)
    assoc = _scu().associate("127.0.0.1", port, ae_title="LIGHTBOX")
    assert assoc.is_established
    statuses = [assoc.send_c_store(ds).Status for ds in _datasets(files)]
    assoc.release()
    assert statuses == [0x0000] * 5
    intake = closed.get(timeout=60)  # the association's end: its upload is processed
    assert intake.stored == 5
    study = ReceivedStudy.objects.select_related("case").get()
    assert study.case.created_by == people["alice"]
    assert Instance.objects.filter(series__study__case=study.case).count() == 5
    assert Upload.objects.get().state == "done"
    for instance in Instance.objects.all():
        with instance.file.open("rb") as fp:
            ds = pydicom.dcmread(fp)
        assert str(ds.PatientName) != PLANTED_NAME
        assert PLANTED_NAME.encode() not in instance.file.open("rb").read()
        assert ds.PatientIdentityRemoved == "YES"


def test_an_instance_that_cannot_be_read_gets_a_failure_status(receiver):
    port, closed = receiver
    ds = _datasets(ct_slices(1))[0]
    del ds.StudyInstanceUID
    assoc = _scu().associate("127.0.0.1", port, ae_title="LIGHTBOX")
    status = assoc.send_c_store(ds)
    assoc.release()
    assert status.Status == 0xC000
    assert "Study Instance UID" in str(status.ErrorComment)
    assert closed.get(timeout=30).refused == 1
    assert not ReceivedStudy.objects.exists()


def test_a_teaching_manifest_over_the_network(receiver):
    port, closed = receiver
    files = _datasets(ct_slices(3))
    manifest = _datasets(
        [
            part10(
                example_manifest(
                    [str(files[1].SOPInstanceUID)],
                    study_uid=str(files[0].StudyInstanceUID),
                    series_uid=str(files[0].SeriesInstanceUID),
                    note="Teach this one.",
                )
            )
        ]
    )[0]
    assoc = _scu().associate("127.0.0.1", port, ae_title="LIGHTBOX")
    statuses = [assoc.send_c_store(ds).Status for ds in [*files, manifest]]
    assoc.release()
    assert statuses == [0x0000] * 4
    closed.get(timeout=60)
    study = ReceivedStudy.objects.get()
    assert study.manifest == "complete" and study.note == "Teach this one."
    assert Instance.objects.count() == 1


def test_a_calling_ae_not_allowed_is_rejected(receiver):
    port, _ = receiver
    assoc = _scu("INTRUDER").associate("127.0.0.1", port, ae_title="LIGHTBOX")
    assert assoc.is_rejected
    assert not ReceivedStudy.objects.exists()


def test_accepted_sockets_have_nagle_turned_off():
    server = _NoDelayServer.__new__(_NoDelayServer)
    listener = socket.create_server(("127.0.0.1", 0))
    server.socket = listener
    server.ssl_context = None
    client = socket.create_connection(listener.getsockname())
    try:
        accepted, _ = server.get_request()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        accepted.close()
    finally:
        client.close()
        listener.close()


@pytest.mark.parametrize("title", ["", "   ", "A" * 17, "BACK\\SLASH", "TAB\tX", "ÉCHO"])
def test_invalid_ae_titles_are_refused(title):
    with pytest.raises(ValueError, match="not a valid"):
        check_ae_title(title)


def test_the_command_needs_a_port(settings):
    settings.DICOM_PORT = 0
    with pytest.raises(CommandError, match="LIGHTBOX_DICOM_PORT"):
        call_command("dicom_receiver")


def test_the_command_refuses_a_bad_ae_title_in_one_line(settings):
    settings.DICOM_AE_TITLE = "FAR TOO LONG AN AE TITLE"
    with pytest.raises(CommandError) as caught:
        call_command("dicom_receiver", port=free_port())
    assert "LIGHTBOX_DICOM_AE_TITLE" in str(caught.value) and "\n" not in str(caught.value)


def test_the_command_refuses_a_bad_case_series(settings):
    settings.DICOM_CASE_SERIES = "PACS-1"
    with pytest.raises(CommandError, match="LIGHTBOX_DICOM_CASE_SERIES"):
        call_command("dicom_receiver", port=free_port())


def test_the_command_says_when_the_port_is_taken():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"cannot listen on 127.0.0.1:{port}"):
            call_command("dicom_receiver", port=port)


def test_garbage_on_the_port_leaves_the_receiver_answering(receiver):
    port, _ = receiver
    for junk in (b"GET / HTTP/1.1\r\n\r\n", b"\x01\x00" + b"\xff" * 4000, b""):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(junk)
    assoc = _scu().associate("127.0.0.1", port, ae_title="LIGHTBOX")
    assert assoc.is_established and assoc.send_c_echo().Status == 0x0000
    assoc.release()
    assert not ReceivedStudy.objects.exists()
