"""Children that die with their parent, even when it is killed with `kill -9`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lightbox.lib import lifeline

ROOT = Path(__file__).resolve().parents[3]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _gone(pids: list[int], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_running(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _parent(script: str) -> tuple[subprocess.Popen[str], list[int]]:
    """Run ``script`` in a parent process that prints the pids it starts on one line."""
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        pytest.fail(f"the parent printed nothing (exit {proc.wait()})")
    return proc, [int(p) for p in line.split()]


def _cleanup(proc: subprocess.Popen[str], pids: list[int]) -> None:
    for pid in pids:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)
    proc.kill()
    proc.wait()


def test_a_child_started_with_preexec_dies_when_its_parent_is_killed():
    proc, pids = _parent("""
        import subprocess, sys, time
        from lightbox.lib import lifeline
        child = subprocess.Popen(["sleep", "60"], preexec_fn=lifeline.preexec())
        print(child.pid, flush=True)
        time.sleep(60)
    """)
    try:
        assert _running(pids[0])
        os.kill(proc.pid, signal.SIGKILL)
        assert _gone(pids)
    finally:
        _cleanup(proc, pids)


def test_a_child_whose_parent_died_before_it_asked_ends_at_once():
    # The parent named (any process id but the real one) is not this process's parent:
    # the kernel would never signal, so the process signals itself.
    script = "from lightbox.lib import lifeline; lifeline.die_with_parent(1); print('alive')"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == -signal.SIGKILL
    assert "alive" not in result.stdout


def test_a_pool_and_its_fork_server_die_with_the_process_that_named_itself():
    proc, pids = _parent("""
        import os, time
        from lightbox.lib import lifeline
        from lightbox.lib.isolation import Isolated
        pool = Isolated(workers=2)
        with lifeline.parent_of():
            pool.warm()
        forkserver = pool._executor.submit(os.getppid).result()
        print(*sorted(pool._executor._processes), forkserver, flush=True)
        time.sleep(60)
    """)
    try:
        *pool, forkserver = pids
        assert len(pool) == 2 and all(_running(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)
        assert _gone(pids), [p for p in pids if _running(p)]
    finally:
        _cleanup(proc, pids)


def test_without_a_named_parent_the_fork_server_lives_on_but_its_pool_dies_with_it():
    # A process that did not name itself (a short-lived thread may have started the pool)
    # keeps the old behaviour for the fork server; the pool still follows the fork server.
    proc, pids = _parent("""
        import os, time
        from lightbox.lib.isolation import Isolated
        pool = Isolated(workers=2)
        pool.warm()
        forkserver = pool._executor.submit(os.getppid).result()
        print(*sorted(pool._executor._processes), forkserver, flush=True)
        time.sleep(60)
    """)
    try:
        *pool, forkserver = pids
        os.kill(forkserver, signal.SIGKILL)
        assert _gone(pool)
    finally:
        _cleanup(proc, pids)


def test_a_name_inherited_from_further_up_is_not_taken_for_a_parent():
    # A process started by the named one (this test process, here) starts a pool of its
    # own: its fork server must not mistake the inherited name for a parent that died.
    script = textwrap.dedent("""
        import os
        from lightbox.lib.isolation import Isolated
        with Isolated(workers=1) as pool:
            pool.warm()
            print(pool._executor.submit(os.getpid).result() > 0)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), lifeline.PARENT_VARIABLE: str(os.getpid())},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_a_named_parent_that_died_but_is_not_yet_reaped_counts_as_gone():
    # A parent killed a moment ago is a zombie until reaped: a child starting then must
    # not take it for a living process (and the name for someone else's).
    zombie = subprocess.Popen(["true"])
    assert _gone([zombie.pid])  # exited; not waited for, so a zombie
    try:
        script = (
            "from lightbox.lib import lifeline; lifeline.die_with_named_parent(); print('alive')"
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), lifeline.PARENT_VARIABLE: str(zombie.pid)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        zombie.wait()
    assert result.returncode == -signal.SIGKILL, result.stdout
