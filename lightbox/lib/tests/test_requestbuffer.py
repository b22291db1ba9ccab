"""The request buffer: the application sees a request only once its whole body is in, kept
in memory or in an anonymous file in the directory given (the quarantine area)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import os
from pathlib import Path

from lightbox.lib.requestbuffer import BufferedBody


def _scope(*headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "method": "POST", "path": "/upload", "headers": list(headers)}


class Client:
    """An ASGI ``receive`` that hands out ``pieces``, then a disconnect if ``vanish``."""

    def __init__(self, pieces: list[bytes], vanish: bool = False) -> None:
        self.pieces, self.vanish, self.given = list(pieces), vanish, 0

    async def __call__(self) -> dict:
        if not self.pieces or (self.vanish and len(self.pieces) == 1):
            return {"type": "http.disconnect"}
        self.given += 1
        piece = self.pieces.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(self.pieces)}


class App:
    """The application behind the buffer: records when it was called and what it read,
    and which files in ``watch`` this process had open meanwhile."""

    def __init__(self, client: Client | None = None, watch: Path | None = None) -> None:
        self.client, self.watch = client, watch
        self.called, self.body, self.scope, self.open_files = False, b"", None, []

    async def __call__(self, scope, receive, send) -> None:
        self.called, self.scope = True, scope
        self.given_before_call = self.client.given if self.client else None
        if self.watch is not None:
            self.open_files = _open_files_in(self.watch)
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _open_files_in(directory: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


def _run(buffer: BufferedBody, scope: dict, client: Client) -> list[dict]:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    _in_a_loop_of_its_own(buffer(scope, client, send))
    return sent


def _buffer(app, tmp_path: Path, limit: int = 10_000_000, memory: int = 1000, disk_full=None):
    return BufferedBody(app, limit, memory, str(tmp_path), disk_full or App())


def test_the_application_sees_the_request_only_once_the_body_is_all_in(tmp_path):
    pieces = [b"a" * 300, b"b" * 300, b"c" * 300]
    client = Client(pieces)
    app = App(client)
    sent = _run(_buffer(app, tmp_path), _scope((b"content-length", b"900")), client)
    assert app.given_before_call == 3  # every piece was received before the call
    assert app.body == b"".join(pieces)
    assert sent[0]["status"] == 200


def test_a_large_body_waits_in_an_anonymous_file_in_the_directory_given(tmp_path):
    pieces = [os.urandom(700_000) for _ in range(4)]  # 2.8 MB, past the 1 MB held in memory
    client = Client(pieces)
    app = App(client, watch=tmp_path)
    _run(_buffer(app, tmp_path, memory=1_000_000), _scope((b"content-length", b"2800000")), client)
    assert app.body == b"".join(pieces)
    # While the application ran, the body was in a file in that directory, unlinked
    # (no name anyone else can open), and nothing is left there afterwards.
    assert len(app.open_files) == 1 and app.open_files[0].endswith("(deleted)")
    assert not list(tmp_path.iterdir())
    assert not _open_files_in(tmp_path)


def test_a_request_without_a_body_goes_straight_through(tmp_path):
    client = Client([b""])
    app = App(client)
    _run(_buffer(app, tmp_path), {**_scope(), "method": "GET"}, client)
    assert app.called and app.given_before_call == 0


def test_a_body_declared_too_large_is_passed_on_unread(tmp_path):
    # The application (Django's RequestSizeLimitMiddleware) refuses it without reading.
    client = Client([b"x" * 100])
    app = App(client)
    _run(_buffer(app, tmp_path, limit=50), _scope((b"content-length", b"100")), client)
    assert app.given_before_call == 0


def test_a_chunked_body_growing_past_the_limit_is_declared_at_its_size(tmp_path):
    client = Client([b"x" * 40, b"x" * 40, b"x" * 40])
    app = App(client)
    _run(_buffer(app, tmp_path, limit=50), _scope((b"transfer-encoding", b"chunked")), client)
    assert dict(app.scope["headers"]) == {b"content-length": b"80"}
    assert app.body == b""  # none of it is handed on
    assert client.given == 2  # and reading stopped there


def test_a_client_that_vanishes_mid_body_gets_a_408_and_the_application_nothing(tmp_path):
    client = Client([b"x" * 100, b"x" * 100], vanish=True)
    app = App(client)
    sent = _run(_buffer(app, tmp_path), _scope((b"content-length", b"200")), client)
    assert not app.called
    assert sent[0]["status"] == 408


def test_a_full_disk_is_answered_by_the_disk_full_application(tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("tempfile.SpooledTemporaryFile.write", full)
    client = Client([b"x" * 100])
    app, disk_full = App(client), App()
    _run(_buffer(app, tmp_path, disk_full=disk_full), _scope((b"content-length", b"100")), client)
    assert disk_full.called and not app.called


def _in_a_loop_of_its_own(coroutine) -> None:
    """Run ``coroutine`` on a new event loop in a thread of its own: the browser tests'
    Playwright keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()
