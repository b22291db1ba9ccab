"""Load the demo library (:mod:`lightbox.interchange.demo_content`) into the database.

``make run`` calls ``manage.py load_demo --if-empty`` so that a newcomer opens a living
teaching file: ten published cases across nuclear medicine, CT, MRI and radiography, three
topic pages, and images rendered from the public DICOM test files that ship in the
``pydicom`` and ``pydicom-data`` wheels.

Examples
--------
>>> from lightbox.interchange.demo import load_demo
>>> load_demo(progress=False)  # doctest: +SKIP
10
>>> load_demo(progress=False)  # already loaded: nothing to do  # doctest: +SKIP
0
"""

from __future__ import annotations

import io
import sys
from decimal import Decimal
from functools import cache
from typing import IO

from django.core.files.storage import Storage
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageOps
from pydicom import Dataset, dcmread
from pydicom.data import get_testdata_file
from tqdm import tqdm

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    Radiopharmaceutical,
    Series,
    Status,
    Topic,
)
from lightbox.imaging.dicom import render_frame
from lightbox.imaging.images import add_image
from lightbox.imaging.models import Image
from lightbox.interchange.demo_content import (
    CASES,
    COPYRIGHT,
    SERIES,
    TOPICS,
    DemoCase,
    DemoImage,
    DemoTopic,
)
from lightbox.search import index

__all__ = ["DemoDataMissing", "demo_loaded", "load_demo", "render_demo_image"]

# Demo pictures are for the browser, not diagnosis: 1024 px on the long side is plenty and
# keeps the library small.
MAX_SIDE = 1024


class DemoDataMissing(RuntimeError):
    """A DICOM test file the demo needs is not installed (pydicom or pydicom-data)."""


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

    Notes
    -----
    Everything happens in one transaction, so a failure leaves no half-loaded library; image
    files already written to storage are deleted again before the error propagates, so no
    orphan files are left either.
    """
    if demo_loaded():
        return 0
    written: list[tuple[Storage, str]] = []
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
                    for image in _images(case, spec):
                        written.extend(
                            (f.storage, f.name) for f in (image.file, image.thumbnail) if f.name
                        )
    except BaseException:
        # The rows are rolled back; the files are not, so remove them by hand.
        for storage, name in written:
            storage.delete(name)
        raise
    finally:
        # The decoded DICOM (tens of MB) is only needed while loading.
        _dataset.cache_clear()
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
    # Stored under their content hash, like every image: never under the case's title.
    return [
        add_image(
            case,
            render_demo_image(image),
            caption=image.caption,
            answer_caption=image.answer_caption,
            is_main=image.is_main,
        )
        for image in spec.images
    ]


@cache
def _dataset(name: str) -> Dataset:
    path = get_testdata_file(name, download=False)
    if path is None:
        raise DemoDataMissing(
            f"DICOM test file {name!r} is not installed: install the pinned pydicom and "
            "pydicom-data packages (pip install -e .)"
        )
    return dcmread(path)


@cache
def render_demo_image(image: DemoImage) -> bytes:
    """PNG bytes for one demo picture (cached: several cases share a source).

    Raises
    ------
    DemoDataMissing
        When the source DICOM file is not installed.
    """
    picture = render_frame(
        _dataset(image.source), image.frame, window=image.window, invert=image.invert
    )
    if image.mirror:
        picture = ImageOps.mirror(picture)
    if image.crop is not None:
        left, top, right, bottom = image.crop
        w, h = picture.size
        picture = picture.crop(
            (round(left * w), round(top * h), round(right * w), round(bottom * h))
        )
    if image.scale != 1.0:
        w, h = picture.size
        picture = picture.resize(
            (round(w * image.scale), round(h * image.scale)), PILImage.Resampling.LANCZOS
        )
    picture.thumbnail((MAX_SIDE, MAX_SIDE), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    # add_image re-encodes what it stores, so this copy only needs to be fast.
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()
