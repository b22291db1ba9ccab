"""The backup archive's format: a plain tar file whose last member, ``manifest.json``,
lists every other member with its size and SHA-256.

Django-free, so that it can be checked on its own. A plain (uncompressed) tar is chosen
because its member headers can be read without reading the members: a restore reads the
manifest at the end of a many-gigabyte archive in a moment, checks it, and only then reads
anything else. (DICOM is mostly compressed already, and the PostgreSQL dump is.)

Member names::

    manifest.json                      this list, last
    database/lightbox.sqlite3          or database/lightbox.pgdump (pg_dump -Fc)
    secrets/secret_key                 SECRET_KEY
    secrets/deid_secret                DEID_SECRET (keys the UID mapping of de-identification)
    storage/<alias>/<stored name>      every stored file, by storage (default, derived)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

__all__ = [
    "DATABASE_MEMBERS",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_MANIFEST_BYTES",
    "SECRET_MEMBERS",
    "BackupError",
    "HashingReader",
    "Manifest",
    "Member",
    "check_name",
    "is_hidden",
    "parse_manifest",
]

FORMAT = "lightbox-backup"
#: Raised when the layout changes; a restore refuses a version it does not know.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: A manifest lists one line per stored file: a million files take ~150 MB.
MAX_MANIFEST_BYTES = 512 * 1024 * 1024
DATABASE_MEMBERS = {
    "sqlite": "database/lightbox.sqlite3",
    "postgresql": "database/lightbox.pgdump",
}
SECRET_MEMBERS = {"secret_key": "secrets/secret_key", "deid_secret": "secrets/deid_secret"}
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BAD_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\\]")


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why in one line."""


def is_hidden(name: str) -> bool:
    """Whether a stored name is a temporary one no backup holds: a storage's half-written
    ``.partial-*`` files and the ``.staging`` folder of the ingest.

    >>> is_hidden(".staging/12.ab/x.dcm"), is_hidden("dicom/1/2/ab.dcm")
    (True, False)
    """
    return any(part.startswith(".") for part in name.split("/"))


def check_name(name: str) -> str:
    """``name`` if it is a safe, relative member name, else :class:`BackupError`.

    No absolute path, no ``..``, no empty or hidden component, no backslash or control
    character: nothing in an archive may name a place outside where it is restored.

    >>> check_name("storage/default/dicom/1/2/ab.dcm")
    'storage/default/dicom/1/2/ab.dcm'
    >>> check_name("storage/default/../../etc/passwd")
    Traceback (most recent call last):
    ...
    lightbox.ops.backup.archive.BackupError: unsafe member name 'storage/default/../../etc/passwd'
    """
    parts = name.split("/")
    if (
        not name
        or len(name) > 1024
        or name.startswith("/")
        or _BAD_CHARACTERS.search(name)
        or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        or PurePosixPath(name).is_absolute()
    ):
        raise BackupError(f"unsafe member name {name!r}")
    return name


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """What ``manifest.json`` says. ``members`` excludes the manifest itself."""

    lightbox_version: str
    created: str
    vendor: str
    migrations: dict[str, list[str]]
    counts: dict[str, int]
    members: list[Member] = field(default_factory=list)

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBERS[self.vendor]

    def applied(self) -> set[tuple[str, str]]:
        return {(app, name) for app, names in self.migrations.items() for name in names}

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "lightbox_version": self.lightbox_version,
            "created": self.created,
            "database": {"vendor": self.vendor, "member": self.database_member},
            "migrations": self.migrations,
            "counts": self.counts,
            "members": [
                {"name": m.name, "size": m.size, "sha256": m.sha256} for m in self.members
            ],
        }
        return json.dumps(data, indent=1, sort_keys=True).encode()


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise BackupError(f"the manifest is not valid: {what}")


def parse_manifest(data: bytes) -> Manifest:
    """Read and check ``manifest.json``: its format and version first, then every field.

    >>> names = ["database/lightbox.sqlite3", "secrets/secret_key", "secrets/deid_secret"]
    >>> m = Manifest("0.1.0", "2026-01-01T00:00:00+00:00", "sqlite", {"cases": ["0001_x"]},
    ...              {"cases": 0}, [Member(name, 3, "0" * 64) for name in names])
    >>> parse_manifest(m.to_json()) == m
    True
    >>> parse_manifest(b'{"format": "lightbox-backup", "format_version": 99}')
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lightbox.ops.backup.archive.BackupError: this backup has format version 99; ... upgrade first)
    """
    try:
        raw: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BackupError(f"the manifest is not valid JSON ({e})") from None
    _require(isinstance(raw, dict), "not an object")
    if raw.get("format") != FORMAT:
        raise BackupError("this is not a Lightbox backup (its manifest names another format)")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise BackupError(
            f"this backup has format version {version!r}; this Lightbox reads version "
            f"{FORMAT_VERSION} only"
            + (" (a newer Lightbox wrote it: upgrade first)" if newer else "")
        )
    database = raw.get("database")
    _require(isinstance(database, dict), "no database")
    vendor = database.get("vendor")
    _require(vendor in DATABASE_MEMBERS, f"unknown database vendor {vendor!r}")
    migrations = raw.get("migrations")
    _require(
        isinstance(migrations, dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
            for k, v in migrations.items()
        ),
        "migrations",
    )
    counts = raw.get("counts")
    _require(
        isinstance(counts, dict)
        and all(isinstance(k, str) and type(v) is int for k, v in counts.items()),
        "counts",
    )
    members_raw = raw.get("members")
    _require(isinstance(members_raw, list), "members")
    members, seen = [], set()
    for item in members_raw:
        _require(isinstance(item, dict), "a member is not an object")
        name, size, sha = item.get("name"), item.get("size"), item.get("sha256")
        _require(isinstance(name, str), "a member has no name")
        check_name(name)
        _require(name != MANIFEST and name not in seen, f"member {name!r} is listed twice")
        _require(type(size) is int and size >= 0, f"member {name!r} has no size")
        _require(isinstance(sha, str) and bool(_HEX64.fullmatch(sha)), f"{name!r}: sha256")
        seen.add(name)
        members.append(Member(name, size, sha))
    for required in (DATABASE_MEMBERS[vendor], *SECRET_MEMBERS.values()):
        _require(required in seen, f"it lists no {required}")
    for name in seen:
        _require(
            name.startswith("storage/")
            and len(name.split("/")) >= 3
            or name in (DATABASE_MEMBERS[vendor], *SECRET_MEMBERS.values()),
            f"unexpected member {name!r}",
        )
    created, lightbox_version = raw.get("created"), raw.get("lightbox_version")
    _require(isinstance(created, str) and isinstance(lightbox_version, str), "versions")
    return Manifest(lightbox_version, created, vendor, migrations, counts, members)


class HashingReader:
    """Wraps a binary file: what is read through it is counted and hashed, and each
    chunk's length is reported to ``progress`` (a progress bar's ``update``)."""

    def __init__(self, raw: IO[bytes], progress: Callable[[int], object] | None = None) -> None:
        self.raw = raw
        self.size = 0
        self._hash = hashlib.sha256()
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self._hash.update(data)
        self.size += len(data)
        if self._progress is not None and data:
            self._progress(len(data))
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
