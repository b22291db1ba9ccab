"""The web server that ``manage.py serve`` runs, as a command line.

One function builds it, so that ``bench/case_page.py`` measures exactly what ``serve``
runs. gunicorn with its ``asgi`` worker serves :mod:`lightbox.asgi` (why: see that module
and docs/deployment.md).
"""

from __future__ import annotations

import sys

from django.conf import settings

__all__ = ["GRACE_SECONDS", "command"]

# How long a stopping server lets requests in progress finish.
GRACE_SECONDS = 10


def command(host: str, port: int, workers: int, *, access_log: bool = True) -> list[str]:
    """The argv of the web server listening on ``host:port`` with ``workers`` processes.

    Its timeout is ``LIGHTBOX_REQUEST_TIMEOUT`` and its threads per process
    ``LIGHTBOX_WEB_THREADS`` (read by :mod:`lightbox.asgi`); ``access_log`` writes one
    line per request to standard output.
    """
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [
        sys.executable, "-m", "gunicorn", "lightbox.asgi:application",
        "--worker-class", "asgi",
        # uvloop (a dependency): less CPU per request than asyncio's own event loop.
        "--asgi-loop", "uvloop",
        # Hooks: each web process dies with the arbiter (lightbox.lib.lifeline).
        "--config", "python:lightbox.ops.gunicorn_hooks",
        "--bind", bind, "--workers", str(workers),
        "--timeout", str(settings.REQUEST_TIMEOUT),
        "--graceful-timeout", str(GRACE_SECONDS),
        # Phones in a conference poll every 1.5 s: a connection kept 5 s idle (gunicorn's
        # default is 2) is reused instead of re-opened. Idle connections hold no thread.
        "--keep-alive", "5",
        # gunicorn's control socket is one path per user account ($XDG_RUNTIME_DIR or
        # ~/.gunicorn/gunicorn.ctl), shared by every gunicorn of the machine: a second
        # installation (or a test run) would take it over. Lightbox does not use it.
        "--no-control-socket",
    ]  # fmt: skip
    # Its start-up lines (a few a process) said nothing a reader needs, under the set-up's
    # last words; warnings and errors are still logged, and each request if asked.
    argv += ["--log-level", "warning"]
    if access_log:
        argv += ["--access-logfile", "-"]
    return argv
