"""Fault drill: PostgreSQL restarts while Lightbox serves.

The real web server (what ``serve`` runs) on a private PostgreSQL cluster
(:mod:`lightbox.ops.tests.private_postgres`), which the test stops and starts:

- an edit in flight when the server goes down is refused clearly (503, the API's error
  shape, ``Retry-After``) and nothing of it is saved: no half-written case, no revision;
- pages and the API answer 503 with ``Retry-After`` while it is down, never a 500 or a
  traceback, and the log says why in one line;
- once it is back, the same web server answers again, without a restart (each request
  checks its database connection first: ``conn_health_checks``), and the refused edit,
  sent again, is saved as one new revision.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from lightbox.ops.tests.conftest import (
    CASE,
    MANAGE,
    ROOT,
    answers,
    free_port,
    stop,
    wait_until,
)
from lightbox.ops.tests.drills import (  # noqa: F401 - cluster_fixture: the fixture "cluster"
    PrivateCluster,
    cluster_fixture,
    make_install,
)

DATABASE = "lightbox"


@pytest.fixture(scope="module")
def install(cluster, tmp_path_factory) -> dict[str, Any]:
    """A migrated install on the private cluster: the personas, one case, erin's token."""
    env, token = make_install(tmp_path_factory, cluster.url(DATABASE))
    return {"env": env, "token": token}


@pytest.fixture
def web(install, tmp_path) -> Iterator[tuple[int, Path]]:
    """The web server as ``serve`` runs it (one process), its port and its log file."""
    from lightbox.ops import webserver

    port = free_port()
    log = tmp_path / "web.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            webserver.command("127.0.0.1", port, 1),
            cwd=ROOT,
            env=install["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        assert wait_until(lambda: answers(port) or proc.poll() is not None, seconds=60)
        assert proc.poll() is None, log.read_text()
        yield port, log
    finally:
        stop(proc)


def _call(
    port: int, path: str, *, token: str = "", method: str = "GET", body: Any = None
) -> tuple[int, Message, str]:
    """Status, headers (case-insensitive) and text of one request; an error status is an
    answer too."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def _case_state(cluster: PrivateCluster) -> tuple[str, int]:
    """The case's title and its number of revisions, read straight from PostgreSQL."""
    import psycopg

    with psycopg.connect(cluster.url(DATABASE)) as db:
        title = db.execute("SELECT title FROM cases_case WHERE number = %s", [CASE]).fetchone()
        count = db.execute("SELECT count(*) FROM history_revision").fetchone()
    assert title is not None and count is not None
    return title[0], count[0]


def test_an_edit_in_flight_is_refused_and_lost_nowhere_and_service_resumes(cluster, install, web):
    import psycopg

    port, log = web
    token = install["token"]
    status, _, text = _call(port, f"/api/v1/cases/{CASE}", token=token)
    assert status == 200, text
    revision = json.loads(text)["revision"]
    title_before, revisions_before = _case_state(cluster)
    edit = {"revision": revision, "title": "Calcinosis of the soft tissues"}

    # Hold the case's row, so that the edit waits inside its transaction, half done...
    holder = psycopg.connect(cluster.url(DATABASE))
    holder.execute("SELECT 1 FROM cases_case WHERE number = %s FOR UPDATE", [CASE])
    answer: dict[str, Any] = {}
    sender = threading.Thread(
        target=lambda: answer.update(
            zip(("status", "headers", "text"), _call(
                port, f"/api/v1/cases/{CASE}", token=token, method="PATCH", body=edit
            ), strict=True)
        )
    )  # fmt: skip
    sender.start()

    def waiting() -> bool:
        rows = holder.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()
        return bool(rows and rows[0])

    # (Patient on a busy machine; if the edit was answered without waiting, say how.)
    wait_until(lambda: waiting() or not sender.is_alive(), seconds=60, step=0.2)
    assert waiting(), f"the edit never reached the locked row: {answer or 'no answer yet'}"
    # ... and restart PostgreSQL under it (a fast shutdown, as the system's restart does).
    cluster.stop()
    holder.close()
    sender.join(timeout=30)
    assert answer["status"] == 503, answer
    assert answer["headers"].get("Retry-After", "").isdigit()
    error = json.loads(answer["text"])["error"]
    assert error["status"] == 503
    assert "nothing you sent was saved" in error["message"]

    # While it is down: pages and the API say so clearly, with Retry-After.
    status, headers, text = _call(port, f"/cases/{CASE}/")
    assert status == 503, text
    assert "Temporarily unavailable" in text and "Traceback" not in text
    assert int(headers.get("Retry-After", "0")) > 0
    status, headers, text = _call(port, "/api/v1/cases", token=token)  # the token's lookup
    assert status == 503, text
    assert json.loads(text)["error"]["status"] == 503 and "Retry-After" in headers
    status, _, text = _call(port, "/api/v1/cases")  # anonymous: the view's own query
    assert status == 503, text

    cluster.start()
    # Nothing of the refused edit was saved: same title, no new revision.
    assert _case_state(cluster) == (title_before, revisions_before)
    # The same web server answers again (no restart), and the edit sent again is saved.
    status, _, text = _call(port, f"/cases/{CASE}/")
    assert status == 200, text
    status, _, text = _call(port, f"/api/v1/cases/{CASE}", token=token, method="PATCH", body=edit)
    assert status == 200, text
    assert json.loads(text)["revision"] == revision + 1
    title_after, revisions_after = _case_state(cluster)
    # (The editor first records the case as it stood, if it had no revision yet.)
    assert title_after == edit["title"] and revisions_after > revisions_before

    server_log = log.read_text()
    assert "Traceback" not in server_log, server_log
    assert "database unavailable: PATCH /api/v1/cases/bs001 answered 503" in server_log


def test_the_task_worker_waits_for_a_restarted_database(cluster, install, tmp_path):
    """db_worker exits with a traceback when its connection breaks, and `serve` would
    then stop the web server too: the worker waits for the database instead, says so in
    one line, and goes back to work when it answers."""
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [*MANAGE, "worker", "--no-reload", "--interval", "0.2"],
            cwd=ROOT,
            env=install["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        assert wait_until(lambda: "Starting worker" in log.read_text(), seconds=90), (
            log.read_text()
        )
        cluster.stop()
        assert wait_until(lambda: "database is unavailable" in log.read_text(), seconds=30), (
            log.read_text()
        )
        assert proc.poll() is None, log.read_text()
        cluster.start()
        assert wait_until(lambda: "answers again" in log.read_text(), seconds=30), log.read_text()
        assert proc.poll() is None, log.read_text()
    finally:
        stop(proc)
    assert "Traceback" not in log.read_text(), log.read_text()
