"""Revisions: every saved state of a case or topic, kept for ever.

A :class:`Revision` is one entry of an append-only log. It holds the complete editable state
of its object (a *snapshot*, see :mod:`lightbox.history.snapshots`), so any revision can be
shown, compared with any other, or restored without replaying the ones before it. Rows are
never edited or deleted; restoring an old revision adds a new one.

The target is named by type and primary key rather than by a foreign key, so that the
history of a case outlives the case itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from lightbox.lib.appendonly import AppendOnlyError, AppendOnlyModel

__all__ = ["AppendOnly", "Revision"]


class AppendOnly(AppendOnlyError):
    """Raised on any attempt to change or delete a revision."""


class Revision(AppendOnlyModel):
    append_only_error = AppendOnly
    append_only_message = "Revisions are an append-only log: they are never edited or deleted."

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
