"""`manage.py worker` on Redis (LIGHTBOX_TASKS=redis), as real processes against a real
Redis: the machine's, in this test worker's own database (the ``redis_url`` fixture), or
a private redis-server where a test restarts it.

Each test works on its own copy of one migrated install, which its worker processes
share, and reads the outcome from that database: SQLite, or in the PostgreSQL pass a
database of its own beside the suite's (two workers on one PostgreSQL database).
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from redis import Redis
from redis.exceptions import RedisError

from lightbox.ops.tests.conftest import MANAGE, ROOT, free_port, in_session, wait_until

# lightbox.imaging.lease logs each claim it wins: "upload <id>: taken by host:pid:nonce".
TAKEN = re.compile(r"upload ([0-9a-f-]{36}): taken by (\S+)")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


POSTGRES = os.environ.get("LIGHTBOX_TEST_DB") == "postgres"


def _postgres(database: str) -> str:
    """LIGHTBOX_TEST_DATABASE_URL, naming ``database`` instead."""
    url = urlsplit(os.environ["LIGHTBOX_TEST_DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{database}"))


def _admin(sql: str) -> None:
    with psycopg.connect(_postgres("postgres"), autocommit=True) as db:
        db.execute(sql)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A migrated install (no static files: no web server runs here), for the workers:
    SQLite, or in the PostgreSQL pass a database of this test worker's own."""
    data_dir = tmp_path_factory.mktemp("workers")
    env = {**os.environ, "LIGHTBOX_DATA_DIR": str(data_dir), "LIGHTBOX_INGEST_WORKERS": "2"}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "LIGHTBOX_TEST_TASKS"):
        env.pop(name, None)
    template = f"lightbox_workers_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"
    if POSTGRES:
        _admin(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")
        _admin(f"CREATE DATABASE {template}")
        env["DATABASE_URL"] = _postgres(template)
    subprocess.run([*MANAGE, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    yield env
    if POSTGRES:
        _admin(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")


_copies = itertools.count()


@pytest.fixture
def install(migrated, tmp_path) -> Iterator[dict[str, str]]:
    """A copy of the migrated install, on Redis: ``env`` for its processes (set
    LIGHTBOX_REDIS_URL)."""
    source = Path(migrated["LIGHTBOX_DATA_DIR"])
    data = tmp_path / "data"
    data.mkdir()
    env = {
        **migrated,
        "LIGHTBOX_DATA_DIR": str(data),
        "LIGHTBOX_TASKS": "redis",
        # lightbox.imaging.lease logs each claim it wins at DEBUG.
        "LIGHTBOX_LOG_LEVEL": "DEBUG",
    }
    for name in ("secret_key", "deid_secret"):
        if (source / name).exists():
            shutil.copy(source / name, data / name)
    if not POSTGRES:
        with (
            sqlite3.connect(source / "lightbox.sqlite3") as src,
            sqlite3.connect(data / "lightbox.sqlite3") as dst,
        ):
            src.backup(dst)  # consistent whatever the WAL holds
        yield env
        return
    template = urlsplit(migrated["DATABASE_URL"]).path.strip("/")
    copy = f"{template}_{next(_copies)}"
    _admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")
    _admin(f"CREATE DATABASE {copy} TEMPLATE {template}")
    yield {**env, "DATABASE_URL": _postgres(copy)}
    _admin(f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)")


# Queues uploads of synthetic CT slices as the upload page does (receive, which queues the
# upload's task once committed), plus each one's task again when asked: what a worker's
# recovery does for an unfinished upload, so that two workers race for the same upload.
QUEUE_UPLOADS = """
import json
from lightbox.imaging.tasks import process_upload
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, ct_slices, make_case

ids, results = [], []
for n in range({count}):
    files = [Named(f"IM{{i:03d}}.dcm", b) for i, b in enumerate(ct_slices({slices}, size={size}))]
    upload = receive(make_case(title=f"Upload {{n}}"), Nobody(), files, enqueue={enqueue})
    for _ in range({again}):
        results.append(process_upload.enqueue(str(upload.pk)).id)
    ids.append(str(upload.pk))
print(json.dumps({{"ids": ids, "results": results}}))
"""


def queue_uploads(
    env: dict[str, str], count: int, slices: int, *, size: int = 64, again: int = 0
) -> dict[str, list]:
    script = QUEUE_UPLOADS.format(
        count=count, slices=slices, size=size, enqueue=again == 0, again=again
    )
    done = subprocess.run(
        [*MANAGE, "shell", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``manage.py worker`` in its own session (its pool too), logging to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [*MANAGE, "worker", "--no-reload"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
    """Stop ``proc`` with ``sig``; kill whatever is left of its session; its exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    for pid in in_session(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return proc.wait()


def kill_session(proc: subprocess.Popen[bytes]) -> None:
    """``kill -9`` the worker and everything it started, at once."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    wait_until(lambda: not in_session(proc.pid), seconds=10)


def rows(env: dict[str, str], sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of a query (``?`` placeholders) on the install's database."""
    if url := env.get("DATABASE_URL"):
        with psycopg.connect(url) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchall()
    path = Path(env["LIGHTBOX_DATA_DIR"]) / "lightbox.sqlite3"
    with contextlib.closing(sqlite3.connect(path, timeout=20)) as db:
        return db.execute(sql, params).fetchall()


def _key(env: dict[str, str], upload_id: str) -> str:
    # How Django keeps a UUID: PostgreSQL's uuid type, 32 hex digits in SQLite.
    return upload_id if "DATABASE_URL" in env else uuid.UUID(upload_id).hex


def upload_states(env: dict[str, str], ids: list[str]) -> collections.Counter[str]:
    marks = ",".join("?" * len(ids))
    found = rows(
        env,
        f"SELECT state FROM imaging_upload WHERE id IN ({marks})",  # noqa: S608
        [_key(env, i) for i in ids],
    )
    return collections.Counter(state for (state,) in found)


FILES = "SELECT state, instance_id FROM imaging_uploadfile WHERE upload_id = ?"


def assert_processed_once(env: dict[str, str], ids: list[str], slices: int, logs: list[Path]):
    """Every upload done, every file stored as one instance, and each upload taken by
    exactly one owner (lightbox.imaging.lease logs each claim it wins)."""
    assert upload_states(env, ids) == {"done": len(ids)}
    for pk in ids:
        files = rows(env, FILES, [_key(env, pk)])
        assert len(files) == slices
        assert {state for state, _ in files} == {"done"}
        assert len({instance for _, instance in files}) == slices
    text = "\n".join(log.read_text() for log in logs)
    takers = collections.defaultdict(list)
    for upload, owner in TAKEN.findall(text):
        takers[upload].append(owner)
    assert {pk: len(takers[pk]) for pk in ids} == {pk: 1 for pk in ids}, takers
    assert "Traceback" not in text
    return takers


def test_two_workers_never_process_the_same_upload_twice(install, redis_url, tmp_path):
    env = {**install, "LIGHTBOX_REDIS_URL": redis_url}
    # Each upload's task queued twice: both workers are offered every upload.
    queued = queue_uploads(env, count=12, slices=4, again=2)
    ids = queued["ids"]
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [start_worker(env, log) for log in logs]
    client = Redis.from_url(redis_url)

    def drained() -> bool:
        # Every task has run: the ones that found their upload taken or done, too.
        return upload_states(env, ids)["done"] == len(ids) and not (
            client.llen("rq:queue:default") or client.zcard("rq:wip:default")
        )

    try:
        assert wait_until(drained, seconds=120)
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0]  # a clean stop on SIGTERM
    takers = assert_processed_once(env, ids, 4, logs)
    # Both workers did some of the work (each names its own process id as owner).
    owners = {owner.split(":")[1] for names in takers.values() for owner in names}
    assert owners == {str(w.pid) for w in workers}
    assert client.zcard("rq:failed:default") == 0  # no task failed


def test_a_worker_killed_mid_upload_is_followed_by_one_that_finishes_it(
    install, redis_url, tmp_path
):
    env = {**install, "LIGHTBOX_REDIS_URL": redis_url}
    ids = queue_uploads(env, count=1, slices=160, size=256)["ids"]
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = start_worker(env, logs[0])

    def some_files_done() -> bool:
        return any(state == "done" for state, _ in rows(env, FILES, [_key(env, ids[0])]))

    try:
        assert wait_until(some_files_done, seconds=60, step=0.02)
    finally:
        kill_session(first)
    assert upload_states(env, ids) == {"processing": 1}  # cut short, owner gone
    second = start_worker(env, logs[1])
    try:
        assert wait_until(lambda: upload_states(env, ids)["done"] == 1, seconds=120)
    finally:
        assert stop(second) == 0
    assert "Re-queued 1 unfinished upload(s)." in logs[1].read_text()
    takers = collections.defaultdict(list)
    for log in logs:
        for upload, owner in TAKEN.findall(log.read_text()):
            takers[upload].append(owner.split(":")[1])
    assert takers == {ids[0]: [str(first.pid), str(second.pid)]}
    files = rows(env, FILES, [_key(env, ids[0])])
    assert {state for state, _ in files} == {"done"}
    assert len({instance for _, instance in files}) == 160


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that can be killed and started
    again on the same port and directory."""

    def __init__(self, folder: Path, *, persist: bool) -> None:
        self.folder, self.port, self.persist = folder, free_port(), persist
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--dir", str(self.folder), "--save", "", "--daemonize", "no"]
        # The documented production set-up: every write in the append-only file first.
        argv += ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else []
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, start_new_session=True)
        client = Redis(port=self.port)
        assert wait_until(lambda: _answers(client), seconds=10)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


def _answers(client: Redis) -> bool:
    try:
        return bool(client.ping())
    except RedisError:
        return False


@pytest.fixture
def private_redis(tmp_path, request):
    if not Path(REDIS_SERVER).exists():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = PrivateRedis(tmp_path / "redis", persist=request.param)
    server.folder.mkdir()
    server.start()
    yield server
    server.kill()


@pytest.mark.parametrize(
    "private_redis", [True, False], ids=["append-only", "not-persisted"], indirect=True
)
def test_no_task_is_lost_when_redis_restarts_mid_queue(install, private_redis, tmp_path):
    """Killed (kill -9) and started again while two workers are half-way through the
    queue. With the append-only file the queue survives; without it the workers notice
    the loss and queue the unfinished uploads again from the database."""
    env = {**install, "LIGHTBOX_REDIS_URL": private_redis.url}
    count, slices = 10, 24
    ids = queue_uploads(env, count=count, slices=slices, size=160)["ids"]
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = [start_worker(env, log) for log in logs]
    try:
        assert wait_until(lambda: upload_states(env, ids)["done"] >= 1, seconds=90, step=0.02)
        assert upload_states(env, ids)["queued"] >= 2  # mid-queue
        private_redis.kill()
        time.sleep(1)
        private_redis.start()
        assert wait_until(lambda: upload_states(env, ids)["done"] == count, seconds=120)
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0]
    text = "\n".join(log.read_text() for log in logs)
    requeued = "Redis lost the tasks it held" in text
    assert requeued != private_redis.persist
    assert_processed_once(env, ids, slices, logs)


def test_the_redis_backend_runs_a_task_in_a_worker_and_keeps_its_result(
    install, redis_url, tmp_path, settings
):
    """The smoke test: enqueue → a real worker → the result, read back through the
    backend as the web process would."""
    from django.tasks import TaskResultStatus, task_backends

    env = {**install, "LIGHTBOX_REDIS_URL": redis_url}
    queued = queue_uploads(env, count=1, slices=2, again=1)
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        assert wait_until(lambda: upload_states(env, queued["ids"])["done"] == 1, seconds=90)
    finally:
        assert stop(worker, signal.SIGINT) == 0  # Ctrl-C stops it cleanly too
    settings.TASKS = {
        "default": {"BACKEND": "lightbox.ops.queue.RQBackend", "QUEUES": ["default"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": -1}}
    result = task_backends["default"].get_result(queued["results"][0])
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "done"
    assert result.worker_ids and result.worker_ids[0].startswith(
        f"{os.uname().nodename}.{worker.pid}."
    )
    log = (tmp_path / "worker.log").read_text()
    assert "Traceback" not in log


def test_the_worker_waits_for_redis_and_stops_cleanly_while_it_does(install, tmp_path):
    env = {**install, "LIGHTBOX_REDIS_URL": f"redis://:hush@127.0.0.1:{free_port()}/0"}
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        assert wait_until(lambda: "Waiting for Redis" in log.read_text(), seconds=60)
    finally:
        code = stop(worker)
    text = log.read_text()
    assert code == 0
    assert "Waiting for Redis at redis://:***@127.0.0.1:" in text  # the password hidden
    assert "hush" not in text and "Traceback" not in text


def test_serve_starts_an_rq_worker_beside_the_web_server(environment, redis_url):
    from lightbox.ops.tests.conftest import start_serve
    from lightbox.ops.tests.conftest import stop as stop_serve

    env = {**environment, "LIGHTBOX_TASKS": "redis", "LIGHTBOX_REDIS_URL": redis_url}
    client = Redis.from_url(redis_url)
    proc = start_serve(env, free_port(), "--workers", "1")
    try:
        assert wait_until(lambda: client.scard("rq:workers:default") == 1, seconds=60)
        (name,) = client.smembers("rq:workers:default")
        assert client.hget(name, "pid") is not None  # alive, heartbeat kept
    finally:
        stop_serve(proc)
    assert proc.returncode == 0
    assert client.scard("rq:workers:default") == 0  # it signed off as it stopped
