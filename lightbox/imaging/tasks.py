"""Background work for images, run by the task worker (django.tasks).

The tasks call into :mod:`lightbox.imaging.ingest`, never the other way round: whoever
queues an upload's processing (:func:`lightbox.imaging.uploads.finish`, :func:`recover`
at worker start) imports this module.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.tasks import task
from django.utils import timezone

from lightbox.imaging import ingest, received
from lightbox.imaging.lease import lease_seconds
from lightbox.imaging.models import Upload


@task
def process_upload(upload_id: str) -> str:
    """De-identify, group, render and store every file of an upload. Idempotent.

    When another live process owns the upload (``import_dicom``, another worker), this
    does nothing now and looks again once that owner's lease would have run out, so an
    upload whose owner dies is still finished.
    """
    upload = ingest.process_upload(upload_id)
    if upload.state in (Upload.State.QUEUED, Upload.State.PROCESSING):
        _look_again_later(upload)
    elif upload.received_from:
        # Received from a PACS: a teaching-file manifest may have waited for these images.
        received.refresh_case(upload.case_id)
    return upload.state


def _look_again_later(upload: Upload) -> None:
    backend = process_upload.get_backend()
    if not backend.supports_defer:
        return  # the next worker start recovers it (see recover)
    beat = upload.heartbeat or timezone.now()
    later = beat + dt.timedelta(seconds=lease_seconds() + 1)
    process_upload.using(run_after=max(later, timezone.now())).enqueue(str(upload.pk))


def recover() -> int:
    """At worker start: wipe what crashed work left behind and queue again every upload
    that never finished (see :func:`lightbox.imaging.ingest.clear_leftovers`). Returns
    how many."""
    return _queue(ingest.clear_leftovers())


def requeue_unfinished() -> int:
    """Queue again every upload that never finished, touching no file: for a worker that
    finds the queue came back after an outage (a Redis restarted), which may have lost
    the tasks it held. An upload still queued, or taken by a live owner, costs one task
    that finds nothing to do (see :func:`lightbox.imaging.lease.claim`). Returns how
    many."""
    unfinished = Upload.objects.filter(state__in=[Upload.State.QUEUED, Upload.State.PROCESSING])
    return _queue(list(unfinished.values_list("pk", flat=True)))


def _queue(upload_ids: list[Any]) -> int:
    for pk in upload_ids:
        process_upload.enqueue(str(pk))
    return len(upload_ids)
