"""The database's part of a backup: SQLite through its online backup API, PostgreSQL
through ``pg_dump -Fc`` and ``pg_restore`` (Debian's postgresql-client).

Both give a consistent snapshot while Lightbox keeps running: SQLite copies the pages of
one read transaction; ``pg_dump`` reads in one repeatable-read transaction.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection, connections

from lightbox.ops.backup.archive import BackupError

__all__ = ["dump", "restore", "vendor"]


def vendor() -> str:
    """``sqlite`` or ``postgresql``: the two databases Lightbox runs on."""
    name = connection.vendor
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {name} database are not supported")
    return name


def dump(path: Path) -> None:
    """Write a consistent copy of the database to ``path`` (a new file)."""
    if vendor() == "sqlite":
        _sqlite_copy(str(connection.settings_dict["NAME"]), str(path))
    else:
        _run([_tool("pg_dump"), "--format=custom", "--file", str(path)], "pg_dump")


def restore(path: Path) -> None:
    """Replace the database's contents with the copy at ``path``, all or nothing.

    SQLite: the backup API writes the whole copy in one transaction of the destination.
    PostgreSQL: the dump is first turned into SQL (``pg_restore -f``, so that a damaged
    dump fails before anything is sent), then run by ``psql`` in one transaction that
    also empties the ``public`` schema first: tables a newer install created are dropped
    with the rest, and a failure rolls all of it back.
    """
    connections.close_all()
    if vendor() == "sqlite":
        name = str(connection.settings_dict["NAME"])
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(str(path), name)
        return
    script = path.with_suffix(".sql")
    try:
        _run(
            [_tool("pg_restore"), "--no-owner", "--no-acl", "--file", str(script), str(path)],
            "pg_restore",
        )
        _run(
            [
                _tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
                "--set", "ON_ERROR_STOP=1",
                "--command", "DROP SCHEMA IF EXISTS public CASCADE",
                "--command", "CREATE SCHEMA public",
                "--file", str(script),
            ],
            "psql",
        )  # fmt: skip
    finally:
        script.unlink(missing_ok=True)


def _sqlite_copy(source: str, destination: str) -> None:
    if not Path(source).is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(destination, timeout=30)
    try:
        # pages=-1: every page in one step, so the copy is of one read transaction
        # even while Lightbox writes (a stepwise copy restarts on every write).
        src.backup(dst, pages=-1)
    except sqlite3.Error as e:
        raise BackupError(f"copying the SQLite database failed: {e}") from None
    finally:
        dst.close()
        src.close()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: PostgreSQL backups need the client tools "
            "(apt-get install postgresql-client, of the server's major version or newer)"
        )
    return found


def _environment() -> dict[str, str]:
    """libpq's variables for Django's connection: the password never on a command line."""
    settings: dict[str, Any] = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", settings.get("HOST")),
        ("PGPORT", settings.get("PORT")),
        ("PGUSER", settings.get("USER")),
        ("PGPASSWORD", settings.get("PASSWORD")),
        ("PGDATABASE", settings.get("NAME")),
        ("PGSSLMODE", settings.get("OPTIONS", {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, env=_environment(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        detail = lines[0] if lines else f"exit status {result.returncode}"
        with contextlib.suppress(IndexError):
            # psql names the failing statement on the first line; the error follows.
            detail = next(line for line in lines if "ERROR" in line or "error" in line)
        raise BackupError(f"{what} failed: {detail}")
