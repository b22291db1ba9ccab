"""Finding MIRCdocuments and their files in a zip, a folder or a set of uploaded files.
Django-free.

A MIRC export is a zip holding one document's XML and every file it names in ``src``
and ``href``, side by side; a MIRC storage folder holds one document per subfolder. Here
each ``.xml`` file whose root element is ``<MIRCdocument>`` is a document, and a name in
it is looked up relative to the document's own folder (case-insensitively when the exact
name is missing, as zips made on Windows need).

A zip is read with :func:`lightbox.lib.archive.iter_zip` under the caller's
:class:`~lightbox.lib.archive.Limits`, so its whole directory is checked before anything
is read (paths climbing out, links, too many members, too large, bombs), and never
extracted by name. Everything that makes a package unreadable raises
:class:`PackageError`, whose message is one line, before the caller has stored anything:
a zip breaking a rule, an XML file that is not XML we read (an entity declaration, too
deep, too large), or no MIRCdocument at all.

Examples
--------
>>> import io, zipfile
>>> out = io.BytesIO()
>>> with zipfile.ZipFile(out, "w") as z:
...     z.writestr("case/MIRCdocument.xml", "<MIRCdocument><title>T</title></MIRCdocument>")
...     z.writestr("case/IMG 1.jpg", b"...")
>>> package = ZipPackage(out)
>>> [path for path, _ in package.documents()]
['case/MIRCdocument.xml']
>>> package.resolve("case/MIRCdocument.xml", "IMG%201.jpg")
('case/IMG 1.jpg', '')
>>> package.resolve("case/MIRCdocument.xml", "../../etc/passwd")
(None, 'refers outside the document’s folder')
"""

from __future__ import annotations

import io
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, BinaryIO, Protocol
from urllib.parse import unquote

from lightbox.interchange.mirc.parse import is_mirc_document
from lightbox.interchange.mirc.types import MircParseError
from lightbox.interchange.mirc.xmltree import MAX_XML_BYTES
from lightbox.lib.archive import ArchiveError, Limits, iter_zip

__all__ = [
    "MAX_DOCUMENTS",
    "FolderPackage",
    "NamedFile",
    "Package",
    "PackageError",
    "UploadedPackage",
    "ZipPackage",
    "open_package",
]

MAX_DOCUMENTS = 1000  # MIRCdocuments in one package
MAX_XML_TOTAL = 64 * 1024 * 1024  # bytes of XML read from one package, all files together
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class PackageError(ValueError):
    """The package cannot be read; the message says why, in one line."""


class NamedFile(Protocol):
    """What a file needs to be read here: a name and ``read``."""

    @property
    def name(self) -> str | None: ...

    def read(self, n: int = -1, /) -> bytes: ...


class Package:
    """What the importer asks of a zip, a folder or uploaded files."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._names: dict[str, int] = {}  # path → size
        self._xml: dict[str, bytes] = {}
        self._documents: list[tuple[str, bytes]] | None = None

    # -- what subclasses provide ----------------------------------------------------------

    def _scan(self) -> None:
        """Fill ``_names`` and ``_xml``, checking every limit; raise PackageError."""
        raise NotImplementedError

    def _open(self, paths: set[str]) -> Iterator[tuple[str, IO[bytes]]]:
        """Each of ``paths``, as a stream bounded by the limits, in any order."""
        raise NotImplementedError

    # -- the importer's side ----------------------------------------------------------------

    def documents(self) -> list[tuple[str, bytes]]:
        """(path, bytes) of every MIRCdocument, in path order.

        Raises
        ------
        PackageError
            The package breaks a limit, an XML file in it cannot be read, or it holds no
            MIRCdocument.
        """
        if self._documents is None:
            self._scan()
            found = []
            for path in sorted(self._xml):
                try:
                    if is_mirc_document(self._xml[path]):
                        found.append((path, self._xml[path]))
                except MircParseError as e:
                    raise PackageError(f"{_shown(path)}: {e}") from None
            if not found:
                raise PackageError(
                    "no MIRCdocument found (an .xml file whose root is <MIRCdocument>)"
                )
            if len(found) > MAX_DOCUMENTS:
                raise PackageError(f"{len(found):,} MIRCdocuments (limit {MAX_DOCUMENTS:,})")
            self._documents = found
        return self._documents

    def resolve(self, document: str, reference: str) -> tuple[str | None, str]:
        """The path of the file ``reference`` (a ``src`` or ``href``) names, seen from
        ``document``; or None and why not."""
        name = unquote(reference.strip()).replace("\\", "/")
        if "://" in name or name.startswith(("/", "data:")) or _DRIVE_RE.match(name):
            return None, "refers outside the package"
        path = posixpath.normpath(posixpath.join(posixpath.dirname(document), name))
        if path == ".." or path.startswith("../"):
            return None, "refers outside the document’s folder"
        if path in self._names:
            return path, ""
        folded = {p.lower(): p for p in self._names}
        if path.lower() in folded:
            return folded[path.lower()], ""
        return None, "is not in the package"

    def size(self, path: str) -> int:
        return self._names[path]

    def read(self, paths: Iterable[str], max_bytes: int) -> dict[str, bytes | str]:
        """The bytes of each of ``paths`` (each at most ``max_bytes``), or a one-line
        reason for a file that cannot be read."""
        wanted = set(paths)
        out: dict[str, bytes | str] = {}
        for path in wanted:
            if self._names[path] > max_bytes:
                out[path] = f"too large ({self._names[path]:,} bytes; limit {max_bytes:,})"
        try:
            for path, stream in self._open(wanted - set(out)):
                data = stream.read(max_bytes + 1)
                out[path] = data if len(data) <= max_bytes else "too large"
        except ArchiveError as e:
            raise PackageError(str(e)) from None
        except OSError as e:
            raise PackageError(f"cannot read the package: {e.strerror or e}") from None
        return out

    def stream(self, paths: Iterable[str]) -> Iterator[tuple[str, NamedFile]]:
        """(path, file) for each of ``paths``, in any order, the file named by its base
        name and readable only until the next is asked for."""
        try:
            for path, stream in self._open(set(paths)):
                yield path, _Named(posixpath.basename(path), stream)
        except ArchiveError as e:
            raise PackageError(str(e)) from None


class _Named:
    def __init__(self, name: str, stream: IO[bytes]) -> None:
        self.name, self._stream = name, stream

    def read(self, n: int = -1, /) -> bytes:
        return self._stream.read(n)


def _shown(path: str) -> str:
    return path if len(path) <= 80 else "…" + path[-79:]


def _is_xml(path: str) -> bool:
    return path.lower().endswith(".xml")


class _XmlBudget:
    def __init__(self) -> None:
        self.total = 0

    def take(self, path: str, size: int) -> None:
        if size > MAX_XML_BYTES:
            raise PackageError(
                f"{_shown(path)}: XML too large: {size:,} bytes (limit {MAX_XML_BYTES:,})"
            )
        self.total += size
        if self.total > MAX_XML_TOTAL:
            raise PackageError(f"more than {MAX_XML_TOTAL:,} bytes of XML in one package")


class ZipPackage(Package):
    """A zip, given as a seekable binary file (it is read several times)."""

    def __init__(self, fp: BinaryIO, limits: Limits | None = None) -> None:
        super().__init__(limits)
        self.fp = fp

    def _members(self) -> Iterator[tuple[str, int, IO[bytes]]]:
        """Every member: its path, declared size and bounded stream. The whole directory
        is checked before the first (see :func:`~lightbox.lib.archive.iter_zip`)."""
        self.fp.seek(0)
        for member, stream in iter_zip(self.fp, self.limits):
            yield member.path.replace("\\", "/"), member.size, stream  # type: ignore[misc]

    def _scan(self) -> None:
        budget = _XmlBudget()
        try:
            for path, size, stream in self._members():
                if path in self._names:
                    continue  # a name twice: the first one is the file
                self._names[path] = size
                if _is_xml(path):
                    budget.take(path, size)
                    self._xml[path] = stream.read(MAX_XML_BYTES + 1)
        except ArchiveError as e:
            raise PackageError(f"zip refused: {e}") from None

    def _open(self, paths: set[str]) -> Iterator[tuple[str, IO[bytes]]]:
        seen: set[str] = set()
        for path, _, stream in self._members():
            if path in paths and path not in seen:
                seen.add(path)
                yield path, stream


class FolderPackage(Package):
    """A folder on this machine (symbolic links are not followed)."""

    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        super().__init__(limits)
        self.root = root

    def _scan(self) -> None:
        budget = _XmlBudget()
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                full = Path(folder) / name
                if full.is_symlink() or not full.is_file():
                    continue
                path = full.relative_to(self.root).as_posix()
                size = full.stat().st_size
                self._names[path] = size
                if len(self._names) > self.limits.max_entries:
                    raise PackageError(
                        f"more than {self.limits.max_entries:,} files in {self.root.name}"
                    )
                if _is_xml(path):
                    budget.take(path, size)
                    self._xml[path] = full.read_bytes()[: MAX_XML_BYTES + 1]

    def _open(self, paths: set[str]) -> Iterator[tuple[str, IO[bytes]]]:
        for path in sorted(paths):
            with (self.root / path).open("rb") as fp:
                yield path, fp


class UploadedPackage(Package):
    """Files sent together (a document's folder chosen in a browser): flat, by base
    name, each a seekable binary file."""

    def __init__(self, files: Iterable[NamedFile], limits: Limits | None = None) -> None:
        super().__init__(limits)
        self.files: dict[str, NamedFile] = {}
        for f in files:
            self.files.setdefault(posixpath.basename((f.name or "").replace("\\", "/")), f)

    def _scan(self) -> None:
        budget = _XmlBudget()
        if len(self.files) > self.limits.max_entries:
            raise PackageError(f"more than {self.limits.max_entries:,} files")
        for path, f in sorted(self.files.items()):
            if not path:
                continue
            size = _size(f)
            self._names[path] = size
            if _is_xml(path):
                budget.take(path, size)
                _rewind(f)
                self._xml[path] = f.read(MAX_XML_BYTES + 1)

    def _open(self, paths: set[str]) -> Iterator[tuple[str, IO[bytes]]]:
        for path in sorted(paths):
            f = self.files[path]
            _rewind(f)
            yield path, f  # type: ignore[misc]


def _rewind(f: NamedFile) -> None:
    if (seek := getattr(f, "seek", None)) is not None:
        seek(0)


def _size(f: NamedFile) -> int:
    size = getattr(f, "size", None)
    if isinstance(size, int):
        return size
    seek, tell = getattr(f, "seek", None), getattr(f, "tell", None)
    if seek is None or tell is None:
        return 0
    seek(0, io.SEEK_END)
    end = int(tell())
    seek(0)
    return end


ZIP_MAGIC = b"PK\x03\x04"


def open_package(files: Sequence[NamedFile], limits: Limits | None = None) -> Package:
    """A zip when ``files`` is one zip (by its bytes, not its name), else the files
    themselves."""
    if len(files) == 1:
        head = files[0].read(4)
        _rewind(files[0])
        if head == ZIP_MAGIC:
            return ZipPackage(files[0], limits)  # type: ignore[arg-type]
    return UploadedPackage(files, limits)
