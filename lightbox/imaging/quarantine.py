"""The quarantine area: the only place identified bytes ever touch the disk.

An upload's files are written here, outside storage, as they arrive (Django's own
temporary upload files are kept here too, see ``FILE_UPLOAD_TEMP_DIR``); the task worker
reads each one, de-identifies it and wipes it at once. Whatever a crash leaves behind is
removed by :func:`sweep`, which runs whenever a worker starts processing.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

__all__ = ["path_of", "root", "sweep", "wipe", "wipe_upload", "write"]

logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024


def root() -> Path:
    path = Path(settings.QUARANTINE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


RELATIVE_RE = re.compile(r"^[0-9a-f-]{36}/\d{6}\.bin$")


def path_of(relative: str) -> Path:
    """The absolute path of a quarantined file. Only names that :func:`write` makes are
    accepted, so nothing outside quarantine can be reached through a stored name."""
    if not RELATIVE_RE.match(relative):
        raise ValueError(f"{relative!r} is not a quarantined file name")
    return Path(settings.QUARANTINE_DIR) / relative


def write(upload_id: uuid.UUID, order: int, source: BinaryIO, limit: int) -> tuple[str, int]:
    """Copy ``source`` into the upload's quarantine folder; returns (relative path, size).

    Raises
    ------
    ValueError
        When the file is larger than ``limit`` bytes (the partial copy is removed).
    """
    folder = root() / str(upload_id)
    folder.mkdir(exist_ok=True, mode=0o700)
    relative = f"{upload_id}/{order:06d}.bin"
    target = root() / relative
    try:
        with target.open("xb") as out:
            size = _copy(source, out, limit)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return relative, size


def _copy(source: BinaryIO, out: BinaryIO, limit: int) -> int:
    """Copy ``source`` into ``out``, refusing more than ``limit`` bytes. A source that is a
    real file is copied inside the kernel (``copy_file_range``), without passing its
    bytes through Python; anything else is read in chunks."""
    try:
        fd_in = source.fileno()
    except (AttributeError, OSError, ValueError):
        fd_in = -1
    if fd_in >= 0 and hasattr(os, "copy_file_range"):
        size = 0
        try:
            while copied := os.copy_file_range(fd_in, out.fileno(), CHUNK * 64):
                size += copied
                if size > limit:
                    raise ValueError(f"file larger than {limit:,} bytes")
            return size
        except OSError:
            if size:
                raise  # part copied: do not mix the two ways
    size = 0
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise ValueError(f"file larger than {limit:,} bytes")
        out.write(chunk)
    return size


def wipe(relative: str) -> None:
    if relative:
        path_of(relative).unlink(missing_ok=True)


def wipe_upload(upload_id: uuid.UUID) -> None:
    shutil.rmtree(root() / str(upload_id), ignore_errors=True)


def sweep(keep: set[str], older_than: float = 3600.0) -> int:
    """Remove every quarantined folder or file not belonging to an upload in ``keep``
    (the ones still queued or processing); temporary upload files older than
    ``older_than`` seconds go too. Returns how many entries were removed."""
    removed = 0
    cutoff = time.time() - older_than
    for entry in root().iterdir():
        if entry.name in keep:
            continue
        if entry.name == "incoming":
            for temp in entry.iterdir():
                if temp.stat().st_mtime < cutoff:
                    temp.unlink(missing_ok=True)
                    removed += 1
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        logger.info("quarantine sweep removed %d leftover entries", removed)
    return removed
