"""manage.py export_bundle: a BagIt zip with every field, row and file of the cases."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Case
from lightbox.imaging.models import Image, Instance
from lightbox.interchange.bundle.schema import CASE_EXCLUDE, CASE_TABLES, SCHEMA_VERSION
from lightbox.interchange.tests.bundle_helpers import case_json, export, full_case, members
from lightbox.test import make_case, make_topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(people):
    return full_case(people)


def test_it_writes_a_bag_whose_manifest_holds_every_payload_file(case, tmp_path):
    found = members(export(tmp_path, "--case", case.number))
    assert found["bagit.txt"] == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    manifest = dict(
        reversed(line.split("  ", 1))
        for line in found["manifest-sha256.txt"].decode().splitlines()
    )
    payload = {p: d for p, d in found.items() if p.startswith("data/")}
    assert set(manifest) == set(payload)
    assert all(hashlib.sha256(d).hexdigest() == manifest[p] for p, d in payload.items())
    oxum = f"{sum(map(len, payload.values()))}.{len(payload)}"
    assert f"Payload-Oxum: {oxum}" in found["bag-info.txt"].decode()
    assert "tagmanifest-sha256.txt" in found


def test_the_zip_has_one_folder_named_after_the_bundle(case, tmp_path):
    with zipfile.ZipFile(export(tmp_path, "--case", case.number, name="my cases.zip")) as z:
        assert {n.split("/", 1)[0] for n in z.namelist()} == {"my-cases"}


def test_case_json_holds_every_field_and_every_table(case, tmp_path):
    doc = case_json(export(tmp_path, "--case", case.number), case.number)
    assert doc["schema_version"] == SCHEMA_VERSION and doc["number"] == case.number
    fields = {f.name for f in Case._meta.concrete_fields if not f.primary_key}
    assert fields - set(CASE_EXCLUDE) <= set(doc)
    assert {t.key for t in CASE_TABLES} | {"revisions", "redactions"} <= set(doc)
    assert doc["topic"] == "bone-scintigraphy" and doc["created_by"] == "alice"
    assert doc["findings"] == "Calcification in both thighs."
    assert [a["user"] for a in doc["authors"]] == ["alice", None]
    assert doc["radiopharmaceuticals"][0]["activity"] == "20.000"
    # Rows name each other by bundle ids: the reply its parent, the image its series.
    comments = {c["id"]: c for c in doc["comments"]}
    reply = next(c for c in comments.values() if c["parent"])
    assert comments[reply["parent"]]["author"] == "bob"
    series = doc["studies"][0]["series"][0]
    shown = next(i for i in doc["images"] if i["series"])
    assert shown["series"] == series["id"]
    assert next(i for i in doc["images"] if not i["series"])["caption"] == "Lateral view"
    hidden = next(c for c in comments.values() if c["hidden"])
    assert hidden["hidden_by"] == "erin" and hidden["hidden_reason"] == "Not about the case"
    assert doc["review_notes"][0]["text"] == "Crop it"
    assert doc["acknowledgements"][0]["fingerprint"] == "0" * 32
    assert doc["edit_drafts"][0]["data"] == {"findings": "Unsaved words"}


def test_revisions_name_images_and_accounts_by_bundle_ids(case, tmp_path):
    doc = case_json(export(tmp_path, "--case", case.number), case.number)
    first, second = doc["revisions"]
    assert (first["number"], first["kind"], first["user"]) == (1, "created", "alice")
    assert (second["message"], second["user"]) == ("Sharper findings", "erin")
    assert {i["id"] for i in second["snapshot"]["images"]} == {i["id"] for i in doc["images"]}
    assert second["snapshot"]["authors"][0]["user"] == "alice"
    assert "findings" in second["changed"]


def test_files_are_the_stored_bytes_named_by_their_hash(case, tmp_path):
    found = members(export(tmp_path, "--case", case.number))
    stored = [i.file for i in Instance.objects.filter(series__study__case=case)]
    stored += [f for i in Image.objects.filter(case=case) for f in (i.file, i.thumbnail)]
    for file in stored:
        data = file.storage.open(file.name).read()
        ext = file.name.rsplit(".", 1)[1]
        path = f"data/cases/{case.number}/files/{hashlib.sha256(data).hexdigest()}.{ext}"
        assert found[path] == data


def test_bundle_json_lists_people_by_name_only(case, tmp_path):
    import json

    head = json.loads(members(export(tmp_path, "--case", case.number))["data/bundle.json"])
    assert head["format"] == "lightbox-bundle" and head["cases"] == [case.number]
    assert head["topics"] == ["bone-scintigraphy"]
    assert head["series"] == [{"prefix": "bs", "name": "Bone scintigraphy", "description": ""}]
    assert {u["username"] for u in head["users"]} == {"alice", "bob", "charlie", "erin"}
    assert all(set(u) == {"username", "first_name", "last_name"} for u in head["users"])


def test_all_exports_every_case_and_every_topic(case, tmp_path):
    make_case(title="Another", status="draft", visibility="private")
    make_topic("Unused topic", "6", "3")
    found = members(export(tmp_path, "--all"))
    assert {"data/cases/bs001/case.json", "data/cases/bs002/case.json"} <= set(found)
    assert "data/topics/unused-topic.json" in found


def test_each_export_is_audited(case, tmp_path):
    export(tmp_path, "--case", case.number)
    assert AuditEntry.objects.get(action="export").target_id == case.number


def test_it_never_overwrites_a_file(case, tmp_path):
    out = tmp_path / "bundle.zip"
    out.write_bytes(b"precious")
    with pytest.raises(CommandError, match="exists already: give a new name"):
        call_command("export_bundle", "--case", case.number, str(out), verbosity=0)
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [(["bs999"], "no case bs999: nothing was written"), (["../x"], "is not a case number")],
)
def test_an_unknown_case_writes_nothing(case, tmp_path, numbers, expected):
    args = [a for n in numbers for a in ("--case", n)]
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CommandError, match=expected):
        call_command("export_bundle", *args, str(out / "b.zip"), verbosity=0)
    assert list(out.iterdir()) == []


def test_it_says_what_it_wrote(case, tmp_path):
    out = io.StringIO()
    call_command("export_bundle", "--all", str(tmp_path / "b.zip"), stdout=out, verbosity=0)
    # The DICOM file, its key image and thumbnail, the picture and its thumbnail.
    assert "Exported 1 case(s), 1 topic page(s) and 5 file(s)" in out.getvalue()


def test_a_full_disk_leaves_nothing_and_says_so_in_one_line(case, tmp_path, monkeypatch):
    from lightbox.interchange.bundle import bag

    def full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bag.BagWriter, "add", full)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(CommandError) as e:
        call_command("export_bundle", "--all", str(out / "b.zip"), verbosity=0)
    assert (
        str(e.value)
        == f"cannot write {out / 'b.zip'}: No space left on device (nothing was written)"
    )
    assert list(out.iterdir()) == []
    assert not AuditEntry.objects.filter(action="export").exists()
