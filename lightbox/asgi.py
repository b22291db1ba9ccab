"""The web server's application: Django, behind a request buffer, for gunicorn's ASGI worker.

Why not plain WSGI under gunicorn's sync workers: a sync worker is busy from the first
byte of a request to the last, so a client that sends its headers or its upload slowly
holds a whole worker (two slow connections made every page wait), and a 45-second upload
was killed by the 30-second worker timeout. Here:

- gunicorn's ``asgi`` worker reads requests on an event loop: a client dribbling its
  headers costs a socket, not a worker;
- :class:`~lightbox.lib.requestbuffer.BufferedBody` then receives the whole body
  before Django sees it, in memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE`` and beyond that
  in an anonymous (unlinked) file in the quarantine area (``FILE_UPLOAD_TEMP_DIR``), the
  only place identified bytes may touch the disk. An upload may take as long as it
  needs, as long as the client does not fall silent for ``LIGHTBOX_REQUEST_TIMEOUT``
  seconds;
- only then does Django run, in one of a fixed set of threads per process
  (``LIGHTBOX_WEB_THREADS``, `a2wsgi <https://github.com/abersheeran/a2wsgi>`_), which
  keep their database connections from one request to the next. A thread is busy only
  while Django works, never while a client is slow to send.

See docs/deployment.md for the choice and its limits.
"""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402

from lightbox.lib.jsonerror import error_body  # noqa: E402
from lightbox.lib.requestbuffer import BufferedBody  # noqa: E402
from lightbox.wsgi import application as django_application  # noqa: E402 - sets Django up

__all__ = ["application"]


async def disk_full(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """507 with a clear message (in the API's error shape under /api/): nothing was kept."""
    message = "The server's disk is full: the request could not be received. Nothing was stored."
    if scope["path"].startswith("/api/"):
        content, kind = json.dumps(error_body(507, message)).encode(), b"application/json"
    else:
        content, kind = message.encode(), b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": 507, "headers": headers})
    await send({"type": "http.response.body", "body": content})


application = BufferedBody(
    # Both ignores are stub mismatches, not ASGI ones: a2wsgi types a scope and its events
    # as TypedDicts where requestbuffer takes plain dicts, and django-stubs types what
    # WSGIHandler returns as HttpResponseBase, which is an iterable of bytes at run time.
    WSGIMiddleware(  # type: ignore[arg-type]
        django_application,  # type: ignore[arg-type]
        workers=settings.WEB_THREADS,
    ),
    limit=settings.MAX_UPLOAD_BYTES + 1024 * 1024,  # room for the multipart framing
    memory=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
    directory=settings.FILE_UPLOAD_TEMP_DIR,
    disk_full=disk_full,
)
