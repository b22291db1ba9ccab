"""Builders for the bundle tests: a small case with everything a case can hold, and a way
to rewrite a bundle's members (with or without fixing its manifest) to make hostile ones."""

from __future__ import annotations

import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management import call_command
from pydicom import dcmread
from pydicom.data import get_testdata_file

from lightbox.cases.models import (
    CaseCode,
    Code,
    EditDraft,
    IdentifierAcknowledgement,
    ReviewNote,
)
from lightbox.comments.models import Comment
from lightbox.history.revisions import record
from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Upload
from lightbox.imaging.uploads import receive
from lightbox.test import Named, Nobody, add_dose, add_people, make_case, make_topic, png_bytes


def ct_bytes(name: str = "CT_small.dcm") -> bytes:
    return Path(get_testdata_file(name, download=False)).read_bytes()


def upload_dicom(case, *files: bytes) -> Upload:
    """Send DICOM through the upload pipeline, as an author's upload goes."""
    named = [Named(f"slice{i}.dcm", data) for i, data in enumerate(files)]
    upload = process_upload(receive(case, Nobody(), named, enqueue=False).pk)
    assert upload.state == Upload.State.DONE, upload.error
    return upload


def full_case(people, **fields: Any):
    """A case with a topic, authors (one with an account), a dose, a code, a DICOM series, a
    picture, a comment thread, review notes, an acknowledgement, a draft and revisions."""
    case = make_case(topic=make_topic(), created_by=people["alice"], **fields)
    add_people(case, ("Alice Author", "M.D."), ("Guest Writer", "Ph.D."))
    case.authors.filter(order=0).update(user=people["alice"])
    add_dose(case)
    code, _ = Code.objects.get_or_create(
        system="RADLEX",
        code="RID99901",
        defaults={"meaning": "myositis ossificans", "source": "test"},
    )
    CaseCode.objects.create(case=case, code=code)
    record(case, user=people["alice"], kind="created")
    upload_dicom(case, ct_bytes())
    add_image(case, png_bytes(), caption="Lateral view", answer_caption="A calcified mass")
    case.findings = "Calcification in both thighs."
    case.save()
    record(case, user=people["erin"], kind="edited", message="Sharper findings")
    first = Comment.objects.create(case=case, author=people["bob"], body="Why not myositis?")
    Comment.objects.create(case=case, parent=first, author=people["alice"], body="The pattern.")
    hidden = Comment.objects.create(case=case, author=people["charlie"], body="Off topic")
    hidden.hide(people["erin"], "Not about the case")
    ReviewNote.objects.create(case=case, author=people["erin"], status="changes", text="Crop it")
    IdentifierAcknowledgement.objects.create(
        case=case, fingerprint="0" * 32, field="findings", kind="NAME", user=people["alice"]
    )
    EditDraft.objects.create(
        case=case, user=people["alice"], data={"findings": "Unsaved words"}, base_revision=2
    )
    return case


def export(tmp_path: Path, *args: str, name: str = "bundle.zip") -> Path:
    out = tmp_path / name
    call_command("export_bundle", *args, str(out), verbosity=0)
    return out


# -- reading and rewriting a bundle ----------------------------------------------------------


def members(bundle: Path) -> dict[str, bytes]:
    """The bundle's members by their path inside the bag (its top folder left out)."""
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        root = names[0].split("/", 1)[0] + "/"
        return {n[len(root) :]: archive.read(n) for n in names}


def case_json(bundle: Path, number: str) -> dict[str, Any]:
    return json.loads(members(bundle)[f"data/cases/{number}/case.json"])


def rewrite(
    bundle: Path,
    out: Path,
    change: Callable[[dict[str, bytes]], None],
    *,
    manifest: bool = True,
) -> Path:
    """A copy of ``bundle`` whose members ``change`` edits in place; with ``manifest``,
    the manifests and Payload-Oxum are made to agree again (a consistent forgery)."""
    found = members(bundle)
    change(found)
    if manifest:
        payload = {p: d for p, d in found.items() if p.startswith("data/")}
        found["manifest-sha256.txt"] = _manifest(payload)
        oxum = f"{sum(len(d) for d in payload.values())}.{len(payload)}"
        found["bag-info.txt"] = f"Payload-Oxum: {oxum}\n".encode()
        tags = {n: found[n] for n in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")}
        found["tagmanifest-sha256.txt"] = _manifest(tags)
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in found.items():
            archive.writestr(f"bundle/{path}", data)
    return out


def _manifest(files: dict[str, bytes]) -> bytes:
    return "".join(
        f"{hashlib.sha256(d).hexdigest()}  {p}\n" for p, d in sorted(files.items())
    ).encode()


def replace_file(found: dict[str, bytes], number: str, old: str, data: bytes) -> None:
    """Put ``data`` in place of the case's file ``old`` (``files/<sha>.<ext>``) under its
    own hash, and point every row of case.json that named the old file at it: what a
    forger who knows the format would do."""
    ext = old.rsplit(".", 1)[1]
    new = f"files/{hashlib.sha256(data).hexdigest()}.{ext}"
    folder = f"data/cases/{number}/"
    del found[folder + old]
    found[folder + new] = data
    doc = json.loads(found[folder + "case.json"])

    def fix(row: Any) -> None:
        if isinstance(row, dict):
            for key, value in list(row.items()):
                if value == old:
                    row[key] = new
                    if "sha256" in row and key == "file":
                        row["sha256"] = new[6:70]
                    if "size" in row and key == "file":
                        row["size"] = len(data)
                else:
                    fix(value)
        elif isinstance(row, list):
            for item in row:
                fix(item)

    fix(doc)
    found[folder + "case.json"] = json.dumps(doc).encode()


def edit_json(found: dict[str, bytes], path: str, edit: Callable[[Any], Any]) -> None:
    doc = json.loads(found[path])
    edit(doc)  # in place
    found[path] = json.dumps(doc).encode()


def dicom_files(found: dict[str, bytes]) -> list[str]:
    return sorted(p for p in found if p.endswith(".dcm"))


def read_dicom(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmread(io.BytesIO(data))


def write_dicom(ds) -> bytes:
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
