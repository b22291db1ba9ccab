"""Receiving an upload: the cheap part that runs in the web request.

Only what must happen before the browser gets its answer: names made safe, each file's
bytes copied into the quarantine area under the size limit, an :class:`Upload` row with one
:class:`UploadFile` per file, and the processing task enqueued by id once the rows are
committed. Everything else happens in the worker (:mod:`lightbox.imaging.ingest`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from lightbox.cases.models import Case
from lightbox.imaging import quarantine
from lightbox.imaging.models import Upload, UploadFile
from lightbox.lib.archive import safe_name

__all__ = ["TooLarge", "receive"]


class TooLarge(ValueError):
    """A file, or the upload as a whole, is over the configured limit."""


def receive(case: Case, user: Any, files: Iterable[Any], *, enqueue: bool = True) -> Upload:
    """Quarantine ``files`` (Django ``UploadedFile`` objects or anything with ``name`` and
    ``read``) as a new upload of ``case`` and enqueue its processing (unless not
    ``enqueue``: the caller processes it itself, as ``import_dicom`` does)."""
    from lightbox.imaging.tasks import process_upload

    upload = Upload(case=case, created_by=user if user.is_authenticated else None)
    total = 0
    try:
        with transaction.atomic():
            upload.save()
            rows = []
            for order, uploaded in enumerate(files):
                try:
                    relative, size = quarantine.write(
                        upload.pk, order, uploaded, settings.MAX_UPLOAD_BYTES - total
                    )
                except ValueError as e:
                    raise TooLarge(f"{safe_name(uploaded.name)}: {e}") from None
                total += size
                rows.append(
                    UploadFile(
                        upload=upload,
                        order=order,
                        name=safe_name(uploaded.name or "", fallback=f"file-{order + 1}"),
                        size=size,
                        quarantine=relative,
                    )
                )
            UploadFile.objects.bulk_create(rows, batch_size=500)
            if enqueue:
                transaction.on_commit(lambda: process_upload.enqueue(str(upload.pk)))
    except BaseException:
        # The rows are rolled back; the quarantined bytes go too.
        quarantine.wipe_upload(upload.pk)
        raise
    return upload
