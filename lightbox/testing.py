"""Loaded by pytest as a plugin (``-p lightbox.testing``) before Django reads its settings,
so that no test ever touches the developer's data directory or database.

`make test` runs the suite twice: on SQLite, then with LIGHTBOX_TEST_DB=postgres on the
database LIGHTBOX_TEST_DATABASE_URL names. A developer's own DATABASE_URL is never used.
"""

import atexit
import os
import shutil
import tempfile

DATA_DIR = tempfile.mkdtemp(prefix="lightbox-test-")
os.makedirs(os.path.join(DATA_DIR, "static"))  # WhiteNoise expects STATIC_ROOT to exist
atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)
os.environ["LIGHTBOX_DATA_DIR"] = DATA_DIR
os.environ.setdefault("LIGHTBOX_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ["LIGHTBOX_TASKS"] = "immediate"
if os.environ.get("LIGHTBOX_TEST_DB") == "postgres":
    os.environ["DATABASE_URL"] = os.environ["LIGHTBOX_TEST_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)
