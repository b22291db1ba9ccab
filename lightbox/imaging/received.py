"""Studies received from a PACS: the inbox, claiming a study, and teaching-file manifests.

The DICOM receiver (``manage.py dicom_receiver``, in :mod:`lightbox.interchange.pacs`)
writes every instance it receives to the quarantine area as a file of an upload of the
study's draft case, exactly as a browser upload is (:mod:`lightbox.imaging.uploads`); the
task worker de-identifies it (:mod:`lightbox.imaging.ingest`). What is particular to a
study from a PACS lives here:

- **the inbox**: a study whose calling AE title names no author lands in a draft case
  that belongs to nobody; any author may claim it (:func:`claim`), and it becomes theirs;
- **manifests**: an IHE TCE export sends a Key Object Selection "For Teaching File
  Export" naming the instances the radiologist chose. Once they have all been stored, or
  once ``LIGHTBOX_DICOM_MANIFEST_MINUTES`` have passed, the manifest is *complete* or
  *incomplete* (:func:`refresh`), and the instances the PACS sent that it did not select
  are removed (:func:`prune`). A manifest never waits for ever: past its deadline it is
  shown as incomplete (:func:`manifest_state`) even before the receiver has looked again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.tasks import task
from django.utils import timezone

from lightbox.accounts.roles import is_editor
from lightbox.cases.models import Case
from lightbox.imaging import frames
from lightbox.imaging.models import (
    Image,
    Instance,
    ReceivedStudy,
    Series,
    Study,
    Upload,
    UploadFile,
)

__all__ = [
    "claim",
    "inbox_for",
    "manifest_state",
    "prune",
    "refresh",
    "refresh_case",
    "refresh_due",
    "refresh_series",
    "selected_for_case",
]

logger = logging.getLogger(__name__)
State = ReceivedStudy.ManifestState

# How long after its deadline a manifest is still looked at (late images can still
# complete it); after that it is left as it is.
LOOK_AGAIN_FOR = dt.timedelta(days=1)


def inbox_for(user: Any) -> QuerySet[ReceivedStudy]:
    """The received studies ``user`` sees in the inbox: those waiting for an author, and
    their own (editors and administrators: all). Access itself is decided in
    :mod:`lightbox.cases.access`."""
    studies = ReceivedStudy.objects.select_related("case__series", "case__created_by")
    if is_editor(user):
        return studies
    return studies.filter(Q(case__created_by__isnull=True) | Q(case__created_by=user))


def claim(received: ReceivedStudy, user: Any) -> bool:
    """Make the case of a study waiting in the inbox ``user``'s draft; whether it was
    still waiting (two authors claiming at once: the first wins). The uploads it
    arrived in become the author's too, so they may follow them."""
    with transaction.atomic():
        claimed = Case.objects.filter(pk=received.case_id, created_by__isnull=True).update(
            created_by=user, updated=timezone.now()
        )
        if claimed:
            Upload.objects.filter(
                case_id=received.case_id, created_by__isnull=True, received_from__gt=""
            ).update(created_by=user)
    return bool(claimed)


def manifest_state(received: ReceivedStudy, now: dt.datetime | None = None) -> str:
    """The manifest's state as it is now: a manifest still waiting past its deadline is
    incomplete, whether or not the receiver has looked at it since."""
    now = now or timezone.now()
    if (
        received.manifest == State.WAITING
        and received.manifest_deadline is not None
        and now >= received.manifest_deadline
    ):
        return State.INCOMPLETE
    return str(received.manifest)


def selected_for_case(case_id: int) -> set[str]:
    """Every instance (re-mapped SOP Instance UID) the manifests of a case select."""
    selected: set[str] = set()
    rows = ReceivedStudy.objects.filter(case_id=case_id).exclude(manifest=State.NONE)
    for uids in rows.values_list("selected", flat=True):
        selected.update(uids or [])
    return selected


def refresh(received: ReceivedStudy, now: dt.datetime | None = None) -> str:
    """Look at a manifest again: complete when every instance it selects is stored,
    incomplete once its deadline has passed, else still waiting. Once it is no longer
    waiting, the instances received from the PACS that it does not select are removed
    from the case. Returns the new state."""
    now = now or timezone.now()
    if received.manifest == State.NONE:
        return State.NONE
    selected = set(received.selected or [])
    stored = set(
        Instance.objects.filter(series__study__case_id=received.case_id).values_list(
            "sop_uid", flat=True
        )
    )
    arrived = len(selected & stored)
    if arrived == len(selected):
        state = State.COMPLETE
    elif received.manifest_deadline is not None and now >= received.manifest_deadline:
        state = State.INCOMPLETE
    else:
        state = State.WAITING
    if state != State.WAITING:
        removed = prune(received.case_id)
        if removed:
            logger.info("case %s: removed %d instance(s) not selected", received.case_id, removed)
    ReceivedStudy.objects.filter(pk=received.pk).update(manifest=state, selected_arrived=arrived)
    received.manifest, received.selected_arrived = state, arrived
    return state


def refresh_case(case_id: int, now: dt.datetime | None = None) -> None:
    """:func:`refresh` the manifests of one case (the worker calls this when it has
    processed images the PACS sent to it)."""
    for received in ReceivedStudy.objects.filter(case_id=case_id).exclude(manifest=State.NONE):
        refresh(received, now)


def refresh_due(now: dt.datetime | None = None) -> int:
    """:func:`refresh` every manifest still waiting, or incomplete and at most
    :data:`LOOK_AGAIN_FOR` past its deadline. Returns how many were looked at."""
    now = now or timezone.now()
    due = ReceivedStudy.objects.filter(
        Q(manifest=State.WAITING)
        | Q(manifest=State.INCOMPLETE, manifest_deadline__gte=now - LOOK_AGAIN_FOR)
    )
    count = 0
    for received in due:
        refresh(received, now)
        count += 1
    return count


def prune(case_id: int) -> int:
    """Remove the instances the PACS sent to a case that no manifest of the case selects
    (never one an author uploaded): their rows, files and rendered frames; a series left
    empty goes with its image, a series that shrank gets its key image again. Returns
    how many instances were removed."""
    selected = selected_for_case(case_id)
    if not selected:
        return 0
    received_files = UploadFile.objects.filter(
        upload__case_id=case_id, upload__received_from__gt="", instance__isnull=False
    ).values("instance_id")
    candidates = Instance.objects.filter(
        series__study__case_id=case_id, pk__in=received_files
    ).only("pk", "sop_uid", "file", "series_id", "sha256")
    doomed = [i for i in candidates if i.sop_uid not in selected]
    if not doomed:
        return 0
    touched = {i.series_id for i in doomed}
    names = [str(i.file.name) for i in doomed if i.file]
    with transaction.atomic():
        for start in range(0, len(doomed), 500):
            Instance.objects.filter(pk__in=[i.pk for i in doomed[start : start + 500]]).delete()
        storage = doomed[0].file.storage

        def delete_files() -> None:
            for name in names:
                storage.delete(name)
            for instance in doomed:
                frames.forget(instance.series_id, instance.sha256)

        transaction.on_commit(delete_files)
    for series in Series.objects.filter(pk__in=touched).select_related("study__case"):
        _after_removal(series)
    return len(doomed)


def _after_removal(series: Series) -> None:
    """A series some of whose instances were removed: gone with its image when empty,
    else counted again and shown by its new key frame."""
    instances = series.instances.all()
    if instances.exists():
        series.instance_count = instances.count()
        series.frame_count = sum(instances.values_list("frames", flat=True))
        series.save(update_fields=["instance_count", "frame_count"])
        # Rendered by the worker, in a limited child, as at ingest.
        series_id = series.pk
        transaction.on_commit(lambda: refresh_series.enqueue(series_id))
        return
    case = series.study.case
    image = Image.objects.filter(series=series).first()
    with transaction.atomic():
        if image is not None:
            files = [(f.storage, str(f.name)) for f in (image.file, image.thumbnail) if f]
            was_main = image.is_main
            image.delete()

            def delete_files() -> None:
                for storage, name in files:
                    storage.delete(name)

            transaction.on_commit(delete_files)
            if was_main and (other := case.images.order_by("order", "pk").first()):
                other.is_main = True
                other.save(update_fields=["is_main"])
        study_id = series.study_id
        series.delete()
        Study.objects.filter(pk=study_id, series__isnull=True).delete()


@task
def refresh_series(series_id: int) -> str:
    """Show a series again (its key image, thumbnail and review state) after some of its
    instances were removed: the key frame is rendered in a limited child, as at ingest."""
    from lightbox.imaging.images import show_series
    from lightbox.imaging.ingest import render_key_frame

    series = Series.objects.select_related("study__case").filter(pk=series_id).first()
    if series is None:
        return "gone"
    show_series(series, render=render_key_frame)
    return "shown"
