"""Scratch PostgreSQL databases for tests that run whole installs in subprocesses: named
after the test pass's own database (LIGHTBOX_TEST_DATABASE_URL), created empty and
dropped afterwards. Outside the PostgreSQL pass they are None (the installs use SQLite)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import psycopg
from psycopg import sql


@contextlib.contextmanager
def scratch_databases(*suffixes: str) -> Iterator[list[str | None]]:
    if os.environ.get("LIGHTBOX_TEST_DB") != "postgres":
        yield [None for _ in suffixes]
        return
    base = psycopg.conninfo.conninfo_to_dict(os.environ["LIGHTBOX_TEST_DATABASE_URL"])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    names = [f"{base['dbname']}_{suffix}_{worker}" for suffix in suffixes]
    admin = {**base, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = os.environ["LIGHTBOX_TEST_DATABASE_URL"].rsplit("/", 1)[0]
    try:
        yield [f"{url}/{name}" for name in names]
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
