"""Receive a request's whole body before the application sees it: ASGI middleware.

Django-free. Used by :mod:`lightbox.asgi` so that a client slow to send its upload holds
an event-loop connection, not one of the threads that run Django. The body is held in
memory up to a size, then in an anonymous (unlinked) file in a given directory: the
quarantine area, where identified bytes may touch the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from lightbox.lib.disk import is_disk_full

__all__ = ["BufferedBody"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
# Bytes written to (and replayed from) the spool file at a time.
CHUNK = 1024 * 1024


class BufferedBody:
    """ASGI middleware: the application sees a request only once its body is all here.

    Parameters
    ----------
    app
        The ASGI application to call with the complete request.
    limit
        Largest body accepted, in bytes. A body declared larger is passed on unread (the
        application refuses it, ``RequestSizeLimitMiddleware``); one that turns out larger
        as it arrives (chunked) is passed on declared at the size reached, so the
        application refuses it the same way.
    memory
        Bytes held in memory before the body moves to a file.
    directory
        Where that file is made: anonymous, unlinked, gone when the request ends.
    disk_full
        The ASGI application that answers when the disk is full (the body could not be
        kept); it gets the request's scope and no body.
    """

    def __init__(self, app: App, limit: int, memory: int, directory: str, disk_full: App) -> None:
        self.app, self.limit, self.memory, self.directory = app, limit, memory, directory
        self.disk_full = disk_full

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=self.memory, dir=self.directory) as body:
            try:
                size = await self._receive_into(body, receive)
            except OSError as e:
                if not is_disk_full(e):
                    raise
                await self.disk_full(scope, _no_body, send)
                return
            if size is None:
                await _gave_up(send)
                return
            if size > self.limit:
                await self.app(_declaring(scope, size), _no_body, send)
                return
            body.seek(0)
            await self.app(scope, _replay(body, size, size > self.memory, receive), send)

    async def _receive_into(self, body: Any, receive: Receive) -> int | None:
        """Receive the whole body into ``body``; its size (stops counting past the limit),
        or None when the client disconnected first."""
        size = 0
        pending = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return size
            pending += chunk
            more = message.get("more_body", False)
            if len(pending) >= CHUNK or not more:
                if size > self.memory:
                    # To a file, which can block (a slow disk, writeback): not on the loop.
                    await asyncio.to_thread(body.write, bytes(pending))
                else:
                    body.write(pending)
                pending.clear()
            if not more:
                return size


def _has_body(scope: Scope) -> bool:
    """Whether the request carries a body at all (HTTP/1.1: a length or chunked)."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _declaring(scope: Scope, size: int) -> Scope:
    """The scope with its body declared as ``size`` bytes (and not chunked)."""
    headers = [
        (name, value)
        for name, value in scope["headers"]
        if name not in (b"content-length", b"transfer-encoding")
    ]
    return {**scope, "headers": [*headers, (b"content-length", str(size).encode())]}


async def _gave_up(send: Send) -> None:
    """The body stopped before its end: the client disconnected (no one to answer) or fell
    silent for the server's timeout (it gets a 408, not a 500)."""
    content = b"The request body stopped arriving before its end."
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(content)).encode()),
        (b"connection", b"close"),
    ]
    with contextlib.suppress(OSError):  # ASGI: sending to a closed connection raises
        await send({"type": "http.response.start", "status": 408, "headers": headers})
        await send({"type": "http.response.body", "body": content})


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _replay(body: Any, size: int, on_disk: bool, receive: Receive) -> Receive:
    """An ASGI ``receive`` that hands out the buffered body, then defers to the server's
    (which reports a disconnect)."""
    sent, done = 0, False

    async def replay() -> Message:
        nonlocal sent, done
        if done:
            return await receive()
        # Reading a file can block: not on the event loop. Memory is read in place.
        chunk = await asyncio.to_thread(body.read, CHUNK) if on_disk else body.read(CHUNK)
        sent += len(chunk)
        done = sent >= size or not chunk  # (a short file cannot happen; never spin on it)
        return {"type": "http.request", "body": chunk, "more_body": not done}

    return replay
