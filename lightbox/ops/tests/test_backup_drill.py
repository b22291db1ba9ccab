"""The restore drill: fill an install (the demo library, the personas, a CT series
series and a rendered frame), back it up, restore the backup into an empty install (a
fresh data directory and database), and compare what the API answers for every case and
the bytes of every stored file. Real processes, as an administrator runs them, on the
database of this test pass (SQLite, or PostgreSQL with LIGHTBOX_TEST_DB=postgres).

One test of ~30 s: it is the only end-to-end proof that a backup restores, so it loads
the real demo library rather than a cut-down one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from lightbox.ops.tests.pgdb import scratch_databases

ROOT = Path(__file__).resolve().parents[3]

FILL = """
from lightbox.test import personas
personas()
"""

RENDER = """
from lightbox.imaging.frames import frame_png
from lightbox.imaging.models import Instance
frame_png(Instance.objects.order_by("pk").last(), 0)
"""

# What an administrator would compare: every API answer about every case and topic,
# a search and similar cases (the index and the embeddings), and every stored file.
SNAPSHOT = """
import hashlib, json
from django.contrib.auth import get_user_model
from django.core.files.storage import storages
from django.test import Client
from lightbox.ops.backup import install
client = Client(HTTP_HOST="localhost")
client.force_login(get_user_model().objects.get(username="root"))
answers = {}
def get(url):
    response = client.get(url)
    answers[url] = [response.status_code, response.json()]
    return response.json()
cases = get("/api/v1/cases?page_size=200")["items"]
for case in cases:
    n = case["number"]
    for url in (f"/api/v1/cases/{n}", f"/api/v1/cases/{n}/unknown",
                f"/api/v1/cases/{n}/comments", f"/api/v1/cases/{n}/similar"):
        get(url)
for topic in get("/api/v1/topics")["items"]:
    get(f"/api/v1/topics/{topic['slug']}")
get("/api/v1/search?q=bone")
files = {}
for alias in install.storage_aliases():
    storage = storages[alias]
    for name in install.walk(storage):
        with storage.open(name, "rb") as f:
            files[f"{alias}:{name}"] = hashlib.sha256(f.read()).hexdigest()
print(json.dumps({"answers": answers, "files": files, "cases": len(cases)}))
"""


def _install(tmp_path: Path, name: str, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "LIGHTBOX_DATA_DIR": str(tmp_path / name), "LIGHTBOX_TASKS": "immediate"}
    for variable in ("LIGHTBOX_SECRET_KEY", "LIGHTBOX_DEID_SECRET", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(variable, None)  # each install keeps its own, generated in its data dir
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env.pop("DATABASE_URL", None)
    if env.get("LIGHTBOX_STORAGE") == "s3":
        # Files in the test's bucket (the PostgreSQL pass): each install a folder of its
        # own, so that the target starts as empty as its database.
        env["LIGHTBOX_S3_PREFIX"] = f"{env.get('LIGHTBOX_S3_PREFIX', '')}/{name}".strip("/")
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _ct_series(folder: Path, slices: int = 4) -> Path:
    """A small CT series with a planted patient name (de-identified on upload)."""
    folder.mkdir()
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm", download=False))
    ds.PatientName = "DOE^JOHN"
    ds.SeriesInstanceUID = generate_uid()
    for i in range(slices):
        ds.SOPInstanceUID = generate_uid()
        ds.InstanceNumber = i + 1
        ds.save_as(folder / f"slice{i}.dcm")
    return folder


def test_a_backup_restores_into_an_empty_install_with_the_same_api_and_files(tmp_path):
    with scratch_databases("drill_src", "drill_dst") as (src_url, dst_url):
        source = _install(tmp_path, "source", src_url)
        ok(manage(source, "migrate", "-v0"))
        ok(manage(source, "load_demo"))
        ok(manage(source, "shell", "--no-imports", "-c", FILL))
        ok(manage(source, "import_dicom", str(_ct_series(tmp_path / "ct")), "--case", "bs001"))
        ok(manage(source, "shell", "--no-imports", "-c", RENDER))
        archive = tmp_path / "lightbox.tar"
        out = ok(manage(source, "backup", str(archive)))
        assert "keep it where only administrators can read it" in out
        assert archive.stat().st_mode & 0o077 == 0  # it holds the secrets

        target = _install(tmp_path, "target", dst_url)  # never migrated: empty
        out = ok(manage(target, "restore", str(archive)))
        assert "Restored the backup" in out

        before = json.loads(ok(manage(source, "shell", "--no-imports", "-c", SNAPSHOT)))
        after = json.loads(ok(manage(target, "shell", "--no-imports", "-c", SNAPSHOT)))
    assert before["cases"] == 10  # the demo library
    assert any(name.startswith("default:frames/") for name in before["files"])
    assert sum(name.endswith(".dcm") for name in before["files"]) >= 4 + 13
    assert after["files"] == before["files"]
    assert after["answers"] == before["answers"]
    # The de-identification key came along: a re-upload maps to the same UIDs.
    for secret in ("deid_secret", "secret_key"):
        assert (tmp_path / "target" / secret).read_text() == (
            tmp_path / "source" / secret
        ).read_text()


def test_force_replaces_a_newer_install_with_an_older_backup_and_migrates_it(tmp_path):
    """The other way round from the drill: the target is not empty and fully migrated,
    the backup older. Refused without --force; with it, the target's database is replaced
    (tables the backup lacks dropped with the rest) and migrated up again."""
    with scratch_databases("older_src", "older_dst") as (src_url, dst_url):
        source = _install(tmp_path, "source", src_url)
        ok(manage(source, "migrate", "-v0"))
        ok(manage(source, "migrate", "comments", "zero", "-v0"))  # as an older Lightbox left it
        archive = tmp_path / "older.tar"
        ok(manage(source, "backup", str(archive)))

        target = _install(tmp_path, "target", dst_url)
        ok(manage(target, "migrate", "-v0"))
        ok(
            manage(
                target,
                "shell",
                "--no-imports",
                "-c",
                "from lightbox.test import make_case; make_case()",
            )
        )
        refused = manage(target, "restore", str(archive))
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "this install is not empty (case" in refused.stderr and "--force" in refused.stderr

        out = ok(manage(target, "restore", "--force", str(archive)))
        assert "Its database schema was older: migrations were applied." in out
        ok(manage(target, "migrate", "--check"))  # nothing left unapplied
        count = "from lightbox.cases.models import Case; print(Case.objects.count())"
        assert ok(manage(target, "shell", "--no-imports", "-c", count)).strip() == "0"
