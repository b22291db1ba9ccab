"""A case as a MIRCdocument zip, as MIRC's own import takes one.

The zip is flat: ``MIRCdocument.xml`` (written by
:func:`~lightbox.interchange.mirc.write.write_mirc`) beside every file it names in a
``src``, and nothing else. Each image is ``IMAGE-<n>.<png|jpg>`` (its picture: for a
DICOM series, the rendered key frame), its icon ``IMAGE-<n>_icon.jpg`` (the thumbnail),
and for a series each de-identified instance as an ``original-format`` alternative,
``IMAGE-<n>-<k>.dcm``, in stack order. Images and instances that still wait for pixel
review (they may show burned-in identifiers) are never exported, whoever asks; nor are
images without a picture.

It is streamed (:mod:`lightbox.lib.zipstream`): a case with a thousand-slice series goes
out without being built in memory or on disk.
"""

from __future__ import annotations

import io
import posixpath
from collections.abc import Iterator
from typing import Any

from lightbox.cases.models import Case
from lightbox.imaging.models import Image, Instance, PixelReview
from lightbox.interchange.mirc.types import (
    MircAuthor,
    MircCode,
    MircDocument,
    MircDose,
    MircImage,
    MircReference,
)
from lightbox.interchange.mirc.write import icon_name, write_mirc
from lightbox.lib import zipstream

__all__ = ["DOCUMENT_NAME", "document", "stream_zip"]

DOCUMENT_NAME = "MIRCdocument.xml"


class _Bytes:
    """Bytes with the ``open("rb")`` of a stored file, for :func:`zipstream.stream`."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def open(self, mode: str = "rb") -> io.BytesIO:
        return io.BytesIO(self.data)


def document(case: Case) -> tuple[MircDocument, list[tuple[str, Any]]]:
    """The case as a :class:`MircDocument`, and the files its images name, as (name in
    the zip, stored file)."""
    doc = MircDocument(
        title=case.title,
        authors=[MircAuthor(a.name, a.credentials) for a in case.authors.all()],
        case_date=case.case_date,
        difficulty=case.difficulty,
        quality=case.quality,
        modality=case.modality,
        exam=case.exam,
        patient_age=case.patient_age,
        patient_sex=case.patient_sex,
        brief_history=case.brief_history,
        full_history=case.full_history,
        findings=case.findings,
        diagnosis=case.diagnosis,
        discussion=case.discussion,
        followup=case.followup,
        differential=list(case.differential or []),
        accepted_answers=list(case.accepted_answers or []),
        references=[
            MircReference(str(r.get("text", "")), str(r.get("pmid", "")), str(r.get("doi", "")))
            for r in case.references or []
        ],
        acr_codes=list(case.acr_codes or []),
        codes=[
            MircCode(c.code.system, c.code.code, c.code.meaning)
            for c in case.case_codes.select_related("code")
        ],
        keywords=list(case.keywords or []),
        anatomic_field=case.anatomic_field,
        category=case.category,
        topic=case.topic.title if case.topic else "",
        copyright=case.copyright,
        visibility=case.visibility,
        radiopharmaceuticals=[
            MircDose(d.agent, d.activity, d.unit, d.route, d.time_to_imaging)
            for d in case.radiopharmaceuticals.all()
        ],
        unparsed=case.unparsed,
    )
    files: list[tuple[str, Any]] = []
    shown = case.images.exclude(pixel_review=PixelReview.NEEDED).exclude(file="")
    for n, image in enumerate(shown.order_by("order", "pk"), 1):
        doc.images.append(_image(image, n, files))
    return doc, files


def _image(image: Image, n: int, files: list[tuple[str, Any]]) -> MircImage:
    extension = posixpath.splitext(image.file.name or "")[1].lower() or ".png"
    picture = f"IMAGE-{n}{extension}"
    files.append((picture, image.file))
    if image.thumbnail:
        files.append((icon_name(picture), image.thumbnail))
    else:
        files.append((icon_name(picture), image.file))  # MIRC wants an icon; any picture does
    exported = MircImage(
        picture=picture,
        caption=image.caption,
        answer_caption=image.answer_caption,
        is_main=image.is_main,
    )
    if image.series_id is not None:
        instances = (
            Instance.objects.filter(series_id=image.series_id)
            .exclude(pixel_review=PixelReview.NEEDED)
            .order_by("instance_number", "position", "pk")
        )
        for k, instance in enumerate(instances, 1):
            name = f"IMAGE-{n}-{k:04d}.dcm"
            exported.dicom.append(name)
            files.append((name, instance.file))
    return exported


def stream_zip(case: Case) -> Iterator[bytes]:
    """The zip's bytes, as they are made."""
    doc, files = document(case)
    return zipstream.stream([(DOCUMENT_NAME, _Bytes(write_mirc(doc))), *files])
