"""The audit log: who did what to which case, topic, image, comment or account, and from where.

Entries are append-only. Through the ORM an entry can be created and read, never changed or
removed: ``save()`` on a stored entry, ``delete()``, and the default manager's ``update()``,
``delete()`` and ``bulk_update()`` raise :class:`AppendOnlyError`. The one exception is a
redaction, which replaces an identifier in the text columns of a case's or topic's entries
with "[redacted]" (:func:`lightbox.lib.appendonly.redact_row`). The one write Django makes
on its own is setting ``actor`` to NULL when that account is deleted (through the model's
plain base manager); ``actor_name`` keeps the name, so the entry still says who it was.

Write entries with :func:`lightbox.audit.log.record`, not by building rows here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lightbox.lib.appendonly import AppendOnlyError, AppendOnlyModel

__all__ = ["Action", "AppendOnlyError", "AuditEntry"]


class Action(models.TextChoices):
    # Content: cases, topics, images, comments.
    CREATE = "create", "Created"
    EDIT = "edit", "Edited"
    SUBMIT = "submit", "Submitted for review"
    REQUEST_CHANGES = "request_changes", "Changes requested"
    PUBLISH = "publish", "Published"
    RETIRE = "retire", "Retired"
    RESTORE = "restore", "Restored"
    REVISION_RESTORE = "revision_restore", "Earlier revision restored"
    REVISION_REDACT = "revision_redact", "Text redacted from the history"
    PIXEL_REVIEW = "pixel_review", "Pixel review decision"
    UPLOAD = "upload", "Uploaded"
    DELETE = "delete", "Deleted"
    IMPORT = "import", "Imported"
    EXPORT = "export", "Exported"
    COMMENT_HIDE = "comment_hide", "Comment hidden"
    COMMENT_RESTORE = "comment_restore", "Comment restored"
    GRADE_OVERRULE = "grade_overrule", "Grade overruled"
    # Accounts.
    ROLE_CHANGE = "role_change", "Role changed"
    INVITE = "invite", "Invited"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_IN_REFUSED = "sign_in_refused", "Sign-in refused (too many failures)"
    SIGN_OUT = "sign_out", "Signed out"
    PASSWORD_CHANGE = "password_change", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    TOKEN_CREATE = "token_create", "API token created"
    TOKEN_REVOKE = "token_revoke", "API token revoked"


class AuditEntry(AppendOnlyModel):
    append_only_message = "The audit log is append-only: entries are never changed or removed."
    # An entry can quote what it was about (a case's title, a review note): a redaction of
    # that text from a case's history reaches it too (lightbox.history.redaction).
    redactable_fields = ("summary", "target_label", "data")

    created = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    # The actor's user name when it happened: survives the account's deletion or renaming.
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["action", "created"], name="audit_action_created"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor", "created"], name="audit_actor_created"),
            # The sign-in throttle counts failures per address.
            models.Index(fields=["ip", "created"], name="audit_ip_created"),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "anonymous"
        target = f" {self.target_type} {self.target_id or self.target_label}".rstrip()
        return f"{self.created:%Y-%m-%d %H:%M} {who} {self.action}{target}"

    def get_absolute_url(self) -> str:
        return reverse("lightbox-audit-detail", args=[self.pk])

    @property
    def target_url(self) -> str:
        """Where the target lives in Lightbox, or "" when there is no page for it."""
        name = TARGET_URL_NAMES.get(self.target_type)
        if not name or not self.target_id:
            return ""
        try:
            return reverse(name, args=[self.target_id])
        except NoReverseMatch:
            return ""


# target_type → the URL name that takes target_id as its only argument.
TARGET_URL_NAMES = {
    "case": "lightbox-case-detail",
    "user": "admin:{}_change".format(settings.AUTH_USER_MODEL.lower().replace(".", "_")),
}
