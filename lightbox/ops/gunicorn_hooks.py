"""gunicorn's configuration hooks for ``manage.py serve`` (``--config python:...``).

Every other option is on the command line (:mod:`lightbox.ops.webserver`); gunicorn
takes hooks only from a configuration module. Django-free: the arbiter imports it.
"""

from __future__ import annotations

from typing import Any

from lightbox.lib import lifeline


def post_fork(server: Any, worker: Any) -> None:
    """In each new web process: die with the arbiter, even when it is killed with
    ``kill -9`` (gunicorn's own check notices a lost parent only between requests).
    The arbiter forks from its main thread, which lives as long as it does."""
    lifeline.die_with_parent(server.pid)
