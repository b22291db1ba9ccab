"""Running the real ``serve`` (and ``worker``) as subprocesses, and watching their trees."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MANAGE = [sys.executable, "manage.py"]
# The case and the editor that environment() creates.
CASE = "bs001"
EDITOR = "erin"


# Ports for the servers these tests start: each pytest-xdist worker (gw0, gw1, ...) draws
# from its own block, below the kernel's ephemeral ports (32768 and up on Linux), which
# every connection's own end and every port-0 listener (live_server) take. A port chosen
# here thus stays free until the server binds it, even seconds later, and a test that
# restarts a server on the same port finds it free again. Each run starts at a random
# place in its block, in case two runs share the machine.
PORT_BLOCK = 1000
_next_port = itertools.count(random.randrange(PORT_BLOCK))


def free_port() -> int:
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    first = 10000 + PORT_BLOCK * (worker % 22)
    for _ in range(PORT_BLOCK):
        port = first + next(_next_port) % PORT_BLOCK
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:  # taken by something else on this machine
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{first + PORT_BLOCK - 1}")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            found[int(entry.name)] = int(fields[1])
    return found


def children(pid: int) -> list[int]:
    return [child for child, parent in _parents().items() if parent == pid]


def descendants(pid: int) -> list[tuple[int, str]]:
    """Every process below ``pid`` (children, their children, ...), each as (process id,
    start time): what :func:`running` needs to tell it from a later process that reuses
    the id."""
    parents = _parents()
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                if fields := _stat(child):
                    found.append((child, fields[19]))
                frontier.append(child)
    return found


def running(process: tuple[int, str]) -> bool:
    """Whether that very process (id and start time) still runs (a zombie does not)."""
    pid, started = process
    fields = _stat(pid)
    return fields is not None and fields[19] == started and fields[0] != "Z"


def in_session(sid: int) -> list[int]:
    """Every live process of session ``sid``."""
    return [
        int(e.name)
        for e in Path("/proc").iterdir()
        if e.name.isdigit() and (f := _stat(int(e.name))) and int(f[3]) == sid and f[0] != "Z"
    ]


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def wait_until(condition, seconds: float = 30, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _collected_static(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """The static files, collected once per run: collectstatic compresses every file
    (a minute of CPU), so under pytest-xdist the first worker to get here collects them
    into the run's shared temporary directory, holding a lock, and the others reuse them."""
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:  # each worker's basetemp is in the run's
        shared = shared.parent
    data_dir = shared / "serve-static"
    with open(shared / "serve-static.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (data_dir / "static" / "staticfiles.json").exists():
            subprocess.run(
                [*MANAGE, "collectstatic", "--noinput", "-v0"],
                cwd=ROOT, env={**env, "LIGHTBOX_DATA_DIR": str(data_dir)}, check=True,
                timeout=300,
            )  # fmt: skip
    return data_dir / "static"


@pytest.fixture(scope="session")
def environment(tmp_path_factory) -> dict[str, str]:
    """A migrated data directory with one public case (bs001) and the personas, shared by
    the servers these tests start (each test starts its own)."""
    data_dir = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "LIGHTBOX_DATA_DIR": str(data_dir),
        "LIGHTBOX_TASKS": "db",
        # The pool starts small and fast in these tests.
        "LIGHTBOX_INGEST_WORKERS": "2",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    run = {"cwd": ROOT, "env": env, "check": True, "timeout": 180}
    subprocess.run([*MANAGE, "migrate", "-v0"], **run)
    (data_dir / "static").symlink_to(_collected_static(tmp_path_factory, env))
    make = "from lightbox.test import make_case, personas; personas(); make_case()"
    subprocess.run([*MANAGE, "shell", "-c", make], **run)
    return env


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """``manage.py *args`` in its own session (so that a test's clean-up can reach
    everything it started), its output and errors in one pipe."""
    return subprocess.Popen(
        [*MANAGE, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def start_serve(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen[str]:
    """``manage.py serve`` on ``port`` (see :func:`spawn`); returns once it answers."""
    proc = spawn(env, "serve", "--port", str(port), *extra)
    proc.first_line = proc.stdout.readline()  # type: ignore[attr-defined]
    if not wait_until(lambda: answers(port) or proc.poll() is not None, seconds=60):
        stop(proc)
        pytest.fail(f"serve did not answer on port {port}")
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    """Stop ``proc`` and whatever is left of its session (it was started in one of its
    own): a failing test leaves nothing running."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
    for pid in in_session(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def server(environment) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A running ``serve`` with one web process, and its port."""
    port = free_port()
    proc = start_serve(environment, port, "--workers", "1")
    yield proc, port
    stop(proc)
