"""Snapshots: the complete editable state of a case or topic as plain JSON, and back.

A snapshot holds only JSON-native values (text, integers, ``None``, lists, dicts) so that
the copy read back from a :class:`~lightbox.history.models.Revision` compares equal to a
fresh one when nothing has changed.

What a case snapshot holds
--------------------------
Every editable field (``CASE_FIELDS``), the topic by slug, the authors and the administered
radiopharmaceuticals in order, the RadLex and SNOMED CT codes in order with their terms
(only when there are any, so that snapshots taken before cases had them still equal a
fresh snapshot of the same state), and for each image its id, captions (before the answer,
and after it when there is one), order and main flag. Image files are not part of a snapshot:
applying one re-captions, re-orders and re-marks the images that still exist and ignores
those that are gone.

Applying a snapshot never changes ``status`` or ``visibility`` (``WORKFLOW_FIELDS``):
publication is a separate workflow, and restoring old text must not un-publish a case or
publish a draft.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from lightbox.cases.models import Case, CaseAuthor, CaseCode, Code, Radiopharmaceutical, Topic
from lightbox.imaging.models import Image
from lightbox.search import index

__all__ = [
    "CASE_FIELDS",
    "CASE_LABELS",
    "TOPIC_FIELDS",
    "TOPIC_LABELS",
    "WORKFLOW_FIELDS",
    "apply_case_snapshot",
    "apply_topic_snapshot",
    "case_snapshot",
    "topic_snapshot",
]

# Scalar and list fields of Case, in the order an editor reads them. The series prefix and
# sequence are not editable; ``unparsed`` and ``source`` belong to the importer.
CASE_FIELDS = (
    "title",
    "case_date",
    "difficulty",
    "quality",
    "modality",
    "exam",
    "patient_age",
    "patient_sex",
    *Case.SECTIONS,
    "differential",
    "accepted_answers",
    "references",
    "acr_codes",
    "keywords",
    "anatomic_field",
    "category",
    "copyright",
    "status",
    "visibility",
)
WORKFLOW_FIELDS = ("status", "visibility")
# The columns of an image a snapshot keeps (see _image).
IMAGE_KEYS = ("pk", "caption", "answer_caption", "order", "is_main")
TOPIC_FIELDS = ("title", "slug", "anatomic_field", "category", "discussion", "references")

# Every snapshot key with the label a reader sees, in display order: the images after the
# brief history (the unknown's half), the differential and accepted answers after the
# diagnosis. The sections' labels are the case's own (Case.SECTIONS).
CASE_LABELS: dict[str, str] = {
    "title": "Title",
    "authors": "Authors",
    "case_date": "Case date",
    "difficulty": "Difficulty",
    "quality": "Quality",
    "modality": "Modality",
    "exam": "Exam / procedure",
    "radiopharmaceuticals": "Radiopharmaceuticals",
    "patient_age": "Patient age",
    "patient_sex": "Patient sex",
    "brief_history": Case.SECTIONS["brief_history"],
    "images": "Images (captions, order, main image)",
    "full_history": Case.SECTIONS["full_history"],
    "findings": Case.SECTIONS["findings"],
    "diagnosis": Case.SECTIONS["diagnosis"],
    "differential": "Differential diagnosis",
    "accepted_answers": "Accepted answers",
    "discussion": Case.SECTIONS["discussion"],
    "followup": Case.SECTIONS["followup"],
    "references": "References",
    "acr_codes": "ACR codes",
    "codes": "RadLex and SNOMED CT codes",
    "keywords": "Keywords",
    "anatomic_field": "Anatomic field",
    "category": "Pathology category",
    "topic": "Topic",
    "copyright": "Copyright / institution",
    "status": "Status",
    "visibility": "Visibility",
}
TOPIC_LABELS: dict[str, str] = {
    "title": "Title",
    "slug": "Address (slug)",
    "anatomic_field": "Anatomic field",
    "category": "Pathology category",
    "discussion": "Discussion",
    "references": "References",
}


def _plain(value: Any) -> Any:
    """A deep copy made of JSON-native values only (what a JSONField gives back)."""
    return json.loads(json.dumps(value))


def _date_text(value: dt.date | str | None) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _decimal_text(value: Decimal | None) -> str | None:
    """``Decimal("21.600")`` → ``"21.6"``: the same dose always reads the same."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def case_snapshot(case: Case) -> dict[str, Any]:
    """The complete editable state of ``case``: fields as they are on the instance, related
    rows (authors, radiopharmaceuticals, images) as they are in the database."""
    snap: dict[str, Any] = {
        name: _date_text(case.case_date) if name == "case_date" else _plain(getattr(case, name))
        for name in CASE_FIELDS
    }
    snap["topic"] = (
        Topic.objects.filter(pk=case.topic_id).values_list("slug", flat=True).first()
        if case.topic_id
        else None
    )
    snap["authors"] = [
        {"name": a.name, "credentials": a.credentials, "user": a.user_id}
        for a in case.authors.all()
    ]
    snap["radiopharmaceuticals"] = [
        {
            "agent": r.agent,
            "activity": _decimal_text(r.activity),
            "unit": r.unit,
            "route": r.route,
            "time_to_imaging": r.time_to_imaging,
        }
        for r in case.radiopharmaceuticals.all()
    ]
    snap["images"] = [_image(i) for i in case.images.order_by("order", "pk").values(*IMAGE_KEYS)]
    if codes := [
        {"system": system, "code": code, "meaning": meaning}
        for system, code, meaning in case.case_codes.values_list(
            "code__system", "code__code", "code__meaning"
        )
    ]:
        snap["codes"] = codes
    return snap


def _image(row: dict[str, Any]) -> dict[str, Any]:
    """One image of a snapshot. The answer caption is there only when it is set, so that
    snapshots taken before images had one still equal a fresh snapshot of the same
    state (an unchanged save records nothing)."""
    image = {"id": row["pk"], "caption": row["caption"], "order": row["order"]}
    image["is_main"] = row["is_main"]
    if row["answer_caption"]:
        image["answer_caption"] = row["answer_caption"]
    return image


def topic_snapshot(topic: Topic) -> dict[str, Any]:
    """The complete editable state of ``topic``."""
    return {name: _plain(getattr(topic, name)) for name in TOPIC_FIELDS}


@index.batch()  # one transaction; the case indexed once, at its end
def apply_case_snapshot(case: Case, snapshot: dict[str, Any]) -> list[str]:
    """Write ``snapshot`` back onto ``case`` and save it, in one transaction.

    Authors and radiopharmaceuticals are replaced; images that still exist get their
    captions, order and main flag back; ``status`` and ``visibility`` are left as they are.
    Returns notes on what could not be restored (images or a topic that are gone), for the
    person restoring.
    """
    notes: list[str] = []
    for name in CASE_FIELDS:
        if name in snapshot and name not in WORKFLOW_FIELDS:
            value = _plain(snapshot[name])
            if name == "case_date":
                value = dt.date.fromisoformat(value) if value else None
            setattr(case, name, value)
    if "topic" in snapshot:
        slug = snapshot["topic"]
        topic = Topic.objects.filter(slug=slug).first() if slug else None
        if slug and topic is None:
            notes.append(f"Topic “{slug}” no longer exists; the topic was left as it is.")
        else:
            case.topic = topic
    case.save()
    if "authors" in snapshot:
        _replace_authors(case, snapshot["authors"])
    if "radiopharmaceuticals" in snapshot:
        _replace_radiopharmaceuticals(case, snapshot["radiopharmaceuticals"])
    # No "codes": the case had none then.
    _replace_codes(case, snapshot.get("codes") or [])
    if "images" in snapshot and (gone := _restore_images(case, snapshot["images"])):
        notes.append(f"{gone} image(s) of that revision no longer exist and were skipped.")
    return notes


def _replace_authors(case: Case, authors: list[dict[str, Any]]) -> None:
    # An author's account may have been deleted since: keep the name, drop the link.
    ids = {user for a in authors if (user := a.get("user")) is not None}
    users = set(get_user_model().objects.filter(pk__in=ids).values_list("pk", flat=True))
    case.authors.all().delete()
    CaseAuthor.objects.bulk_create(
        CaseAuthor(
            case=case,
            order=i,
            name=a.get("name", ""),
            credentials=a.get("credentials", ""),
            user_id=a.get("user") if a.get("user") in users else None,
        )
        for i, a in enumerate(authors)
    )


def _replace_radiopharmaceuticals(case: Case, doses: list[dict[str, Any]]) -> None:
    case.radiopharmaceuticals.all().delete()
    Radiopharmaceutical.objects.bulk_create(
        Radiopharmaceutical(
            case=case,
            order=i,
            agent=d.get("agent", ""),
            activity=Decimal(d["activity"]) if d.get("activity") not in (None, "") else None,
            unit=d.get("unit", ""),
            route=d.get("route", ""),
            time_to_imaging=d.get("time_to_imaging", ""),
        )
        for i, d in enumerate(doses)
    )


def _replace_codes(case: Case, entries: list[dict[str, Any]]) -> None:
    """The codes of a snapshot, in order. A code no longer in the table comes back with
    the term it had then; one still there keeps the term the table has now."""
    rows = []
    for entry in entries:
        if not (isinstance(entry, dict) and entry.get("system") and entry.get("code")):
            continue
        code, _ = Code.objects.get_or_create(
            system=entry.get("system", ""),
            code=entry.get("code", ""),
            defaults={"meaning": entry.get("meaning", ""), "source": "restored from a revision"},
        )
        if code not in rows:
            rows.append(code)
    case.case_codes.all().delete()
    CaseCode.objects.bulk_create(
        CaseCode(case=case, code=code, order=i) for i, code in enumerate(rows)
    )


def _restore_images(case: Case, images: list[dict[str, Any]]) -> int:
    """Re-caption, re-order and re-mark the images that still exist; return how many are
    gone. Images added since the snapshot keep their captions."""
    existing = set(case.images.values_list("pk", flat=True))
    present = [i for i in images if i.get("id") in existing]
    main = [i["id"] for i in present if i.get("is_main")]
    # One main image per case (a constraint): clear the flags before setting one.
    clear = existing - set(main[:1]) if main else {i["id"] for i in present}
    Image.objects.filter(pk__in=clear, is_main=True).update(is_main=False)
    for i in present:
        Image.objects.filter(pk=i["id"]).update(
            caption=i.get("caption", ""),
            answer_caption=i.get("answer_caption", ""),
            order=i.get("order", 0),
            is_main=bool(main) and i["id"] == main[0],
        )
    return len(images) - len(present)


@transaction.atomic
def apply_topic_snapshot(topic: Topic, snapshot: dict[str, Any]) -> list[str]:
    """Write ``snapshot`` back onto ``topic`` and save it. Returns notes on what could not
    be restored (a slug another topic has taken since)."""
    notes: list[str] = []
    for name in TOPIC_FIELDS:
        if name in snapshot:
            setattr(topic, name, _plain(snapshot[name]))
    if Topic.objects.filter(slug=topic.slug).exclude(pk=topic.pk).exists():
        notes.append(f"Another topic now uses the address “{topic.slug}”; it was not restored.")
        topic.slug = Topic.objects.values_list("slug", flat=True).get(pk=topic.pk)
    topic.save()
    return notes
