"""What a backup reads from, and a restore writes into: the storages, the migration
state, the counts an administrator checks a restore by, and the secrets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import Storage, storages
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count

from lightbox.cases.models import Case
from lightbox.imaging.models import Image, Instance, Upload
from lightbox.ops.backup.archive import is_hidden

__all__ = [
    "applied_migrations",
    "contents",
    "counts",
    "known_migrations",
    "lightbox_version",
    "storage_aliases",
    "walk",
    "write_secret",
]

# Static files are made from the code by collectstatic: never backed up.
_NOT_BACKED_UP = {"staticfiles"}


def lightbox_version() -> str:
    try:
        return version("lightbox")
    except PackageNotFoundError:
        return "unknown"


def _place(storage: Storage) -> tuple[object, ...]:
    """Where a storage keeps its files, so that two aliases of one place (``default`` and
    ``derived`` both under MEDIA_ROOT, or one bucket) are backed up once."""
    location = getattr(storage, "location", None)
    bucket = getattr(storage, "bucket_name", None)
    if bucket is not None:
        return ("bucket", getattr(storage, "endpoint_url", None), bucket, location)
    if location is not None:
        return ("folder", os.path.realpath(str(location)))
    return ("storage", id(storage))


def storage_aliases() -> list[str]:
    """The storages whose files a backup holds, one alias per place, default first."""
    aliases, places = [], set()
    for alias in sorted(settings.STORAGES, key=lambda a: (a != "default", a)):
        if alias in _NOT_BACKED_UP:
            continue
        place = _place(storages[alias])
        if place not in places:
            places.add(place)
            aliases.append(alias)
    return aliases


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every stored name under ``folder``, through the storage API only (a local folder
    and a bucket alike), sorted, without temporary names (see :func:`is_hidden`)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a fresh install has no media folder yet
        return
    prefix = f"{folder}/" if folder else ""
    for name in sorted(files):
        if not is_hidden(name):
            yield prefix + name
    for sub in sorted(folders):
        if not is_hidden(sub):
            yield from walk(storage, prefix + sub)


def applied_migrations() -> dict[str, list[str]]:
    """The migrations applied to the database, by app (none when it has no tables)."""
    try:
        applied = MigrationRecorder(connection).applied_migrations()
    except DatabaseError:
        return {}
    found: dict[str, list[str]] = {}
    for app, name in sorted(applied):
        found.setdefault(app, []).append(name)
    return found


def known_migrations() -> set[tuple[str, str]]:
    """Every migration this code has, applied or not."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def counts() -> dict[str, int]:
    """What the library holds, as the manifest records it and a restore reports it."""
    found = {
        "cases": Case.objects.count(),
        "users": get_user_model().objects.count(),
        "images": Image.objects.count(),
        "dicom_instances": Instance.objects.count(),
        "uploads": Upload.objects.count(),
    }
    by_status = Case.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
    for status, n in by_status:
        found[f"cases_{status}"] = n
    return found


def contents() -> dict[str, int]:
    """What would be lost if this install were overwritten: its cases and users (none
    when its database has no tables yet) and whether any file is stored."""
    try:
        found = {
            "case(s)": Case.objects.count(),
            "user(s)": get_user_model().objects.count(),
            "upload(s)": Upload.objects.count(),
        }
    except DatabaseError:
        found = {}
    for alias in storage_aliases():
        if next(walk(storages[alias]), None) is not None:
            found[f"stored file(s) in {alias!r}"] = 1
    return {what: n for what, n in found.items() if n}


def write_secret(filename: str, value: str) -> None:
    """Replace the secret kept in the data directory, atomically and readable by its
    owner only (settings.py reads it there when no environment variable is set)."""
    path = Path(settings.DATA_DIR) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{filename}.restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
