"""Processing an upload: the task worker's side of "drop files on a case".

An :class:`~lightbox.imaging.models.Upload` moves ``queued → processing → done`` (or
``failed`` when the upload as a whole cannot be processed; a bad *file* only fails that
file). Each :class:`~lightbox.imaging.models.UploadFile` goes through named steps, each
recorded on the row so the status panel can show where it is and where it stopped:

1. **read** — sniff the bytes (never the name); a zip is expanded into more files;
2. **deidentify** — in a limited child process (:mod:`lightbox.lib.isolation`), the
   DICOM is de-identified and checked, or the picture re-encoded without metadata;
3. **group** — into study and series by the re-mapped Study/Series Instance UIDs;
4. **store** — the de-identified bytes, atomically, with their SHA-256;
5. **index** — the instance row, then per series its counts and order;
6. **render** — per series the key image (the middle frame) and its thumbnail, which
   the case page shows. Every other frame's web image is rendered when first asked for
   and kept (:mod:`lightbox.imaging.frames`): a 1,000-slice CT is not rendered 1,000
   times before anyone looks, and the viewer reads the DICOM itself.

The quarantined original is wiped after each file, whatever happened to it. Re-running
an upload is idempotent: done files are skipped and an instance already stored (same
re-mapped SOP Instance UID in the same series) is found, not duplicated. A SOP Instance
UID met twice is stored once, per file and never failing the batch: the same bytes again
are *skipped* ("same file as IM1.dcm"), different bytes under the same UID *fail* with
the name of the file that was kept.

One process owns an upload at a time (:mod:`lightbox.imaging.lease`). What stops an
upload as a whole (a full disk, an unexpected error) fails it with a clear message,
fails every file not yet processed, and wipes its quarantined and staged files at once.
A file whose pixels cannot be rendered is stored and marked (``Instance.render_error``);
the series shows the nearest instance that renders.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from lightbox.cases.models import Case, Modality
from lightbox.deid import DeidPolicy
from lightbox.imaging import quarantine
from lightbox.imaging.dicom.prepare import (
    PreparedDicom,
    PreparedPicture,
    RejectedFile,
    SkippedFile,
    prepare_path,
    sniff,
)
from lightbox.imaging.dicom.render import Rendered, RenderError, one_line, render_file
from lightbox.imaging.lease import Lease, LeaseLost, claim
from lightbox.imaging.models import (
    Image,
    Instance,
    PixelReview,
    Series,
    Study,
    Upload,
    UploadFile,
)
from lightbox.lib.archive import ArchiveError, ArchiveTooLarge, Limits, iter_zip
from lightbox.lib.disk import disk_full_reason, is_disk_full
from lightbox.lib.isolation import Isolated, LimitExceeded, Outcome, WorkerCrashed
from lightbox.lib.schema import concrete_field
from lightbox.lib.storage import StagedFile, fsync_path

__all__ = [
    "abandon",
    "clear_leftovers",
    "deid_policy",
    "process_upload",
    "render_key_frame",
    "sweep_orphans",
    "warm_up",
]

logger = logging.getLogger(__name__)
Step = UploadFile.Step


def deid_policy(case_number: str) -> DeidPolicy:
    """The per-install policy; the pseudonym names the case, never the patient."""
    return DeidPolicy(
        secret=settings.DEID_SECRET.encode(),
        pseudonym_name=f"LIGHTBOX^{case_number}",
        pseudonym_id=case_number,
    )


def process_upload(upload_id: Any, progress: Callable[[UploadFile], None] | None = None) -> Upload:
    """Process every queued file of the upload; ``progress`` is told of each finished one.

    Returns the upload as it is now. When it is finished, or another live process owns
    it, nothing is processed and it is returned as found (still queued or processing
    while that other owner works on it).

    Raises
    ------
    Exception
        An unexpected error, after the upload has been failed (see the module docstring).
        A full disk is no surprise: the upload is failed and returned, not raised.
    """
    lease = claim(upload_id)
    upload = Upload.objects.select_related("case__series").get(pk=upload_id)
    if lease is None:
        return upload
    staging = _staging_path(upload.pk, lease)
    try:
        _clear_staging(upload.pk, keep=staging)
        _process(upload, lease, staging, progress)
    except LeaseLost:
        logger.warning("upload %s: another process took it over; this one stops", upload.pk)
    except Exception as e:
        if _stop(upload, lease, e):
            raise
    except BaseException:
        # Interrupted (Ctrl-C, the worker told to stop): the quarantined files stay, and
        # recovery runs the upload again (import_dicom abandons its own, see abandon).
        raise
    else:
        Upload.objects.filter(pk=upload.pk).update(
            state=Upload.State.DONE, error="", finished=timezone.now()
        )
        quarantine.wipe_upload(upload.pk)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with contextlib.suppress(DatabaseError):
            lease.release()
    upload.refresh_from_db()
    return upload


def _process(
    upload: Upload, lease: Lease, staging: Path, progress: Callable[[UploadFile], None] | None
) -> None:
    quarantine.sweep({str(pk) for pk in _unfinished()})
    policy = deid_policy(upload.case.number)
    groups = _Groups(upload)
    pool = _pool()
    with ThreadPoolExecutor(2, thread_name_prefix="fsync") as syncer:
        while queued := list(upload.files.filter(state=UploadFile.State.QUEUED)):
            ready = list(_read_step(upload, queued, progress))
            jobs = (
                (f, (str(quarantine.path_of(f.quarantine)), f.kind, policy, str(staging)))
                for f in ready
            )
            batch = _Batch(upload, groups, syncer, lease)
            outcomes = pool.map_unordered(prepare_path, jobs)
            for outcome in _in_given_order(outcomes, ready, lease.beat):
                if batch.add(outcome.key, outcome.value, outcome.error):
                    _report(batch.flush(), progress)
            _report(batch.flush(), progress)
    _index_series(groups.touched, lease.beat)
    _note_unrenderable(upload)


def _in_given_order(
    outcomes: Iterable[Outcome[UploadFile, Any]],
    files: list[UploadFile],
    beat: Callable[[], None],
) -> Iterator[Outcome[UploadFile, Any]]:
    """``outcomes`` in the order ``files`` were given, whatever order the children finish
    them in: of two files with one SOP Instance UID the one given first is kept, and that
    must not depend on timing. An outcome waits only for slower files given before it
    (a DICOM outcome holds a staged path, not its bytes). ``beat`` is called as each
    outcome arrives."""
    position = {id(f): i for i, f in enumerate(files)}
    waiting: dict[int, Outcome[UploadFile, Any]] = {}
    due = 0
    for outcome in outcomes:
        beat()
        waiting[position[id(outcome.key)]] = outcome
        while due in waiting:
            yield waiting.pop(due)
            due += 1


def _stop(upload: Upload, lease: Lease, error: Exception) -> bool:
    """Fail the upload as a whole after ``error``: a clear message, every file not yet
    processed failed, its quarantined originals wiped at once. Returns whether the error
    was unexpected (the caller raises it again); a full disk is expected."""
    reason = disk_full_reason(error)
    if reason:
        logger.error("upload %s stopped: the disk is full (%s)", upload.pk, reason)
        message = (
            f"the server's disk is full ({reason}): processing stopped. Free some space, "
            "then upload the files that were not processed again."
        )
        not_processed = "not processed: the server's disk is full"
    else:
        logger.exception("upload %s failed", upload.pk)
        message = f"processing stopped: {one_line(str(error)) or error.__class__.__name__}"
        not_processed = "not processed: processing of the upload stopped"
    if not Upload.objects.filter(pk=upload.pk, owner=lease.token).exists():
        return reason is None  # taken over meanwhile: the new owner carries on
    # Identified bytes do not wait, and wiping them is what frees space first.
    quarantine.wipe_upload(upload.pk)
    try:
        with transaction.atomic():
            Upload.objects.filter(pk=upload.pk).update(
                state=Upload.State.FAILED, error=message, finished=timezone.now()
            )
            upload.files.filter(state=UploadFile.State.QUEUED).update(
                state=UploadFile.State.FAILED, error=not_processed, quarantine=""
            )
    except DatabaseError as e:
        # A full disk can refuse this write too; recovery fails the files later (their
        # quarantined bytes are gone) and the log says why.
        logger.error("upload %s: could not record that it failed (%s)", upload.pk, e)
    return reason is None


def abandon(upload_id: Any, reason: str) -> None:
    """Fail an upload that nobody will finish (the command that processed it was
    interrupted): every unfinished file failed, its quarantined files wiped."""
    quarantine.wipe_upload(upload_id)
    with transaction.atomic():
        unfinished = Upload.objects.filter(
            pk=upload_id,
            owner="",
            state__in=[Upload.State.QUEUED, Upload.State.PROCESSING],
        )
        if unfinished.update(state=Upload.State.FAILED, error=reason, finished=timezone.now()):
            UploadFile.objects.filter(upload_id=upload_id, state=UploadFile.State.QUEUED).update(
                state=UploadFile.State.FAILED, error=f"not processed: {reason}", quarantine=""
            )


_POOL: tuple[tuple[int, int, int], Isolated] | None = None


def _pool() -> Isolated:
    """The limited child processes, kept between uploads: started once per worker (see
    :func:`warm_up`), rebuilt if the settings change."""
    global _POOL
    limits = (settings.INGEST_WORKERS, settings.INGEST_MEMORY_MB, settings.INGEST_SECONDS)
    if _POOL is None or _POOL[0] != limits:
        if _POOL is not None:
            _POOL[1].close()
        pool = Isolated(
            workers=limits[0],
            memory_bytes=limits[1] * 1024 * 1024,
            seconds=limits[2],
            preload=["lightbox.imaging.dicom.prepare"],
        )
        _POOL = (limits, pool)
    return _POOL[1]


def warm_up() -> None:
    """Start the child processes before the first upload arrives (the worker calls this
    as it starts), so that upload does not wait for them to import their decoders."""
    _pool().warm()


def clear_leftovers() -> list[Any]:
    """At worker start: wipe what crashed work left in quarantine and staging, and
    return the ids of every upload that never finished, whose files are kept so that
    :func:`lightbox.imaging.tasks.recover` can queue them again (processing is
    idempotent)."""
    unfinished = _unfinished()
    quarantine.sweep({str(pk) for pk in unfinished})
    _sweep_staging()
    sweep_orphans()
    return unfinished


def sweep_orphans(older_than: float = 3600.0) -> int:
    """Delete stored instance files no row points at (a kill between storing a file and
    committing its row leaves one); returns how many were removed.

    Walks ``dicom/<case>/<series>/`` through the storage API, so it works the same on local
    disk and in a bucket: one listing per folder, and the age of a file is asked for only
    when no row names it (a file younger than ``older_than`` seconds may belong to a batch
    still being committed).
    """
    storage = default_storage
    cutoff = timezone.now() - timedelta(seconds=older_than)
    removed = 0
    for folder in _series_folders(storage):
        try:
            _, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        names = {f"{folder}/{name}" for name in files if not name.startswith(".")}
        if not names:
            continue
        series_id = int(folder.rpartition("/")[2])
        known = set(Instance.objects.filter(series_id=series_id).values_list("file", flat=True))
        for orphan in sorted(names - known):
            try:
                if storage.get_modified_time(orphan) >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            storage.delete(orphan)
            removed += 1
    if removed:
        logger.warning("removed %d stored file(s) that no instance pointed at", removed)
    return removed


def _series_folders(storage: Storage) -> Iterator[str]:
    """``dicom/<case id>/<series id>`` for every such folder in ``storage``."""
    try:
        cases, _ = storage.listdir("dicom")
    except FileNotFoundError:
        return
    for case in cases:
        if not case.isdigit():
            continue
        try:
            series, _ = storage.listdir(f"dicom/{case}")
        except FileNotFoundError:
            continue
        yield from (f"dicom/{case}/{s}" for s in series if s.isdigit())


def _report(files: list[UploadFile], progress: Callable[[UploadFile], None] | None) -> None:
    if progress:
        for f in files:
            progress(f)


def _staging_path(upload_id: Any, lease: Lease) -> Path:
    """This owner's folder for the de-identified files between the child and storage.

    One per owner, so that an owner never removes another's files; what owners that
    stopped left behind is removed when taking over (:func:`_clear_staging`) and by
    :func:`recover`.
    """
    return Path(settings.STAGING_DIR) / f"{upload_id}.{_nonce(lease.token)}"


def _clear_staging(upload_id: Any, keep: Path) -> None:
    """Remove what earlier owners of the upload left in staging; make ``keep``."""
    for stale in keep.parent.glob(f"{upload_id}.*"):
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
    keep.mkdir(parents=True, exist_ok=True)


def _nonce(token: str) -> str:
    return token.rpartition(":")[2]


def _sweep_staging() -> None:
    """Remove staged files that no live owner of an unfinished upload is using: what a
    crash left between the child and storage (including loose files of older versions)."""
    root = Path(settings.STAGING_DIR)
    if not root.is_dir():
        return
    owners = {
        str(pk): owner
        for pk, owner in Upload.objects.filter(
            state__in=[Upload.State.QUEUED, Upload.State.PROCESSING]
        ).values_list("pk", "owner")
    }
    for entry in root.iterdir():
        upload_id, _, nonce = entry.name.partition(".")
        owner = owners.get(upload_id, "")
        if entry.is_dir() and owner and _nonce(owner) == nonce:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _unfinished() -> list[Any]:
    return list(
        Upload.objects.filter(
            state__in=[Upload.State.QUEUED, Upload.State.PROCESSING]
        ).values_list("pk", flat=True)
    )


def _mark(f: UploadFile, state: str, error: str) -> None:
    """Record a file's outcome in memory and wipe its quarantined bytes."""
    quarantine.wipe(f.quarantine)
    f.state, f.error, f.quarantine = state, error[:1000], ""


def _fail(f: UploadFile, error: str) -> None:
    _mark(f, UploadFile.State.FAILED, error)
    f.save(update_fields=["kind", "state", "error", "quarantine", "step"])


def _read_step(
    upload: Upload, files: list[UploadFile], progress: Callable[[UploadFile], None] | None
) -> Iterator[UploadFile]:
    """Sniff each file; expand zips; yield the files that go on to be prepared."""
    for f in files:
        if _read_one(upload, f):
            yield f
        elif progress:
            progress(f)


def _read_one(upload: Upload, f: UploadFile) -> bool:
    """Whether the file goes on to be prepared; a zip is expanded, a bad file failed."""
    f.step = Step.READ
    try:
        with quarantine.path_of(f.quarantine).open("rb") as fp:
            head = fp.read(8192)
    except (OSError, ValueError):
        _fail(f, "the uploaded bytes are missing (the upload was interrupted)")
        return False
    f.kind = sniff(head)
    if f.kind == "zip":
        _expand_zip(upload, f)
        return False
    if f.kind == "svg":
        _fail(f, "SVG images are not accepted: they can carry script")
        return False
    if f.kind == "unknown":
        _fail(f, "not a DICOM file or a JPEG, PNG, GIF, WebP or TIFF image")
        return False
    f.step = Step.DEIDENTIFY  # saved with the outcome: one write per file
    return True


def _expand_zip(upload: Upload, f: UploadFile) -> None:
    """Copy a zip's members out as more files of the upload, one level deeper.

    Nesting cannot multiply a bomb: a zip ``MAX_ZIP_DEPTH`` levels down is not opened, and
    every level draws on one budget for the whole upload
    (:meth:`~lightbox.imaging.models.Upload.expansion_budget`), so no byte beyond it is
    ever written. A member may also expand at most ``MAX_EXPANSION_RATIO`` times its own
    compressed size.
    """
    if f.depth >= settings.MAX_ZIP_DEPTH:
        _fail(
            f,
            f"zip refused: it is inside {f.depth} other zips, and zips are opened at most "
            f"{settings.MAX_ZIP_DEPTH} levels deep",
        )
        return
    budget = upload.expansion_budget()
    left = budget - upload.expanded_bytes()
    limits = Limits(
        # Members too are counted for the whole upload: empty ones cost no bytes.
        max_entries=max(Limits().max_entries - upload.files.filter(depth__gt=0).count(), 0),
        max_member_bytes=max(min(settings.MAX_UPLOAD_BYTES, left), 0),
        max_total_bytes=max(left, 0),
        max_ratio=settings.MAX_EXPANSION_RATIO,
    )
    members: list[UploadFile] = []
    try:
        with quarantine.path_of(f.quarantine).open("rb") as fp:
            for member, stream in iter_zip(fp, limits):
                order = _take_order(upload)
                try:
                    relative, size = quarantine.write(upload.pk, order, stream, left)  # type: ignore[arg-type]
                except ValueError:
                    raise ArchiveTooLarge(f"member {member.path!r} is too large") from None
                left -= size
                members.append(
                    UploadFile.objects.create(
                        upload=upload,
                        order=order,
                        depth=f.depth + 1,
                        name=f"{f.name}/{member.name}"[:200],
                        size=size,
                        quarantine=relative,
                    )
                )
    except ArchiveTooLarge as e:
        _fail(f, f"zip refused: {e}; {_budget_rule(budget)}")
        return
    except ArchiveError as e:
        # Members already copied out stay and are processed; the zip reports the problem.
        _fail(f, f"zip refused: {e}")
        return
    except OSError as e:
        if not is_disk_full(e):
            raise
        # Half a zip is no use, and the disk needs its space back: fail it whole.
        for copied in members:
            _fail(copied, f"not kept: the server ran out of disk space while opening {f.name}")
        _fail(f, "zip not opened: the server ran out of disk space; nothing of it was kept")
        return
    f.state, f.error = UploadFile.State.DONE, ""
    quarantine.wipe(f.quarantine)
    f.quarantine = ""
    f.save(update_fields=["kind", "state", "step", "error", "quarantine"])


def _take_order(upload: Upload) -> int:
    """The next free order of the upload, taken for good before its file is written, so
    that a zip opened again after a crash never writes over a member of the first try."""
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(next_order=F("next_order") + 1)
        return Upload.objects.values_list("next_order", flat=True).get(pk=upload.pk) - 1


def _budget_rule(budget: int) -> str:
    return (
        f"all the zips of one upload, at every level, expand to at most {budget:,} bytes "
        f"({settings.MAX_EXPANSION_RATIO} times the bytes sent, and no more than "
        "LIGHTBOX_MAX_EXPANDED_MB)"
    )


class _Known(NamedTuple):
    """An instance a series already has: what a file with the same SOP Instance UID is
    compared with."""

    sha256: str
    name: str  # the file of this upload it came from; "" when stored before
    instance: Instance


class _Groups:
    """The studies, series and instances an upload has met, so that grouping each of a
    thousand slices costs no query."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.studies: dict[str, Study] = {}
        self.series: dict[tuple[int, str], Series] = {}
        # Per series: SOP Instance UID → the instance stored under it, including those
        # of this upload not inserted yet (they are inserted per batch).
        self.known: dict[int, dict[str, _Known]] = {}
        # Series this upload added to, with the upload order of their first file.
        self.touched: dict[int, int] = {}

    def study(self, meta: dict[str, Any]) -> Study:
        uid = meta["study_uid"]
        if uid not in self.studies:
            self.studies[uid], _ = Study.objects.get_or_create(
                case=self.upload.case,
                study_uid=uid,
                defaults={"study_date": _date(meta["study_date"])},
            )
        return self.studies[uid]

    def series_of(self, meta: dict[str, Any]) -> Series:
        study = self.study(meta)
        key = (study.pk, meta["series_uid"])
        if key not in self.series:
            series, _ = Series.objects.get_or_create(
                study=study,
                series_uid=meta["series_uid"],
                defaults={
                    "series_number": meta["series_number"],
                    "modality": meta["modality"],
                    "view": meta["view"],
                    "body_part": meta["body_part"],
                },
            )
            self.series[key] = series
            rows = series.instances.values_list("sop_uid", "sha256", "pk")
            self.known[series.pk] = {
                uid: _Known(sha, "", Instance(pk=pk, series=series)) for uid, sha, pk in rows
            }
        return self.series[key]


BATCH = 32


class _Batch:
    """Outcomes written to the database together: one transaction and one bulk insert for
    up to :data:`BATCH` files, instead of a transaction and several statements each.

    Each staged file is fsynced by a background thread as soon as its outcome arrives,
    while the children go on working and the parent waits for the next result; the batch
    only waits for those syncs before it links the files into storage and commits.
    """

    def __init__(
        self, upload: Upload, groups: _Groups, syncer: ThreadPoolExecutor, lease: Lease
    ) -> None:
        self.upload, self.groups, self.syncer, self.lease = upload, groups, syncer, lease
        self.pending: list[tuple[UploadFile, PreparedDicom | PreparedPicture | None, Any]] = []
        self.syncs: list[Future[None]] = []

    def add(self, f: UploadFile, prepared: Any, error: BaseException | None) -> bool:
        """Keep one outcome; whether the batch is full. A full disk stops the upload here:
        every other file would fail the same way."""
        if error is not None and disk_full_reason(error):
            raise error
        self.pending.append((f, prepared, error))
        if isinstance(prepared, PreparedDicom) and prepared.staged:
            self.syncs.append(self.syncer.submit(fsync_path, prepared.staged))
        return len(self.pending) >= BATCH

    def flush(self) -> list[UploadFile]:
        batch, self.pending = self.pending, []
        syncs, self.syncs = self.syncs, []
        if not batch:
            return []
        # In upload order, so that of two files with one SOP Instance UID the one given
        # first is kept (within a batch; across batches, the one processed first).
        batch.sort(key=lambda outcome: outcome[0].order)
        files = [f for f, _, _ in batch]
        quarantined = [f.quarantine for f in files]
        new: list[Instance] = []
        linked: list[tuple[UploadFile, Instance]] = []
        storage_batch = getattr(default_storage, "batch", contextlib.nullcontext)
        try:
            with transaction.atomic(), storage_batch():
                # Commit only as the owner; a lost lease stops before any staged file
                # (which the new owner may have removed) is touched.
                self.lease.beat(force=True)
                for sync in syncs:
                    sync.result()  # an I/O error fails the upload before any row points at it
                for f, prepared, error in batch:
                    if error is not None:
                        _failed(f, error)
                    elif isinstance(prepared, PreparedDicom):
                        instance, is_new = _store_dicom(f, prepared, self.groups)
                        if is_new:
                            new.append(instance)
                        if f.state != UploadFile.State.FAILED:
                            linked.append((f, instance))
                    elif isinstance(prepared, PreparedPicture):
                        _store_picture(self.upload, f, prepared)
                        _done(f)
                Instance.objects.bulk_create(new)
                for f, instance in linked:
                    f.instance = instance  # now that it has its primary key
                _flag_for_review(new)
                _update_files(files)
        except BaseException:
            # The rows are rolled back: remove the files stored for them, leaving no orphan,
            # and the staged files not linked yet. The quarantined originals stay for
            # whoever goes on (a new owner), or are wiped with the whole upload (_stop).
            for instance in new:
                instance.file.delete(save=False)
            for _, prepared, _ in batch:
                if isinstance(prepared, PreparedDicom) and prepared.staged:
                    Path(prepared.staged).unlink(missing_ok=True)
            raise
        for relative in quarantined:
            quarantine.wipe(relative)
        return files


def _flag_for_review(new: list[Instance]) -> None:
    """A flagged instance added to a series already shown hides the series at once, in
    the same transaction as the instance: the series' image needs review again."""
    flagged = {i.series_id for i in new if i.pixel_review == PixelReview.NEEDED}
    if not flagged:
        return
    images = Image.objects.filter(series_id__in=flagged).exclude(pixel_review=PixelReview.NEEDED)
    for image in images:
        image.pixel_review = PixelReview.NEEDED
        image.save(update_fields=["pixel_review"])  # bumps the case: its pages re-render


def _update_files(files: list[UploadFile]) -> None:
    """Write the outcome of a batch of files in one executemany.

    Plain SQL on purpose: per-row saves cost a statement build each, and bulk_update's
    CASE expressions cost more than the whole batch of work they describe.
    """
    table = UploadFile._meta.db_table
    sql = (
        f"UPDATE {table} SET kind = %s, state = %s, step = %s, error = %s, "  # noqa: S608
        "quarantine = %s, instance_id = %s, image_id = %s, report = %s WHERE id = %s"
    )
    rows = [
        (
            f.kind, f.state, f.step, f.error, f.quarantine, f.instance_id, f.image_id,
            json.dumps(f.report), f.pk,
        )
        for f in files
    ]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _done(f: UploadFile) -> None:
    f.state, f.step, f.error, f.quarantine = UploadFile.State.DONE, Step.INDEX, "", ""


def _failed(f: UploadFile, error: BaseException) -> None:
    if isinstance(error, RejectedFile | LimitExceeded | WorkerCrashed):
        message = str(error)
    else:
        # By its place in the upload: an uploaded name may name the patient.
        logger.error(
            "unexpected error on file %d of upload %s", f.order + 1, f.upload_id, exc_info=error
        )
        message = f"could not be processed ({error.__class__.__name__})"
    state = UploadFile.State.SKIPPED if isinstance(error, SkippedFile) else UploadFile.State.FAILED
    _mark(f, state, message)


def _store_dicom(f: UploadFile, p: PreparedDicom, groups: _Groups) -> tuple[Instance, bool]:
    """Group and store one file: its instance, and whether that is new (unsaved, for the
    batch to insert).

    A SOP Instance UID the series already has (from an earlier upload, or from a file of
    this one) is not stored again, and the instance stored first stays: the same bytes
    again are skipped as a duplicate, different bytes fail, naming the file kept.
    """
    meta = _fit(p.meta)
    f.step = Step.GROUP
    series = groups.series_of(meta)
    f.report = p.report
    groups.touched[series.pk] = min(groups.touched.get(series.pk, f.order), f.order)
    if known := groups.known[series.pk].get(meta["sop_uid"]):
        if p.staged:
            os.unlink(p.staged)
        _duplicate(f, p, known)
        return known.instance, False
    f.step = Step.STORE
    review = PixelReview.NEEDED if p.report.get("needs_pixel_review") else PixelReview.NOT_NEEDED
    instance = Instance(
        series=series,
        sop_uid=meta["sop_uid"],
        sop_class_uid=meta["sop_class_uid"],
        instance_number=meta["instance_number"],
        position=meta["position"],
        rows=meta["rows"],
        columns=meta["columns"],
        frames=meta["frames"],
        transfer_syntax=meta["transfer_syntax"],
        sha256=p.sha256,
        size=p.size,
        pixel_review=review,
    )
    # A staged file was synced by the batch (see _Batch.add): storage only links it.
    content = StagedFile(p.staged, synced=True) if p.staged else ContentFile(p.data)
    instance.file.save(f"{p.sha256[:20]}.dcm", content, save=False)
    groups.known[series.pk][instance.sop_uid] = _Known(p.sha256, f.name, instance)
    _done(f)
    return instance, True


# Integer columns are 32-bit on PostgreSQL; (0020,0011) and (0020,0013) are IS, up to 12
# characters.
INT32 = range(-(2**31), 2**31)


def _fit(meta: dict[str, Any]) -> dict[str, Any]:
    """The file's values as its columns can hold them: a number out of range is unknown,
    a text too long is cut. One odd file must not make the database refuse the batch
    it is stored with (a whole transaction of other files)."""
    fitted = dict(meta)
    for key in ("series_number", "instance_number"):
        if fitted.get(key) is not None and fitted[key] not in INT32:
            fitted[key] = None
    for key in ("sop_class_uid", "transfer_syntax"):
        fitted[key] = str(fitted.get(key) or "")[: concrete_field(Instance, key).max_length]
    return fitted


def _duplicate(f: UploadFile, p: PreparedDicom, known: _Known) -> None:
    """Record a file whose SOP Instance UID is already stored in its series."""
    name = known.name or _stored_name(known.instance)
    if known.sha256 == p.sha256:
        where = f"as {name}" if known.name else f"as {name}, already stored in this case"
        _mark(f, UploadFile.State.SKIPPED, f"duplicate: the same file {where}")
        f.step = Step.INDEX
    else:
        _mark(
            f,
            UploadFile.State.FAILED,
            f"not stored: {name} has the same SOP Instance UID but different content, "
            f"and was kept (a SOP Instance UID names one image)",
        )


def _stored_name(instance: Instance) -> str:
    """The upload name of a file stored before, for messages."""
    name = UploadFile.objects.filter(instance_id=instance.pk).values_list("name", flat=True)
    return name.first() or "an image already stored in this case"


def _store_picture(upload: Upload, f: UploadFile, p: PreparedPicture) -> None:
    from lightbox.imaging.images import store_picture

    f.step = Step.STORE
    f.image = store_picture(upload.case, p)
    f.report = {"picture": "re-encoded without metadata (EXIF, XMP, GPS, comments)"}


def _date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text else None
    except ValueError:
        return None


def _index_series(touched: dict[int, int], beat: Callable[[], None] = lambda: None) -> None:
    """Counts, order and the key image for every series this upload added to, in the
    order the files were given (files finish in any order; the first series given becomes
    the case's main image when it has none). ``beat`` is called before each series."""
    from lightbox.imaging.images import show_series

    found = Series.objects.filter(pk__in=touched).select_related("study__case")
    for series in sorted(found, key=lambda s: touched[s.pk]):
        beat()
        instances = series.instances.all()
        series.instance_count = instances.count()
        series.frame_count = instances.aggregate(n=Sum("frames"))["n"] or 0
        series.save(update_fields=["instance_count", "frame_count"])
        show_series(series, render=render_key_frame)
        _modality_from(series)


def _modality_from(series: Series) -> None:
    """A case with no modality yet takes its first series' (the author changes it in
    the editor if it is not the one the case is about): ``NM`` for a bone scan's."""
    case = series.study.case
    if case.modality or series.modality not in Modality.values:
        return
    with transaction.atomic():
        fresh = Case.objects.select_for_update().get(pk=case.pk)
        if not fresh.modality:  # nobody set it meanwhile
            fresh.modality = series.modality
            fresh.save(update_fields=["modality"])  # saved as any edit: indexed again


def _note_unrenderable(upload: Upload) -> None:
    """Say on the upload's rows which stored files cannot be shown as a picture."""
    unrenderable = upload.files.filter(
        state=UploadFile.State.DONE, instance__render_error__gt=""
    ).values_list("pk", "instance__render_error")
    for pk, reason in unrenderable:
        UploadFile.objects.filter(pk=pk).update(
            error=f"stored, but cannot be shown as a picture: {reason}"
        )


def render_key_frame(instance: Instance) -> Rendered:
    """Render the middle frame of a stored instance in a limited child process, like
    decoding at ingest: its pixels are still the uploaded codestream, which can make a
    decoder hang or ask for gigabytes.

    Raises
    ------
    RenderError
        It cannot be rendered, or broke a limit (one line that says why).
    """
    try:
        path = instance.file.path  # local storage: the child reads it
    except NotImplementedError:
        # In a bucket: copied (streamed) to a scratch file in staging for the child.
        with (
            instance.file.open("rb") as fp,
            _scratch_copy(fp, Path(settings.STAGING_DIR)) as scratch,
        ):
            return _render_in_child(scratch)
    return _render_in_child(path)


def _render_in_child(path: str) -> Rendered:
    try:
        return _pool().run(render_file, path)
    except (LimitExceeded, WorkerCrashed) as e:
        raise RenderError(str(e)) from None


@contextlib.contextmanager
def _scratch_copy(source: IO[bytes], folder: Path) -> Iterator[str]:
    """A temporary local copy of ``source`` under ``folder``, removed on leaving."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="render-", suffix=".dcm") as copy:
        shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield copy.name
