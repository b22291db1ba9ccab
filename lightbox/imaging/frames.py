"""Web images of single DICOM frames, rendered when first asked for and then kept.

The viewer reads the de-identified DICOM itself; these PNGs are for everything else: the
case page and the viewer page without JavaScript, and anyone who wants one frame as a
picture. Rendering every frame at ingest would cost a 1,000-slice CT a thousand renders
before anyone looks, so a frame is rendered on its first request (in the web process,
from the stored file: it holds nothing identifiable) and kept in the ``derived`` storage
under a name made of the instance's SHA-256, so a file changed by pixel masking gets new
frames and a cached frame is never stale.
"""

from __future__ import annotations

import contextlib
import io
import logging
from typing import IO

import pydicom
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from lightbox.imaging.dicom.render import RenderError, render_png
from lightbox.imaging.models import Instance
from lightbox.lib.disk import is_disk_full

__all__ = ["FrameNotFound", "forget", "frame_name", "frame_png", "open_frame"]

logger = logging.getLogger(__name__)


class FrameNotFound(LookupError):
    """No such frame, or it cannot be rendered (the message says which)."""


def _storage() -> Storage:
    return storages["derived"]


def frame_name(instance: Instance, frame: int) -> str:
    return f"{_folder(instance.series_id)}/{instance.sha256[:24]}-{frame:05d}.png"


def _folder(series_id: int) -> str:
    return f"frames/{series_id}"


def forget(series_id: int, sha256: str) -> int:
    """Delete the kept frames of a file that is being replaced (pixel masking: the old
    frames show what was masked). Returns how many were deleted."""
    storage, folder = _storage(), _folder(series_id)
    try:
        _, names = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    old = [n for n in names if n.startswith(f"{sha256[:24]}-")]
    for name in old:
        storage.delete(f"{folder}/{name}")
    return len(old)


def frame_png(instance: Instance, frame: int) -> str:
    """The storage name of frame ``frame`` (zero-based) of ``instance`` as a PNG, rendered
    and stored now if it is the first time anyone asks.

    Raises
    ------
    FrameNotFound
        ``frame`` is out of range, or the pixel data cannot be decoded (the instance is
        then marked, ``Instance.render_error``, and not decoded again).
    OSError
        The rendered frame could not be kept (see :func:`open_frame`).
    """
    storage, name = _storage(), frame_name(instance, frame)
    if not storage.exists(name):
        _keep(name, _render(instance, frame))
    return name


def open_frame(instance: Instance, frame: int) -> IO[bytes]:
    """Frame ``frame`` of ``instance`` as PNG bytes to serve: kept in storage after the
    first request, as :func:`frame_png`; when it cannot be kept because the disk is full,
    it is served all the same, from memory, and rendered again next time.

    Raises
    ------
    FrameNotFound
        As :func:`frame_png`.
    """
    storage, name = _storage(), frame_name(instance, frame)
    # Opened straight away rather than after exists(): in a bucket that is a request less.
    with contextlib.suppress(FileNotFoundError):
        return storage.open(name, "rb")
    data = _render(instance, frame)
    try:
        _keep(name, data)
    except OSError as e:
        if not is_disk_full(e):
            raise
        logger.warning("frame of instance %s not kept: the disk is full", instance.pk)
        return io.BytesIO(data)
    return storage.open(name, "rb")


def _render(instance: Instance, frame: int) -> bytes:
    if not 0 <= frame < max(instance.frames, 1):
        raise FrameNotFound(f"this image has {instance.frames} frame(s)")
    if instance.render_error:
        # Known not to render (at ingest, in a limited child): not tried again here.
        raise FrameNotFound(f"this image cannot be shown as a picture: {instance.render_error}")
    with instance.file.open("rb") as fp:
        data = fp.read()
    try:
        ds = pydicom.dcmread(io.BytesIO(data))
        return render_png(ds, frame)
    except RenderError as e:
        _remember(instance, str(e))
        raise FrameNotFound(f"this image cannot be shown as a picture: {e}") from None
    except Exception as e:  # noqa: BLE001 - any reader failure means "cannot show it"
        reason = f"cannot read the file ({e.__class__.__name__})"
        _remember(instance, reason)
        raise FrameNotFound(f"this image cannot be shown as a picture: {reason}") from None


def _keep(name: str, data: bytes) -> None:
    storage = _storage()
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Another request rendered the same frame meanwhile: keep one copy.
        storage.delete(saved)


def _remember(instance: Instance, reason: str) -> None:
    """Mark the instance as not renderable, so that later requests answer at once."""
    instance.render_error = reason[:300]
    Instance.objects.filter(pk=instance.pk).update(render_error=instance.render_error)
