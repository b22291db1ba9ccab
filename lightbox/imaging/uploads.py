"""Receiving an upload: the cheap part that runs in the web request.

Only what must happen before the browser gets its answer: names made safe, each file's
bytes copied into the quarantine area under the size limit, an :class:`Upload` row with one
:class:`UploadFile` per file, and the processing task enqueued by id once the upload is
finished. Everything else happens in the worker (:mod:`lightbox.imaging.ingest`).

An upload may arrive in one request (:func:`receive`) or in several: :func:`open_upload`,
then :func:`add_files` once per part, then :func:`finish`, which queues it exactly once.
Its lifecycle::

    receiving --finish--> queued --worker--> processing --> done | failed
    receiving --cancel, a full disk, or idle past UPLOAD_OPEN_MINUTES--> failed

``MAX_UPLOAD_BYTES`` holds for the whole upload, whatever the number of parts. Every
refusal is a :class:`NotReceived` whose message can be shown as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lightbox.cases.models import Case
from lightbox.imaging import quarantine
from lightbox.imaging.models import Upload, UploadFile
from lightbox.imaging.tasks import process_upload
from lightbox.lib.archive import safe_name
from lightbox.lib.disk import is_disk_full

__all__ = [
    "DISK_FULL",
    "DiskFull",
    "NoFiles",
    "NotOpen",
    "NotReceived",
    "TooLarge",
    "add_files",
    "cancel",
    "discard",
    "finish",
    "forget_names",
    "open_upload",
    "receive",
    "record_quarantined",
    "reserve",
    "sweep_abandoned",
]

DISK_FULL = (
    "The server is out of disk space, so nothing of this upload was kept. "
    "Tell the administrator, then try again."
)


class NotReceived(ValueError):
    """Files were not received; the message says why, for the person who sent them.
    ``status`` is the HTTP status that answers it."""

    status = 400


class TooLarge(NotReceived):
    """A file, or the upload as a whole, is over the configured limit."""

    status = 413


class DiskFull(NotReceived):
    """The disk holding the quarantine area is full: the upload was cancelled and wiped."""

    status = 507


class NotOpen(NotReceived):
    """The upload is no longer receiving files (finished, cancelled or abandoned)."""

    status = 409


class NoFiles(NotReceived):
    """An upload cannot be finished before it has a file."""

    status = 400


def receive(case: Case, user: Any, files: Iterable[Any], *, enqueue: bool = True) -> Upload:
    """Quarantine ``files`` (Django ``UploadedFile`` objects or anything with ``name`` and
    ``read``) as a new upload of ``case`` and enqueue its processing (unless not
    ``enqueue``: the caller processes it itself, as ``import_dicom`` does).

    All or nothing: when any file is refused, or the disk fills, the upload and its
    quarantined bytes are removed and the :class:`NotReceived` is raised.
    """
    upload = open_upload(case, user)
    try:
        add_files(upload, files)
        return finish(upload, enqueue=enqueue)
    except BaseException:
        discard(upload)
        raise


def discard(upload: Upload) -> None:
    """Remove an upload that nobody has heard of yet (its first request failed): its
    rows and its quarantined bytes, as if it had never been opened."""
    Upload.objects.filter(pk=upload.pk).delete()
    quarantine.wipe_upload(upload.pk)


def open_upload(case: Case, user: Any) -> Upload:
    """A new upload of ``case``, receiving files and not yet processed.

    It is committed before any byte is written, so that the quarantine sweep of a
    worker processing another upload always sees whose bytes these are.
    """
    return Upload.objects.create(
        case=case,
        created_by=user if user.is_authenticated else None,
        state=Upload.State.RECEIVING,
        last_received=timezone.now(),
    )


def add_files(upload: Upload, files: Iterable[Any]) -> list[UploadFile]:
    """Quarantine ``files`` as more files of the open ``upload``; returns their rows.

    The part is all or nothing: a refused file leaves none of the part's bytes behind
    and the upload open, as it was. A full disk cancels the whole upload at once (its
    quarantine wiped, its rows failed), as nothing more can be received.

    Raises
    ------
    TooLarge
        The upload, with these files, would pass ``MAX_UPLOAD_BYTES``.
    NotOpen
        The upload is not receiving files.
    DiskFull
        The disk filled; the upload is cancelled.
    """
    files = list(files)
    limit = settings.MAX_UPLOAD_BYTES
    start, sent = _reserve(upload, len(files))
    rows: list[UploadFile] = []
    try:
        for order, uploaded in enumerate(files, start):
            name = safe_name(uploaded.name or "", fallback=f"file-{order + 1}")
            try:
                relative, size = quarantine.write(upload.pk, order, uploaded, limit - sent)
            except ValueError:
                raise TooLarge(_too_large(name, limit)) from None
            sent += size
            rows.append(
                UploadFile(upload=upload, order=order, name=name, size=size, quarantine=relative)
            )
        with transaction.atomic():
            # The write takes the row's lock: parts arriving together are counted in turn.
            if not _still_open(upload).update(last_received=timezone.now()):
                raise _not_open(upload)
            if upload.sent_bytes() + sum(r.size for r in rows) > limit:
                raise TooLarge(_too_large(rows[-1].name, limit))
            UploadFile.objects.bulk_create(rows, batch_size=500)
    except BaseException as e:
        for row in rows:
            quarantine.wipe(row.quarantine)
        if is_disk_full(e):
            cancel(upload, DISK_FULL)
            raise DiskFull(DISK_FULL) from e
        if isinstance(e, OSError) and not _still_open(upload).exists():
            raise _not_open(upload) from e  # cancelled while its bytes were arriving
        raise
    return rows


def reserve(upload: Upload, count: int) -> int:
    """Hand out ``count`` orders (quarantine names) of the open ``upload`` at once;
    returns the first. For a caller that writes files one at a time
    (:func:`lightbox.imaging.quarantine.write`) and records them in batches
    (:func:`record_quarantined`), as the DICOM receiver does. Raises :class:`NotOpen`."""
    return _reserve(upload, count)[0]


def record_quarantined(upload: Upload, rows: list[UploadFile]) -> None:
    """Record files already written to the open ``upload``'s quarantine folder, under
    orders from :func:`reserve`, as its files: one transaction for the batch.

    All or nothing, like :func:`add_files`: when the batch is refused its files are wiped.

    Raises
    ------
    TooLarge
        The upload, with these files, would pass ``MAX_UPLOAD_BYTES``.
    NotOpen
        The upload is not receiving files.
    """
    if not rows:
        return
    limit = settings.MAX_UPLOAD_BYTES
    try:
        with transaction.atomic():
            if not _still_open(upload).update(last_received=timezone.now()):
                raise _not_open(upload)
            if upload.sent_bytes() + sum(r.size for r in rows) > limit:
                raise TooLarge(_too_large(rows[-1].name, limit))
            UploadFile.objects.bulk_create(rows, batch_size=500)
    except BaseException:
        for row in rows:
            quarantine.wipe(row.quarantine)
        raise


def finish(upload: Upload, *, enqueue: bool = True) -> Upload:
    """Close the open ``upload`` and queue its processing, once (or, without
    ``enqueue``, leave it queued for a caller that processes it itself).

    Raises
    ------
    NotOpen
        The upload was already finished or cancelled.
    NoFiles
        The upload has no file yet; it stays open.
    """
    with transaction.atomic():
        if not _still_open(upload).update(state=Upload.State.QUEUED):
            raise _not_open(upload)
        if not upload.files.exists():
            raise NoFiles("Add at least one file before finishing the upload.")
        if enqueue:
            transaction.on_commit(lambda: process_upload.enqueue(str(upload.pk)))
    upload.refresh_from_db()
    return upload


def cancel(upload: Upload, reason: str) -> bool:
    """Cancel an open upload: its rows failed with ``reason``, its quarantine wiped at
    once. Whether it was open (a finished upload is left alone)."""
    now = timezone.now()
    with transaction.atomic():
        cancelled = _still_open(upload).update(
            state=Upload.State.FAILED, error=reason, finished=now
        )
        if cancelled:
            UploadFile.objects.filter(upload_id=upload.pk, state=UploadFile.State.QUEUED).update(
                state=UploadFile.State.FAILED, error=reason, quarantine=""
            )
    if cancelled:
        quarantine.wipe_upload(upload.pk)
    return bool(cancelled)


def sweep_abandoned(now: dt.datetime | None = None) -> int:
    """Cancel every open upload that has received nothing for ``UPLOAD_OPEN_MINUTES`` (a
    browser closed half-way, a client that never finished). The worker runs this as it
    starts and then every minute. Returns how many were cancelled."""
    minutes = settings.UPLOAD_OPEN_MINUTES
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=minutes)
    stale = Upload.objects.filter(state=Upload.State.RECEIVING, last_received__lt=cutoff)
    reason = (
        f"Cancelled: no file arrived for {minutes} minutes and the upload was never "
        "finished. Nothing of it was kept; upload the files again."
    )
    return sum(cancel(upload, reason) for upload in stale)


def forget_names(now: dt.datetime | None = None) -> int:
    """Forget the names files were uploaded under, ``UPLOAD_NAMES_DAYS`` after their
    upload finished: a folder or picture may be named after the patient. Each name
    becomes ``file N`` (its place in the upload), in the file's row and in every message
    of the upload that mentions it. The worker runs this with its sweep. Returns how many
    uploads were changed."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.UPLOAD_NAMES_DAYS)
    due = Upload.objects.filter(
        state__in=[Upload.State.DONE, Upload.State.FAILED],
        finished__lte=cutoff,
        names_forgotten=False,
    )
    count = 0
    for upload in due.iterator():
        with transaction.atomic():
            files = list(upload.files.select_for_update())
            plain = {f.name: f"file {f.order + 1}" for f in files if f.name}
            # Longest first, so that "scan.dcm" inside "zip/scan.dcm" is not half replaced.
            names = sorted(plain, key=len, reverse=True)
            for f in files:
                f.name = plain.get(f.name, f.name)
                f.error = _replace_all(f.error, names, plain)
            UploadFile.objects.bulk_update(files, ["name", "error"], batch_size=500)
            Upload.objects.filter(pk=upload.pk).update(
                names_forgotten=True, error=_replace_all(upload.error, names, plain)
            )
        count += 1
    return count


def _replace_all(text: str, names: list[str], plain: dict[str, str]) -> str:
    for name in names:
        if name in text:
            text = text.replace(name, plain[name])
    return text


def _reserve(upload: Upload, count: int) -> tuple[int, int]:
    """Hand out ``count`` orders of the open upload; returns (first order, bytes sent so
    far)."""
    with transaction.atomic():
        reserved = _still_open(upload).update(
            next_order=F("next_order") + count, last_received=timezone.now()
        )
        if not reserved:
            raise _not_open(upload)
        upload.refresh_from_db(fields=["next_order"])
        return upload.next_order - count, upload.sent_bytes()


def _still_open(upload: Upload) -> Any:
    return Upload.objects.filter(pk=upload.pk, state=Upload.State.RECEIVING)


def _not_open(upload: Upload) -> NotOpen:
    state = Upload.objects.filter(pk=upload.pk).values_list("state", flat=True).first()
    label = Upload.State(state).label.lower() if state else "gone"
    return NotOpen(f"This upload is no longer receiving files (it is {label}).")


def _too_large(name: str, limit: int) -> str:
    return (
        f"{name}: the upload would be larger than its limit of {limit:,} bytes "
        f"({limit // (1024 * 1024):,} MiB); send fewer files in this upload."
    )
