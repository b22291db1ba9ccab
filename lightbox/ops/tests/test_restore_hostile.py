"""``manage.py restore`` on archives that must be refused: each gets a one-line error,
and the install is left exactly as it was (its case, its stored file, no staging folder)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from lightbox.cases.models import Case
from lightbox.ops.backup.archive import MANIFEST
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
STORED = "dicom/1/2/abcdef0123456789abcd.dcm"


@pytest.fixture
def install(db):
    """An install with one case and one stored file, and a good backup of it."""
    make_case()
    default_storage.save(STORED, ContentFile(b"DICM" * 100))
    return settings


@pytest.fixture
def good(install, tmp_path) -> Path:
    out = tmp_path / "good.tar"
    call_command("backup", str(out), verbosity=0)
    return out


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path) as tar:
        return [(info, tar.extractfile(info).read()) for info in tar.getmembers()]


def write(path: Path, items: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in items:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def edit_manifest(items, change) -> list[tuple[tarfile.TarInfo, bytes]]:
    out = []
    for info, data in items:
        if info.name == MANIFEST:
            manifest = json.loads(data)
            change(manifest)
            data = json.dumps(manifest).encode()
        out.append((info, data))
    return out


def entry(name: str, data: bytes) -> dict:
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def refused(path: Path, *, force: bool = True) -> str:
    """The restore's one-line error, after checking that nothing changed."""
    cases_before = list(Case.objects.values_list("number", "title"))
    with pytest.raises(CommandError) as raised:
        call_command("restore", str(path), force=force, verbosity=0)
    message = str(raised.value)
    assert "\n" not in message and message.endswith("nothing was restored")
    assert list(Case.objects.values_list("number", "title")) == cases_before
    with default_storage.open(STORED) as f:
        assert f.read() == b"DICM" * 100
    assert not list(Path(settings.DATA_DIR).glob(".restore-*"))
    return message


def test_a_changed_member_is_refused(good, tmp_path):
    items = [
        (info, data[:-4] + b"EVIL" if info.name.endswith(".dcm") else data)
        for info, data in members(good)
    ]
    message = refused(write(tmp_path / "bad.tar", items))
    assert (
        "storage/default/dicom/1/2/abcdef0123456789abcd.dcm does not match its SHA-256" in message
    )


def test_a_missing_member_is_refused(good, tmp_path):
    items = [(i, d) for i, d in members(good) if not i.name.endswith(".dcm")]
    assert "lacks 1 member(s)" in refused(write(tmp_path / "bad.tar", items))


def test_an_extra_member_is_refused(good, tmp_path):
    items = members(good)
    items.insert(1, (tarfile.TarInfo("storage/default/planted.dcm"), b"x"))
    assert "does not list, e.g. 'storage/default/planted.dcm'" in refused(
        write(tmp_path / "bad.tar", items)
    )


@pytest.mark.parametrize("where", ["half-way", "in the manifest", "in its header"])
def test_a_truncated_archive_is_refused(good, tmp_path, where):
    data = good.read_bytes()
    with tarfile.open(good) as tar:
        manifest = tar.getmember(MANIFEST)
    cut = {
        "half-way": len(data) // 2,
        "in the manifest": manifest.offset_data + manifest.size // 2,
        "in its header": manifest.offset + 100,
    }[where]
    bad = tmp_path / "bad.tar"
    bad.write_bytes(data[:cut])
    message = refused(bad)
    assert "truncated" in message or "damaged" in message


def test_another_format_version_is_refused(good, tmp_path):
    items = edit_manifest(members(good), lambda m: m.update(format_version=2))
    message = refused(write(tmp_path / "bad.tar", items))
    assert "format version 2; this Lightbox reads version 1 only" in message


@pytest.mark.parametrize(
    "name", ["storage/default/../../../evil.dcm", "/etc/evil", "storage/default/.staging/x"]
)
def test_a_member_named_outside_its_place_is_refused(good, tmp_path, name):
    items = members(good)
    planted = b"planted"
    items.insert(1, (tarfile.TarInfo(name), planted))
    items = edit_manifest(items, lambda m: m["members"].append(entry(name, planted)))
    assert "unsafe member name" in refused(write(tmp_path / "bad.tar", items))
    assert not (tmp_path.parent / "evil.dcm").exists()


def test_a_link_member_is_refused(good, tmp_path):
    link = tarfile.TarInfo("storage/default/link.dcm")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    items = members(good)
    items.insert(1, (link, b""))
    assert "is not a regular file" in refused(write(tmp_path / "bad.tar", items))


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not a tar", os.urandom(20_000)])
def test_what_is_not_an_archive_is_refused(install, tmp_path, content):
    bad = tmp_path / "bad.tar"
    bad.write_bytes(content)
    assert "is not a Lightbox backup" in refused(bad)


def test_a_newer_schema_is_refused(good, tmp_path):
    items = edit_manifest(
        members(good), lambda m: m["migrations"].setdefault("cases", []).append("9999_future")
    )
    message = refused(write(tmp_path / "bad.tar", items))
    assert "schema is newer than this Lightbox's" in message and "cases.9999_future" in message


def test_another_database_vendor_is_refused(good, tmp_path):
    from django.db import connection

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def change(m):
        m["database"]["vendor"] = other
        db = next(e for e in m["members"] if e["name"].startswith("database/"))
        db["name"] = {"sqlite": "database/lightbox.sqlite3"}.get(other, "database/lightbox.pgdump")

    items = [
        (tarfile.TarInfo(f"database/lightbox.{'sqlite3' if other == 'sqlite' else 'pgdump'}"), d)
        if i.name.startswith("database/")
        else (i, d)
        for i, d in edit_manifest(members(good), change)
    ]
    assert f"this backup is of a {other} database" in refused(write(tmp_path / "bad.tar", items))


def test_an_install_that_is_not_empty_is_refused_without_force(good):
    message = refused(good, force=False)
    assert "this install is not empty (case, stored file in 'default')" in message
    assert "--force" in message


def test_the_command_exits_1_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a backup")
    env = {**os.environ, "LIGHTBOX_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(bad)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"CommandError: {bad} is not a Lightbox backup (not a tar archive); nothing was restored"
    ]


def test_backup_never_overwrites_a_file(install, tmp_path):
    existing = tmp_path / "old.tar"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(existing), verbosity=0)
    assert existing.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_manifest_lists_every_member_with_its_hash(good):
    items = dict((i.name, d) for i, d in members(good))
    manifest = json.loads(items.pop(MANIFEST))
    assert manifest["format_version"] == 1 and manifest["counts"]["cases"] == 1
    assert {e["name"] for e in manifest["members"]} == set(items)
    for e in manifest["members"]:
        assert hashlib.sha256(items[e["name"]]).hexdigest() == e["sha256"]
    assert f"storage/default/{STORED}" in items
    assert items["secrets/deid_secret"].decode() == settings.DEID_SECRET
