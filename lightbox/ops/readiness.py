"""What ``/readyz`` checks: can this process serve and its workers work?

Each probe answers ``(ok, detail)``; ``detail`` is for trusted callers only (see
:func:`lightbox.ops.metrics.allowed`) and may name a path or an error. The probes that
touch the disk or the storage (free space, a probe object written, read and deleted) are
remembered for ``LIGHTBOX_READY_CACHE_SECONDS``, so that a load balancer asking every
second costs a database round trip and little else.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from lightbox.ops import queue
from lightbox.search.text.embeddings import EmbeddingModelMissing, model_files

__all__ = ["PROBES", "check", "forget"]

Result = tuple[bool, dict[str, Any]]
_cache: dict[str, tuple[float, Result]] = {}
_lock = threading.Lock()


def _run(probe: Callable[[], Result]) -> Result:
    """The probe's answer; one that raises has failed, its error its detail."""
    try:
        return probe()
    except Exception as e:  # a probe must report, never break the page
        return False, {"error": f"{type(e).__name__}: {e}"}


def _cached(name: str, probe: Callable[[], Result]) -> Result:
    now = time.monotonic()
    with _lock:
        kept = _cache.get(name)
    if kept is not None and now - kept[0] < settings.READY_CACHE_SECONDS:
        return kept[1]
    result = _run(probe)
    with _lock:
        _cache[name] = (now, result)
    return result


def forget() -> None:
    """Forget every remembered probe (tests; a change an administrator just made)."""
    with _lock:
        _cache.clear()


def database() -> Result:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True, {"vendor": connection.vendor}


def storage() -> Result:
    """Write, read back and delete a small object in the default storage. The name is
    hidden (a leading dot), so a backup taken meanwhile never holds it."""
    name = f".readyz/{uuid.uuid4().hex}"
    body = b"lightbox readiness probe"
    saved = default_storage.save(name, ContentFile(body))
    try:
        with default_storage.open(saved, "rb") as f:
            same = f.read() == body
    finally:
        default_storage.delete(saved)
    return same, {} if same else {"error": "the probe object read back differently"}


def tasks() -> Result:
    try:
        found = queue.stats()
    except queue.QueueUnavailable as e:
        return False, {"error": str(e)}
    lag = found["oldest_seconds"] or 0.0
    limit = settings.READY_QUEUE_LAG_SECONDS
    detail: dict[str, Any] = {**found, "limit_seconds": limit}
    return lag <= limit, detail


def embedding_model() -> Result:
    try:
        model, tokenizer = model_files()
    except EmbeddingModelMissing as e:
        return False, {"error": str(e)}
    return True, {"model": str(model), "tokenizer": str(tokenizer)}


def _free(path: Path) -> Result:
    # The folder may not exist yet on a fresh install: its nearest existing parent is
    # where its files will go.
    while not path.exists() and path != path.parent:
        path = path.parent
    free = shutil.disk_usage(path).free
    limit = settings.READY_MIN_FREE_MB * 1024 * 1024
    return free >= limit, {"path": str(path), "free_bytes": free, "limit_bytes": limit}


def data_disk() -> Result:
    return _free(Path(settings.DATA_DIR))


def quarantine_disk() -> Result:
    return _free(Path(settings.QUARANTINE_DIR))


#: name → (probe, remembered?)
PROBES: dict[str, tuple[Callable[[], Result], bool]] = {
    "database": (database, False),
    "storage": (storage, True),
    "task_queue": (tasks, False),
    "embedding_model": (embedding_model, True),
    "data_disk": (data_disk, True),
    "quarantine_disk": (quarantine_disk, True),
}


def check() -> dict[str, Result]:
    """Run every probe (or recall its answer); see :func:`_run`."""
    return {
        name: _cached(name, probe) if remembered else _run(probe)
        for name, (probe, remembered) in PROBES.items()
    }
