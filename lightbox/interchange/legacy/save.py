"""Saving parsed legacy pages as cases: create or update by case number, never duplicate.

The Django part of :mod:`lightbox.interchange.legacy`: the parsing itself is Django-free
(:mod:`~lightbox.interchange.legacy.parse`); this module maps a
:class:`~lightbox.interchange.legacy.LegacyCase` onto the models in one atomic block per
page (a transaction, or a savepoint inside the caller's), so a page either imports whole
or not at all. Callers that import many pages wrap them in
:func:`lightbox.search.index.batch`, which indexes each case once, at the end.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from lightbox.cases.models import (
    AGE_CEILING,
    Case,
    CaseAuthor,
    Modality,
    Radiopharmaceutical,
    Series,
    Sex,
    Status,
    Topic,
    Visibility,
    split_number,
)
from lightbox.history.revisions import checkpoint, record
from lightbox.imaging.images import InvalidImage, add_image
from lightbox.imaging.models import Image
from lightbox.interchange.legacy.parse import (
    MAX_BYTES,
    LegacyCase,
    LegacyParseError,
    parse_legacy,
)
from lightbox.interchange.legacy.sections import DIAGNOSIS_HEADINGS

__all__ = ["ImportResult", "SERIES_NAMES", "import_legacy_file", "save_legacy_case"]

# "44-year old woman", "a 7 year-old boy", "63 yo male": the age and sex a history gives.
AGE_SEX_RE = re.compile(
    r"\b(?P<age>\d{1,3})[- ]?(?:years?|yrs?|y/?o)\b[- ]?(?:old)?[- ]?"
    r"(?P<sex>woman|female|girl|lady|man|male|boy|gentleman)\b",
    re.IGNORECASE,
)
FEMALE_WORDS = {"woman", "female", "girl", "lady"}

# Series prefixes of the classic nuclear-medicine and radiology teaching files. An unknown
# prefix still imports; its series is named after the prefix and can be renamed later.
SERIES_NAMES = {
    "bs": "Bone scintigraphy",
    "nm": "Nuclear medicine",
    "ct": "Computed tomography",
    "mr": "Magnetic resonance",
    "cr": "Radiography",
    "us": "Ultrasound",
    "pet": "PET",
    "th": "Thyroid",
    "vq": "Ventilation–perfusion",
    "gi": "Gastrointestinal",
    "gu": "Genitourinary",
    "car": "Cardiac",
    "neu": "Neuroimaging",
    "inf": "Infection imaging",
}
# Positron emitters: a case with one of these agents is PET rather than single-photon NM.
PET_NUCLIDES = ("f-18", "18f", "ga-68", "68ga", "c-11", "11c", "n-13", "13n", "rb-82", "o-15")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff")


class ImportFailed(Exception):
    """One file could not be imported; the message is one line."""


@dataclass
class ImportResult:
    path: Path
    number: str
    created: bool
    warnings: list[str] = field(default_factory=list)
    case_id: int | None = None


def _series_for(number: str) -> Series:
    prefix, _ = split_number(number)
    series, _ = Series.objects.get_or_create(
        prefix=prefix, defaults={"name": SERIES_NAMES.get(prefix, f"Series {prefix}")}
    )
    return series


def _topic_for(parsed: LegacyCase) -> Topic | None:
    if not parsed.topic or not parsed.topic.title:
        return None
    slug = slugify(parsed.topic.title)[:120]
    topic, created = Topic.objects.get_or_create(
        slug=slug,
        defaults={
            "title": parsed.topic.title,
            "anatomic_field": parsed.topic.field or "",
            "category": parsed.topic.category or "",
        },
    )
    if not created and not topic.anatomic_field and parsed.topic.field:
        topic.anatomic_field = parsed.topic.field
        topic.category = parsed.topic.category or ""
        topic.save(update_fields=["anatomic_field", "category", "updated"])
    return topic


def _modality_for(parsed: LegacyCase) -> str:
    """Legacy pages carry no modality; a radiopharmaceutical makes it NM (or PET)."""
    agents = " ".join(r.agent.lower().replace(" ", "") for r in parsed.radiopharmaceuticals)
    if not agents:
        return ""
    if any(n in agents for n in PET_NUCLIDES):
        return Modality.PT
    return Modality.NM


def _apply_fields(case: Case, parsed: LegacyCase) -> None:
    case.title = parsed.title or case.title
    case.case_date = parsed.case_date
    case.difficulty = parsed.difficulty
    case.quality = parsed.quality
    case.brief_history = parsed.brief_history
    case.full_history = parsed.full_history
    case.findings = parsed.findings
    case.diagnosis = parsed.diagnosis
    case.discussion = parsed.discussion
    case.followup = parsed.followup
    case.differential = parsed.differential
    case.references = [{"text": r.text, "pmid": r.pmid, "doi": r.doi} for r in parsed.references]
    case.acr_codes = parsed.acr_codes
    case.keywords = parsed.keywords
    case.copyright = parsed.copyright
    case.unparsed = parsed.unparsed
    case.modality = case.modality or _modality_for(parsed)
    if match := AGE_SEX_RE.search(parsed.brief_history or parsed.full_history):
        case.patient_age = min(int(match["age"]), AGE_CEILING)
        case.patient_sex = Sex.FEMALE if match["sex"].lower() in FEMALE_WORDS else Sex.MALE
    if not parsed.acr_codes and parsed.topic:
        # No code on the page: the topic line names the field and category.
        case.anatomic_field = parsed.topic.field or case.anatomic_field
        case.category = parsed.topic.category or case.category


def _replace_children(case: Case, parsed: LegacyCase, *, created: bool) -> None:
    if not created:  # a new case has none to replace
        case.authors.all().delete()
        case.radiopharmaceuticals.all().delete()
    CaseAuthor.objects.bulk_create(
        CaseAuthor(case=case, order=i, name=a.name, credentials=a.credentials)
        for i, a in enumerate(parsed.authors)
    )
    Radiopharmaceutical.objects.bulk_create(
        Radiopharmaceutical(
            case=case,
            order=i,
            agent=r.agent,
            activity=r.activity,
            unit=r.unit,
            route=r.route,
            time_to_imaging=r.time_to_imaging,
        )
        for i, r in enumerate(parsed.radiopharmaceuticals)
    )


def _sync_images(case: Case, parsed: LegacyCase, page: Path | None, *, created: bool) -> list[str]:
    """Captions become images; a picture file named after the case beside the page
    (``bs068.png``, ``bs068-2.jpg``…) fills them in, in order. A picture beyond the
    captions becomes an image without one. Existing image files are kept."""
    warnings: list[str] = []
    existing = [] if created else list(case.images.all())
    files = _picture_files(page, case.number) if page else []
    captions = parsed.images + [""] * (len(files) - len(parsed.images))
    if parsed.images and len(files) > len(parsed.images):
        extra = ", ".join(f.name for f in files[len(parsed.images) :])
        warnings.append(f"more pictures than captions: {extra} imported without a caption")
    for order, caption in enumerate(captions):
        image = existing[order] if order < len(existing) else None
        if image is None and order < len(files):
            try:
                image = add_image(
                    case,
                    files[order].read_bytes(),
                    caption=caption,
                    is_main=order == 0,
                )
            except (InvalidImage, OSError) as e:
                warnings.append(f"image {files[order].name} not imported: {e}")
        if image is None:
            image = Image.objects.create(
                case=case, order=order, caption=caption, is_main=order == 0
            )
        if image.caption != caption or image.order != order:
            image.caption, image.order = caption, order
            image.save(update_fields=["caption", "order"])
    return warnings


def _picture_files(page: Path, number: str) -> list[Path]:
    """``bs068.png``, ``bs068-2.jpg`` … ``bs068-10.png`` beside the page, in number order
    (``-10`` comes after ``-9``; ``bs0681.png`` belongs to another case)."""
    folder = page.parent
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return []
    return _pictures_in(folder, stamp).get(number.lower(), [])


_NUMBERED_STEM_RE = re.compile(r"(.+?)[-_ ](\d{1,3})")


@functools.lru_cache(maxsize=4)
def _pictures_in(folder: Path, stamp: int) -> dict[str, list[Path]]:
    """The pictures of a folder by the case number they are named after, listed once per
    folder (and again when it changes, ``stamp`` being its modification time), not once
    per page: a collection keeps a thousand pages and their pictures in one folder."""
    found: dict[str, list[tuple[int, str, Path]]] = {}
    for path in folder.iterdir():
        if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
            continue
        stem = path.stem.lower()
        found.setdefault(stem, []).append((1, path.name, path))
        if numbered := _NUMBERED_STEM_RE.fullmatch(stem):
            found.setdefault(numbered[1], []).append((int(numbered[2]), path.name, path))
    return {number: [path for *_, path in sorted(paths)] for number, paths in found.items()}


@transaction.atomic
def save_legacy_case(
    parsed: LegacyCase,
    *,
    source: str = "",
    page: Path | None = None,
    visibility: str = Visibility.PUBLIC,
) -> tuple[Case, bool, list[str]]:
    """Create or update the case ``parsed`` describes. Returns (case, created, warnings)."""
    if not parsed.number:
        raise ImportFailed("no case number found on the page (expected e.g. 'Case number: bs068')")
    try:
        prefix, sequence = split_number(parsed.number)
    except ValueError as e:
        raise ImportFailed(str(e)) from None
    series = _series_for(parsed.number)
    # No ordering: Case's default one joins the series table to sort a single row.
    case = Case.objects.filter(series=series, sequence=sequence).order_by().first()
    created = case is None
    if case is not None:
        # Edits saved without a revision go into the history before the page overwrites them.
        checkpoint(case, message="Changes saved without a revision, recorded before re-import.")
    if case is None:
        # A legacy page was published teaching material, so the case arrives published;
        # a re-import keeps whatever status and visibility an editor has given it since.
        case = Case(
            series=series,
            sequence=sequence,
            status=Status.PUBLISHED,
            visibility=visibility,
            published_at=timezone.now(),
        )
    _apply_fields(case, parsed)
    case.topic = _topic_for(parsed) or case.topic
    case.source = source[:300]
    # Series and topic were just read or made in this transaction: no query to check them;
    # the number is made from series and sequence when the case is saved (and was looked
    # up by them above), so there is none to check yet either.
    # The check constraints (difficulty and quality 1-5) repeat the fields' validators in
    # the database, which enforces them: Django would validate each again with a query
    # carrying every field of the case, a fifth of an import's time. A row the database
    # refuses (a number taken by a concurrent writer) fails the page like a bad field.
    case.full_clean(
        exclude=["series", "sequence", "number", "created_by", "topic"],
        validate_constraints=False,
    )
    case.save()
    _replace_children(case, parsed, created=created)
    warnings = list(parsed.warnings) + _sync_images(case, parsed, page, created=created)
    if not parsed.diagnosis:
        # Said by name: the case is imported, but an editor must supply the answer.
        warnings.append(f"no diagnosis found: looked for headings {DIAGNOSIS_HEADINGS}")
    # An unchanged re-import records nothing.
    record(case, kind="imported", message=f"Imported from {source or 'a legacy page'}")
    return case, created, warnings


def import_legacy_file(path: Path, *, visibility: str = Visibility.PUBLIC) -> ImportResult:
    """Read, parse and save one page. Raises ImportFailed with a one-line reason."""
    try:
        size = path.stat().st_size
        # Refused before reading: the parser would refuse it anyway, after the read.
        if size > MAX_BYTES:
            raise ImportFailed(f"file too large: {size:,} bytes (limit 5 MiB)")
        data = path.read_bytes()
    except OSError as e:
        raise ImportFailed(f"cannot read file: {e.strerror or e}") from None
    try:
        parsed = parse_legacy(data)
    except LegacyParseError as e:
        raise ImportFailed(str(e)) from None
    try:
        case, created, warnings = save_legacy_case(
            parsed, source=path.name, page=path, visibility=visibility
        )
    except ValidationError as e:
        messages = "; ".join(f"{k}: {' '.join(v)}" for k, v in e.message_dict.items())
        raise ImportFailed(f"invalid case: {messages}") from None
    except IntegrityError as e:
        raise ImportFailed(f"invalid case: {e}") from None
    return ImportResult(
        path=path, number=case.number, created=created, warnings=warnings, case_id=case.pk
    )
