"""The database is set up as docs/configuration.md says, on whichever engine runs."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout_and_postgres_is_postgres():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20_000
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            # The test database lives in memory, where SQLite reports "memory"; the
            # setting that asks for WAL on a file database is what can be checked here.
            init = connection.settings_dict["OPTIONS"]["init_command"]
            assert "journal_mode=WAL" in init
        else:
            assert connection.vendor == "postgresql"
            cursor.execute("SHOW server_encoding")
            assert cursor.fetchone()[0] == "UTF8"


def test_a_file_database_really_is_in_wal_mode(tmp_path):
    root = Path(__file__).resolve().parents[3]
    env = {"LIGHTBOX_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='lightbox.settings'; "
        "django.setup(); from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.stdout.strip() == "wal", out.stderr
