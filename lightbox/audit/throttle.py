"""Refusing sign-ins after too many failures, counted from the audit log, so every process
and every server behind a load balancer agrees without a shared cache.

The rules (docs/audit.md says the same for administrators):

- **per user name**: ``LIGHTBOX_SIGNIN_MAX_FAILURES`` (5) failed sign-ins as that name
  within the last ``LIGHTBOX_SIGNIN_WINDOW_MINUTES`` (15), counting only failures after
  that name's last successful sign-in: a success proves the password, so its count starts
  again. Another account's success changes nothing.
- **per address**: ``LIGHTBOX_SIGNIN_MAX_FAILURES_PER_IP`` (20) failures from one IP
  address within the window, whatever names were tried and whatever successes came in
  between, so that someone with an account of their own cannot wipe the count by signing
  in to it.
- A refused attempt is logged (``sign_in_refused``) but is not a failure: the lock lifts
  one window after the failures that caused it, however often someone keeps knocking.

A limit of 0 turns that rule off.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from lightbox.audit.models import Action, AuditEntry

__all__ = ["Refusal", "check", "normalise_username"]


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is refused, and until when."""

    reason: str  # "username" or "ip"
    retry_at: dt.datetime

    def minutes(self, now: dt.datetime | None = None) -> int:
        """Whole minutes to wait, rounded up, at least 1."""
        seconds = (self.retry_at - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds / 60))

    def seconds(self, now: dt.datetime | None = None) -> int:
        return max(1, math.ceil((self.retry_at - (now or timezone.now())).total_seconds()))


def max_failures() -> int:
    return int(getattr(settings, "LIGHTBOX_SIGNIN_MAX_FAILURES", 5))


def max_failures_per_ip() -> int:
    return int(getattr(settings, "LIGHTBOX_SIGNIN_MAX_FAILURES_PER_IP", 20))


def window() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "LIGHTBOX_SIGNIN_WINDOW_MINUTES", 15)))


def normalise_username(username: str) -> str:
    """The name as the sign-in form hands it to authenticate(): NFKC, no outer spaces; and
    safe to query with whatever was posted (no NUL, which PostgreSQL refuses; not long)."""
    return unicodedata.normalize("NFKC", username[:1000]).strip().replace("\x00", "")[:150]


def check(username: str, ip: str | None, *, now: dt.datetime | None = None) -> Refusal | None:
    """A :class:`Refusal` if a sign-in as ``username`` from ``ip`` must be refused now."""
    now = now or timezone.now()
    start = now - window()
    failures = AuditEntry.objects.filter(action=Action.SIGN_IN_FAILED, created__gte=start)
    username = normalise_username(username)
    if username and max_failures() > 0:
        mine = failures.filter(target_type="user", target_label__iexact=username)
        last_success = (
            AuditEntry.objects.filter(
                action=Action.SIGN_IN,
                target_type="user",
                target_label__iexact=username,
                created__gte=start,
            )
            .order_by("-created")
            .values_list("created", flat=True)
            .first()
        )
        if last_success is not None:
            mine = mine.filter(created__gt=last_success)
        if until := _locked_until(mine, max_failures()):
            return Refusal("username", until)
    per_ip = max_failures_per_ip()
    if ip and per_ip > 0 and (until := _locked_until(failures.filter(ip=ip), per_ip)):
        return Refusal("ip", until)
    return None


def _locked_until(failures: QuerySet[AuditEntry], limit: int) -> dt.datetime | None:
    """The lock lasts until the ``limit``-th newest failure leaves the window: from then
    on fewer than ``limit`` remain in it."""
    newest = failures.order_by("-created").values_list("created", flat=True)[limit - 1 : limit]
    for created in newest:
        return created + window()
    return None
