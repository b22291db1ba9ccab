"""The web server `serve` runs, against slow clients on loopback: clients that dribble
their headers or their uploads hold no worker, and an upload may outlast the request
timeout as long as it keeps sending."""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import json
import random
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from PIL import Image

from lightbox.ops.tests.conftest import CASE, EDITOR, free_port, start_serve, stop
from lightbox.test import PASSWORD

TIMEOUT = 2  # LIGHTBOX_REQUEST_TIMEOUT for this module's server: the old one was 30 s


@pytest.fixture(scope="module")
def port(environment) -> Iterator[int]:
    """One `serve` with a single web process (a single sync worker was starved by one
    slow client) and a 2-second request timeout."""
    port = free_port()
    proc = start_serve({**environment, "LIGHTBOX_REQUEST_TIMEOUT": str(TIMEOUT)}, port,
                       "--workers", "1")  # fmt: skip
    yield port
    stop(proc)


class Dribbler:
    """Raw connections that each send a few bytes every ``every`` seconds, never done."""

    def __init__(self, every: float = 0.3) -> None:
        self.sockets: list[tuple[socket.socket, bytes]] = []
        self.every, self.stopped = every, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def open(self, port: int, head: bytes, trickle: bytes) -> None:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(head)
        self.sockets.append((s, trickle))

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            for s, trickle in self.sockets:
                # A server may drop a connection; the test checks what it must.
                with contextlib.suppress(OSError):
                    s.sendall(trickle)

    def __enter__(self) -> Dribbler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        for s, _ in self.sockets:
            s.close()


def test_slow_clients_do_not_starve_the_case_page(port):
    with Dribbler() as slow:
        for n in range(10):  # headers that never end
            slow.open(port, b"GET /cases/%s/ HTTP/1.1\r\nHost: 127.0.0.1\r\n" % CASE.encode(),
                      b"X-Slow-%d: 1\r\n" % n)  # fmt: skip
        for _ in range(3):  # uploads that never end
            slow.open(
                port,
                b"POST /api/v1/cases/%s/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\n"
                b"Content-Length: 10000000\r\n\r\n" % CASE.encode(),
                b"y" * 100,
            )
        time.sleep(1)  # every slow client is well under way
        timings = []
        for _ in range(20):
            started = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/cases/{CASE}/", timeout=10) as r:
                assert r.status == 200
                r.read()
            timings.append(time.monotonic() - started)
            time.sleep(0.05)
    # Not a budget (bench/case_page.py has that): a starved server takes seconds or never
    # answers at all.
    assert max(timings) < 1.0, [f"{t:.3f}" for t in timings]


def _session(port: int) -> tuple[str, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"http://127.0.0.1:{port}/accounts/login/"
    page = opener.open(login, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = {"username": EDITOR, "password": PASSWORD, "csrfmiddlewaretoken": token}
    opener.open(login, urllib.parse.urlencode(form).encode(), timeout=10).read()
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "sign-in failed"
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["csrftoken"]


def _picture() -> bytes:
    noise = random.Random(11).randbytes(160 * 160 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (160, 160), noise).save(out, "PNG")
    return out.getvalue()


def _upload_head(port: int, length: int, cookie: str, token: str) -> bytes:
    return (
        f"POST /api/v1/cases/{CASE}/uploads HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: {cookie}\r\nX-CSRFToken: {token}\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary=lightbox-boundary\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def _response(s: socket.socket) -> tuple[int, bytes]:
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_a_slow_upload_outlasting_the_request_timeout_arrives_whole(port):
    cookie, token = _session(port)
    picture = _picture()
    body = (
        b'--lightbox-boundary\r\nContent-Disposition: form-data; name="files"; '
        b'filename="slow.png"\r\nContent-Type: image/png\r\n\r\n'
        + picture
        + b"\r\n--lightbox-boundary--\r\n"
    )
    pieces = [body[i : i + len(body) // 20 + 1] for i in range(0, len(body), len(body) // 20 + 1)]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(_upload_head(port, len(body), cookie, token))
        for piece in pieces:
            s.sendall(piece)
            time.sleep(3 * TIMEOUT / len(pieces))  # a pause well within the timeout
        status, answer = _response(s)
    assert time.monotonic() - started > 3 * TIMEOUT  # it took longer than the timeout
    assert status == 202, answer
    [received] = json.loads(answer)["files"]
    assert received["size"] == len(picture)  # every byte arrived


def test_a_client_that_falls_silent_mid_upload_gets_a_clear_408(port):
    cookie, token = _session(port)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(_upload_head(port, 100_000, cookie, token) + b"--lightbox-boundary\r\n")
        status, answer = _response(s)  # sends nothing more: the server gives up first
    assert status == 408
    assert b"stopped arriving" in answer


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_it_binds_any_host_serve_accepts(host):
    # `serve --host ::1` used to hand gunicorn "::1:8000", which it refused.
    from gunicorn.util import parse_address

    from lightbox.ops import webserver

    argv = webserver.command(host, 8000, 1)
    assert parse_address(argv[argv.index("--bind") + 1]) == (host, 8000)
