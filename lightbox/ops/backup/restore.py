"""Restoring a backup, in an order that never leaves half of one behind.

1. Read the archive's headers and its manifest (the last member) and check them: the
   format version, every name, that the members are exactly those listed, the database
   vendor, that the schema is not newer than this code's, that the install is empty
   (unless ``force``), and free space. Nothing has been read beyond headers yet.
2. Copy every member into a staging folder in the data directory, checking each size and
   SHA-256 against the manifest. Any mismatch: the staging folder is removed, and the
   install was never touched.
3. Store the files (a file already stored under its name with the same bytes is kept);
   then replace the database in one transaction; a failure there deletes the files just
   stored. Then ``migrate`` for an older schema, then the secrets.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.db import connections

from lightbox.lib.storage import StagedFile
from lightbox.ops.backup import database, install
from lightbox.ops.backup.archive import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    SECRET_MEMBERS,
    BackupError,
    HashingReader,
    Manifest,
    check_name,
    parse_manifest,
)

__all__ = ["PartlyRestored", "RestoreResult", "restore_backup"]

Progress = Callable[[str, int | None], Callable[[int], object]]
# Kept free beyond what the staged members take.
SPARE_BYTES = 64 * 1024 * 1024


class PartlyRestored(BackupError):
    """The files and the database are restored, but a step after them failed."""


@dataclass
class RestoreResult:
    manifest: Manifest
    migrated: bool
    counts: dict[str, int]
    files: int
    warnings: list[str] = field(default_factory=list)


def _no_progress(desc: str, total: int | None) -> Callable[[int], object]:
    return lambda n: None


def _open(path: Path) -> tuple[tarfile.TarFile, dict[str, tarfile.TarInfo]]:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    try:
        tar = tarfile.open(path, "r:")  # noqa: SIM115  # closed by the caller; plain tar only
    except tarfile.ReadError:
        raise BackupError(f"{path} is not a Lightbox backup (not a tar archive)") from None
    try:
        infos = tar.getmembers()
    except (tarfile.TarError, EOFError) as e:
        tar.close()
        raise BackupError(f"{path} is damaged or truncated ({e})") from None
    members: dict[str, tarfile.TarInfo] = {}
    for info in infos:
        if info.name != MANIFEST:
            check_name(info.name)
        if not info.isreg():
            tar.close()
            raise BackupError(f"member {info.name!r} is not a regular file")
        if info.name in members:
            tar.close()
            raise BackupError(f"member {info.name!r} appears twice")
        members[info.name] = info
    return tar, members


def _read_manifest(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> Manifest:
    info = members.get(MANIFEST)
    if info is None:
        raise BackupError(
            "the archive has no manifest.json: it is not a Lightbox backup, or it is truncated"
        )
    if info.size > MAX_MANIFEST_BYTES:
        raise BackupError(f"the manifest is too large ({info.size:,} bytes)")
    f = tar.extractfile(info)
    assert f is not None  # a regular file
    try:
        data = f.read()
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BackupError(f"the archive is damaged or truncated ({e})") from None
    if len(data) != info.size:
        raise BackupError("the archive is truncated (the manifest is cut short)")
    return parse_manifest(data)


def _check(manifest: Manifest, members: dict[str, tarfile.TarInfo], force: bool) -> None:
    listed = {m.name for m in manifest.members}
    present = set(members) - {MANIFEST}
    if missing := sorted(listed - present):
        raise BackupError(
            f"the archive lacks {len(missing)} member(s) its manifest lists, e.g. {missing[0]!r}"
        )
    if extra := sorted(present - listed):
        raise BackupError(
            f"the archive holds {len(extra)} member(s) its manifest does not list, "
            f"e.g. {extra[0]!r}"
        )
    for m in manifest.members:
        if members[m.name].size != m.size:
            raise BackupError(
                f"{m.name}: {members[m.name].size} bytes, the manifest says {m.size}"
            )
    aliases = {name.split("/")[1] for name in listed if name.startswith("storage/")}
    if unknown := sorted(aliases - set(settings.STORAGES)):
        raise BackupError(
            f"the backup holds files of storage {unknown[0]!r}, which this install lacks"
        )
    here = database.vendor()
    if manifest.vendor != here:
        raise BackupError(
            f"this backup is of a {manifest.vendor} database and this install uses {here}: "
            f"restore it into an install configured for {manifest.vendor}"
        )
    if newer := sorted(manifest.applied() - install.known_migrations()):
        app, name = newer[0]
        raise BackupError(
            f"this backup's database schema is newer than this Lightbox's ({len(newer)} "
            f"migration(s) it does not know, e.g. {app}.{name}; it was written by Lightbox "
            f"{manifest.lightbox_version}): upgrade Lightbox first, then restore"
        )
    if not force and (found := install.contents()):
        held = ", ".join(
            f"{n} {what}" if n > 1 else what.replace("(s)", "") for what, n in found.items()
        )
        raise BackupError(
            f"this install is not empty ({held}): restore into an empty install, or run "
            "again with --force to replace its database and add the backup's files"
        )


def _stage(
    tar: tarfile.TarFile,
    members: dict[str, tarfile.TarInfo],
    manifest: Manifest,
    staging: Path,
    progress: Progress,
) -> dict[str, Path]:
    total = sum(m.size for m in manifest.members)
    free = shutil.disk_usage(staging).free
    if total + SPARE_BYTES > free:
        raise BackupError(
            f"not enough free space in {settings.DATA_DIR}: the restore needs "
            f"{total + SPARE_BYTES:,} bytes, {free:,} are free"
        )
    tick = progress("Checking", total)
    staged: dict[str, Path] = {}
    # In archive order: one pass over the file, front to back.
    for m in sorted(manifest.members, key=lambda m: members[m.name].offset_data):
        target = staging / f"{len(staged):08d}"
        source = tar.extractfile(members[m.name])
        assert source is not None  # a regular file
        reader = HashingReader(source, tick)
        try:
            with target.open("wb") as out:
                while chunk := reader.read(1024 * 1024):
                    out.write(chunk)
        except (tarfile.TarError, EOFError) as e:
            raise BackupError(f"the archive is damaged or truncated ({e})") from None
        if reader.size != m.size:
            raise BackupError(f"the archive is truncated ({m.name} is cut short)")
        if reader.hexdigest() != m.sha256:
            raise BackupError(
                f"{m.name} does not match its SHA-256 in the manifest: "
                "the archive was changed or damaged"
            )
        staged[m.name] = target
    return staged


def _same(storage: Storage, name: str, sha256: str) -> bool:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def _store(
    manifest: Manifest, staged: dict[str, Path], progress: Progress
) -> list[tuple[str, str]]:
    """Store every file; returns (alias, name) of each file stored now, for an undo."""
    stored: list[tuple[str, str]] = []
    files = [m for m in manifest.members if m.name.startswith("storage/")]
    tick = progress("Storing", len(files))
    try:
        for m in files:
            _, alias, name = m.name.split("/", 2)
            storage = storages[alias]
            if storage.exists(name):
                if _same(storage, name, m.sha256):
                    tick(1)
                    continue
                storage.delete(name)  # --force: the backup's bytes win
            with StagedFile(str(staged[m.name])) as f:
                saved = storage.save(name, f)
            stored.append((alias, saved))
            if saved != name:
                raise BackupError(f"{alias} storage stored {name} as {saved}")
            tick(1)
    except BaseException:
        _undo(stored)
        raise
    return stored


def _undo(stored: list[tuple[str, str]]) -> None:
    for alias, name in stored:
        try:
            storages[alias].delete(name)
        except OSError:
            continue


def _write_secrets(staged: dict[str, Path], data_dir: Path) -> list[str]:
    """Write the backup's secrets where settings.py reads them; returns a warning for
    each that an environment variable overrides with another value."""
    warnings = []
    for name, member in SECRET_MEMBERS.items():
        value = staged[member].read_text()
        install.write_secret(name, value)
        variable = f"LIGHTBOX_{name.upper()}"
        if getattr(settings, name.upper()) != value and variable in os.environ:
            warnings.append(
                f"{variable} is set in the environment and differs from the backup's (now "
                f"in {data_dir / name}): set it to that value"
                + (", or re-uploaded studies get new UIDs" if name == "deid_secret" else "")
            )
    return warnings


def restore_backup(
    path: Path, *, force: bool = False, progress: Progress = _no_progress
) -> RestoreResult:
    """Restore the backup at ``path`` into this install (see the module docstring)."""
    tar, members = _open(path)
    with tar:
        manifest = _read_manifest(tar, members)
        _check(manifest, members, force)
        data_dir = Path(settings.DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=data_dir, prefix=".restore-"))
        try:
            staged = _stage(tar, members, manifest, staging, progress)
            stored = _store(manifest, staged, progress)
            try:
                database.restore(staged[manifest.database_member])
            except BaseException:
                _undo(stored)
                raise
            try:
                warnings = _write_secrets(staged, data_dir)
            except Exception as e:
                raise PartlyRestored(
                    f"the files and the database were restored, but writing the secrets to "
                    f"{data_dir} failed ({type(e).__name__}: {e}): restore again with --force"
                ) from e
            migrated = bool(install.known_migrations() - manifest.applied())
            if migrated:
                try:
                    call_command("migrate", interactive=False, verbosity=0)
                except Exception as e:
                    raise PartlyRestored(
                        f"the backup was restored, but migrating its older schema failed "
                        f"({type(e).__name__}: {e}): fix the cause, then run manage.py migrate"
                    ) from e
            connections.close_all()
            counts = install.counts()
            for what, n in manifest.counts.items():
                if what in counts and counts[what] != n:
                    warnings.append(
                        f"{what}: the backup recorded {n}, the restored install has {counts[what]}"
                    )
            return RestoreResult(manifest, migrated, counts, len(stored), warnings)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
