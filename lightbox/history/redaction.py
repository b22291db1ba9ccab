"""Redacting a text (an identifier) from the history of a case or topic, for good.

An author who deletes "Dr. Jones on 03/04/2024" from a case still finds it in every
earlier revision: history is append-only so that no edit is lost. An editor (or an
administrator) can purge such a text: :func:`redact` replaces every occurrence of it with
``[redacted]`` in every revision of the object (its snapshot and its message), and in the
other records that keep old text of it —

* the case's review notes (an editor's request for changes may quote the text),
* the audit entries about the object (their summary, their label — a case's title at the
  time — and their data, which holds review notes),
* unsaved editor drafts of the case (autosave),
* the case's comments (their text and a moderator's reason for hiding one: a deleted or
  hidden comment is kept, so that moderators can see what was said),
* the author's confirmations that a finding of the identifier scan was not an identifier
  (:class:`~lightbox.cases.models.IdentifierAcknowledgement`), when their finding lay in
  the text: they hold a short hash of what was matched, which trying every date or name
  would undo — the confirmations are deleted and the hashes purged from the audit log,
* the case's rendered pages, a cache, which are deleted and rendered afresh.

The search index holds only the current text, which must no longer contain the text
(:func:`redact` refuses otherwise: the author edits the live case first). A
:class:`~lightbox.history.models.Redaction` row records who, when, which revisions and
which fields — never the text, nor a hash of it (a short identifier's hash is found again
by trying every candidate).

The match is exact and case-sensitive, so that a redaction of "Dr. Jones" leaves "Jones
fracture" alone; :func:`find` says where a text occurs before anything is changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import (
    Case,
    EditDraft,
    IdentifierAcknowledgement,
    RenderedPage,
    ReviewNote,
    Topic,
)
from lightbox.comments.models import Comment
from lightbox.deid import scan
from lightbox.history.models import Redaction, Revision
from lightbox.history.revisions import for_object
from lightbox.history.snapshots import CASE_LABELS, TOPIC_LABELS, case_snapshot, topic_snapshot
from lightbox.lib.appendonly import redact_row

__all__ = ["MIN_LENGTH", "REPLACEMENT", "Occurrences", "RedactionRefused", "find", "redact"]

REPLACEMENT = "[redacted]"
#: Shorter texts occur inside ordinary words: redact a longer stretch around them.
MIN_LENGTH = 3


class RedactionRefused(ValueError):
    """The text cannot be redacted (too short, absent, or still in the live object)."""


@dataclass
class Occurrences:
    """Where a text occurs in the history of one object."""

    revisions: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    #: Other records holding it, by kind ("review notes", "audit entries", "drafts").
    elsewhere: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.revisions or self.elsewhere)


def _replace(value: Any, *texts: str) -> Any:
    """``value`` (JSON: text, numbers, lists, dicts) with each of ``texts`` replaced in
    every string, keys included."""
    if isinstance(value, str):
        for text in texts:
            value = value.replace(text, REPLACEMENT)
        return value
    if isinstance(value, list):
        return [_replace(v, *texts) for v in value]
    if isinstance(value, dict):
        return {_replace(k, *texts): _replace(v, *texts) for k, v in value.items()}
    return value


def _holds(value: Any, *texts: str) -> bool:
    return _replace(value, *texts) != value


def _target(obj: Case | Topic) -> tuple[str, str]:
    """The object's type and id as the audit log names it (see audit.log.record)."""
    if isinstance(obj, Case):
        return "case", obj.number
    return "topic", str(obj.pk)


def _audit_entries(obj: Case | Topic) -> Any:
    target_type, target_id = _target(obj)
    return AuditEntry.objects.filter(target_type=target_type, target_id=target_id)


def _others(obj: Case | Topic) -> dict[str, Any]:
    """The other records of ``obj`` that keep text, by kind: (queryset, text columns)."""
    others: dict[str, Any] = {"audit entries": (_audit_entries(obj), AuditEntry.redactable_fields)}
    if isinstance(obj, Case):
        others["review notes"] = (ReviewNote.objects.filter(case=obj), ("text",))
        others["drafts"] = (EditDraft.objects.filter(case=obj), ("data",))
        others["comments"] = (Comment.objects.filter(case=obj), ("body", "hidden_reason"))
    return others


def _confirmations(obj: Case | Topic, text: str) -> list[str]:
    """Fingerprints of the case's "not an identifier" confirmations whose finding lies in
    ``text``: the scan run on ``text`` alone, as each confirmation's field, finds it."""
    if not isinstance(obj, Case):
        return []
    prints = []
    for name, fingerprint in obj.acknowledgements.values_list("field", "fingerprint"):
        if fingerprint in {f.fingerprint for f in scan(text, field=name)}:
            prints.append(fingerprint)
    return prints


def find(obj: Case | Topic, text: str) -> Occurrences:
    """Where ``text`` occurs in the history of ``obj``; raises :class:`RedactionRefused`
    when it may not be redacted (shorter than :data:`MIN_LENGTH`, or still in the
    object's current content)."""
    if len(text.strip()) < MIN_LENGTH:
        raise RedactionRefused(
            f"Give at least {MIN_LENGTH} characters: a shorter text is found inside "
            "ordinary words. Redact the whole identifier, e.g. a name with its date."
        )
    current = case_snapshot(obj) if isinstance(obj, Case) else topic_snapshot(obj)
    if still := [key for key, value in current.items() if _holds(value, text)]:
        raise RedactionRefused(
            "The text is still in the current "
            f"{'case' if isinstance(obj, Case) else 'topic'} ({', '.join(still)}): remove "
            "it in the editor and save, then redact it from the history."
        )
    found = Occurrences()
    keys: dict[str, None] = {}
    for rev in for_object(obj).order_by("number"):
        hit = [k for k, v in rev.snapshot.items() if _holds(v, text)]
        if text in rev.message:
            hit.append("message")
        if hit:
            found.revisions.append(rev.number)
            keys.update(dict.fromkeys(hit))
    # In display order (PostgreSQL's jsonb keeps a snapshot's keys in an order of its own).
    order = list(CASE_LABELS if isinstance(obj, Case) else TOPIC_LABELS) + ["message"]
    found.fields = sorted(keys, key=lambda k: order.index(k) if k in order else len(order))
    prints = _confirmations(obj, text)
    for kind, (rows, columns) in _others(obj).items():
        n = sum(
            any(_holds(getattr(row, c), text, *prints) for c in columns)
            for row in rows.only("pk", *columns)
        )
        if n:
            found.elsewhere[kind] = n
    if prints:
        found.elsewhere["identifier confirmations"] = len(prints)
    return found


def redact(obj: Case | Topic, text: str, *, by: Any) -> Redaction:
    """Replace ``text`` with :data:`REPLACEMENT` wherever the history of ``obj`` keeps
    it, in one transaction, and record a :class:`Redaction` (without the text).

    Raises
    ------
    RedactionRefused
        As :func:`find` does, and when the text occurs nowhere.
    """
    with transaction.atomic(), _secure_delete():
        # Lock the object: an edit saved meanwhile could bring the text back.
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        found = find(obj, text)
        if not found:
            raise RedactionRefused("The text does not occur in the history: nothing to redact.")
        for rev in for_object(obj).filter(number__in=found.revisions):
            redact_row(
                Revision,
                rev.pk,
                snapshot=_replace(rev.snapshot, text),
                message=_replace(rev.message, text),
            )
        prints = _confirmations(obj, text)
        IdentifierAcknowledgement.objects.filter(case_id=obj.pk, fingerprint__in=prints).delete()
        for rows, columns in _others(obj).values():
            for row in rows.only("pk", *columns):
                changed = {c: _replace(getattr(row, c), text, *prints) for c in columns}
                if changed != {c: getattr(row, c) for c in columns}:
                    if isinstance(row, AuditEntry):
                        redact_row(AuditEntry, row.pk, **changed)
                    else:
                        type(row).objects.filter(pk=row.pk).update(**changed)
        if isinstance(obj, Case):
            RenderedPage.objects.filter(case=obj).delete()  # a cache: rendered again on read
        user = by if getattr(by, "is_authenticated", False) else None
        return Redaction.objects.create(
            target_type=Revision.TargetType.CASE
            if isinstance(obj, Case)
            else Revision.TargetType.TOPIC,
            target_id=obj.pk,
            user=user,
            user_name=(user.get_full_name() or user.get_username()) if user else "",
            revisions=found.revisions,
            fields=found.fields,
            elsewhere=found.elsewhere,
        )


@contextmanager
def _secure_delete() -> Iterator[None]:
    """On SQLite, overwrite the space the old text leaves in the database file with
    zeros (``PRAGMA secure_delete``) for the rows rewritten here, so the text is not left
    behind in free space."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA secure_delete = {int(before)}")
