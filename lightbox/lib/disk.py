"""Telling a full disk from other failures. Django-free.

A full disk shows up as ``OSError`` ENOSPC (or EDQUOT, over quota) from a write, an fsync
or a link, as SQLite's "database or disk is full", or as PostgreSQL's SQLSTATE 53100,
often wrapped in another exception. Whoever meets one should stop at once with a clear
message rather than fail file after file with the same cause.

>>> is_disk_full(OSError(28, "No space left on device"))
True
>>> is_disk_full(ValueError("nope"))
False
"""

from __future__ import annotations

import errno

__all__ = ["DISK_FULL_ERRNOS", "disk_full_reason", "is_disk_full"]

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# SQLite's SQLITE_FULL and PostgreSQL's disk_full class, as their drivers word them.
_DATABASE_WORDS = ("database or disk is full", "no space left on device", "could not extend file")


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def disk_full_reason(error: BaseException) -> str | None:
    """A short reason ("No space left on device") when ``error``, or an exception it
    was raised from, means the disk is full; ``None`` otherwise. Never a path."""
    for e in _chain(error):
        if isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS:
            return e.strerror or "No space left on device"
        if getattr(e, "sqlstate", None) == "53100":
            return "the database has no space left"
        text = str(e).lower()
        if not isinstance(e, OSError) and any(w in text for w in _DATABASE_WORDS):
            return "the database has no space left"
    return None


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or its cause) means the disk is full."""
    return disk_full_reason(error) is not None
