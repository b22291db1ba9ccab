"""What the fault drills share: a PostgreSQL server of their own, and a migrated install.

A PostgreSQL server of a test's own, to stop and start at will.

A fault drill that restarts PostgreSQL must never touch the machine's server, which other
test runs and people use: this one is a new cluster (``initdb``) in a temporary
directory, listening on loopback on a free port and on a socket in that directory, run as
the ``postgres`` account when the tests run as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lightbox.ops.tests.conftest import MANAGE, ROOT, _collected_static, free_port

#: Makes the personas and one public case (bs001), and prints a read-and-write API token
#: of erin, the editor.
SETUP = (
    "from lightbox.test import make_case, personas; from lightbox.api.models import ApiToken; "
    "people = personas(); make_case(); "
    "print(ApiToken.issue(people['erin'], 'drill', 'write')[1])"
)


def _binaries() -> Path | None:
    """Debian's newest PostgreSQL server binaries (postgresql-15 on these machines)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: p.split("/")[4])
    return Path(found[-1]).parent if found else None


class PrivateCluster:
    """One throwaway PostgreSQL cluster. ``start()`` and ``stop()`` as often as a test
    likes; ``destroy()`` stops it and removes its files."""

    def __init__(self) -> None:
        binaries = _binaries()
        if binaries is None:
            pytest.skip("PostgreSQL's server is not installed (apt-get install -y postgresql)")
        self.bin = binaries
        self.port = free_port()
        # Not under pytest's tmp_path: that is private to root, and the server runs as
        # postgres.
        self.dir = Path(tempfile.mkdtemp(prefix="lightbox-pg-"))
        self.data = self.dir / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.dir}'\n"
                # A test cluster: speed over durability, and small.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\nmax_connections = 40\n"
            )

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / program), *args],
            check=True,
            capture_output=True,
            user=self.user,
            cwd=self.dir,
            timeout=60,
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        """A fast shutdown, as a restart by the operating system does it: open
        transactions are rolled back and every connection is closed."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module", name="cluster")
def cluster_fixture() -> Iterator[PrivateCluster]:
    """A running private cluster with an empty database ``lightbox``, for one module."""
    cluster = PrivateCluster()
    try:
        cluster.start()
        cluster.create_database("lightbox")
        yield cluster
    finally:
        cluster.destroy()


def make_install(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> tuple[dict[str, str], str]:
    """A migrated install (SQLite in its data directory, or ``database_url``) with the
    personas and bs001: the environment its processes run with, and erin's token."""
    data_dir = tmp_path_factory.mktemp("install")
    env = {
        **os.environ,
        "LIGHTBOX_DATA_DIR": str(data_dir),
        "LIGHTBOX_TASKS": "db",
        "LIGHTBOX_INGEST_WORKERS": "1",  # two workers, one pool process each, on 2 cores
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    run = {"cwd": ROOT, "env": env, "check": True, "timeout": 180}
    subprocess.run([*MANAGE, "migrate", "-v0"], **run)  # type: ignore[call-overload]
    (data_dir / "static").symlink_to(_collected_static(tmp_path_factory, env))
    made = subprocess.run(  # type: ignore[call-overload]
        [*MANAGE, "shell", "-c", SETUP], capture_output=True, text=True, **run
    )
    return env, made.stdout.strip().splitlines()[-1]
