"""BagIt bags (RFC 8493) serialized as zip files, written and read as streams. Django-free.

A bag is a folder: ``bagit.txt`` (the version), ``data/`` (the payload), and
``manifest-sha256.txt``, one line per payload file, ``<sha256>  data/<path>``. Here the
folder is a zip with one top-level directory, as RFC 8493 section 4 serializes a bag;
``bag-info.txt`` adds ``Payload-Oxum`` (bytes and file count of the payload) and
``tagmanifest-sha256.txt`` the hashes of the other three.

The Library of Congress's ``bagit`` package reads and writes bags as folders on disk:
validating one would mean unpacking a zip that may be hostile before checking it, which
:mod:`lightbox.lib.archive` exists to avoid. So the zip is read here as a stream of members
under :class:`~lightbox.lib.archive.Limits`, every member hashed as it goes by, and nothing
is unpacked: :class:`BagReader` verifies the whole bag first (:meth:`BagReader.verify`),
then hands out one member at a time (:meth:`BagReader.read`), hashing it again.

Examples
--------
>>> import io
>>> out = io.BytesIO()
>>> with BagWriter(out, "example", {"External-Description": "An example"}) as bag:
...     _ = bag.add("data/hello.txt", b"Hello")
>>> reader = BagReader(io.BytesIO(out.getvalue()))
>>> found = reader.verify()
>>> sorted(found)
['data/hello.txt']
>>> reader.read("data/hello.txt")
b'Hello'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import IO, BinaryIO

from lightbox.lib.archive import ArchiveError, ArchiveTooLarge, Limits, MemberStream, iter_zip

__all__ = [
    "BAGIT",
    "BAG_INFO",
    "BagError",
    "BagReader",
    "BagWriter",
    "MANIFEST",
    "PayloadFile",
    "TAG_MANIFEST",
    "expanded_size",
    "safe_bag_path",
]

BAGIT = "bagit.txt"
BAG_INFO = "bag-info.txt"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
TAG_FILES = (BAGIT, BAG_INFO, MANIFEST, TAG_MANIFEST)
BAGIT_TEXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
# A path inside a bag: letters, digits and . _ - in each part, none of them "." or "..".
_PART = r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,119}"
_PATH_RE = re.compile(rf"{_PART}(?:/{_PART})*")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024


class BagError(ValueError):
    """The bag breaks a rule; the message says which, in one line."""


def safe_bag_path(path: str) -> bool:
    """Whether ``path`` is one Lightbox writes and reads: relative, plain ASCII parts.

    >>> safe_bag_path("data/cases/bs001/case.json"), safe_bag_path("data/../etc/passwd")
    (True, False)
    """
    return bool(_PATH_RE.fullmatch(path)) and ".." not in path.split("/")


@dataclass(frozen=True, slots=True)
class PayloadFile:
    """A payload file as the manifest lists it and as it was found."""

    path: str
    size: int
    sha256: str


class BagWriter:
    """Write a bag into the zip ``fp`` under the top-level directory ``name``.

    ``bagit.txt`` is written first, each payload file as it is added, and ``bag-info.txt``
    and the manifests on :meth:`close` (or at the end of a ``with`` block that raised
    nothing), when every hash is known.
    """

    def __init__(self, fp: IO[bytes], name: str, info: dict[str, str]) -> None:
        if not safe_bag_path(name) or "/" in name:
            raise BagError(f"{name!r} cannot name a bag")
        self._zip = zipfile.ZipFile(fp, "w", allowZip64=True)
        self._root = name + "/"
        self._info = dict(info)
        self._manifest: dict[str, str] = {}
        self._bytes = 0
        self._closed = False
        self._tag(BAGIT, BAGIT_TEXT.encode())

    def add(self, path: str, data: bytes, *, compress: bool = True) -> str:
        """Add a payload file (``path`` starts with ``data/``); returns its SHA-256.

        ``compress=False`` stores the bytes as they are: for pictures, already compressed.
        """
        if not path.startswith("data/") or not safe_bag_path(path):
            raise BagError(f"{path!r} is not a payload path")
        if path in self._manifest:
            raise BagError(f"{path} is in the bag already")
        digest = hashlib.sha256(data).hexdigest()
        kind = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self._zip.writestr(self._root + path, data, compress_type=kind, compresslevel=1)
        self._manifest[path] = digest
        self._bytes += len(data)
        return digest

    def __contains__(self, path: str) -> bool:
        return path in self._manifest

    def close(self) -> None:
        """Write ``bag-info.txt`` and the manifests, and finish the zip."""
        if self._closed:
            return
        self._closed = True
        info = {
            **self._info,
            "Bagging-Date": dt.date.today().isoformat(),
            "Payload-Oxum": f"{self._bytes}.{len(self._manifest)}",
        }
        tags = {
            BAGIT: BAGIT_TEXT.encode(),
            BAG_INFO: "".join(f"{k}: {' '.join(v.split())}\n" for k, v in info.items()).encode(),
            MANIFEST: _manifest_text(self._manifest),
        }
        self._tag(BAG_INFO, tags[BAG_INFO])
        self._tag(MANIFEST, tags[MANIFEST])
        hashes = {name: hashlib.sha256(data).hexdigest() for name, data in tags.items()}
        self._tag(TAG_MANIFEST, _manifest_text(hashes))
        self._zip.close()

    def abort(self) -> None:
        """Stop without writing the manifests (the caller removes the unfinished file)."""
        self._closed = True
        self._zip.close()

    def _tag(self, name: str, data: bytes) -> None:
        self._zip.writestr(self._root + name, data, compress_type=zipfile.ZIP_DEFLATED)

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def _manifest_text(hashes: dict[str, str]) -> bytes:
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(hashes.items())).encode()


def _parse_manifest(text: bytes, name: str) -> dict[str, str]:
    """``{path: sha256}`` from a manifest's lines; a line of any other shape is an error."""
    found: dict[str, str] = {}
    for number, line in enumerate(_utf8(text, name).splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, path = line.strip().partition(" ")
        path = path.strip()
        if not _SHA256_RE.fullmatch(digest.lower()) or not path:
            raise BagError(f"{name} line {number} is not '<sha256> <path>'")
        if not safe_bag_path(path):
            raise BagError(f"{name} line {number} names an unsafe path: {path[:80]!r}")
        if path in found:
            raise BagError(f"{name} lists {path} twice")
        found[path] = digest.lower()
    return found


def _utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BagError(f"{name} is not UTF-8 text (byte {e.start})") from None


def _fields(text: bytes, name: str) -> dict[str, str]:
    """The ``Label: value`` lines of a tag file (continuation lines joined)."""
    fields: dict[str, str] = {}
    last = ""
    for number, line in enumerate(_utf8(text, name).splitlines(), start=1):
        if line[:1] in (" ", "\t") and last:
            fields[last] += " " + line.strip()
            continue
        label, colon, value = line.partition(":")
        if not colon or not label.strip():
            raise BagError(f"{name} line {number} is not 'Label: value'")
        last = label.strip()
        fields[last] = value.strip()
    return fields


def expanded_size(source: str | BinaryIO) -> int | None:
    """What the members of the zip ``source`` say they expand to (``None`` when it cannot
    be read): the total of a progress bar, before anything is trusted."""
    try:
        with zipfile.ZipFile(source) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


class BagReader:
    """Read and verify a bag in the zip ``source`` (a path, or a seekable binary file).

    Parameters
    ----------
    source
        The zip.
    limits
        What the zip may hold and expand to (:class:`~lightbox.lib.archive.Limits`).
    """

    def __init__(self, source: str | BinaryIO, limits: Limits | None = None) -> None:
        self._source = source
        self._limits = limits or Limits()
        self._root = ""
        self._manifest: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        self._archive: zipfile.ZipFile | None = None

    def verify(
        self,
        check: Callable[[str, bytes], None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, PayloadFile]:
        """Read every member once and check the bag; returns its payload files by path.

        ``check(path, data)`` is called with each payload file's bytes (it may keep
        them, or raise to refuse the bag); ``progress(n)`` after each ``n`` bytes read.

        Raises
        ------
        BagError
            Not a zip or a bag, an unsafe or unexpected member, a member listed twice, a
            payload file missing from the manifest or the manifest naming a file the bag
            lacks, a hash or Payload-Oxum that does not match, or the limits exceeded.
        ArchiveTooLarge
            The zip would expand past ``limits`` (a :class:`BagError` is raised for
            everything else).
        """
        self._root = self._find_root()
        tags: dict[str, bytes] = {}
        found: dict[str, PayloadFile] = {}
        for path, data in self._members(progress):
            if path in tags or path in found:
                raise BagError(f"the zip holds {path} twice")
            if path in TAG_FILES:
                tags[path] = data
            elif path.startswith("data/") and safe_bag_path(path):
                found[path] = PayloadFile(path, len(data), hashlib.sha256(data).hexdigest())
                if check is not None:
                    check(path, data)
            else:
                raise BagError(f"unexpected member {self._root}{path[:80]}: not part of a bag")
        self._check_tags(tags, found)
        self._sizes = {path: f.size for path, f in found.items()}
        return found

    def read(self, path: str) -> bytes:
        """The bytes of a payload file of a verified bag, hashed again against the
        manifest (the zip may have been changed since it was verified)."""
        if path not in self._manifest:
            raise BagError(f"{path} is not in the bag's manifest")
        try:
            if self._archive is None:  # opened once: its directory is read once
                self._archive = zipfile.ZipFile(self._source)
            info = self._archive.getinfo(self._root + path)
            size = self._sizes[path]
            if info.file_size != size:
                raise BagError(f"{path} has changed since the bag was verified")
            with MemberStream(self._archive.open(info), size, path) as stream:
                data = stream.read()
        except (zipfile.BadZipFile, KeyError, OSError, ArchiveError) as e:
            raise BagError(f"{path} cannot be read again ({e})") from None
        if hashlib.sha256(data).hexdigest() != self._manifest[path]:
            raise BagError(f"{path} has changed since the bag was verified")
        return data

    def close(self) -> None:
        """Close the zip :meth:`read` keeps open."""
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    # -- verification ---------------------------------------------------------------------

    def _find_root(self) -> str:
        """The bag's top-level directory inside the zip ("" when there is none)."""
        try:
            with zipfile.ZipFile(self._source) as archive:
                names = [n for n in archive.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise BagError(f"not a readable zip file ({e})") from None
        if len(names) > self._limits.max_entries:
            raise BagError(
                f"the zip has {len(names):,} members (limit {self._limits.max_entries:,})"
            )
        if BAGIT in names:
            return ""
        # The bag's folder is the one holding bagit.txt; a member outside it is refused
        # when the members are read (after the zip's own checks of every member path).
        roots = [name[: -len(BAGIT)] for name in names if name.endswith(f"/{BAGIT}")]
        roots = [root for root in roots if root.count("/") == 1]
        if len(roots) == 1:
            return roots[0]
        raise BagError(f"not a bag: no {BAGIT} at the top of the zip or of its one folder")

    def _members(self, progress: Callable[[int], None] | None) -> Iterator[tuple[str, bytes]]:
        try:
            for member, stream in iter_zip(self._source, self._limits):
                if not member.path.startswith(self._root):
                    raise BagError(f"unexpected member {member.path[:80]}: outside the bag")
                chunks = []
                while chunk := stream.read(_CHUNK):
                    chunks.append(chunk)
                    if progress is not None:
                        progress(len(chunk))
                data = b"".join(chunks)
                if len(data) != member.size:
                    raise BagError(f"{member.path[:80]} is shorter than the zip says")
                yield member.path[len(self._root) :], data
        except ArchiveTooLarge:
            raise
        except ArchiveError as e:
            raise BagError(str(e)) from None

    def _check_tags(self, tags: dict[str, bytes], found: dict[str, PayloadFile]) -> None:
        version = _fields(tags.get(BAGIT, b""), BAGIT) if BAGIT in tags else {}
        if version.get("BagIt-Version") not in ("0.97", "1.0"):
            raise BagError(f"{BAGIT} does not say 'BagIt-Version: 1.0'")
        if version.get("Tag-File-Character-Encoding", "").upper() not in ("UTF-8", "UTF8"):
            raise BagError(f"{BAGIT} does not say 'Tag-File-Character-Encoding: UTF-8'")
        if MANIFEST not in tags:
            raise BagError(f"the bag has no {MANIFEST}")
        manifest = _parse_manifest(tags[MANIFEST], MANIFEST)
        for path, digest in manifest.items():
            if not path.startswith("data/"):
                raise BagError(f"{MANIFEST} lists {path}, which is not in data/")
            if path not in found:
                raise BagError(f"{path} is in the manifest but not in the bag")
            if found[path].sha256 != digest:
                raise BagError(f"{path} does not match its SHA-256 in the manifest")
        if extra := sorted(set(found) - set(manifest)):
            raise BagError(f"{extra[0]} is in the bag but not in the manifest")
        if TAG_MANIFEST in tags:
            for path, digest in _parse_manifest(tags[TAG_MANIFEST], TAG_MANIFEST).items():
                if path not in tags or path == TAG_MANIFEST:
                    raise BagError(f"{TAG_MANIFEST} lists {path}, which is not a tag file here")
                if hashlib.sha256(tags[path]).hexdigest() != digest:
                    raise BagError(f"{path} does not match its SHA-256 in {TAG_MANIFEST}")
        if BAG_INFO in tags and (oxum := _fields(tags[BAG_INFO], BAG_INFO).get("Payload-Oxum")):
            expected = f"{sum(f.size for f in found.values())}.{len(found)}"
            if oxum != expected:
                raise BagError(f"Payload-Oxum {oxum} in {BAG_INFO} does not match the payload")
        self._manifest = manifest
