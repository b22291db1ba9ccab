"""Redacting an identifier from a case's history: editors only, audited without the text,
everywhere the history keeps it, and nothing else of append-only given up."""

from __future__ import annotations

import hashlib
import json
import zlib

import pytest
from django.test import Client

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import EditDraft, IdentifierAcknowledgement, RenderedPage, ReviewNote
from lightbox.comments.models import Comment
from lightbox.deid import text as phiscan
from lightbox.history.models import AppendOnly, Redaction, Revision
from lightbox.history.redaction import RedactionRefused, find, redact
from lightbox.history.revisions import for_object, record
from lightbox.lib.appendonly import redact_row

pytestmark = pytest.mark.django_db

SECRET = "Dr. Jones on 03/04/2024"


@pytest.fixture
def leaked(case, people):
    """alice wrote SECRET into the title, the findings, a caption and a revision message;
    an editor's review note and its audit entry (labelled with the title) quote it; alice
    then removed it."""
    client = Client()
    client.force_login(people["alice"])
    case.title = f"Pain ({SECRET})"
    case.findings = f"Seen by {SECRET} with pain."
    case.save()
    case.images.filter(order=0).update(answer_caption=f"Marked by {SECRET}")
    record(case, user=people["alice"], kind="created", message=f"notes of {SECRET}")
    ReviewNote.objects.create(case=case, status="changes", text=f"Remove {SECRET}!")
    from lightbox.audit.log import record as audit

    audit("request_changes", actor=people["erin"], target=case, note=f"Remove {SECRET}!")
    EditDraft.objects.create(case=case, user=people["alice"], data={"findings": [SECRET]})
    Comment.objects.create(case=case, author=people["bob"], body=f"Was it {SECRET}?", hidden=True)
    # alice said the date was not an identifier: a hash of it is kept, and audited.
    [date] = [f for f in case.unresolved_identifiers() if f.field == "findings" and "/" in f.text]
    IdentifierAcknowledgement.objects.create(
        case=case, fingerprint=date.fingerprint, field="findings", kind=date.kind.name
    )
    audit("edit", actor=people["alice"], target=case, fingerprint=date.fingerprint)
    assert date.fingerprint in _everything(case)
    assert SECRET in client.get(f"/cases/{case.number}/print/").content.decode()
    case.title, case.findings = "Pain", "Seen with pain."
    case.save()
    case.images.filter(order=0).update(answer_caption="Marked")
    record(case, user=people["alice"], message="Removed an identifier")
    return case


def _everything(case) -> str:
    """Every stored text that could hold the secret, as one string."""
    parts = [json.dumps(list(Revision.objects.values()), default=str)]
    parts.append(json.dumps(list(AuditEntry.objects.values()), default=str))
    parts.append(json.dumps(list(Redaction.objects.values()), default=str))
    parts.append(json.dumps(list(ReviewNote.objects.values("text")), default=str))
    parts.append(json.dumps(list(EditDraft.objects.values("data")), default=str))
    parts.append(json.dumps(list(Comment.objects.values("body")), default=str))
    parts.append(json.dumps(list(IdentifierAcknowledgement.objects.values()), default=str))
    for page in RenderedPage.objects.filter(case=case):
        parts.append(zlib.decompress(page.html).decode())
    return "\n".join(parts)


def _editor(people, who="erin") -> Client:
    client = Client()
    client.force_login(people[who])
    return client


def test_it_purges_a_removed_identifier_from_every_revision_and_page(leaked, people):
    client = _editor(people)
    url = f"/cases/{leaked.number}/history/redact/"
    assert client.get(url).status_code == 200
    preview = client.post(url, {"text": SECRET})
    assert preview.status_code == 200
    labels = "Title, Images (captions, order, main image), Findings, Revision message"
    assert f"In 1 revision (1): {labels}" in " ".join(preview.content.decode().split())
    done = client.post(url, {"text": SECRET, "confirm": "yes"})
    assert done.status_code == 302 and done["Location"].endswith("/history/")
    assert SECRET not in _everything(leaked)
    first = for_object(leaked).last()
    assert first.snapshot["findings"] == "Seen by [redacted] with pain."
    assert first.message == "notes of [redacted]"
    for page in ("", "1/", "2/", "compare/?a=1&b=2", "1/restore/"):
        html = client.get(f"/cases/{leaked.number}/history/{page}").content.decode()
        assert SECRET not in html and "03/04/2024" not in html, page
    history = client.get(f"/cases/{leaked.number}/history/").content.decode()
    assert "a text replaced with “[redacted]” in revision 1" in history
    print_page = client.get(f"/cases/{leaked.number}/print/").content.decode()
    assert SECRET not in print_page


def test_the_audit_entry_and_the_record_say_where_not_what(leaked, people):
    _editor(people).post(
        f"/cases/{leaked.number}/history/redact/", {"text": SECRET, "confirm": "yes"}
    )
    entry = AuditEntry.objects.get(action="revision_redact")
    assert entry.actor == people["erin"] and entry.target_id == leaked.number
    assert entry.data["revisions"] == [1]
    redaction = Redaction.objects.get()
    assert (redaction.user, redaction.revisions) == (people["erin"], [1])
    assert redaction.fields == ["title", "images", "findings", "message"]  # display order
    assert redaction.elsewhere == {
        "audit entries": 2,
        "review notes": 1,
        "drafts": 1,
        "comments": 1,
        "identifier confirmations": 1,
    }
    assert not IdentifierAcknowledgement.objects.exists()
    assert Comment.objects.get().body == "Was it [redacted]?"
    stored = _everything(leaked)
    for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
        assert digest(SECRET.encode()).hexdigest() not in stored
    for finding in phiscan.scan(f"Seen by {SECRET} with pain.", field="findings"):
        assert finding.fingerprint not in stored
    # The other records are purged, not removed.
    assert ReviewNote.objects.get().text == "Remove [redacted]!"
    quoted = AuditEntry.objects.get(action="request_changes")
    assert (quoted.data["note"], quoted.target_label) == (
        "Remove [redacted]!",
        f"{leaked.number} Pain ([redacted])",
    )


def test_the_current_case_is_left_as_it_is(leaked, people):
    before = {f: getattr(leaked, f) for f in ("title", "findings", "diagnosis", "updated")}
    redact(leaked, SECRET, by=people["erin"])
    leaked.refresh_from_db()
    assert {f: getattr(leaked, f) for f in before} == before
    assert record(leaked, user=people["alice"]) is None  # the latest revision is the case


def test_it_refuses_a_text_still_in_the_case(case, people):
    record(case, kind="created")
    client = _editor(people)
    url = f"/cases/{case.number}/history/redact/"
    for data in ({"text": "soft tissues"}, {"text": "soft tissues", "confirm": "yes"}):
        response = client.post(url, data)
        assert response.status_code == 400
        assert "still in the current case (findings)" in response.content.decode()
    assert not Redaction.objects.exists()
    assert "soft tissues" in for_object(case).get().snapshot["findings"]


@pytest.mark.parametrize("text", ["", "ab", "  x "])
def test_it_refuses_a_text_too_short_to_be_an_identifier(leaked, people, text):
    with pytest.raises(RedactionRefused, match="at least 3 characters"):
        find(leaked, text)


def test_it_says_so_when_the_text_is_nowhere(leaked, people):
    response = _editor(people).post(f"/cases/{leaked.number}/history/redact/", {"text": "Smith"})
    assert response.status_code == 400
    assert "does not occur in the history" in response.content.decode()


# alice is the case's author; bob a learner; charlie an outsider; erin an editor.
CODES = {None: 302, "bob": 404, "charlie": 404, "alice": 404, "erin": 200, "root": 200}


@pytest.mark.parametrize("who", CODES)
def test_only_editors_and_administrators_redact(leaked, people, who):
    client = _editor(people, who) if who else Client()
    url = f"/cases/{leaked.number}/history/redact/"
    assert client.get(url).status_code == CODES[who]
    response = client.post(url, {"text": SECRET, "confirm": "yes"})
    assert response.status_code == (302 if CODES[who] == 200 else CODES[who])
    purged = SECRET not in json.dumps(list(Revision.objects.values("snapshot")))
    assert purged == (CODES[who] == 200)
    history = client.get(f"/cases/{leaked.number}/history/").content.decode()
    assert ("Redact a text" in history) == (CODES[who] == 200)


def test_a_redaction_needs_the_csrf_token(leaked, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["erin"])
    url = f"/cases/{leaked.number}/history/redact/"
    assert client.post(url, {"text": SECRET, "confirm": "yes"}).status_code == 403
    assert not Redaction.objects.exists()


def test_an_editor_redacts_a_topics_history(topic, people):
    topic.discussion = f"Thanks to {SECRET}."
    topic.save()
    record(topic, kind="created")
    topic.discussion = "Thanks."
    topic.save()
    record(topic)
    client = _editor(people)
    url = f"/topics/{topic.slug}/history/redact/"
    assert client.post(url, {"text": SECRET, "confirm": "yes"}).status_code == 302
    assert SECRET not in json.dumps(list(Revision.objects.values("snapshot")))
    assert _editor(people, "alice").get(url).status_code == 404


def test_append_only_still_refuses_every_other_change(leaked, people):
    redaction = redact(leaked, SECRET, by=people["erin"])
    rev = for_object(leaked).first()
    for attempt in (
        lambda: Revision.objects.filter(pk=rev.pk).update(message="x"),
        lambda: Revision.objects.filter(pk=rev.pk).delete(),
        lambda: rev.save(),
        lambda: redact_row(Revision, rev.pk, number=99),
        lambda: redact_row(Revision, rev.pk, snapshot={}, user_name="x"),
        lambda: redact_row(Revision, rev.pk),
        lambda: redact_row(Redaction, redaction.pk, revisions=[]),
        lambda: Redaction.objects.all().delete(),
        lambda: redaction.delete(),
    ):
        with pytest.raises(AppendOnly):
            attempt()
    from lightbox.audit.models import AppendOnlyError

    entry = AuditEntry.objects.first()
    with pytest.raises(AppendOnlyError):
        redact_row(AuditEntry, entry.pk, action="sign_in")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="x")
