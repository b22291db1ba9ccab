"""The DICOM network side of the receiver: a pynetdicom C-STORE SCP (and C-ECHO).

:func:`make_server` builds the server; whoever calls it runs ``serve_forever()`` and stops
it with ``shutdown()`` (``manage.py dicom_receiver`` does both). Each association gets its
own :class:`~lightbox.interchange.pacs.intake.Intake`, which takes the instances into the
upload pipeline and is closed when the association ends, however it ends (release, abort,
a dropped connection), once.

Every accepted socket has ``TCP_NODELAY`` set: DICOM is request and response, and with
Nagle's algorithm each small response waits for the peer's delayed acknowledgement,
about 40 ms per message — a CT series would arrive at some 25 images a second.
Deflated transfer syntaxes are not offered, so no instance is inflated in this process
(de-identification, in its limited child, reads each file; see
:mod:`lightbox.imaging.dicom.prepare`).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection
from pydicom.dataset import Dataset
from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, StoragePresentationContexts, evt
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import ThreadedAssociationServer

from lightbox.interchange.pacs.intake import CANNOT_UNDERSTAND, Intake, Refused

__all__ = ["Summary", "check_ae_title", "make_server"]

logger = logging.getLogger(__name__)

# Everything but Deflated Explicit VR Little Endian (see the module docstring).
TRANSFER_SYNTAXES = [ts for ts in ALL_TRANSFER_SYNTAXES if ts != "1.2.840.10008.1.2.1.99"]
# The largest PDU we accept: 0, no limit. pynetdicom reads one PDU per turn of a polling
# loop, so a peer that may send an image in one PDU costs fewer turns per image.
MAX_PDU = 0
# The (0000,0902) Error Comment is LO: 64 characters.
ERROR_COMMENT = 64


def check_ae_title(title: str, what: str = "AE title") -> str:
    """``title`` as DICOM allows an AE title (1–16 characters of printable ASCII, no
    backslash, not only spaces), stripped; or ``ValueError`` saying why.

    >>> check_ae_title(" LIGHTBOX ")
    'LIGHTBOX'
    >>> check_ae_title("A\\\\B")
    Traceback (most recent call last):
    ...
    ValueError: 'A\\\\B' is not a valid AE title: 1 to 16 printable ASCII characters, no backslash
    """
    stripped = title.strip()
    if (
        not stripped
        or len(stripped) > 16
        or "\\" in stripped
        or not all(32 <= ord(c) < 127 for c in stripped)
    ):
        raise ValueError(
            f"{title!r} is not a valid {what}: 1 to 16 printable ASCII characters, no backslash"
        )
    return stripped


class _NoDelayServer(ThreadedAssociationServer):
    """pynetdicom's threaded server with TCP_NODELAY on every accepted socket."""

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        client, address = super().get_request()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return client, address


class Summary:
    """What the server has received since it started, for its log and for tests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.associations = self.stored = self.refused = self.manifests = 0

    def add(self, intake: Intake) -> None:
        with self.lock:
            self.associations += 1
            self.stored += intake.stored
            self.refused += intake.refused
            self.manifests += intake.manifests


def make_server(
    host: str,
    port: int,
    *,
    ae_title: str,
    allowed: list[str],
    summary: Summary | None = None,
    on_close: Callable[[Intake], None] | None = None,
) -> ThreadedAssociationServer:
    """A C-STORE and C-ECHO SCP listening on ``host:port`` as ``ae_title``, accepting
    associations from the calling AE titles in ``allowed`` (any when empty). Not yet
    serving: call its ``serve_forever()``, and ``shutdown()`` (which also closes it) to
    stop."""
    # pynetdicom logs UIDs and, at debug level, whole data sets: never in our logs.
    logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    ae = AE(ae_title=check_ae_title(ae_title))
    ae.maximum_pdu_size = MAX_PDU
    ae.require_calling_aet = [check_ae_title(a, "calling AE title") for a in allowed]
    for context in StoragePresentationContexts:
        ae.add_supported_context(str(context.abstract_syntax), TRANSFER_SYNTAXES)
    ae.add_supported_context(Verification)
    intakes: dict[int, tuple[Intake, float]] = {}
    lock = threading.Lock()
    summary = summary or Summary()

    def intake_of(event: Any) -> Intake:
        key = id(event.assoc)
        with lock:
            if key not in intakes:
                calling = event.assoc.requestor.ae_title
                intakes[key] = (Intake(str(calling)), time.monotonic())
            return intakes[key][0]

    def handle_store(event: Any) -> Dataset | int:
        intake = intake_of(event)
        try:
            return intake.store(event.encoded_dataset(include_meta=True))
        except Refused as e:
            intake.refused += 1
            logger.warning("refused an instance from %s: %s", intake.calling_ae, e.message)
            return _status(e.status, e.message)
        except Exception as e:
            intake.refused += 1
            logger.exception("could not take an instance from %s", intake.calling_ae)
            return _status(CANNOT_UNDERSTAND, f"not received ({e.__class__.__name__})")

    def handle_close(event: Any) -> None:
        with lock:
            found = intakes.pop(id(event.assoc), None)
        try:
            if found is None:
                return
            intake, started = found
            intake.close()
            summary.add(intake)
            logger.info(
                "%s: received %d instance(s)%s%s in %.1f s",
                intake.calling_ae,
                intake.stored,
                f", {intake.manifests} teaching-file manifest(s)" if intake.manifests else "",
                f", refused {intake.refused}" if intake.refused else "",
                time.monotonic() - started,
            )
            if on_close is not None:
                on_close(intake)
        except Exception:
            logger.exception(
                "could not finish what %s sent", found[0].calling_ae if found else "?"
            )
        finally:
            close_old_connections()
            connection.close()

    # A release or an abort is handled in the association's own thread, the one that
    # stored its instances (and so holds its database connection); a connection that
    # just drops is handled when pynetdicom notices it closed, in another thread.
    handlers: list[Any] = [
        (evt.EVT_C_STORE, handle_store),
        (evt.EVT_RELEASED, handle_close),
        (evt.EVT_ABORTED, handle_close),
        (evt.EVT_CONN_CLOSE, handle_close),
    ]
    server = ae.make_server((host, port), evt_handlers=handlers, server_class=_NoDelayServer)
    # As AE.start_server does: the server's shutdown() takes itself off this list.
    ae._servers.append(server)
    return server


def _status(status: int, message: str) -> Dataset:
    reply = Dataset()
    reply.Status = status
    reply.ErrorComment = message[:ERROR_COMMENT]
    return reply
