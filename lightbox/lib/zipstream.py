"""Stream a zip archive without building it in memory or on disk. Django-free.

:mod:`zipfile` writes to unseekable streams (using data descriptors); here the stream is
a small buffer drained after every chunk, so a series of a thousand slices goes out with a
constant, small amount of memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

__all__ = ["stream"]

CHUNK = 256 * 1024


class _Drain:
    """A write-only, unseekable sink whose contents are taken away as they arrive."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.buffer = bytes(self.buffer), bytearray()
        return data


def stream(members: Iterable[tuple[str, Any]]) -> Iterator[bytes]:
    """Yield a zip (stored, not compressed: DICOM pixels are often compressed already) of
    ``(name, file)`` pairs, where ``file`` has ``open("rb")`` (a Django FieldFile)."""
    sink = _Drain()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:  # type: ignore[call-overload]
        for name, source in members:
            with source.open("rb") as src, archive.open(name, "w", force_zip64=True) as dst:
                _copy(src, dst)
                yield sink.take()
            yield sink.take()
    yield sink.take()


def _copy(src: IO[bytes], dst: IO[bytes]) -> None:
    while chunk := src.read(CHUNK):
        dst.write(chunk)
