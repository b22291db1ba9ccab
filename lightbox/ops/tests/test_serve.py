"""`manage.py serve` (what `make run` ends with): web server and worker start together and
stop together."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


MANAGE = [sys.executable, "manage.py"]


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """A migrated data directory, shared by this module's servers."""
    data_dir = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "LIGHTBOX_DATA_DIR": str(data_dir), "LIGHTBOX_TASKS": "db"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run([*MANAGE, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([*MANAGE, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return env


@pytest.fixture
def server(environment):
    env = environment
    manage = MANAGE
    port = _free_port()
    proc = subprocess.Popen(
        [*manage, "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so teardown can stop every child
    )
    first_line = proc.stdout.readline()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    yield proc, port, first_line
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything left of the group
    proc.wait()


def test_it_prints_the_address_and_serves(server):
    proc, port, first_line = server
    assert f"http://127.0.0.1:{port}/" in first_line
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert "Teaching File home" in response.read().decode()
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in _children(proc.pid)]
    assert any(b"gunicorn" in c for c in commands)
    assert any(b"\x00worker\x00" in c for c in commands)


def test_ctrl_c_stops_the_server_and_the_worker(server):
    proc, port, _ = server
    children = _children(proc.pid)
    assert len(children) == 2
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)]
    with pytest.raises(OSError, match="refused|reset"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_if_the_worker_dies_everything_stops(server):
    proc, _, _ = server
    [worker] = [
        pid
        for pid in _children(proc.pid)
        if b"\x00worker\x00" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    os.kill(worker, signal.SIGKILL)
    assert proc.wait(timeout=30) == 1
    assert not [pid for pid in _children(proc.pid) if _alive(pid)]
