"""Save the demo library (:mod:`lightbox.interchange.demo.load`) into the database.

``make run`` calls ``manage.py load_demo --if-empty`` so that a newcomer opens a living
teaching file: ten published cases across nuclear medicine, CT, MRI and radiography, three
topic pages, and DICOM series made from the public test files that ship in the
``pydicom`` and ``pydicom-data`` wheels (:mod:`lightbox.interchange.demo.dicom`).

The series reach their cases the way an author's DICOM does: an upload
(:func:`lightbox.imaging.uploads.receive`) processed by
:func:`lightbox.imaging.ingest.process_upload`, so every file is de-identified, grouped,
stored and given its key image by the same code, and the viewer opens them with stack
scrolling, presets and the whole-body ANT/POST layout.

Examples
--------
>>> from lightbox.interchange.demo.save import load_demo
>>> load_demo(progress=False)
10
>>> load_demo(progress=False)  # already loaded: nothing to do
0
"""

from __future__ import annotations

import io
import sys
from decimal import Decimal
from typing import IO

from django.core.files.storage import Storage, default_storage
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    Radiopharmaceutical,
    Series,
    Status,
    Topic,
)
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Image, PixelReview, Upload, UploadFile
from lightbox.imaging.uploads import receive
from lightbox.interchange.demo import dicom
from lightbox.interchange.demo.dicom import DemoDataMissing
from lightbox.interchange.demo.load import (
    CASES,
    COPYRIGHT,
    SERIES,
    TOPICS,
    DemoCase,
    DemoTopic,
)
from lightbox.search import index

__all__ = ["DemoDataMissing", "DemoLoadFailed", "demo_loaded", "load_demo"]


class DemoLoadFailed(RuntimeError):
    """A demo series did not come through the upload pipeline as it must (a file failed,
    or a series would be hidden from readers): a bug in the demo, said loudly."""


def demo_loaded() -> bool:
    """Whether any demo case exists already."""
    return Case.objects.filter(is_demo=True).exists()


def load_demo(*, progress: bool = True, stdout: IO[str] | None = None) -> int:
    """Create the demo series, topics and cases; return how many cases were created.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar over the cases.
    stdout : file-like, optional
        Where the progress bar is drawn; standard error when omitted.

    Returns
    -------
    int
        The number of cases created: 0 when a demo case already exists (the call is
        idempotent), otherwise ``len(CASES)``.

    Raises
    ------
    DemoDataMissing
        When a DICOM test file is not installed. Nothing is saved.
    DemoLoadFailed
        When a demo file is refused or a demo series would need pixel review. Nothing is
        saved.

    Notes
    -----
    Everything happens in one transaction, so a failure leaves no half-loaded library;
    the files already stored for the new cases (DICOM, key images, thumbnails) are
    deleted again before the error propagates, so no orphan files are left either.

    Because the demo's uploads are not committed until the end, a worker processing
    another upload at the same time cannot see them and its quarantine sweep may remove
    their files: the load then fails (cleanly). ``make run`` loads before it serves.
    """
    if demo_loaded():
        return 0
    created: list[int] = []
    try:
        # One transaction, each case indexed once when it ends (not at every save of the
        # case, its authors, doses and images: see lightbox.search.index.batch).
        with index.batch():
            # Checked again inside the transaction: two concurrent loaders (a double
            # `make run`) must not both create a library.
            if demo_loaded():
                return 0
            series = {s.prefix: _series(s.prefix, s.name, s.description) for s in SERIES}
            topics = {(t.anatomic_field, t.category): _topic(t) for t in TOPICS}
            with tqdm(
                CASES,
                desc="Demo cases",
                unit="case",
                disable=not progress,
                file=stdout if stdout is not None else sys.stderr,
            ) as bar:
                for spec in bar:
                    case = _case(spec, series[spec.series], topics)
                    created.append(case.pk)
                    _images(case, spec)
    except BaseException:
        # The rows are rolled back; the files are not, so remove them by hand.
        for pk in created:
            for folder in (f"dicom/{pk}", f"images/{pk}"):
                _delete_tree(default_storage, folder)
        raise
    return len(CASES)


# -- pieces ---------------------------------------------------------------------------------


def _series(prefix: str, name: str, description: str) -> Series:
    # An institution that already uses "bs" keeps its own name; demo cases just join it.
    series, _ = Series.objects.get_or_create(
        prefix=prefix, defaults={"name": name, "description": description}
    )
    return series


def _topic(spec: DemoTopic) -> Topic:
    slug = slugify(spec.title)
    # An existing page of the same name is the institution's own: link to it, never
    # overwrite it.
    if existing := Topic.objects.filter(slug=slug).first():
        return existing
    topic = Topic(
        slug=slug,
        title=spec.title,
        anatomic_field=spec.anatomic_field,
        category=spec.category,
        discussion=spec.discussion,
        references=[{"text": ref} for ref in spec.references],
        is_demo=True,
    )
    topic.full_clean()
    topic.save()
    return topic


def _case(spec: DemoCase, series: Series, topics: dict[tuple[str, str], Topic]) -> Case:
    case = Case(
        series=series,
        title=spec.title,
        case_date=spec.case_date,
        difficulty=spec.difficulty,
        quality=spec.quality,
        modality=spec.modality,
        exam=spec.exam,
        patient_age=spec.patient_age,
        patient_sex=spec.patient_sex,
        brief_history=spec.brief_history,
        full_history=spec.full_history,
        findings=spec.findings,
        diagnosis=spec.diagnosis,
        discussion=spec.discussion,
        followup=spec.followup,
        differential=list(spec.differential),
        references=[{"text": ref} for ref in spec.references],
        acr_codes=list(spec.acr_codes),
        keywords=list(spec.keywords),
        copyright=COPYRIGHT,
        status=Status.PUBLISHED,
        visibility=spec.visibility,
        source="Lightbox demo library",
        is_demo=True,
        published_at=timezone.now(),
    )
    # The primary ACR code decides field and category, and through them the topic page.
    case.sync_acr_classification()
    case.topic = topics.get((case.anatomic_field, case.category)) or (
        Topic.objects.filter(anatomic_field=case.anatomic_field, category=case.category)
        .order_by("pk")
        .first()
    )
    # Validate like an editor's save would, so a typo in the demo content fails loudly.
    # The number and sequence are assigned by save().
    case.full_clean(exclude=["number", "sequence"])
    case.save()
    for order, (name, credentials) in enumerate(spec.authors):
        CaseAuthor.objects.create(case=case, order=order, name=name, credentials=credentials)
    for order, dose in enumerate(spec.radiopharmaceuticals):
        Radiopharmaceutical.objects.create(
            case=case,
            order=order,
            agent=dose.agent,
            activity=Decimal(dose.activity),
            unit=dose.unit,
            route=dose.route,
            time_to_imaging=dose.time_to_imaging,
        )
    return case


def _images(case: Case, spec: DemoCase) -> list[Image]:
    """Upload the case's series as one upload, process it here (as ``import_dicom``
    does), then caption and order the images it made."""
    files: list[_Named] = []
    owner: list[int] = []  # the spec image each file belongs to, in upload order
    for number, image in enumerate(spec.images):
        for data in dicom.build(image.series):
            files.append(_Named(f"{image.series}-{len(files) + 1}.dcm", data))
            owner.append(number)
    upload = process_upload(receive(case, _Nobody(), files, enqueue=False).pk)
    rows = list(upload.files.select_related("instance__series__image").order_by("order"))
    problems = [f"{row.name}: {row.state} {row.error}".strip() for row in rows if row.error]
    if upload.state != Upload.State.DONE or len(rows) != len(files) or problems:
        raise DemoLoadFailed(
            f"demo case {spec.title!r}: {upload.error or 'not every file was stored'}; "
            + "; ".join(problems)
        )
    images: list[Image] = []
    for number, image in enumerate(spec.images):
        shown = {_image_of(row, spec) for row, o in zip(rows, owner, strict=True) if o == number}
        if len(shown) != 1:
            raise DemoLoadFailed(f"demo case {spec.title!r}: {image.series} is not one series")
        images.append(shown.pop())
    # The flag moves in two steps: one main image per case is a constraint.
    Image.objects.filter(case=case).update(is_main=False)
    for order, (stored, image) in enumerate(zip(images, spec.images, strict=True)):
        stored.caption, stored.answer_caption = image.caption, image.answer_caption
        stored.order, stored.is_main = order, image.is_main
        stored.save(update_fields=["caption", "answer_caption", "order", "is_main"])
    return images


def _image_of(row: UploadFile, spec: DemoCase) -> Image:
    series = row.instance.series if row.instance else None
    image = getattr(series, "image", None) if series else None
    if image is None or not image.file:
        raise DemoLoadFailed(f"demo case {spec.title!r}: {row.name} has no picture")
    if image.pixel_review == PixelReview.NEEDED:
        # It would be hidden from readers and block publication.
        raise DemoLoadFailed(f"demo case {spec.title!r}: {row.name} needs pixel review")
    return image


class _Named(io.BytesIO):
    """A built file, as the upload pipeline reads one: a name and bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name = name


class _Nobody:
    """The demo is loaded by no particular user (like ``import_dicom``)."""

    is_authenticated = False


def _delete_tree(storage: Storage, folder: str) -> None:
    try:
        folders, names = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        storage.delete(f"{folder}/{name}")
    for sub in folders:
        _delete_tree(storage, f"{folder}/{sub}")
