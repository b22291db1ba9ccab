"""lightbox.asgi: what the web server runs: Django behind the request buffer."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from pathlib import Path

import pytest
from django.conf import settings

from lightbox.search import store


@pytest.fixture
def asgi(monkeypatch):
    # Importing it sets up the web process, whose search warm-up would read the database
    # from a thread: not wanted here.
    monkeypatch.setattr(store, "warm_up", lambda: None)
    import lightbox.asgi

    return lightbox.asgi


def _answer(app, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    _in_a_loop_of_its_own(app({"type": "http", "path": path, "headers": []}, receive, send))
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


def test_request_bodies_wait_in_the_quarantine_area(asgi):
    assert asgi.application.directory == settings.FILE_UPLOAD_TEMP_DIR
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).parent.name == "quarantine"
    assert asgi.application.limit > settings.MAX_UPLOAD_BYTES


def test_a_full_disk_gets_a_clear_507_in_the_apis_error_shape(asgi):
    status, headers, body = _answer(asgi.disk_full, "/api/v1/cases/bs001/uploads")
    assert status == 507
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body)["error"]["message"].startswith("The server's disk is full")
    status, headers, body = _answer(asgi.disk_full, "/cases/bs001/images/add/")
    assert status == 507 and b"Nothing was stored" in body


def _in_a_loop_of_its_own(coroutine) -> None:
    """Run ``coroutine`` on a new event loop in a thread of its own: the browser tests'
    Playwright keeps an event loop running in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, coroutine).result()
