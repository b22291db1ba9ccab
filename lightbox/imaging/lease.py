"""One owner per upload: a lease on the :class:`~lightbox.imaging.models.Upload` row.

An upload can be asked to be processed twice at once: ``import_dicom`` processes its own
upload while a worker that has just started queues every unfinished upload again (see
:func:`lightbox.imaging.tasks.recover`), or two workers take the same task. Two owners
would store the same instances twice (IntegrityError) and wipe each other's quarantined
and staged files. So processing begins with :func:`claim`, one conditional UPDATE that
only one process can win, and goes on only while :meth:`Lease.beat` finds the row still
its own.

The lease is free when nobody holds it, when its owner stopped beating for
:func:`lease_seconds`, or at once when its owner is a process on this machine that no
longer exists (a worker killed with ``kill -9``): a restarted worker re-runs such an
upload straight away.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from lightbox.imaging.models import Upload

__all__ = ["HEARTBEAT_SECONDS", "Lease", "LeaseLost", "claim", "lease_seconds"]

logger = logging.getLogger(__name__)

# How often an owner refreshes its heartbeat, at most (each refresh is one UPDATE).
HEARTBEAT_SECONDS = 10.0


class LeaseLost(Exception):
    """Another process took the upload over (this one was silent too long)."""


def lease_seconds() -> float:
    """How long an owner may stay silent before another process may take over.

    An owner beats at each file's outcome and each series it renders; the longest silence
    is one child call that hits its limits (``INGEST_SECONDS`` of wall time, or twice
    that of CPU for a decoder stuck in C code), so the lease is three times that, plus a
    margin for a busy database.
    """
    return 3 * settings.INGEST_SECONDS + 60


def _token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _is_gone(owner: str) -> bool:
    """Whether ``owner`` names a process of this machine that has ended."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's process: only its heartbeat can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this process (another thread holds it)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, under another user
    return False


@dataclass
class Lease:
    """The right to process one upload; see the module docstring."""

    upload_id: Any
    token: str
    _last: float = field(default_factory=time.monotonic)

    def beat(self, *, force: bool = False) -> None:
        """Say this owner is alive (at most every :data:`HEARTBEAT_SECONDS` unless
        ``force``). Inside a transaction that stores results, ``force`` makes the commit
        conditional on still owning the upload.

        Raises
        ------
        LeaseLost
            Another process owns the upload now.
        """
        now = time.monotonic()
        if not force and now - self._last < HEARTBEAT_SECONDS:
            return
        mine = Upload.objects.filter(pk=self.upload_id, owner=self.token)
        if not mine.update(heartbeat=timezone.now()):
            raise LeaseLost(f"upload {self.upload_id} was taken over by another process")
        self._last = now

    def release(self) -> None:
        """Give the upload up (whatever state it was left in)."""
        Upload.objects.filter(pk=self.upload_id, owner=self.token).update(owner="")


def claim(upload_id: Any) -> Lease | None:
    """Take the upload for this process and mark it processing; ``None`` when it is
    finished or another live process owns it. Exactly one of several simultaneous
    callers gets a lease: the claim is a single conditional UPDATE."""
    current = Upload.objects.filter(pk=upload_id).values_list("owner", flat=True).first()
    if current is None:
        raise Upload.DoesNotExist(f"no upload {upload_id}")
    now = timezone.now()
    free = (
        Q(owner="")
        | Q(heartbeat__isnull=True)
        | Q(heartbeat__lt=now - dt.timedelta(seconds=lease_seconds()))
    )
    if current and _is_gone(current):
        # Compare-and-set on the dead owner's exact token: if a live process took it
        # meanwhile, the token differs and this claim loses.
        free |= Q(owner=current)
    token = _token()
    won = Upload.objects.filter(
        free,
        pk=upload_id,
        state__in=[Upload.State.QUEUED, Upload.State.PROCESSING],
    ).update(
        owner=token,
        heartbeat=now,
        state=Upload.State.PROCESSING,
        started=Coalesce("started", now),
    )
    if not won:
        return None
    if current:
        logger.warning("upload %s: took over from %s, which stopped", upload_id, current)
    # One line per owner (at DEBUG: import_dicom's output is a report for its user): what
    # shows that two workers never processed one upload twice.
    logger.debug("upload %s: taken by %s", upload_id, token)
    return Lease(upload_id, token)
