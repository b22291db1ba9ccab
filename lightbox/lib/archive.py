"""Reading uploaded zips and file names without trusting them. Django-free.

A zip from a browser or a PACS export is hostile until proven otherwise: members may
climb out of the extraction folder (``../``, absolute paths), be symlinks, be far larger
than they declare (zip bombs), or be so many that listing them is the attack. Here nothing
is extracted to disk by name: members are read as streams, under limits, and named by
:func:`safe_name`.

Examples
--------
>>> safe_name("../../etc/passwd")
'passwd'
>>> safe_name("scan\\x00.dcm")
'scan.dcm'
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

__all__ = [
    "ArchiveError",
    "ArchiveTooLarge",
    "Limits",
    "Member",
    "MemberStream",
    "iter_zip",
    "safe_name",
]

MAX_NAME = 120
UNSAFE_CHARS = re.compile(r"[^\w.\- ]+")


class ArchiveError(ValueError):
    """The archive breaks a rule; the message says which, in one line."""


class ArchiveTooLarge(ArchiveError):
    """The archive, or one member, would expand past ``max_total_bytes`` or
    ``max_member_bytes`` (a caller's budget, which the caller may want to explain)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one upload may expand to."""

    max_entries: int = 10_000
    max_member_bytes: int = 2 * 1024**3
    max_total_bytes: int = 8 * 1024**3
    # Real medical images compress 2-10x; text and padding up to ~100x. Beyond this the
    # member is a bomb, whatever it claims.
    max_ratio: int = 200


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # safe_name() of the member's base name
    path: str  # the member's path inside the zip, for messages only
    size: int  # declared uncompressed size


def safe_name(name: str, fallback: str = "file") -> str:
    """A harmless base name: no directories, NUL or control characters, at most 120 chars.

    The extension is kept when the name has to be shortened.
    """
    base = re.split(r"[\\/]", name.replace("\x00", ""))[-1]
    base = unicodedata.normalize("NFKC", base)
    base = UNSAFE_CHARS.sub("_", base).strip(" ._")
    if not base:
        return fallback
    if len(base) > MAX_NAME:
        stem, ext = os.path.splitext(base)
        ext = ext[:16]
        base = stem[: MAX_NAME - len(ext)] + ext
    return base


def _check_member(info: zipfile.ZipInfo) -> None:
    path = info.filename
    if "\x00" in path:
        raise ArchiveError(f"member name with a NUL byte: {path!r}")
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        raise ArchiveError(f"member with an absolute path: {path!r}")
    if ".." in re.split(r"[\\/]", path):
        raise ArchiveError(f"member climbing out of the archive: {path!r}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"member is a symbolic link: {path!r}")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"member is encrypted: {path!r}")


class MemberStream:
    """A member's bytes, failing with :class:`ArchiveError` once it yields more than it may
    or turns out corrupt."""

    def __init__(self, raw: IO[bytes], limit: int, path: str) -> None:
        self._raw, self._left, self._path = raw, limit, path

    def read(self, n: int = -1) -> bytes:
        try:
            data = self._raw.read(self._left + 1 if n < 0 else min(n, self._left + 1))
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            raise ArchiveError(f"member {self._path!r} is corrupt ({e})") from None
        self._left -= len(data)
        if self._left < 0:
            raise ArchiveError(f"member expands beyond its limit: {self._path!r}")
        return data

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> MemberStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_zip(
    fp: BinaryIO | str, limits: Limits | None = None
) -> Iterator[tuple[Member, MemberStream]]:
    """Yield (member, stream) for every regular file in a zip, under ``limits``.

    The whole directory is checked before the first member is yielded, so a hostile
    archive is refused before any of it is processed. Each stream stops with
    :class:`ArchiveError` as soon as it decompresses past its declared size, its
    compression-ratio limit or the per-member limit.

    Raises
    ------
    ArchiveError
        Not a zip, too many members, an unsafe member path or type, or too large.
    """
    limits = limits or Limits()
    try:
        archive = zipfile.ZipFile(fp)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ArchiveError(f"not a readable zip file ({e})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ArchiveError(f"zip has {len(infos):,} members (limit {limits.max_entries:,})")
        files = [i for i in infos if not i.is_dir()]
        total = 0
        for info in files:
            _check_member(info)
            total += info.file_size
            if info.file_size > limits.max_member_bytes:
                raise ArchiveTooLarge(
                    f"member {info.filename!r} is too large ({info.file_size:,} bytes)"
                )
        if total > limits.max_total_bytes:
            raise ArchiveTooLarge(
                f"zip expands to {total:,} bytes (limit {limits.max_total_bytes:,})"
            )
        for info in files:
            allowed = min(
                info.file_size,
                limits.max_member_bytes,
                max(info.compress_size, 1) * limits.max_ratio,
            )
            if info.file_size > allowed:
                raise ArchiveError(f"member compressed suspiciously well: {info.filename!r}")
            member = Member(name=safe_name(info.filename), path=info.filename, size=info.file_size)
            try:
                stream = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
                raise ArchiveError(f"cannot read member {info.filename!r} ({e})") from None
            with MemberStream(stream, allowed, info.filename) as bounded:
                yield member, bounded
