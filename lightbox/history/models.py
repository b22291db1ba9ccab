"""Revisions: every saved state of a case or topic, kept for ever.

A :class:`Revision` is one entry of an append-only log. It holds the complete editable state
of its object (a *snapshot*, see :mod:`lightbox.history.snapshots`), so any revision can be
shown, compared with any other, or restored without replaying the ones before it. Rows are
never deleted, and edited only to redact: an editor can replace a text (an identifier an
author removed from the case) with "[redacted]" in every revision of the object
(:mod:`lightbox.history.redaction`); each redaction is a :class:`Redaction` row that says
who, when and where, never what. Restoring an old revision adds a new one.

The target is named by type and primary key rather than by a foreign key, so that the
history of a case outlives the case itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lightbox.lib.appendonly import AppendOnlyError, AppendOnlyModel

__all__ = ["AppendOnly", "Redaction", "Revision"]


class AppendOnly(AppendOnlyError):
    """Raised on any attempt to change or delete a revision."""


class Revision(AppendOnlyModel):
    append_only_error = AppendOnly
    append_only_message = "Revisions are an append-only log: they are never edited or deleted."
    redactable_fields = ("snapshot", "message")

    class TargetType(models.TextChoices):
        CASE = "case", "Case"
        TOPIC = "topic", "Topic"

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        IMPORTED = "imported", "Imported"
        RESTORED = "restored", "Restored"
        STATUS = "status", "Status change"

    target_type = models.CharField(max_length=8, choices=TargetType)
    target_id = models.BigIntegerField()
    number = models.PositiveIntegerField(help_text="1, 2, 3… per object.")
    created = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept so that the log still names the person after their account is deleted.
    user_name = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.EDITED)
    message = models.CharField(max_length=300, blank=True)
    snapshot = models.JSONField(help_text="The complete editable state after this save.")
    changed = models.JSONField(
        default=list, blank=True, help_text="Snapshot keys that differ from the revision before."
    )
    # Not stored: the history page sets them on the revisions it lists, for its template.
    url: str
    changed_labels: list[str]

    class Meta:
        ordering = ["target_type", "target_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "number"], name="revision_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.target_type} {self.target_id}"

    @property
    def who(self) -> str:
        return self.user_name or "—"


class Redaction(AppendOnlyModel):
    """One redaction of a text from the history of a case or topic: who did it, when,
    which revisions and which of their fields it changed, and how many other records
    (review notes, audit entries, unsaved drafts) it purged.

    The text itself is not kept, nor any hash of it: an identifier is short, and a hash
    of a short text is found again by trying every possibility."""

    append_only_error = AppendOnly
    append_only_message = "Redactions are an append-only log: they are never edited or deleted."

    target_type = models.CharField(max_length=8, choices=Revision.TargetType)
    target_id = models.BigIntegerField()
    created = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user_name = models.CharField(max_length=150, blank=True)
    revisions = models.JSONField(default=list, help_text="Numbers of the revisions changed.")
    fields = models.JSONField(default=list, help_text="Snapshot keys (and 'message') changed.")
    elsewhere = models.JSONField(
        default=dict, blank=True, help_text="Other records purged, by kind: {kind: count}."
    )

    class Meta:
        ordering = ["target_type", "target_id", "-created", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="redaction_target")]

    def __str__(self) -> str:
        return (
            f"Redaction in {self.target_type} {self.target_id} ({len(self.revisions)} revisions)"
        )

    @property
    def who(self) -> str:
        return self.user_name or "—"
