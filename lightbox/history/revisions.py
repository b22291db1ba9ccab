"""Recording, listing, comparing and restoring revisions of cases and topics.

Nothing here hooks model signals: whoever saves a case or topic calls :func:`record`
afterwards (the case editor, the legacy importer, a workflow transition). An unchanged save
records nothing.

Examples
--------
>>> from lightbox.test import make_case, personas
>>> people = personas()
>>> case = make_case()
>>> older = record(case, user=people["alice"], kind="created")
>>> case.findings = "Tracer uptake in the soft tissues of both thighs."
>>> case.save()
>>> rev = record(case, user=people["alice"], kind="edited", message="Fixed the findings")
>>> [d.label for d in diff(older, rev)]
['Findings']
>>> restore(older, user=people["erin"]).message
'Restored revision 1'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from rapidfuzz.distance import Indel

from lightbox.cases import codes
from lightbox.cases.models import (
    CATEGORY_CHOICES,
    FIELD_CHOICES,
    Case,
    Modality,
    Sex,
    Status,
    Topic,
    Visibility,
)
from lightbox.history.models import Revision
from lightbox.history.snapshots import (
    CASE_LABELS,
    TOPIC_LABELS,
    apply_case_snapshot,
    apply_topic_snapshot,
    case_snapshot,
    topic_snapshot,
)

__all__ = [
    "FieldDiff",
    "checkpoint",
    "content",
    "diff",
    "ensure_first",
    "field_text",
    "for_object",
    "latest",
    "record",
    "restore",
    "restore_notes",
    "target_of",
    "word_diff",
]

Kind = Revision.Kind
Target = Case | Topic

# Text longer than this (or on several lines) is compared word by word, inline.
INLINE_DIFF_MIN = 60
FIRST_MESSAGE = "History starts here: earlier changes, if any, were not recorded."
# Words, punctuation marks and runs of whitespace: "thighs," differs from "thighs" by a comma.
TOKEN_RE = re.compile(r"\w+|[^\w\s]|\s+")
#: The longest changed stretches aligned word by word, as the product of their lengths
#: in tokens (the aligner's memory is this many bits: about 6 MB, and 50 ms).
MAX_ALIGNED = 50_000_000
_ATTEMPTS = 3


def _target_type(obj: Target) -> str:
    if isinstance(obj, Case):
        return Revision.TargetType.CASE
    if isinstance(obj, Topic):
        return Revision.TargetType.TOPIC
    raise TypeError(f"Only cases and topics have revisions, not {type(obj).__name__}.")


def _snapshot(obj: Target) -> dict[str, Any]:
    return case_snapshot(obj) if isinstance(obj, Case) else topic_snapshot(obj)


def for_object(obj: Target) -> models.QuerySet[Revision]:
    """The revisions of ``obj``, newest first."""
    return Revision.objects.filter(target_type=_target_type(obj), target_id=obj.pk).order_by(
        "-number"
    )


def latest(obj: Target) -> Revision | None:
    return for_object(obj).first()


def target_of(revision: Revision) -> Target:
    """The case or topic a revision belongs to; raises DoesNotExist when it is gone."""
    model = Case if revision.target_type == Revision.TargetType.CASE else Topic
    return model.objects.get(pk=revision.target_id)


def record(
    obj: Target, *, user: Any = None, kind: str = Kind.EDITED, message: str = ""
) -> Revision | None:
    """Record the saved state of ``obj`` as its next revision.

    Returns ``None`` and records nothing when the state equals the latest revision's. The
    first revision of an object is always recorded; when that first call comes after an
    edit (``kind`` edited or status) the state before it is unknown, so the revision is
    recorded as kind *created*.

    The state is read from the database under a lock on the object's row (PostgreSQL;
    SQLite serialises writers), so two saves at once get consecutive numbers; a clash that
    slips through anyway is retried.
    """
    if obj.pk is None:
        raise ValueError("Save the object before recording a revision of it.")
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                return _record_locked(obj, user=user, kind=kind, message=message)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _record_locked(obj: Target, *, user: Any, kind: str, message: str) -> Revision | None:
    fresh = type(obj).objects.select_for_update().get(pk=obj.pk)
    snapshot = _snapshot(fresh)
    previous = latest(fresh)
    if previous is not None and previous.snapshot == snapshot:
        return None
    if previous is None and kind in (Kind.EDITED, Kind.STATUS):
        kind = Kind.CREATED
    changed = (
        [k for k in _labels(fresh) if previous.snapshot.get(k) != snapshot.get(k)]
        if previous
        else []
    )
    user = user if user is not None and user.is_authenticated else None
    return Revision.objects.create(
        target_type=_target_type(fresh),
        target_id=fresh.pk,
        number=previous.number + 1 if previous else 1,
        user=user,
        user_name=(user.get_full_name() or user.get_username()) if user else "",
        kind=kind,
        message=message[:300],
        snapshot=snapshot,
        changed=changed,
    )


def checkpoint(obj: Target, message: str) -> Revision | None:
    """Record the current state if it was saved without a revision (or none exists yet).

    Called before anything overwrites an object (a restore, a re-import) so that a change
    made outside the editor is not lost. With no revision yet, the current state becomes
    revision 1 (kind created, with a message saying that history starts there).
    """
    if not for_object(obj).exists():
        message = FIRST_MESSAGE
    return record(obj, kind=Kind.EDITED, message=message)


def ensure_first(obj: Target) -> None:
    """Give an object with no revision its revision 1, of kind created."""
    if not for_object(obj).exists():
        record(obj, kind=Kind.CREATED, message=FIRST_MESSAGE)


# -- comparing --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDiff:
    """One changed field between two revisions.

    ``segments`` is set for long text: ``(op, text)`` pairs with op ``"equal"``,
    ``"delete"`` or ``"insert"``, for the template to show inline with ``<del>``/``<ins>``.
    Every text here is plain, unescaped user text: templates escape it.
    """

    key: str
    label: str
    old: str
    new: str
    segments: list[tuple[str, str]] = field(default_factory=list)

    @property
    def inline(self) -> bool:
        return bool(self.segments)


def _labels(obj_or_type: Target | str) -> dict[str, str]:
    kind = obj_or_type if isinstance(obj_or_type, str) else _target_type(obj_or_type)
    return CASE_LABELS if kind == Revision.TargetType.CASE else TOPIC_LABELS


def diff(old: Revision, new: Revision) -> list[FieldDiff]:
    """The fields that differ from ``old`` to ``new``, in display order."""
    if (old.target_type, old.target_id) != (new.target_type, new.target_id):
        raise ValueError("Only revisions of the same case or topic can be compared.")
    out = []
    for key, label in _labels(old.target_type).items():
        before, after = old.snapshot.get(key), new.snapshot.get(key)
        if before == after:
            continue
        a = field_text(old.target_type, key, before)
        b = field_text(new.target_type, key, after)
        long = max(len(a), len(b)) >= INLINE_DIFF_MIN or "\n" in a + b
        out.append(FieldDiff(key, label, a, b, word_diff(a, b) if long else []))
    return out


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level differences as ``(op, text)`` segments; whitespace is kept as it is.

    The words of the two texts are aligned by their longest common subsequence (rapidfuzz,
    bit-parallel: time and memory grow with the product of the lengths of the changed
    stretches). What the texts share at the start and at the end is set aside first, so an
    edit anywhere in a long text costs little; when the stretches that differ are too long
    to align (``MAX_ALIGNED`` words × words), the old stretch is shown deleted and the new
    one inserted. difflib, used before, took minutes on two lines of 2,000 words.
    """
    a, b = TOKEN_RE.findall(old), TOKEN_RE.findall(new)
    head = _common_prefix(a, b)
    tail = min(_common_prefix(a[::-1], b[::-1]), len(a) - head, len(b) - head)
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    runs: list[_Run] = [_Run(a[:head])]
    if len(middle_a) * len(middle_b) <= MAX_ALIGNED:
        for op in Indel.opcodes(middle_a, middle_b):
            x, y = middle_a[op.src_start : op.src_end], middle_b[op.dest_start : op.dest_end]
            runs.append(_Run(x) if op.tag == "equal" else _Run([], x, y))
    else:
        runs.append(_Run([], middle_a, middle_b))
    runs.append(_Run(a[len(a) - tail :]))
    return _segments(_merge_around_spaces(runs))


@dataclass
class _Run:
    """Tokens both texts share (``same``), or tokens deleted and inserted."""

    same: list[str]
    deleted: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _merge_around_spaces(runs: list[_Run]) -> list[_Run]:
    """Adjacent runs of one kind merged, and a stretch the aligner kept between two
    insertions (or two deletions) moved so that they join: ", arms" inserted before
    " and " rather than "," and "arms " inserted on either side of a kept space."""
    out: list[_Run] = []
    for run in runs:
        if not (run.same or run.deleted or run.inserted):
            continue
        if out and not run.same and not out[-1].same:
            out[-1].deleted += run.deleted
            out[-1].inserted += run.inserted
        elif len(out) >= 2 and not out[-2].same and out[-1].same and _rotate(out, run):
            pass
        elif out and run.same and out[-1].same:
            out[-1].same = out[-1].same + run.same
        else:
            out.append(run)
    return out


def _rotate(out: list[_Run], run: _Run) -> bool:
    """Edit E, kept K, then ``run`` X: when X only inserts (or only deletes) and ends with
    K, then E K X reads the same as E' K with E' = E + K + (X less its K), which
    ``out`` becomes. Whether it did."""
    edit, kept = out[-2], out[-1].same
    if not run.deleted and run.inserted[-len(kept) :] == kept:
        edit.inserted += kept + run.inserted[: -len(kept)]
        return True
    if not run.inserted and run.deleted[-len(kept) :] == kept:
        edit.deleted += kept + run.deleted[: -len(kept)]
        return True
    return False


def _segments(runs: list[_Run]) -> list[tuple[str, str]]:
    segments: list[tuple[str, str]] = []
    for run in runs:
        if run.same:
            segments.append(("equal", "".join(run.same)))
        if run.deleted:
            segments.append(("delete", "".join(run.deleted)))
        if run.inserted:
            segments.append(("insert", "".join(run.inserted)))
    return segments


# -- showing values ---------------------------------------------------------------------

_CHOICES: dict[str, dict[str, str]] = {
    "modality": dict(Modality.choices),
    "patient_sex": dict(Sex.choices),
    "status": dict(Status.choices),
    "visibility": dict(Visibility.choices),
    "anatomic_field": dict(FIELD_CHOICES),
    "category": dict(CATEGORY_CHOICES),
}


def field_text(target_type: str, key: str, value: Any) -> str:
    """A snapshot value as a reader sees it: labels for codes, one line per list item."""
    if value is None or value == "" or value == []:
        return ""
    if key in _CHOICES:
        return _CHOICES[key].get(value, str(value))
    if key == "topic":
        title = Topic.objects.filter(slug=value).values_list("title", flat=True).first()
        return f"{title} ({value})" if title else str(value)
    if key == "references":
        return "\n".join(_reference_text(r) for r in value)
    if key == "codes":
        return "\n".join(_code_text(c) for c in value)
    if key == "authors":
        return "\n".join(
            ", ".join(p for p in (a.get("name", ""), a.get("credentials", "")) if p) for a in value
        )
    if key == "radiopharmaceuticals":
        return "\n".join(_dose_text(d) for d in value)
    if key == "images":
        return "\n".join(_image_text(n, i) for n, i in enumerate(_by_order(value), 1))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _reference_text(ref: Any) -> str:
    if not isinstance(ref, dict):
        return str(ref)
    ids = [f"PMID {ref['pmid']}" if ref.get("pmid") else "", ref.get("doi") or ""]
    extra = ", ".join(i for i in ids if i)
    return f"{ref.get('text', '')} [{extra}]" if extra else str(ref.get("text", ""))


def _code_text(code: Any) -> str:
    if not isinstance(code, dict):
        return str(code)
    system = codes.SYSTEMS.get(code.get("system", ""), code.get("system", ""))
    return " ".join(str(p) for p in (system, code.get("code", ""), code.get("meaning", "")) if p)


def _dose_text(dose: dict[str, Any]) -> str:
    amount = f"{dose['activity']} {dose.get('unit', '')}".strip() if dose.get("activity") else ""
    parts = [amount, dose.get("agent", ""), dose.get("route", "")]
    text = " ".join(p for p in parts if p)
    return f"{text}, {dose['time_to_imaging']}" if dose.get("time_to_imaging") else text


def _by_order(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(images, key=lambda i: (i.get("order", 0), i.get("id", 0)))


def _image_text(position: int, image: dict[str, Any]) -> str:
    main = " (main)" if image.get("is_main") else ""
    text = f"Image {position}{main}: {image.get('caption') or '(no caption)'}"
    if answer := image.get("answer_caption"):
        text += f" | after the answer: {answer}"
    return text


def content(revision: Revision) -> list[tuple[str, str]]:
    """Every field of a revision as ``(label, text)``, in display order."""
    return [
        (label, field_text(revision.target_type, key, revision.snapshot.get(key)))
        for key, label in _labels(revision.target_type).items()
    ]


# -- restoring --------------------------------------------------------------------------


def restore(revision: Revision, *, user: Any) -> Revision:
    """Bring back the content of ``revision`` and record it as a new revision.

    Content only: a case keeps its current ``status`` and ``visibility``. Changes saved
    without a revision are recorded first, so they stay in the history. Raises ValueError
    when the object is gone or its content already equals the revision's.
    """
    try:
        obj = target_of(revision)
    except (Case.DoesNotExist, Topic.DoesNotExist):
        raise ValueError("The case or topic of this revision no longer exists.") from None
    # Committed on its own: kept even when the restore below is refused.
    checkpoint(obj, message="Changes saved without a revision, recorded before a restore.")
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        if isinstance(obj, Case):
            apply_case_snapshot(obj, revision.snapshot)
        else:
            apply_topic_snapshot(obj, revision.snapshot)
        message = f"Restored revision {revision.number}"
        new = record(obj, user=user, kind=Kind.RESTORED, message=message)
        if new is None:
            # Leaving the block by an exception rolls the (empty) restore back.
            raise ValueError(f"The content already equals revision {revision.number}.")
        return new


def restore_notes(revision: Revision, obj: Target) -> list[str]:
    """What a restore of ``revision`` onto ``obj`` would skip (gone images, topic)."""
    if not isinstance(obj, Case):
        return []
    notes = []
    images = revision.snapshot.get("images") or []
    existing = set(obj.images.values_list("pk", flat=True))
    if gone := sum(i.get("id") not in existing for i in images):
        notes.append(f"{gone} image(s) of this revision no longer exist and will be skipped.")
    slug = revision.snapshot.get("topic")
    if slug and not Topic.objects.filter(slug=slug).exists():
        notes.append(f"Topic “{slug}” no longer exists; the topic will be left as it is.")
    return notes
