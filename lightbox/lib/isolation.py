"""Run untrusted-input work in child processes with a memory cap and a time limit.

Decoding an uploaded file is where hostile input bites: a deflate bomb asks for gigabytes,
a crafted JPEG 2000 spins a decoder for minutes. Such work runs here, in a pool of
processes started from a clean fork server, each capped by ``RLIMIT_AS`` (address space).
A call that overruns its time is interrupted with ``SIGALRM``; one stuck inside C code,
where Python cannot interrupt it, is killed by ``RLIMIT_CPU``. A killed child breaks the
pool, which is rebuilt, and the call reports :class:`WorkerCrashed`; the caller decides
what to retry. Django-free.

A child reports through its return value or its exception, which the parent turns into a
one-line message; what libraries log or warn inside the child (pydicom logs each decoder
plugin's failure with a traceback) is dropped, so it never reaches the terminal of the
worker or of a command as stray lines.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import signal
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar, cast

from lightbox.lib import lifeline

__all__ = ["Isolated", "LimitExceeded", "Outcome", "WorkerCrashed"]

T = TypeVar("T")
K = TypeVar("K")


class LimitExceeded(Exception):
    """The work ran out of memory or time (a one-line message says which)."""


class WorkerCrashed(Exception):
    """The process doing the work died (killed by a limit or by the system)."""


@dataclass
class Outcome[K, T]:
    key: K
    value: T | None = None
    error: BaseException | None = None


def _start_child(memory_bytes: int) -> None:
    """Initializer of each pool process: die with the fork server (so with whoever
    started the pool, see :mod:`lightbox.lib.lifeline_forkserver`), cap its memory, and
    keep library log records and warnings off the shared terminal (see the module
    docstring)."""
    lifeline.die_with_named_parent()
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    logging.getLogger().addHandler(logging.NullHandler())  # no "last resort" to stderr
    logging.getLogger().setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError


def _call[T](fn: Callable[..., T], args: tuple[Any, ...], seconds: int) -> T:
    """Run in the child: ``fn(*args)`` within ``seconds`` of wall and CPU time."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    # A backstop for decoders stuck in C code, which ignore the alarm: the kernel ends
    # the process once it has used this much more CPU.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu + 2 * seconds + 5, hard))
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(seconds)
    try:
        return fn(*args)
    except TimeoutError:
        raise LimitExceeded(f"processing took longer than {seconds} s") from None
    except MemoryError:
        raise LimitExceeded("processing needed more memory than allowed") from None
    finally:
        signal.alarm(0)


class Isolated:
    """A small pool of limited worker processes; use as a context manager.

    Parameters
    ----------
    workers
        Processes working at once.
    memory_bytes
        Address-space cap of each process.
    seconds
        Time allowed for one call.
    preload
        Modules the fork server imports once, so each call starts warm.
    queue
        Calls submitted ahead of their results.
    """

    def __init__(
        self,
        workers: int = 2,
        memory_bytes: int = 4 * 1024**3,
        seconds: int = 120,
        preload: Iterable[str] = (),
        queue: int = 32,
    ) -> None:
        self.workers, self.memory_bytes, self.seconds = workers, memory_bytes, seconds
        # Calls handed to the pool ahead of their results: enough that the workers stay
        # busy while the caller handles a batch of results.
        self.queue = max(queue, 2 * workers)
        self._context = multiprocessing.get_context("forkserver")
        # lifeline_forkserver: the fork server dies with the process that started it.
        self._context.set_forkserver_preload([*preload, "lightbox.lib.lifeline_forkserver"])
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._context,
            initializer=_start_child,
            initargs=(self.memory_bytes,),
        )

    def __enter__(self) -> Isolated:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def warm(self) -> None:
        """Start every process now (and the fork server with its preloaded modules), so
        the first real call does not wait for them."""
        import os

        for future in [self._executor.submit(os.getpid) for _ in range(self.workers)]:
            future.result()

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a child, within the limits; its result, or its exception
        (:class:`LimitExceeded`, :class:`WorkerCrashed`, or whatever ``fn`` raised)."""
        outcome = next(self._run_alone(fn, None, args))
        if outcome.error is not None:
            raise outcome.error
        return cast(T, outcome.value)

    def map_unordered(
        self, fn: Callable[..., T], jobs: Iterable[tuple[K, tuple[Any, ...]]]
    ) -> Iterator[Outcome[K, T]]:
        """Run ``fn(*args)`` for each ``(key, args)``; yield outcomes as they finish.

        At most ``queue`` calls are in flight. When a process dies, the calls that
        were in flight with it are retried one at a time, so that only the call that
        killed it reports :class:`WorkerCrashed`.
        """
        pending = list(jobs)
        pending.reverse()
        suspects: list[tuple[K, tuple[Any, ...]]] = []
        in_flight: dict[Future[T], tuple[K, tuple[Any, ...]]] = {}
        try:
            yield from self._map(fn, pending, suspects, in_flight)
        finally:
            # The caller stopped early (an error, or it closed the generator): calls not
            # yet started are dropped, so the pool is free for the next caller.
            for future in in_flight:
                future.cancel()

    def _map(
        self,
        fn: Callable[..., T],
        pending: list[tuple[K, tuple[Any, ...]]],
        suspects: list[tuple[K, tuple[Any, ...]]],
        in_flight: dict[Future[T], tuple[K, tuple[Any, ...]]],
    ) -> Iterator[Outcome[K, T]]:
        while pending or suspects:
            if suspects:
                # One at a time: whichever crashes alone is the culprit.
                key, args = suspects.pop()
                yield from self._run_alone(fn, key, args)
                continue
            in_flight.clear()
            broken = False
            while (pending or in_flight) and not broken:
                while pending and len(in_flight) < self.queue:
                    key, args = pending.pop()
                    in_flight[self._executor.submit(_call, fn, args, self.seconds)] = (key, args)
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    key, args = in_flight.pop(future)
                    # The yield stays outside the try: a caller that stops early closes
                    # this generator with GeneratorExit at the yield, which must not be
                    # caught and answered with another outcome.
                    try:
                        outcome: Outcome[K, T] = Outcome(key, value=future.result())
                    except BrokenProcessPool:
                        broken = True
                        suspects.append((key, args))
                        continue
                    except Exception as e:  # noqa: BLE001 - reported to the caller
                        outcome = Outcome(key, error=e)
                    yield outcome
            if broken:
                suspects.extend(in_flight.values())
                in_flight.clear()
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()

    def _run_alone(
        self, fn: Callable[..., T], key: K, args: tuple[Any, ...]
    ) -> Iterator[Outcome[K, T]]:
        future = self._executor.submit(_call, fn, args, self.seconds)
        try:
            outcome: Outcome[K, T] = Outcome(key, value=future.result())
        except BrokenProcessPool:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
            outcome = Outcome(
                key, error=WorkerCrashed("processing was stopped: it broke a memory or time limit")
            )
        except Exception as e:  # noqa: BLE001 - reported to the caller
            outcome = Outcome(key, error=e)
        yield outcome
