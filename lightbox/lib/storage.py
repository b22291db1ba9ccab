"""File storage that never shows a half-written file.

Django's FileSystemStorage writes straight into the final name, so a crash, a kill or a
full disk mid-write leaves a truncated file that a database row may already point at.
Here every file is written to a hidden temporary name in the same directory, flushed and
fsynced, then linked into place (``link`` is atomic and never overwrites), and the
directory is fsynced. A kill at any point leaves either nothing under the final name or
the whole file; leftovers are ``.part`` files that :func:`sweep_partial_files` removes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage

__all__ = ["PARTIAL_PREFIX", "AtomicFileSystemStorage", "StagedFile", "sweep_partial_files"]

PARTIAL_PREFIX = ".partial-"
PARTIAL_SUFFIX = ".part"


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs(path: str) -> bool:
    """Flush the whole file system holding ``path`` in one call (Linux ``syncfs``).

    One call makes a whole batch of files and directory entries durable, where fsync would
    cost a journal commit per file. False where the call is not available.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        return bool(syncfs(fd) == 0)
    finally:
        os.close(fd)


class AtomicFileSystemStorage(FileSystemStorage):
    """See the module docstring.

    Parameters
    ----------
    durable
        ``False`` skips the fsyncs, for files that can be made again from others
        (thumbnails): still never half-written under their name, but a power cut may lose
        the newest ones.
    """

    def __init__(self, *args: Any, durable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.durable = durable
        self._deferred: set[str] | None = None

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Save many files and make them durable together when the block exits (one
        ``syncfs``, or an fsync per file and directory where that is not available).
        Files are whole under their names throughout; commit the rows that point at them
        after the block."""
        outer = self._deferred is None
        if outer:
            self._deferred = set()
        try:
            yield
        finally:
            if outer:
                paths, self._deferred = self._deferred or set(), None
                if paths and not _syncfs(os.fspath(self.location)):
                    for path in paths:
                        _fsync_path(path)

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        partial = None
        if hasattr(content, "temporary_file_path"):
            # Already written in full by its producer: link it into place instead of
            # copying it, when it is on this file system.
            staged = content.temporary_file_path()
            if os.stat(staged).st_dev == os.stat(directory).st_dev:
                partial = staged
                if self.durable and self._deferred is None:
                    _fsync_path(staged)
        if partial is None:
            partial = self._write_partial(directory, content)
        try:
            if self.file_permissions_mode is not None:
                os.chmod(partial, self.file_permissions_mode)
            while True:
                try:
                    os.link(partial, full_path)  # atomic, and never replaces a file
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
            if self.durable:
                if self._deferred is not None:
                    self._deferred.update((full_path, directory))
                else:
                    _fsync_path(directory)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return str(Path(full_path).relative_to(self.location)).replace(os.sep, "/")

    def _write_partial(self, directory: str, content: Any) -> str:
        fd, partial = tempfile.mkstemp(dir=directory, prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    f.write(chunk)
                if self.durable and self._deferred is None:
                    f.flush()
                    os.fsync(f.fileno())
        except BaseException:
            os.unlink(partial)
            raise
        return partial


class StagedFile(File):  # type: ignore[type-arg]
    """A finished file on the storage's file system, handed over by path: the storage
    links it into place (moving it) rather than copying its bytes, and makes it durable."""

    def __init__(self, path: str) -> None:
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115
        self._path = path

    def temporary_file_path(self) -> str:
        self.close()
        return self._path


def sweep_partial_files(root: str | os.PathLike[str], older_than: float = 60.0) -> int:
    """Remove temporary files a killed writer left under ``root``; returns how many.

    Only files older than ``older_than`` seconds are touched, so a write in progress in
    another process is left alone.
    """
    removed = 0
    cutoff = time.time() - older_than
    for path in Path(root).rglob(f"{PARTIAL_PREFIX}*{PARTIAL_SUFFIX}"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
