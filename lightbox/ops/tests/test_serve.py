"""`manage.py serve` (what `make run` ends with): web server and worker start together and
stop together, and nothing outlives serve, not even after a `kill -9`."""

import os
import signal
import time
import urllib.request

import pytest

from lightbox.ops.tests.conftest import (
    children,
    command_line,
    descendants,
    free_port,
    running,
    start_serve,
    stop,
    wait_until,
)

POOL = 2  # LIGHTBOX_INGEST_WORKERS in the test environment


def _worker(serve_pid: int) -> int:
    [worker] = [pid for pid in children(serve_pid) if b"\x00worker\x00" in command_line(pid)]
    return worker


def _whole_tree(serve_pid: int) -> list[tuple[int, str]]:
    """serve's descendants once all of them are up: gunicorn's arbiter and web process,
    the task worker, its fork server and its pool (which the worker starts before its
    first task)."""

    def forkserver_family() -> list[int]:
        return [
            pid
            for pid, _ in descendants(_worker(serve_pid))
            if b"multiprocessing.forkserver" in command_line(pid)
        ]

    # The fork server and each pool process all run forkserver's main.
    assert wait_until(lambda: len(forkserver_family()) >= 1 + POOL), "the pool never started"
    return descendants(serve_pid)


def test_it_prints_the_address_and_serves(server):
    proc, port = server
    assert f"http://127.0.0.1:{port}/" in proc.first_line
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert "Teaching File home" in response.read().decode()
    commands = [command_line(pid) for pid in children(proc.pid)]
    assert any(b"gunicorn" in c for c in commands)
    assert any(b"\x00worker\x00" in c for c in commands)


def test_ctrl_c_stops_the_server_and_the_worker(server):
    proc, port = server
    tree = _whole_tree(proc.pid)
    assert len(children(proc.pid)) == 2
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert wait_until(lambda: not [p for p in tree if running(p)], seconds=5)
    with pytest.raises(OSError, match="refused|reset"):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_if_the_worker_dies_everything_stops(server):
    proc, _ = server
    tree = _whole_tree(proc.pid)
    os.kill(_worker(proc.pid), signal.SIGKILL)
    assert proc.wait(timeout=30) == 1
    # The worker's fork server and pool went with it, and the web server was stopped.
    assert wait_until(lambda: not [p for p in tree if running(p)], seconds=5), [
        (pid, command_line(pid)[:80]) for pid, _ in tree if running((pid, _))
    ]


def test_it_leaves_nothing_running_when_killed_with_sigkill(environment):
    port = free_port()
    proc = start_serve(environment, port, "--workers", "2")
    try:
        tree = _whole_tree(proc.pid)
        assert len(tree) >= 2 + 2 + 1 + 1 + POOL  # arbiter, 2 web, worker, fork server, pool
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        started = time.monotonic()
        assert wait_until(lambda: not [p for p in tree if running(p)], seconds=5), [
            (pid, command_line(pid)[:80]) for pid, _ in tree if running((pid, _))
        ]
        print(f"whole tree gone {time.monotonic() - started:.2f} s after kill -9")
    finally:
        stop(proc)
    # The port is free again: a new serve starts on it and answers.
    again = start_serve(environment, port, "--workers", "1")
    try:
        assert again.poll() is None
        assert f"http://127.0.0.1:{port}/" in again.first_line
    finally:
        stop(again)


def _echo(port: int) -> bool:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    ae = AE(ae_title="ECHOSCU")
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", port, ae_title="LIGHTBOX")
    if not assoc.is_established:
        return False
    try:
        return assoc.send_c_echo().Status == 0x0000
    finally:
        assoc.release()


def test_it_starts_the_dicom_receiver_when_a_port_is_set(environment):
    port, dicom = free_port(), free_port()
    proc = start_serve({**environment, "LIGHTBOX_DICOM_PORT": str(dicom)}, port, "--workers", "1")
    try:
        commands = [command_line(pid) for pid in children(proc.pid)]
        assert sum(b"\x00dicom_receiver" in c for c in commands) == 1
        assert wait_until(lambda: _echo(dicom), seconds=30)
        tree = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert wait_until(lambda: not [p for p in tree if running(p)], seconds=5)
    finally:
        stop(proc)
    assert not _echo(dicom)


def test_no_worker_serves_the_web_alone_with_its_own_metrics_folder(environment):
    """`serve --no-worker` is the web half of a scaled-out install (compose.yaml's web
    service; the workers run as `manage.py worker`). Each serve counts its requests in a
    metrics folder of its own, and a folder left by a serve that is gone is removed."""
    from pathlib import Path

    metrics = Path(environment["LIGHTBOX_DATA_DIR"]) / "metrics"
    gone = metrics / "serve-999999999"  # no such process
    gone.mkdir(parents=True)
    (gone / "counter_1.db").write_bytes(b"old counts")
    port = free_port()
    proc = start_serve(environment, port, "--workers", "1", "--no-worker")
    try:
        commands = [command_line(pid) for pid in children(proc.pid)]
        assert len(commands) == 1 and b"gunicorn" in commands[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            assert response.status == 200
        assert not gone.exists()
        assert (metrics / f"serve-{proc.pid}").is_dir()
        assert any((metrics / f"serve-{proc.pid}").iterdir()), "no request was counted there"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        stop(proc)
