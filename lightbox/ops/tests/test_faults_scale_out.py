"""Fault drill: two web servers and two task workers on one database and one data directory.

Two ``manage.py serve`` (web servers) on two ports and two ``manage.py worker`` share one
install, on SQLite and on PostgreSQL (a private cluster). Uploads are sent to both at once;
every upload is processed exactly once (every file stored once, none skipped as a
duplicate, no instance twice), with no error on either server, both workers take part, and
the two servers answer the same for the same case.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from lightbox.ops.tests.conftest import (
    CASE,
    MANAGE,
    ROOT,
    free_port,
    spawn,
    start_serve,
    stop,
    wait_until,
)
from lightbox.ops.tests.drills import cluster_fixture, make_install  # noqa: F401 - the fixture
from lightbox.test import ct_slices

# Enough work (about a second of it per upload) that both workers' polls find some.
UPLOADS = 8
SLICES = 12

#: Per upload: its state, its files' states, and how many instances it stored; and the
#: task workers that ran process_upload. Printed as JSON by ``manage.py shell``.
REPORT = """
import json
from collections import Counter
from django_tasks_db.models import DBTaskResult
from lightbox.imaging.models import Instance, Upload
uploads = {
    str(u.pk): {"state": u.state, "files": sorted(f.state for f in u.files.all())}
    for u in Upload.objects.all()
}
uids = list(Instance.objects.values_list("sop_uid", flat=True))
workers = Counter(
    w for r in DBTaskResult.objects.filter(task_path__endswith="process_upload")
    for w in r.worker_ids
)
print(json.dumps({"uploads": uploads, "instances": len(uids), "unique": len(set(uids)),
                  "workers": len(workers)}))
"""


@pytest.fixture(params=["sqlite", "postgres"])
def install(request, tmp_path_factory) -> dict[str, Any]:
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("cluster").url("lightbox")
    env, token = make_install(tmp_path_factory, database_url)
    return {"env": env, "token": token}


class _Output:
    """What a ``serve`` prints, read as it comes (so that its pipe never fills up and the
    test can wait for a line)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def shows(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def text(self) -> str:
        """All of it, once the process has stopped."""
        self.reader.join(timeout=20)
        return "".join(self.lines)


@pytest.fixture
def servers(install) -> Iterator[list[tuple[subprocess.Popen[str], int, _Output]]]:
    """Two web servers (``serve --no-worker``, one web process each) on one install; the
    test starts the two task workers itself (:func:`_start_workers`)."""
    started = []
    try:
        for _ in range(2):
            port = free_port()
            proc = start_serve(install["env"], port, "--workers", "1", "--no-worker")
            started.append((proc, port, _Output(proc)))
        yield started
    finally:
        for proc, _, _ in started:
            stop(proc)


@contextlib.contextmanager
def _start_workers(env: dict[str, str], count: int) -> Iterator[list[_Output]]:
    """``count`` task workers, as ``serve`` starts them, started together. (Started once
    the uploads are queued: two workers polling an empty queue race for each task as it
    arrives, and the one whose polls fall just before the other's wins nearly every race,
    which says nothing about sharing. With tasks waiting, each worker takes one at its
    first poll and the next when it is free.)"""
    procs = [spawn(env, "worker", "--no-reload") for _ in range(count)]
    try:
        yield [_Output(proc) for proc in procs]
    finally:
        for proc in procs:
            stop(proc)


def _multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        f"Content-Type: application/dicom\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in files
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _request(port: int, path: str, token: str, body: bytes | None = None, kind: str = "") -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body)
    request.add_header("Authorization", f"Bearer {token}")
    if kind:
        request.add_header("Content-Type", kind)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _upload(port: int, token: str, n: int) -> tuple[int, Any]:
    uids = {
        "study_uid": f"1.2.826.0.1.3680043.9.7.2.{n}",
        "series_uid": f"1.2.826.0.1.3680043.9.7.3.{n}",
    }
    files = [(f"s{n}-{i}.dcm", data) for i, data in enumerate(ct_slices(SLICES, **uids))]
    body, kind = _multipart(files)
    return _request(port, f"/api/v1/cases/{CASE}/uploads", token, body, kind)


def _report(env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([*MANAGE, "shell", "-c", REPORT], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_uploads_to_two_servers_are_each_processed_exactly_once(install, servers):
    token = install["token"]
    ports = [port for _, port, _ in servers]
    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        sent = list(pool.map(lambda n: _upload(ports[n % 2], token, n), range(UPLOADS)))
    assert [status for status, _ in sent] == [202] * UPLOADS, sent
    ids = {answer["id"] for _, answer in sent}

    def finished() -> bool:
        states = _report(install["env"])["uploads"]
        return all(states[i]["state"] in ("done", "failed") for i in ids)

    with _start_workers(install["env"], 2) as workers:
        assert wait_until(finished, seconds=180, step=1)
    for output in workers:
        log = output.text()
        assert "Traceback" not in log and "database is locked" not in log, log
    report = _report(install["env"])
    for upload in ids:
        assert report["uploads"][upload] == {"state": "done", "files": ["done"] * SLICES}
    assert report["instances"] == report["unique"] == UPLOADS * SLICES
    assert report["workers"] == 2, "one worker took every upload: nothing was shared"

    # Either server answers the same for the case and for each upload.
    first, second = (_request(port, f"/api/v1/cases/{CASE}", token) for port in ports)
    assert first[0] == 200 and first == second
    assert len(first[1]["images"]) == UPLOADS  # one series, one image, per upload
    for upload in ids:
        assert _request(ports[0], f"/api/v1/uploads/{upload}", token) == _request(
            ports[1], f"/api/v1/uploads/{upload}", token
        )
    page = [
        urllib.request.urlopen(f"http://127.0.0.1:{port}/cases/{CASE}/", timeout=10).read()
        for port in ports
    ]
    assert page[0] == page[1]

    for proc, _, output in servers:
        stop(proc)
        log = output.text()
        assert "Traceback" not in log and "database is locked" not in log, log
        # Not the health probes of start-up: a probe that times out while the server
        # boots is logged by gunicorn as a 500 (a request the client gave up on).
        answered = [
            line for line in log.splitlines() if "HTTP/1.1" in line and "/healthz" not in line
        ]
        assert not [line for line in answered if '" 5' in line], log
