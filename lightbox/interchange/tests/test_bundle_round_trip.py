"""The whole demo library, exported and imported into an empty install, answers the API
identically and holds identical files.

"Empty install" is literal: after the export the database is flushed (every table
emptied, its id sequences reset) and the media folder removed, as on a new machine.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import resolve

from lightbox.cases.models import Case, EditDraft, IdentifierAcknowledgement, ReviewNote, Topic
from lightbox.comments.models import Comment
from lightbox.history.models import Redaction
from lightbox.history.revisions import latest, record
from lightbox.history.snapshots import case_snapshot
from lightbox.imaging.images import add_image
from lightbox.interchange.demo.save import load_demo
from lightbox.interchange.tests.bundle_helpers import members
from lightbox.learning import lexicon
from lightbox.search import store, suggest
from lightbox.search.backends import backend
from lightbox.test import make_case, make_user, personas, png_bytes, stored_names

pytestmark = pytest.mark.django_db(transaction=True)

QUERIES = ("", "bone", "diagnosis:fracture", "modality:CT")


def _enrich() -> None:
    """What the demo lacks and a library has: accounts on authors, a plain picture,
    threads, review notes, acknowledgements, drafts, revisions, redactions, a draft case."""
    people = personas()
    case = Case.objects.get(number="bs001")
    case.authors.filter(order=0).update(user=people["alice"])
    Case.objects.filter(pk=case.pk).update(created_by=people["alice"])
    case.refresh_from_db()
    record(case, user=people["alice"], kind="created")
    add_image(case, png_bytes((40, 30), 90), caption="Spot view", answer_caption="Knees")
    case.followup = "Seen again a year later: unchanged."
    case.save()
    record(case, user=people["erin"], kind="edited", message="Follow-up added")
    topic = case.topic
    assert topic is not None
    record(topic, user=people["erin"], kind="created")
    question = Comment.objects.create(case=case, author=people["bob"], body="Why the knees?")
    Comment.objects.create(case=case, parent=question, author=people["alice"], body="Arthritis.")
    gone = Comment.objects.create(case=case, author=people["charlie"], body="Nice")
    gone.mark_deleted()
    ReviewNote.objects.create(case=case, author=people["erin"], status="published", text="Good")
    IdentifierAcknowledgement.objects.create(
        case=case, fingerprint="f" * 32, field="followup", kind="DATE", user=people["alice"]
    )
    EditDraft.objects.create(case=case, user=people["alice"], data={"title": "New title?"})
    Redaction.objects.create(
        target_type="case", target_id=case.pk, user=people["erin"], user_name="Erin",
        revisions=[1], fields=["followup"],
    )  # fmt: skip
    make_case(title="Work in progress", status="draft", visibility="private",
              created_by=people["charlie"])  # fmt: skip


def _reader() -> Client:
    """An editor who sees every case, and is not in the bundle."""
    client = Client()
    client.force_login(make_user("inspector", "editor"))
    return client


def _api(client: Client, anonymous: Client) -> dict[str, Any]:
    """Every answer of the read API about the library, image addresses replaced by the
    hash of what they serve and image ids left out (an address holds the image's database
    id, which is an install's own)."""
    out: dict[str, Any] = {}
    for who, c in (("editor", client), ("anonymous", anonymous)):
        listing = c.get("/api/v1/cases", {"page_size": 200}).json()
        out[f"{who} list"] = listing
        for item in listing["items"]:
            number = item["number"]
            for view in ("", "/unknown"):
                out[f"{who} {number}{view}"] = _served(
                    c, c.get(f"/api/v1/cases/{number}{view}").json()
                )
        for q in QUERIES:
            found = c.get("/api/v1/search", {"q": q, "per_page": 100}).json()
            # Facet values of equal count come in the order the index met them, which is
            # its history (the demo loaded case by case, then bs001 edited), not data.
            for values in found["facets"].values():
                values.sort(key=lambda v: (-v["count"], v["value"]))
            out[f"{who} search {q!r}"] = found
    return out


def _served(client: Client, value: Any) -> Any:
    if isinstance(value, dict):
        image = "thumbnail_url" in value
        return {k: _served(client, v) for k, v in value.items() if not (image and k == "id")}
    if isinstance(value, list):
        return [_served(client, v) for v in value]
    if isinstance(value, str) and value.startswith("/cases/") and "/images/" in value:
        path = value.split("?", 1)[0]
        assert resolve(path).url_name == "lightbox-image-file"
        response = client.get(value)
        assert response.status_code == 200, value
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return "sha256:" + hashlib.sha256(body).hexdigest()
    return value


def _files() -> list[str]:
    """The hash of every stored file (DICOM, pictures, thumbnails), on disk or in a bucket."""
    return sorted(
        hashlib.sha256(default_storage.open(name).read()).hexdigest()
        for name in stored_names()
        if posixpath.splitext(name)[1] in (".dcm", ".png", ".jpg")
    )


def _empty_install(media: Path) -> None:
    """An empty database, no files, and a process that has read nothing of either (the
    search keeps its entries in memory, by a sequence number the flush starts again)."""
    call_command("flush", interactive=False, verbosity=0)
    backend().clear()
    for name in stored_names():
        default_storage.delete(name)
    shutil.rmtree(media, ignore_errors=True)
    store.reset()
    suggest.forget()
    lexicon.reset()


def test_the_demo_library_comes_back_identical(settings, tmp_path):
    assert load_demo(progress=False) == 10
    _enrich()
    media = Path(settings.MEDIA_ROOT)
    before = _api(_reader(), Client())
    files = _files()
    snapshots = {c.number: case_snapshot(c) for c in Case.objects.all()}
    bundle = tmp_path / "library.zip"
    call_command("export_bundle", "--all", str(bundle), verbosity=0)

    _empty_install(media)
    assert not Case.objects.exists() and not media.exists() and not stored_names()
    call_command("import_bundle", str(bundle), verbosity=0)

    assert _api(_reader(), Client()) == before
    assert _files() == files
    # The history still describes the cases: their latest revisions are them.
    case = Case.objects.get(number="bs001")
    assert latest(case).snapshot == case_snapshot(case)
    assert record(case) is None and record(Topic.objects.get(pk=case.topic_id)) is None
    assert len(snapshots) == Case.objects.count()
    # Exported again, it is the same bundle: every case.json, topic page and file.
    again = tmp_path / "again.zip"
    call_command("export_bundle", "--all", str(again), verbosity=0)
    first, second = members(bundle), members(again)
    for found in (first, second):
        for name in ("data/bundle.json", "bag-info.txt", "manifest-sha256.txt",
                     "tagmanifest-sha256.txt"):  # fmt: skip
            found.pop(name)  # the export's date
    assert first == second
