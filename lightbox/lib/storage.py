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
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage

__all__ = [
    "PARTIAL_PREFIX",
    "AtomicFileSystemStorage",
    "StagedFile",
    "fsync_path",
    "fsync_paths",
    "sweep_partial_files",
]

PARTIAL_PREFIX = ".partial-"
PARTIAL_SUFFIX = ".part"


def fsync_path(path: str) -> None:
    """Make the file or directory at ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Concurrent fsyncs share the file system's journal commits: 200 files take about what
# one takes, where one after another each waits for a commit of its own (a thousand
# imported pictures: 13 s against 0.3 s on a virtual disk).
_FSYNC_THREADS = 16


def fsync_paths(paths: list[str]) -> None:
    """Make every file or directory in ``paths`` durable, all at once; raises the first
    error after every path has been tried."""
    if len(paths) <= 1:
        for path in paths:
            fsync_path(path)
        return
    with ThreadPoolExecutor(max_workers=min(_FSYNC_THREADS, len(paths))) as pool:
        futures = [pool.submit(fsync_path, path) for path in paths]
    for future in futures:
        future.result()


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
        # One storage object serves every thread of a process: each thread's batch is
        # its own, so that one thread's block never waits on or skips another's files.
        self._local = threading.local()

    @property
    def _deferred(self) -> set[str] | None:
        deferred: set[str] | None = getattr(self._local, "deferred", None)
        return deferred

    @_deferred.setter
    def _deferred(self, value: set[str] | None) -> None:
        self._local.deferred = value

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Save many files and make them durable together when the block exits: each file
        written here is fsynced once, and each directory that gained a name once, instead
        of a directory fsync per file. A :class:`StagedFile` is durable already (its
        producer synced it), so it costs only its directory. Files are whole under their
        names throughout; commit the rows that point at them after the block.

        (Not ``syncfs``: it would also flush every unrelated dirty page on the file
        system, such as a gigabyte of just-received uploads, and wait for all of it.)
        """
        outer = self._deferred is None
        if outer:
            self._deferred = set()
        try:
            yield
        finally:
            if outer:
                paths, self._deferred = self._deferred or set(), None
                fsync_paths(sorted(paths))

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        partial = None
        batched = self.durable and self._deferred is not None
        sync_file = self.durable  # whether the file's own bytes still need an fsync
        if hasattr(content, "temporary_file_path"):
            # Already written in full by its producer: link it into place instead of
            # copying it, when it is on this file system.
            staged = content.temporary_file_path()
            if os.stat(staged).st_dev == os.stat(directory).st_dev:
                partial = staged
                sync_file = self.durable and not getattr(content, "synced", False)
                if sync_file and not batched:
                    fsync_path(staged)
        if partial is None:
            partial = self._write_partial(directory, content, sync=not batched)
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
            if batched:
                assert self._deferred is not None
                self._deferred.update([full_path, directory] if sync_file else [directory])
            elif self.durable:
                fsync_path(directory)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        return str(Path(full_path).relative_to(self.location)).replace(os.sep, "/")

    def _write_partial(self, directory: str, content: Any, *, sync: bool) -> str:
        fd, partial = tempfile.mkstemp(dir=directory, prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    f.write(chunk)
                if self.durable and sync:
                    f.flush()
                    os.fsync(f.fileno())
        except BaseException:
            os.unlink(partial)
            raise
        return partial


class StagedFile(File):  # type: ignore[type-arg]
    """A finished file on the storage's file system, handed over by path: the storage
    links it into place (moving it) rather than copying its bytes, and makes it durable.

    ``synced=True`` says the producer already fsynced it (as the ingest child does, in
    parallel with other work), so storage only makes its directory entry durable.
    """

    def __init__(self, path: str, *, synced: bool = False) -> None:
        super().__init__(open(path, "rb"), name=os.path.basename(path))  # noqa: SIM115
        self._path = path
        self.synced = synced

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
