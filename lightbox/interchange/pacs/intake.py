"""From a C-STORE request to the upload pipeline: the Django side of the DICOM receiver.

One :class:`Intake` per association. Each instance it is given is read only as far as
its header (which study, which SOP Instance), then written, as it came, to the quarantine
area as a file of an open upload of the study's draft case before it is acknowledged;
nothing else of it is kept. The files' rows are recorded :data:`BATCH` at a time
(:func:`lightbox.imaging.uploads.record_quarantined`: a transaction per instance would
halve the rate), and a receiver killed before recording them finds them in quarantine
when it starts again (``dicom_receiver``'s ``finish_left_open``). The upload is finished
— queued for the task worker, which de-identifies it like any browser upload — every
:data:`FILES_PER_UPLOAD` files and when the association ends (:meth:`Intake.close`), so a
long send is processed while it is still arriving.

A study is known by its *re-mapped* Study Instance UID (the same HMAC the
de-identification uses), never by the original: it lands in the same case whenever its
instances arrive. A new study becomes a draft case of the author the calling AE title is
mapped to (``LIGHTBOX_DICOM_AE_AUTHORS``), or of nobody, waiting in the inbox.

A Key Object Selection document "For Teaching File Export" (see
:mod:`lightbox.imaging.dicom.kos`) is not stored: its selection, note and texts are
recorded on the study (:func:`record_manifest`). Any other Key Object Selection is
acknowledged and ignored.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pydicom
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from pydicom.dataset import Dataset

from lightbox.audit.log import record as audit
from lightbox.cases.access import can_create_case
from lightbox.cases.models import Case, CaseAuthor, Series, Status, Visibility
from lightbox.deid.dicom import remap_uid
from lightbox.history import revisions
from lightbox.imaging import quarantine
from lightbox.imaging import received as received_studies
from lightbox.imaging.dicom.kos import (
    Manifest,
    ManifestError,
    is_key_object_selection,
    read_manifest,
)
from lightbox.imaging.models import ReceivedStudy, Upload, UploadFile
from lightbox.imaging.uploads import (
    NoFiles,
    NotOpen,
    TooLarge,
    discard,
    finish,
    open_upload,
    record_quarantined,
    reserve,
)
from lightbox.lib.archive import safe_name
from lightbox.lib.disk import is_disk_full

__all__ = [
    "CANNOT_UNDERSTAND",
    "BATCH",
    "FILES_PER_UPLOAD",
    "OUT_OF_RESOURCES",
    "SUCCESS",
    "Intake",
    "Refused",
    "author_for",
    "record_manifest",
]

logger = logging.getLogger(__name__)

# C-STORE response statuses (PS3.4 Table B.2-1).
SUCCESS = 0x0000
OUT_OF_RESOURCES = 0xA700
CANNOT_UNDERSTAND = 0xC000

FILES_PER_UPLOAD = 200
# Instances recorded in the database together (each is on disk before it is acknowledged).
BATCH = 32
State = ReceivedStudy.ManifestState


class Refused(Exception):
    """An instance not taken: ``status`` answers the C-STORE, ``message`` (one line)
    says why, for the log and the response's Error Comment."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Nobody:
    """The uploader of a study nobody was named for."""

    is_authenticated = False


@dataclass
class _Open:
    """An upload this association is filling: its files recorded, those written to
    quarantine and not yet recorded, the orders it has reserved, its bytes."""

    upload: Upload
    files: int = 0
    pending: list[UploadFile] = field(default_factory=list)
    next_order: int = 0
    last_order: int = 0
    bytes: int = 0


def _secret() -> bytes:
    return str(settings.DEID_SECRET).encode()


def author_for(calling_ae: str) -> User | None:
    """The author a calling AE title's studies belong to (``LIGHTBOX_DICOM_AE_AUTHORS``),
    or ``None`` (the inbox) when it names nobody, or someone who may not create cases."""
    username = settings.DICOM_AE_AUTHORS.get(calling_ae)
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not can_create_case(user):
        logger.warning(
            "LIGHTBOX_DICOM_AE_AUTHORS maps %s to %r, who is not an active author: "
            "its studies go to the inbox",
            calling_ae,
            username,
        )
        return None
    return user


def _case_series() -> Series:
    series, _ = Series.objects.get_or_create(
        prefix=settings.DICOM_CASE_SERIES, defaults={"name": "Received from the PACS"}
    )
    return series


def _study_row(study_uid: str, calling_ae: str, case: Case | None = None) -> ReceivedStudy:
    """The received study with this re-mapped UID; created, with a new draft case (or in
    ``case``), when it is new. Two associations creating one study at once agree on one
    row and one case."""
    existing = ReceivedStudy.objects.select_related("case").filter(study_uid=study_uid).first()
    if existing is not None:
        return existing
    author = author_for(calling_ae) if case is None else None
    try:
        with transaction.atomic():
            if case is None:
                case = Case.objects.create(
                    series=_case_series(),
                    title=f"Study received from {calling_ae}",
                    created_by=author,
                    status=Status.DRAFT,
                    visibility=Visibility.PRIVATE,
                    source=f"DICOM C-STORE from {calling_ae}",
                )
                new_case = True
            else:
                new_case = False
            row = ReceivedStudy.objects.create(
                case=case, study_uid=study_uid, calling_ae=calling_ae
            )
    except IntegrityError:
        return ReceivedStudy.objects.select_related("case").get(study_uid=study_uid)
    if new_case:
        revisions.record(
            case, user=author, kind="created", message=f"Received from the PACS ({calling_ae})"
        )
        audit(
            "import",
            target=case,
            summary=f"received a study from {calling_ae} as case {case.number}"
            + ("" if author else " (in the inbox)"),
            calling_ae=calling_ae,
        )
    return row


def _header(data: bytes) -> Dataset:
    """The instance read up to its pixel data, or :class:`Refused`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
    except RecursionError:
        raise Refused(CANNOT_UNDERSTAND, "sequences nested too deep") from None
    except Exception as e:  # noqa: BLE001 - pydicom raises many kinds on hostile bytes
        raise Refused(
            CANNOT_UNDERSTAND, f"not a readable data set ({e.__class__.__name__})"
        ) from None
    return ds


def _uid(ds: Dataset, keyword: str) -> str:
    try:
        value = str(ds.get(keyword, "") or "").strip(" \x00")
    except (ValueError, TypeError):
        return ""
    return value if value and len(value) <= 64 else ""


class Intake:
    """What one association sends, on its way to the upload pipeline."""

    def __init__(self, calling_ae: str) -> None:
        self.calling_ae = calling_ae.strip()
        self.studies: dict[str, ReceivedStudy] = {}  # by re-mapped Study Instance UID
        self.selection: dict[int, set[str] | None] = {}  # by case id
        self.open: dict[int, _Open] = {}  # by case id
        self.counts: Counter[int] = Counter()  # instances kept, by received study
        self.skipped: Counter[int] = Counter()  # not selected by the manifest
        self.stored = self.manifests = self.ignored = self.refused = 0

    def store(self, data: bytes) -> int:
        """Take one instance (a Part 10 file: preamble, file meta, data set); returns the
        C-STORE status.

        Raises
        ------
        Refused
            The instance cannot be read, names no study, or cannot be kept (the disk is
            full, the upload limit reached); nothing of it is kept.
        """
        ds = _header(data)
        if is_key_object_selection(_uid(ds, "SOPClassUID")):
            return self._manifest(ds)
        study_uid, sop_uid = _uid(ds, "StudyInstanceUID"), _uid(ds, "SOPInstanceUID")
        if not study_uid or not sop_uid:
            raise Refused(CANNOT_UNDERSTAND, "no valid Study Instance UID or SOP Instance UID")
        received = self._study(remap_uid(study_uid, _secret()))
        selection = self._selection(received.case_id)
        if selection is not None and remap_uid(sop_uid, _secret()) not in selection:
            self.skipped[received.pk] += 1
            return SUCCESS
        self._quarantine(received, data)
        self.counts[received.pk] += 1
        self.stored += 1
        return SUCCESS

    def close(self) -> None:
        """The association ended: finish every upload it filled (the worker processes
        them), and count what each study received."""
        for case_id in list(self.open):
            self._finish(case_id)
        now = timezone.now()
        for pk in set(self.counts) | set(self.skipped):
            ReceivedStudy.objects.filter(pk=pk).update(
                instances_received=F("instances_received") + self.counts[pk],
                instances_not_selected=F("instances_not_selected") + self.skipped[pk],
                last_received=now,
            )
        self.counts.clear()
        self.skipped.clear()

    # -- the parts --------------------------------------------------------------------

    def _study(self, study_uid: str) -> ReceivedStudy:
        if study_uid not in self.studies:
            self.studies[study_uid] = _study_row(study_uid, self.calling_ae)
        return self.studies[study_uid]

    def _selection(self, case_id: int) -> set[str] | None:
        """What the case's manifests select (``None``: no manifest, everything is kept)."""
        if case_id not in self.selection:
            self.selection[case_id] = received_studies.selected_for_case(case_id) or None
        return self.selection[case_id]

    def _quarantine(self, received: ReceivedStudy, data: bytes, retried: bool = False) -> None:
        """Write the instance to quarantine now (it is acknowledged once it is on disk);
        its row is recorded with the next batch."""
        current = self._upload(received)
        if current.next_order == current.last_order:
            try:
                current.next_order = reserve(current.upload, BATCH)
            except NotOpen:
                # Cancelled meanwhile (an administrator, the abandoned-upload sweep): go on
                # in a new upload.
                self._drop(received.case_id)
                if retried:
                    raise Refused(OUT_OF_RESOURCES, "the upload could not be kept open") from None
                self._quarantine(received, data, retried=True)
                return
            current.last_order = current.next_order + BATCH
        order = current.next_order
        current.next_order += 1
        left = settings.MAX_UPLOAD_BYTES - current.bytes
        try:
            relative, size = quarantine.write(current.upload.pk, order, io.BytesIO(data), left)
        except ValueError:
            raise Refused(
                OUT_OF_RESOURCES, "the study is larger than LIGHTBOX_MAX_UPLOAD_MB"
            ) from None
        except OSError as e:
            if is_disk_full(e):
                raise Refused(OUT_OF_RESOURCES, "the server's disk is full") from None
            raise
        current.bytes += size
        # The calling AE title and a number: nothing of the patient.
        name = safe_name(f"{self.calling_ae}-{order + 1}.dcm", fallback=f"{order + 1}.dcm")
        current.pending.append(
            UploadFile(
                upload=current.upload, order=order, name=name, size=size, quarantine=relative
            )
        )
        if len(current.pending) >= BATCH:
            self._record(received.case_id)
        if current.files + len(current.pending) >= FILES_PER_UPLOAD:
            self._finish(received.case_id)

    def _upload(self, received: ReceivedStudy) -> _Open:
        if received.case_id not in self.open:
            case = received.case
            author = case.created_by if case.created_by_id else _Nobody()
            upload = open_upload(case, author)
            Upload.objects.filter(pk=upload.pk).update(received_from=self.calling_ae)
            upload.received_from = self.calling_ae
            self.open[received.case_id] = _Open(upload)
        return self.open[received.case_id]

    def _record(self, case_id: int) -> None:
        """Record the instances written since the last batch as files of the upload."""
        current = self.open[case_id]
        rows, current.pending = current.pending, []
        try:
            record_quarantined(current.upload, rows)
        except (NotOpen, TooLarge) as e:
            # Cancelled while they arrived (its quarantine is wiped, and so are they), or
            # past the size limit: the files are wiped, the PACS must send them again.
            logger.error("%s: %d instance(s) not kept: %s", self.calling_ae, len(rows), e)
            self._drop(case_id)
            return
        current.files += len(rows)

    def _drop(self, case_id: int) -> None:
        current = self.open.pop(case_id)
        for row in current.pending:
            quarantine.wipe(row.quarantine)

    def _finish(self, case_id: int) -> None:
        if self.open[case_id].pending:
            self._record(case_id)
        current = self.open.pop(case_id, None)
        if current is None:
            return
        try:
            finish(current.upload)
        except NoFiles:
            discard(current.upload)
        except NotOpen:
            pass  # cancelled meanwhile: its files are already failed and wiped

    def _manifest(self, ds: Dataset) -> int:
        try:
            manifest = read_manifest(ds)
        except ManifestError as e:
            raise Refused(CANNOT_UNDERSTAND, str(e)) from None
        if not manifest.is_teaching:
            self.ignored += 1
            logger.info(
                "ignored a Key Object Selection from %s titled %r: not for teaching",
                self.calling_ae,
                manifest.title.meaning or manifest.title.value,
            )
            return SUCCESS
        received = record_manifest(manifest, self.calling_ae)
        self.selection.pop(received.case_id, None)  # look at the new selection
        self.manifests += 1
        return SUCCESS


def record_manifest(
    manifest: Manifest, calling_ae: str, now: dt.datetime | None = None
) -> ReceivedStudy:
    """Record a teaching-file manifest on the study it belongs to.

    Its own study (or, failing that, the first study it references that has arrived)
    holds it; studies it references that have not arrived yet will land in the same case.
    A selection (not mere additional information) adds the instances it names, re-mapped,
    to what the case keeps, and waits ``LIGHTBOX_DICOM_MANIFEST_MINUTES`` for them. The
    note and texts fill the case's sections that are still empty, never overwriting
    what an author wrote.

    Raises
    ------
    Refused
        It names no study at all.
    """
    now = now or timezone.now()
    secret = _secret()
    studies: list[str] = []
    for uid in [manifest.study_uid, *(r.study_uid for r in manifest.references)]:
        if uid and len(uid) <= 64 and (mapped := remap_uid(uid, secret)) not in studies:
            studies.append(mapped)
    if not studies:
        raise Refused(CANNOT_UNDERSTAND, "the Key Object Selection names no study")
    existing = {r.study_uid: r for r in ReceivedStudy.objects.filter(study_uid__in=studies)}
    anchor = existing.get(studies[0]) or next(
        (existing[s] for s in studies if s in existing), None
    )
    if anchor is None:
        anchor = _study_row(studies[0], calling_ae)
    for uid in studies:
        if uid not in existing and uid != anchor.study_uid:
            _study_row(uid, calling_ae, case=anchor.case)
    with transaction.atomic():
        anchor = ReceivedStudy.objects.select_for_update().select_related("case").get(pk=anchor.pk)
        if manifest.selects:
            chosen = {remap_uid(r.sop_uid, secret) for r in manifest.references}
            anchor.selected = sorted(set(anchor.selected or []) | chosen)
            anchor.manifest = State.WAITING
            anchor.manifest_title = (manifest.title.meaning or manifest.title.value)[:100]
            anchor.manifest_received = now
            anchor.manifest_deadline = now + dt.timedelta(minutes=settings.DICOM_MANIFEST_MINUTES)
        if manifest.note and manifest.note not in anchor.note:
            anchor.note = "\n\n".join(t for t in (anchor.note, manifest.note) if t)
        anchor.save()
        changed = _fill_case(anchor.case, manifest)
    if changed:
        revisions.record(
            anchor.case, kind="edited", message=f"Teaching-file information from {calling_ae}"
        )
    if anchor.manifest != State.NONE:
        received_studies.refresh(anchor, now)
    return anchor


def _fill_case(case: Case, manifest: Manifest) -> bool:
    """Fill the case's empty sections from the manifest (IHE TCE's teaching-file
    information); whether anything changed."""
    changed: list[str] = []

    def fill(field: str, value: Any) -> None:
        if value and not getattr(case, field):
            setattr(case, field, value)
            changed.append(field)

    fill("brief_history", manifest.text("history"))
    fill("findings", manifest.text("findings"))
    fill("diagnosis", manifest.text("diagnosis"))
    discussion = [manifest.text("abstract"), manifest.text("discussion")]
    if manifest.note:
        discussion.append(f"Note from the PACS: {manifest.note}")
    fill("discussion", "\n\n".join(t for t in discussion if t))
    fill("differential", _items(manifest.texts.get("differential", ()), "\n;"))
    fill("keywords", _items(manifest.texts.get("keywords", ()), ",;\n"))
    if changed:
        case.save(update_fields=[*changed, "updated"])
    author = manifest.text("author").splitlines()
    if author and author[0].strip() and not case.authors.exists():
        CaseAuthor.objects.create(case=case, order=0, name=author[0].strip()[:200])
        changed.append("authors")
    return bool(changed)


def _items(texts: tuple[str, ...], separators: str) -> list[str]:
    """Texts split into list items at any of ``separators``, blanks dropped."""
    items: list[str] = []
    for text in texts:
        for sep in separators[1:]:
            text = text.replace(sep, separators[0])
        items.extend(part.strip()[:200] for part in text.split(separators[0]) if part.strip())
    return items[:50]
