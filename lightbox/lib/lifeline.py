"""Make a child process die with its parent. Django-free; Linux (elsewhere a no-op).

A process killed with ``kill -9`` (or by the out-of-memory killer) cannot stop its
children: they run on, orphaned, holding the listening port or the task queue. The kernel
can do it instead: ``prctl(PR_SET_PDEATHSIG, sig)`` asks it to send ``sig`` to the calling
process as soon as its parent dies. Three things make that reliable, and this module does
all three:

- The request is made *in the child*, so it must race the parent: a parent that died
  between the fork and the request would never trigger it. :func:`die_with_parent`
  therefore checks, after the request, that the parent is still the one expected and
  ends the process at once if not.
- The setting is cleared for the children of a fork, so every generation asks for
  itself: ``serve`` for gunicorn and the task worker (:func:`preexec`), gunicorn's arbiter
  for its workers (``lightbox/ops/gunicorn_hooks.py``), the task worker's
  multiprocessing fork server for itself (:mod:`lightbox.lib.lifeline_forkserver`) and
  the fork server for the pool processes it forks (the pool's initializer,
  :func:`die_with_named_parent`).
- The signal fires when the *thread* that forked the child exits, not the process. A
  parent must therefore start such children from a thread that lives as long as it does
  (the main thread): ``serve`` and gunicorn fork from their main threads, and the task
  worker starts its pool from its main thread (``ingest.warm_up``) within
  :func:`parent_of` — which is why the fork server only ties itself to a parent that
  named itself so.

Examples
--------
>>> import subprocess, sys
>>> child = subprocess.Popen([sys.executable, "-c", "pass"], preexec_fn=preexec())
>>> child.wait()
0
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "PARENT_VARIABLE",
    "die_with_named_parent",
    "die_with_parent",
    "name_as_parent",
    "parent_of",
    "preexec",
]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The environment variable in which a process names itself as the parent its children
# started through multiprocessing must die with (see name_as_parent). Internal: set by
# Lightbox, never by hand.
PARENT_VARIABLE = "LIGHTBOX_LIFELINE_PARENT"


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """The C library's ``prctl``, or None where there is none (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> bool:
    """Have the kernel send ``signum`` to this process when its parent ``parent`` dies.

    Parameters
    ----------
    parent
        The process id the caller expects as its parent, read *before* the fork (in the
        parent: ``os.getpid()``). If this process's parent is already another one, the
        expected parent died before the request could be made: the process sends itself
        ``signum`` at once.
    signum
        The signal to receive. ``SIGKILL`` (the default) cannot be caught: the process
        ends even when busy in C code.

    Returns
    -------
    bool
        True when the kernel took the request; False where there is no ``prctl``
        (not Linux), where nothing happens.
    """
    prctl = _prctl()
    if prctl is None:
        return False
    if prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")
    if os.getppid() != parent:
        # The parent is gone already (we were re-parented to init or a subreaper): the
        # kernel will never send the signal, so take it now.
        os.kill(os.getpid(), signum)
    return True


def preexec(signum: int = signal.SIGKILL) -> Callable[[], None]:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child dies with the caller.

    Call it in the parent (it records the parent's process id now); Popen runs the
    returned function in the child between fork and exec. The setting survives exec.
    """
    parent = os.getpid()
    _prctl()  # loaded here: the child, forked, should not have to open the C library

    def tie() -> None:
        die_with_parent(parent, signum)

    return tie


def name_as_parent() -> None:
    """Name this process as the parent that children started from now on through
    multiprocessing die with (via :func:`die_with_named_parent`, which they call).

    Call it from the thread that will start those children and that lives as long as
    the process (the main thread): the kernel's signal follows the forking thread. The
    name is inherited by every later child, grandchildren included: prefer
    :func:`parent_of`, which names this process only while the children start.
    """
    os.environ[PARENT_VARIABLE] = str(os.getpid())


@contextlib.contextmanager
def parent_of() -> Iterator[None]:
    """Within the block, this process is named as the parent that children started
    through multiprocessing die with (see :func:`name_as_parent`); after it, the name is
    what it was, so later children and their children do not take it for theirs."""
    previous = os.environ.get(PARENT_VARIABLE)
    name_as_parent()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PARENT_VARIABLE, None)
        else:
            os.environ[PARENT_VARIABLE] = previous


def die_with_named_parent(signum: int = signal.SIGKILL) -> bool:
    """In a child: die with the parent that :func:`name_as_parent` named, if any.

    Returns
    -------
    bool
        True when tied; False when no parent was named, or when the process named is
        alive but not this one's parent (the name was inherited from further up): the
        child then lives on as before. A named parent that is gone already ends the
        child at once (:func:`die_with_parent`).
    """
    named = os.environ.get(PARENT_VARIABLE, "")
    if not named.isdigit():
        return False
    if os.getppid() != int(named) and _exists(int(named)):
        # Named, and alive, but not our parent: a name inherited from further up, not
        # meant for us (our own parent did not ask). Live on as before.
        return False
    return die_with_parent(int(named), signum)


def _exists(pid: int) -> bool:
    """Whether process ``pid`` runs. A zombie does not: a parent killed a moment ago
    stays one until reaped, and must count as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
