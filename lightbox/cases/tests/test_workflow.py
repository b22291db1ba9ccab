"""Review and publication: draft → submitted → changes requested ↔ submitted → published →
retired → reinstated, with notes, notices, revisions, audit entries and blockers."""

from __future__ import annotations

import pytest
from django.core import mail

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Case, IdentifierAcknowledgement, ReviewNote
from lightbox.history.models import Revision
from lightbox.imaging.images import add_image
from lightbox.imaging.models import PixelReview
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(people):
    people["erin"].email = "erin@example.org"
    people["erin"].save()
    return make_case(
        created_by=people["alice"],
        status="draft",
        visibility="institution",
        findings="Uptake in both thighs.",
    )


def _step(client, case, action, note=""):
    # Publishing asks for a tick in the form: given, as the page asks for it.
    data = {"note": note, **({"confirm": "yes"} if action == "publish" else {})}
    return client.post(f"/cases/{case.number}/workflow/{action}/", data)


def status(case):
    return Case.objects.get(pk=case.pk).status


def test_the_whole_review_cycle(client, people, case, django_capture_on_commit_callbacks):
    def step(*args):
        with django_capture_on_commit_callbacks(execute=True):
            return _step(*args)

    client.force_login(people["alice"])
    step(client, case, "submit")
    assert status(case) == "submitted"
    # Each editor hears of it, in a message of their own.
    assert sorted(m.to for m in mail.outbox) == [["erin@example.org"], ["root@example.org"]]

    client.force_login(people["erin"])
    step(client, case, "request_changes", "Please add the follow-up.")
    assert status(case) == "changes"
    assert mail.outbox[-1].to == ["alice@example.org"]
    assert "Please add the follow-up." in mail.outbox[-1].body

    client.force_login(people["alice"])
    page = client.get(f"/cases/{case.number}/edit/").content.decode()
    assert "Please add the follow-up." in page  # the author sees what was asked
    step(client, case, "submit", "Follow-up added.")
    client.force_login(people["erin"])
    step(client, case, "publish")
    assert status(case) == "published"
    assert Case.objects.get(pk=case.pk).published_at is not None
    client.force_login(people["bob"])
    assert client.get(case.get_absolute_url()).status_code == 200

    client.force_login(people["erin"])
    step(client, case, "retire")
    assert status(case) == "retired"
    client.force_login(people["bob"])
    assert client.get(case.get_absolute_url()).status_code == 404  # hidden, not deleted
    client.force_login(people["erin"])
    step(client, case, "reinstate")
    assert status(case) == "published"

    notes = list(ReviewNote.objects.filter(case=case).order_by("created", "pk"))
    assert [n.status for n in notes] == [
        "submitted", "changes", "submitted", "published", "retired", "published",
    ]  # fmt: skip
    # One revision per step; the first one is the case's first revision ("created").
    kinds = list(Revision.objects.filter(target_id=case.pk).values_list("kind", flat=True))
    assert sorted(kinds) == ["created", *["status"] * 5]
    actions = list(
        AuditEntry.objects.filter(target_id=case.number).values_list("action", flat=True)
    )
    for action in ("submit", "request_changes", "publish", "retire", "restore"):
        assert action in actions


@pytest.mark.parametrize(
    ("name", "action", "allowed"),
    [
        ("alice", "publish", False),
        ("alice", "request_changes", False),
        ("bob", "submit", False),
        ("charlie", "submit", False),
        ("erin", "submit", True),
        ("alice", "retire", False),
    ],
)
def test_who_may_take_each_step(client, people, case, name, action, allowed):
    client.force_login(people[name])
    before = status(case)
    response = _step(client, case, action, "a note")
    if name in ("bob", "charlie"):
        assert response.status_code == 404  # they cannot even see the draft
    assert (status(case) != before) is allowed


def test_a_request_for_changes_needs_a_note(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="submitted")
    client.force_login(people["erin"])
    response = _step(client, case, "request_changes", "   ")
    assert status(case) == "submitted"
    assert "Say what needs changing" in client.get(response["Location"]).content.decode()


def test_an_image_awaiting_pixel_review_blocks_publication(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="submitted")
    image = add_image(case, png_bytes(), caption="Ultrasound")
    image.pixel_review = PixelReview.NEEDED
    image.save()
    client.force_login(people["erin"])
    response = _step(client, case, "publish")
    assert status(case) == "submitted"
    page = client.get(response["Location"]).content.decode()
    assert "may show burned-in identifiers" in page


def test_a_possible_identifier_blocks_publication_until_acknowledged(client, people, case):
    Case.objects.filter(pk=case.pk).update(
        status="submitted", full_history="Seen by Dr. Hartmann on 14 March 2024."
    )
    case.refresh_from_db()
    client.force_login(people["erin"])
    _step(client, case, "publish")
    assert status(case) == "submitted"
    editor = client.get(f"/cases/{case.number}/edit/").content.decode()
    assert "Possible identifiers in the text" in editor
    # Named as the editor names the field, with a link to it; never its internal name.
    assert '<a href="#id_full_history">Full history</a>' in editor
    assert 'id="id_full_history"' in editor  # where the link leads
    assert "in full_history" not in editor
    findings = case.unresolved_identifiers()
    assert findings
    client.force_login(people["alice"])
    client.post(
        f"/cases/{case.number}/identifiers/",
        {"fingerprint": [f.fingerprint for f in findings]},
    )
    assert IdentifierAcknowledgement.objects.filter(case=case).count() == len(findings)
    assert not IdentifierAcknowledgement.objects.filter(field__icontains="Hartmann").exists()
    client.force_login(people["erin"])
    _step(client, case, "publish")
    assert status(case) == "published"


def test_an_acknowledgement_does_not_cover_an_edited_identifier(people, case):
    Case.objects.filter(pk=case.pk).update(full_history="Call 555-123-4567.")
    case.refresh_from_db()
    [finding] = case.unresolved_identifiers()
    IdentifierAcknowledgement.objects.create(
        case=case, fingerprint=finding.fingerprint, field=finding.field, kind=finding.kind.name
    )
    assert case.unresolved_identifiers() == []
    Case.objects.filter(pk=case.pk).update(full_history="Call 555-987-6543.")
    case.refresh_from_db()
    assert len(case.unresolved_identifiers()) == 1


def test_captions_are_scanned_too(people, case):
    add_image(case, png_bytes(), caption="Patient John Smith, MRN 12345678")
    fields = {f.field for f in case.unresolved_identifiers()}
    assert any(f.startswith("caption.") for f in fields)


def test_a_retired_case_is_edited_by_editors_only(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="retired")
    client.force_login(people["alice"])
    assert client.get(f"/cases/{case.number}/edit/").status_code == 404
    client.force_login(people["erin"])
    assert client.get(f"/cases/{case.number}/edit/").status_code == 200


def test_the_review_queue_lists_submitted_cases_for_editors(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="submitted")
    client.force_login(people["erin"])
    assert case.number in client.get("/review/").content.decode()
    client.force_login(people["bob"])
    assert client.get("/review/").status_code == 404


def test_editors_write_topic_pages_with_revisions(client, people):
    from lightbox.cases.models import Topic

    client.force_login(people["erin"])
    response = client.post(
        "/topics/new/",
        {"title": "Soft-tissue uptake", "anatomic_field": "4", "category": "5", "discussion": "x"},
    )
    topic = Topic.objects.get(title="Soft-tissue uptake")
    assert response["Location"] == topic.get_absolute_url()
    page = client.get(f"/topics/{topic.slug}/edit/").content.decode()
    base = Revision.objects.get(target_type="topic", target_id=topic.pk).number
    assert f'name="base_revision" value="{base}"' in page
    client.post(
        f"/topics/{topic.slug}/edit/",
        {
            "title": topic.title,
            "discussion": "Renal and soft-tissue uptake.",
            "base_revision": base,
        },
    )
    assert Topic.objects.get(pk=topic.pk).discussion == "Renal and soft-tissue uptake."
    # A save from the first form, after the second: refused, nothing lost.
    stale = client.post(
        f"/topics/{topic.slug}/edit/",
        {"title": topic.title, "discussion": "Stale text", "base_revision": base},
    )
    assert stale.status_code == 409 and "Stale text" in stale.content.decode()
    assert Topic.objects.get(pk=topic.pk).discussion == "Renal and soft-tissue uptake."
    assert AuditEntry.objects.filter(target_type="topic", action="edit").exists()


@pytest.mark.parametrize("name", ["alice", "bob"])
def test_only_editors_write_topics(client, people, name):
    client.force_login(people[name])
    assert client.get("/topics/new/").status_code == 404


@pytest.mark.parametrize(
    ("field", "place", "anchor"),
    [
        ("title", "Title", "id_title"),
        ("exam", "Exam / procedure", "id_exam"),
        ("caption.2", "Caption before the answer, image 2", "list-captions"),
        ("answer_caption.1", "Caption after the answer, image 1", "list-captions"),
        ("differential.3", "Differential diagnosis, item 3", "list-differential"),
        ("references.1", "References, item 1", "list-references"),
        ("nonsense", "nonsense", ""),
        ("nonsense.1", "nonsense.1", ""),
    ],
)
def test_an_identifier_s_place_is_named_for_the_author(field, place, anchor):
    from lightbox.cases.edit_views import identifier_place

    assert identifier_place(field) == (place, anchor)


def test_publishing_asks_for_a_confirmation(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="submitted")
    client.force_login(people["erin"])
    editor = client.get(f"/cases/{case.number}/edit/").content.decode()
    assert f'name="confirm" value="yes" required> Publish case {case.number} now' in editor
    response = client.post(f"/cases/{case.number}/workflow/publish/", {"note": ""}, follow=True)
    assert status(case) == "submitted"
    assert "Not published: tick" in response.content.decode()
    _step(client, case, "publish")
    assert status(case) == "published"
