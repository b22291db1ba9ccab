"""API tokens: how a script signs in to the JSON API.

A person makes a token on their token page (linked from the profile) and sends it as
``Authorization: Bearer lbx_…``. The token acts as that person: every rule of
:mod:`lightbox.cases.access` applies to it as to them, and a *read* token may only read.

Only a SHA-256 digest of the secret is stored, so the secret is shown once, when it is
made, and a copy of the database gives nobody a working token. The secret is 256 random
bits, so a plain digest (no salt, no slow hash) is enough: there is nothing to guess, and
a digest can be looked up by an index. A token is never deleted, only revoked, so that the
audit log's entries about it keep their meaning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

__all__ = ["PREFIX", "ApiToken", "Scope"]

#: Every secret starts with this, so that a leaked one is recognised (by a person, or by a
#: secret scanner) as a Lightbox API token.
PREFIX = "lbx_"
#: Characters of the secret kept to tell one's tokens apart: the prefix and four more.
HINT_LENGTH = len(PREFIX) + 4
#: How stale ``last_used`` may get before a request writes it again: one write a minute
#: at most, however busy the script.
TOUCH_EVERY = dt.timedelta(minutes=1)
#: A person's live (unrevoked) tokens, at most.
MAX_LIVE_TOKENS = 20


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


def digest(secret: str) -> str:
    """The SHA-256 of ``secret`` in hex: what is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked__isnull=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    scope = models.CharField(max_length=5, choices=Scope, default=Scope.READ)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=HINT_LENGTH, editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = "API token"
        indexes = [
            models.Index(
                fields=["user"], condition=Q(revoked__isnull=True), name="apitoken_live_by_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def issue(cls, user: Any, name: str, scope: str) -> tuple[ApiToken, str]:
        """A new token for ``user`` and its secret, which is not kept: show it once."""
        secret = PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, scope=scope, digest=digest(secret), hint=secret[:HINT_LENGTH]
        )
        return token, secret

    @classmethod
    def find(cls, secret: str) -> ApiToken | None:
        """The live token whose secret this is, of an active account; else None."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        token = (
            cls.objects.live()
            .select_related("user")
            .filter(digest=digest(secret), user__is_active=True)
            .first()
        )
        return token

    @property
    def is_live(self) -> bool:
        return self.revoked is None

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE

    def revoke(self) -> bool:
        """Revoke the token at once; whether it was live."""
        if self.revoked is not None:
            return False
        self.revoked = timezone.now()
        return bool(
            ApiToken.objects.filter(pk=self.pk, revoked__isnull=True).update(revoked=self.revoked)
        )

    def touch(self, ip: str | None) -> None:
        """Note that the token was just used (from ``ip``), at most once a minute."""
        now = timezone.now()
        if self.last_used is not None and now - self.last_used < TOUCH_EVERY:
            return
        self.last_used, self.last_used_ip = now, ip
        ApiToken.objects.filter(pk=self.pk).update(last_used=now, last_used_ip=ip)
