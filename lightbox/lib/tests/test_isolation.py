"""Untrusted work in limited child processes."""

import os
import signal
import time

import pytest

from lightbox.lib.isolation import Isolated, LimitExceeded, WorkerCrashed


def double(x):
    return 2 * x


def fail(x):
    raise ValueError(f"bad input {x}")


def hog(x):
    return len(bytearray(3 * 1024**3))  # 3 GiB under a 1 GiB cap


def sleep(x):
    time.sleep(30)


def die(x):
    if x == "killer":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return x


def _run(fn, keys, **kw):
    with Isolated(workers=2, memory_bytes=1024**3, seconds=2, **kw) as pool:
        return {o.key: o for o in pool.map_unordered(fn, [(k, (k,)) for k in keys])}


def test_it_returns_every_result():
    outcomes = _run(double, range(10))
    assert {k: o.value for k, o in outcomes.items()} == {k: 2 * k for k in range(10)}


def test_an_exception_is_reported_for_its_call_only():
    outcomes = _run(fail, ["a"])
    assert isinstance(outcomes["a"].error, ValueError)
    assert "bad input a" in str(outcomes["a"].error)


def test_a_memory_hog_hits_the_cap():
    outcomes = _run(hog, ["x"])
    assert isinstance(outcomes["x"].error, LimitExceeded)
    assert "memory" in str(outcomes["x"].error)


def test_a_slow_call_is_stopped():
    start = time.monotonic()
    outcomes = _run(sleep, ["x"])
    assert isinstance(outcomes["x"].error, LimitExceeded)
    assert "longer than 2 s" in str(outcomes["x"].error)
    assert time.monotonic() - start < 15


def test_a_killed_worker_blames_only_its_own_call():
    outcomes = _run(die, ["a", "b", "killer", "c", "d"])
    assert isinstance(outcomes["killer"].error, WorkerCrashed)
    assert {k: o.value for k, o in outcomes.items() if k != "killer"} == {
        "a": "a",
        "b": "b",
        "c": "c",
        "d": "d",
    }


def noisy(x):
    import logging
    import warnings

    warnings.warn(f"a library warns about {x}", UserWarning, stacklevel=1)
    try:
        raise RuntimeError("a decoder failed")
    except RuntimeError:
        logging.getLogger("some.library").exception("logged with its traceback")
    return x


def test_a_caller_that_stops_early_closes_the_map_cleanly():
    """An error in the caller's loop closes the generator: it must not swallow that
    (Python would print 'generator ignored GeneratorExit' with a traceback)."""
    with Isolated(workers=2, memory_bytes=1024**3, seconds=5) as pool:
        outcomes = pool.map_unordered(double, [(k, (k,)) for k in range(20)])
        assert next(outcomes).error is None
        outcomes.close()  # raised RuntimeError before


def test_run_returns_the_value_or_raises_the_error():
    with Isolated(workers=1, memory_bytes=1024**3, seconds=2) as pool:
        assert pool.run(double, 21) == 42
        with pytest.raises(ValueError, match="bad input x"):
            pool.run(fail, "x")


def test_what_libraries_log_or_warn_in_a_child_stays_off_the_terminal(capfd):
    assert _run(noisy, ["pixels"])["pixels"].value == "pixels"
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "warns about" not in captured.err
