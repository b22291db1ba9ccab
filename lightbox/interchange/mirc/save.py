"""Saving MIRCdocuments as draft cases, their DICOM through the upload pipeline.

The Django half of :mod:`lightbox.interchange.mirc`. :func:`read_documents` finds and
reads every document of a package (nothing is stored if any of it is refused);
:func:`save_document` makes one of them a **draft** case, private to its importer and
the editors until it is reviewed, whatever the document said (its ``<authorization>``
sets the visibility the case will have once published):

1. Every file the document names is looked up in the package; the pictures are read and
   checked (decoded within Pillow's limits) before anything is written.
2. In one transaction: the case, its authors, doses, references and RadLex and SNOMED CT
   codes (a code the codes table lacks is added with the document's term, source
   ``mirc``; one it has keeps its own term), and an image per
   ``<image>`` in order: its picture stored as any picture upload is (re-encoded, no
   metadata), its captions, the main flag. An annotated version becomes the next image,
   captioned only after the answer. An image whose picture is missing keeps its
   captions and waits for one.
3. The DICOM files (``original-format``) become one upload of the case and go through
   the same quarantine and de-identification as any upload
   (:mod:`lightbox.imaging.uploads`, then :mod:`lightbox.imaging.ingest` in the worker or
   in the command). Each file names the image it was sent for, which the series it lands
   in then shows, keeping its place and captions
   (:func:`lightbox.imaging.images.waiting_image`). Should the upload be refused (too
   large, the disk full), the case and its pictures are removed: nothing is half-imported.
4. The import is recorded in the case's history and the audit log.

What the reader dropped or kept aside is in the returned report, with what this module
adds: files missing or refused, and possible identifiers the text scan found.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from lightbox.audit.log import record as audit
from lightbox.audit.models import Action
from lightbox.cases import codes
from lightbox.cases.models import (
    Case,
    CaseAuthor,
    CaseCode,
    Code,
    Radiopharmaceutical,
    Series,
    Status,
    Topic,
)
from lightbox.history.revisions import record
from lightbox.imaging import uploads
from lightbox.imaging.dicom.prepare import sniff
from lightbox.imaging.images import InvalidImage, add_image, clean_image_bytes
from lightbox.imaging.models import Image, Upload, UploadFile
from lightbox.interchange.mirc.package import Package, PackageError
from lightbox.interchange.mirc.parse import parse_mirc
from lightbox.interchange.mirc.types import MircCode, MircDocument, MircImage, MircParseError
from lightbox.lib.archive import Limits
from lightbox.search import index

__all__ = [
    "DEFAULT_SERIES",
    "ImportFailed",
    "Imported",
    "package_limits",
    "read_documents",
    "save_document",
    "series_for",
]

DEFAULT_SERIES = "mirc"
PICTURE_MAX_BYTES = 100 * 1024 * 1024  # a picture's file; its pixels are capped by Pillow
SOURCE = "MIRCdocument"
NAMED_CODES = 5  # codes named one by one in a line of the report, at most
DICOM_SUFFIXES = (".dcm", ".dicom")


class ImportFailed(Exception):
    """A document, or the whole package, was not imported; the message is one line."""


@dataclass
class Imported:
    document: str  # its path in the package
    case: Case
    report: list[str] = field(default_factory=list)
    upload: Upload | None = None  # its DICOM, queued (or processed by the caller)


class _Nobody:
    """The command line acts as no particular user."""

    is_authenticated = False


def package_limits() -> Limits:
    """The limits of an upload, for a MIRC package: the same rules as any zip."""
    return Limits(
        max_member_bytes=settings.MAX_UPLOAD_BYTES,
        max_total_bytes=settings.MAX_EXPANDED_BYTES,
        max_ratio=settings.MAX_EXPANSION_RATIO,
    )


def series_for(prefix: str = DEFAULT_SERIES) -> Series:
    """The series imported cases are numbered in (made when first needed)."""
    series, _ = Series.objects.get_or_create(
        prefix=prefix,
        defaults={"name": "Imported from MIRC" if prefix == DEFAULT_SERIES else prefix},
    )
    return series


def read_documents(package: Package) -> list[tuple[str, MircDocument]]:
    """Every document of ``package``, read. All or nothing.

    Raises
    ------
    ImportFailed
        The package, or any XML file in it, is refused (one line, naming the file).
    """
    try:
        found = package.documents()
    except PackageError as e:
        raise ImportFailed(str(e)) from None
    documents = []
    for path, data in found:
        try:
            documents.append((path, parse_mirc(data)))
        except MircParseError as e:  # is_mirc_document read it; this is belt and braces
            raise ImportFailed(f"{path}: {e}") from None
    return documents


@dataclass
class _Planned:
    """An <image>, its files found and its pictures read."""

    source: MircImage
    picture: bytes | None = None
    dicom: list[str] = field(default_factory=list)  # package paths
    dicom_bytes: list[tuple[str, bytes]] = field(default_factory=list)  # a src that was DICOM
    annotations: list[bytes] = field(default_factory=list)
    image_pk: int | None = None


def save_document(
    package: Package,
    path: str,
    doc: MircDocument,
    *,
    series: Series,
    user: Any = None,
    enqueue: bool = True,
) -> Imported:
    """Make ``doc`` (read from ``path`` of ``package``) a draft case; see the module
    docstring. With ``enqueue``, its DICOM upload is queued for the task worker;
    without, the caller processes it (``import_mirc`` does, with a progress bar).

    Raises
    ------
    ImportFailed
        Nothing of this document was kept: a value the case cannot hold, or its DICOM
        upload refused.
    """
    actor = user if user is not None and user.is_authenticated else None
    report = list(doc.report)
    plan = _plan(package, path, doc, report)
    # The image the document marks main, else its first: the one "View main image" opens.
    main = next((p for p in plan if p.source.is_main), plan[0] if plan else None)
    stored: list[Image] = []
    try:
        # One transaction; the case indexed for search once, at its end.
        with index.batch():
            case = _case(doc, series, actor, report)
            for planned in plan:
                _store_image(case, planned, planned is main, stored, report)
    except BaseException:
        _delete_files(stored)
        raise
    upload = _upload_dicom(package, case, plan, user or _Nobody(), enqueue, stored)
    with transaction.atomic():
        record(case, user=actor, kind="imported", message="Imported from a MIRCdocument")
        audit(
            Action.IMPORT,
            actor=actor,
            target=case,
            summary=f"imported case {case.number} from a MIRCdocument",
            dicom_files=upload.files.count() if upload else 0,
        )
    if found := case.unresolved_identifiers():
        report.append(
            f"{len(found)} possible identifier(s) in the text: the editor lists them; "
            "remove them or confirm them before the case can be published"
        )
    return Imported(document=path, case=case, report=report, upload=upload)


def _plan(package: Package, path: str, doc: MircDocument, report: list[str]) -> list[_Planned]:
    """Find each image's files and read its pictures, before anything is stored."""
    plan: list[_Planned] = []
    wanted: set[str] = set()
    for number, image in enumerate(doc.images, 1):
        planned = _Planned(image)
        # A picture named like DICOM is DICOM: streamed to quarantine, never read here.
        named_dicom = image.picture.lower().endswith(DICOM_SUFFIXES)
        for name in [*image.dicom, *([image.picture] if named_dicom else [])]:
            found = _find(package, path, name, number, report)
            if found is not None and found not in planned.dicom:
                planned.dicom.append(found)
        plan.append(planned)
        for name in [image.picture if not named_dicom else "", *image.annotations]:
            if name and (found := _find(package, path, name, number, report)) is not None:
                wanted.add(found)
    data = package.read(wanted, PICTURE_MAX_BYTES) if wanted else {}
    for number, planned in enumerate(plan, 1):
        image = planned.source
        named_dicom = image.picture.lower().endswith(DICOM_SUFFIXES)
        if (
            image.picture
            and not named_dicom
            and (found := package.resolve(path, image.picture)[0])
        ):
            content = _picture(data.get(found), found, number, report)
            if isinstance(content, tuple):
                planned.dicom_bytes.append(content)
            else:
                planned.picture = content
        for name in image.annotations:
            if (found := package.resolve(path, name)[0]) is not None:
                annotation = _picture(data.get(found), found, number, report)
                if isinstance(annotation, bytes):
                    planned.annotations.append(annotation)
                elif isinstance(annotation, tuple):
                    report.append(f"image {number}: annotation {found} is DICOM: not kept")
        if not (planned.picture or planned.dicom or planned.dicom_bytes):
            captioned = image.caption or image.answer_caption
            report.append(
                f"image {number}: no picture could be kept"
                + ("; its captions wait for one" if captioned else ": left out")
            )
    return plan


def _find(package: Package, path: str, name: str, number: int, report: list[str]) -> str | None:
    found, why = package.resolve(path, name)
    if found is None:
        report.append(f"image {number}: {name[:120]} {why}: not imported")
    return found


def _picture(
    data: bytes | str | None, name: str, number: int, report: list[str]
) -> bytes | tuple[str, bytes] | None:
    """Picture bytes that decode, or (name, bytes) for a DICOM file, or None (reported)."""
    if data is None or isinstance(data, str):
        report.append(f"image {number}: {name} not read: {data or 'missing'}")
        return None
    kind = sniff(data)
    if kind == "dicom":
        return (name, data)
    if kind == "svg":
        report.append(f"image {number}: {name} is SVG, not accepted (it can carry script)")
        return None
    try:
        clean_image_bytes(data)
    except InvalidImage as e:
        report.append(f"image {number}: {name} not imported: {e}")
        return None
    return data


def _case(doc: MircDocument, series: Series, actor: Any, report: list[str]) -> Case:
    coded, left = _codes(doc.codes, report)
    case = Case(
        series=series,
        status=Status.DRAFT,
        visibility=doc.visibility,
        created_by=actor,
        source=SOURCE,
        title=doc.title,
        case_date=doc.case_date,
        difficulty=doc.difficulty,
        quality=doc.quality,
        modality=doc.modality,
        exam=doc.exam,
        patient_age=doc.patient_age,
        patient_sex=doc.patient_sex,
        brief_history=doc.brief_history,
        full_history=doc.full_history,
        findings=doc.findings,
        diagnosis=doc.diagnosis,
        discussion=doc.discussion,
        followup=doc.followup,
        differential=doc.differential,
        accepted_answers=doc.accepted_answers,
        references=[{"text": r.text, "pmid": r.pmid, "doi": r.doi} for r in doc.references],
        acr_codes=doc.acr_codes,
        keywords=doc.keywords,
        anatomic_field=doc.anatomic_field,
        category=doc.category,
        copyright=doc.copyright,
        unparsed="\n\n".join(filter(None, [doc.unparsed, *left])),
    )
    if doc.topic:
        case.topic = Topic.objects.filter(title__iexact=doc.topic).first()
        if case.topic is None:
            report.append(f"topic page {doc.topic[:80]!r} does not exist here: not linked")
    try:
        case.full_clean(
            exclude=["series", "sequence", "number", "created_by", "topic"],
            validate_constraints=False,
        )
        case.save()
    except ValidationError as e:
        messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in e.message_dict.items())
        raise ImportFailed(f"invalid case: {messages}") from None
    except IntegrityError as e:
        raise ImportFailed(f"invalid case: {e}") from None
    CaseAuthor.objects.bulk_create(
        CaseAuthor(case=case, order=i, name=a.name, credentials=a.credentials)
        for i, a in enumerate(doc.authors)
    )
    Radiopharmaceutical.objects.bulk_create(
        Radiopharmaceutical(
            case=case,
            order=i,
            agent=d.agent[:120],
            activity=d.activity,
            unit=d.unit,
            route=d.route[:40],
            time_to_imaging=d.time_to_imaging[:60],
        )
        for i, d in enumerate(doc.radiopharmaceuticals)
    )
    CaseCode.objects.bulk_create(
        CaseCode(case=case, code=code, order=i) for i, code in enumerate(coded)
    )
    return case


def _codes(found: list[MircCode], report: list[str]) -> tuple[list[Code], list[str]]:
    """The document's codes as rows of the codes table, in order, and the unparsed text
    of those that cannot be rows. A code the table has keeps its term (a vocabulary's, or
    one an author gave); one it lacks is added with the document's term, or, given none,
    kept as unparsed text."""
    if not found:
        return [], []
    known = {
        (c.system, c.code): c
        for c in Code.objects.filter(code__in={f.code for f in found}).prefetch_related("synonyms")
    }
    rows: list[Code] = []
    left: list[str] = []
    termless: list[str] = []
    differ: list[str] = []
    for given in found:
        system = codes.SYSTEMS[given.system]
        name = f"{system} {given.code}"
        code = known.get((given.system, given.code))
        if code is None:
            try:
                meaning = codes.clean_term(given.meaning[: codes.MAX_TERM])
            except codes.InvalidCode:  # no term
                left.append(f"Code ({system}) {given.code}")
                termless.append(name)
                continue
            code, _ = Code.objects.get_or_create(
                system=given.system,
                code=given.code,
                defaults={"meaning": meaning, "source": Code.MIRC_SOURCE},
            )
        elif given.meaning and codes.term_key(given.meaning) not in {
            code.key,
            *(s.key for s in code.synonyms.all()),
        }:
            differ.append(f"{name} ({given.meaning[:80]!r})")
        if code not in rows:
            rows.append(code)
    if termless:
        report.append(
            f"{len(termless)} code(s) without a term, unknown to the codes table, kept as "
            f"unparsed text: {_named(termless)}"
        )
    if differ:
        report.append(
            f"{len(differ)} code(s) keep the term the codes table has, not the document's: "
            f"{_named(differ)}"
        )
    return rows, left


def _named(items: list[str]) -> str:
    return ", ".join(items[:NAMED_CODES]) + (", …" if len(items) > NAMED_CODES else "")


def _store_image(
    case: Case, planned: _Planned, is_main: bool, stored: list[Image], report: list[str]
) -> None:
    image = planned.source
    kept = planned.picture or planned.dicom or planned.dicom_bytes
    if not (kept or image.caption or image.answer_caption):
        return  # nothing of it could be kept (reported in _plan)
    if planned.picture is not None:
        try:
            shown = add_image(
                case,
                planned.picture,
                caption=image.caption,
                answer_caption=image.answer_caption,
                is_main=is_main,
            )
        except InvalidImage as e:  # it decoded in _plan; a second decode should too
            raise ImportFailed(f"a picture could not be stored: {e}") from None
        stored.append(shown)
    else:
        shown = Image.objects.create(
            case=case,
            order=case.images.count(),
            caption=image.caption,
            answer_caption=image.answer_caption,
            is_main=is_main,
        )
    planned.image_pk = shown.pk
    number = shown.order + 1
    for data in planned.annotations:
        label = image.answer_caption or image.caption
        annotated = add_image(
            case,
            data,
            answer_caption=f"Annotated version of image {number}"
            + (f": {label}" if label else "."),
        )
        stored.append(annotated)
        report.append(
            f"image {number}: its annotated version is image {annotated.order + 1}, which "
            "readers see before the answer: remove or move it if it gives the answer away"
        )


def _upload_dicom(
    package: Package,
    case: Case,
    plan: list[_Planned],
    user: Any,
    enqueue: bool,
    stored: list[Image],
) -> Upload | None:
    """One upload of every DICOM file of the document, each naming its image. On a
    refusal the case goes too (see the module docstring)."""
    sent_for: dict[str, int] = {}
    for planned in plan:
        for name in planned.dicom:
            sent_for.setdefault(name, planned.image_pk or 0)
    loose = [(planned.image_pk, f) for planned in plan for f in planned.dicom_bytes]
    if not sent_for and not loose:
        return None
    upload = uploads.open_upload(case, user)
    try:
        for name, f in package.stream(sent_for):
            _add(upload, f, sent_for[name])
        for image_pk, (name, data) in loose:
            _add(upload, _Bytes(name, data), image_pk or 0)
        upload = uploads.finish(upload, enqueue=enqueue)
    except (uploads.NotReceived, PackageError) as e:
        uploads.discard(upload)
        _delete_files(stored)
        case.delete()
        raise ImportFailed(f"its DICOM was not received: {e}") from None
    except BaseException:
        uploads.discard(upload)
        _delete_files(stored)
        case.delete()
        raise
    return upload


def _add(upload: Upload, f: Any, image_pk: int) -> None:
    rows = uploads.add_files(upload, [f])
    if image_pk:
        UploadFile.objects.filter(pk__in=[r.pk for r in rows]).update(image_id=image_pk)


class _Bytes:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._fp = name.rpartition("/")[2], io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._fp.read(n)


def _delete_files(images: list[Image]) -> None:
    """Remove the stored pictures of images whose rows were rolled back or deleted."""
    for image in images:
        for stored_file in (image.file, image.thumbnail):
            if stored_file.name:
                with contextlib.suppress(OSError):
                    stored_file.storage.delete(stored_file.name)
