"""People: a profile and a role for every account, and invitations to join.

Roles (a person's role is read by :mod:`lightbox.accounts.roles`; who may do what is
decided there and in :mod:`lightbox.cases.access`, nowhere else):

- **learner** reads cases and comments on them;
- **author** also creates cases and edits their own and those shared with them;
- **editor** also reviews, publishes and retires cases, edits topics, moderates comments;
- **administrator** also manages people (roles, invitations) and reads the audit log.

A Django superuser is always an administrator, whatever the profile says.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    AUTHOR = "author", "Author"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Administrator"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.LEARNER)
    credentials = models.CharField(max_length=100, blank=True, help_text="e.g. M.D., Ph.D.")
    institution = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


INVITATION_DAYS = 14


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=INVITATION_DAYS)


class Invitation(models.Model):
    """An administrator's invitation: the link in the e-mail lets one person make an
    account with the role chosen here, once, before it expires."""

    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role, default=Role.AUTHOR)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField(default=_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.get_role_display()})"

    @property
    def usable(self) -> bool:
        return self.accepted_at is None and self.expires > timezone.now()
