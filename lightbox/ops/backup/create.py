"""Writing a backup: the database snapshot first, then every stored file, then the
secrets and the manifest, into a new archive that appears under its name only whole."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.storage import storages

from lightbox.lib.storage import fsync_path
from lightbox.ops.backup import database, install
from lightbox.ops.backup.archive import (
    DATABASE_MEMBERS,
    MANIFEST,
    SECRET_MEMBERS,
    BackupError,
    HashingReader,
    Manifest,
    Member,
)

__all__ = ["BackupResult", "create_backup"]

Progress = Callable[[str, int | None], Callable[[int], object]]


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    bytes: int
    #: Files deleted by Lightbox between the listing and their reading (not backed up).
    vanished: list[str]


def _no_progress(desc: str, total: int | None) -> Callable[[int], object]:
    return lambda n: None


def _add(
    tar: tarfile.TarFile, name: str, fileobj: IO[bytes], size: int, tick: Callable[[int], object]
) -> Member:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(time.time()), 0o600
    reader = HashingReader(fileobj, tick)
    tar.addfile(info, reader)  # type: ignore[arg-type]  # read() is all tarfile needs
    if reader.size != size:  # tarfile raises first when a file shrank; this if it grew
        raise BackupError(f"{name} changed size while it was backed up")
    return Member(name, size, reader.hexdigest())


def create_backup(out: Path, *, progress: Progress = _no_progress) -> BackupResult:
    """Write a backup of this install to ``out``, a file that must not exist yet.

    ``progress(description, total)`` returns a callable that is given each step's
    count (bytes): the command passes tqdm bars.
    """
    out = out.absolute()
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new name (nothing was written)")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a folder (nothing was written)")
    vendor = database.vendor()
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=".lightbox-backup-"))
    partial = work / "archive.tar"
    try:
        # The database first: every file its rows name is stored by then (files are
        # stored before the rows that point at them are committed).
        snapshot = work / "database"
        database.dump(snapshot)
        manifest = Manifest(
            lightbox_version=install.lightbox_version(),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            vendor=vendor,
            migrations=install.applied_migrations(),
            counts=install.counts(),
        )
        listed = [
            (alias, name)
            for alias in install.storage_aliases()
            for name in install.walk(storages[alias])
        ]
        vanished: list[str] = []
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            tick = progress("Database", snapshot.stat().st_size)
            with snapshot.open("rb") as f:
                member = _add(tar, DATABASE_MEMBERS[vendor], f, snapshot.stat().st_size, tick)
                manifest.members.append(member)
            snapshot.unlink()
            tick = progress("Files", len(listed))
            for alias, name in listed:
                storage = storages[alias]
                try:
                    size = storage.size(name)
                    with storage.open(name, "rb") as f:
                        member = _add(tar, f"storage/{alias}/{name}", f, size, lambda n: None)
                except FileNotFoundError:
                    vanished.append(f"{alias}:{name}")
                else:
                    manifest.members.append(member)
                tick(1)
            for attribute, name in (("SECRET_KEY", "secret_key"), ("DEID_SECRET", "deid_secret")):
                value = str(getattr(settings, attribute)).encode()
                member = _add(
                    tar, SECRET_MEMBERS[name], io.BytesIO(value), len(value), lambda n: None
                )
                manifest.members.append(member)
            manifest.counts["files"] = sum(m.name.startswith("storage/") for m in manifest.members)
            manifest.counts["file_bytes"] = sum(
                m.size for m in manifest.members if m.name.startswith("storage/")
            )
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)  # it holds the secrets
        fsync_path(str(partial))
        # link: never replaces a file that appeared under the name meanwhile.
        try:
            os.link(partial, out)
        except FileExistsError:
            raise BackupError(
                f"{out} appeared while the backup was written; it was left alone"
            ) from None
        fsync_path(str(out.parent))
        return BackupResult(out, manifest, out.stat().st_size, vanished)
    finally:
        shutil.rmtree(work, ignore_errors=True)
