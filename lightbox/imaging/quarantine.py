"""The quarantine area: the only place identified bytes ever touch the disk.

An upload's files are written here, outside storage, as they arrive (Django's own
temporary upload files are kept here too, see ``FILE_UPLOAD_TEMP_DIR``); the task worker
reads each one, de-identifies it and wipes it at once. An upload still receiving its files
keeps them here until it is finished or cancelled. Whatever a crash leaves behind is
removed by :func:`sweep`, which runs whenever a worker starts processing.
"""

from __future__ import annotations

import contextlib
import errno
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


RELATIVE_RE = re.compile(r"^[0-9a-f-]{36}/\d{6,10}\.bin$")


def path_of(relative: str) -> Path:
    """The absolute path of a quarantined file. Only names that :func:`write` makes are
    accepted, so nothing outside quarantine can be reached through a stored name."""
    if not RELATIVE_RE.match(relative):
        raise ValueError(f"{relative!r} is not a quarantined file name")
    return Path(settings.QUARANTINE_DIR) / relative


def write(upload_id: uuid.UUID, order: int, source: BinaryIO, limit: int) -> tuple[str, int]:
    """Copy ``source`` into the upload's quarantine folder; returns (relative path, size).

    Whatever goes wrong, the partial copy is removed before the error is raised.

    Raises
    ------
    ValueError
        When the file is larger than ``limit`` bytes.
    OSError
        From the disk, a full one included (see :func:`lightbox.lib.disk.is_disk_full`).
    """
    folder = root() / str(upload_id)
    folder.mkdir(exist_ok=True, mode=0o700)
    relative = f"{upload_id}/{order:06d}.bin"
    target = root() / relative
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        try:
            size = _copy(source, fd, limit)
        finally:
            os.close(fd)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return relative, size


# copy_file_range cannot copy between these two files: read and write instead. Any other
# error (a full disk above all) is the copy's own and is raised.
_CANNOT_COPY_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}


def _copy(source: BinaryIO, out: int, limit: int) -> int:
    """Copy ``source`` into the file descriptor ``out``, refusing more than ``limit``
    bytes. A source that is a real file is copied inside the kernel
    (``copy_file_range``), without passing its bytes through Python; anything else is
    read in chunks."""
    try:
        fd_in = source.fileno()
    except (AttributeError, OSError, ValueError):
        fd_in = -1
    size = 0
    if fd_in >= 0 and hasattr(os, "copy_file_range"):
        try:
            while copied := os.copy_file_range(fd_in, out, CHUNK * 64):
                size += copied
                if size > limit:
                    raise ValueError(f"file larger than {limit:,} bytes")
            return size
        except OSError as e:
            if size or e.errno not in _CANNOT_COPY_RANGE:
                raise  # part copied, or a real error: do not mix the two ways
    while chunk := source.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise ValueError(f"file larger than {limit:,} bytes")
        _write_all(out, chunk)
    return size


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def wipe(relative: str) -> None:
    if relative:
        path_of(relative).unlink(missing_ok=True)


def wipe_upload(upload_id: uuid.UUID | str) -> None:
    """Remove an upload's quarantine folder. Never raises: it runs while handling other
    errors (a full disk among them), and it never creates the quarantine area itself."""
    shutil.rmtree(Path(settings.QUARANTINE_DIR) / str(upload_id), ignore_errors=True)


def sweep(keep: set[str], older_than: float = 3600.0) -> int:
    """Remove every quarantined folder or file not belonging to an upload in ``keep``
    (the ones still queued or processing) or still receiving its files; temporary
    upload files older than ``older_than`` seconds go too (a request that fails removes
    its own at once, see :mod:`lightbox.ops.middleware`; these are what a killed
    process left). Returns how many entries were removed."""
    area = Path(settings.QUARANTINE_DIR)
    if not area.is_dir():
        return 0
    keep = keep | _receiving()
    removed = 0
    cutoff = time.time() - older_than
    for entry in area.iterdir():
        if entry.name in keep:
            continue
        if entry.name == "incoming":
            removed += _sweep_incoming(entry, cutoff)
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        logger.info("quarantine sweep removed %d leftover entries", removed)
    return removed


def _sweep_incoming(folder: Path, cutoff: float) -> int:
    removed = 0
    for temp in folder.iterdir():
        # A request in flight may close (and so delete) its file at any moment.
        with contextlib.suppress(FileNotFoundError):
            if temp.stat().st_mtime < cutoff:
                temp.unlink()
                removed += 1
    return removed


def _receiving() -> set[str]:
    """Open uploads: their files arrive in parts and wait here until they are finished."""
    from lightbox.imaging.models import Upload

    ids = Upload.objects.filter(state=Upload.State.RECEIVING).values_list("pk", flat=True)
    return {str(pk) for pk in ids}
