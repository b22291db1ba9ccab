"""POST /api/v1/cases/{number}/transitions: the review workflow, by its own rules."""

from __future__ import annotations

import json
import typing

import pytest
from django.core import mail

from lightbox.api.inputs import TransitionIn
from lightbox.audit.models import AuditEntry
from lightbox.cases import workflow
from lightbox.cases.models import Case, ReviewNote
from lightbox.imaging.images import add_image
from lightbox.imaging.models import PixelReview
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db


def step(client, case, action, note="", **extra):
    body = json.dumps({"action": action, "note": note})
    url = f"/api/v1/cases/{case.number}/transitions"
    return client.post(url, body, content_type="application/json", **extra)


def status(case):
    return Case.objects.get(pk=case.pk).status


@pytest.fixture
def case(people):
    people["erin"].email = "erin@example.org"
    people["erin"].save()
    return make_case(created_by=people["alice"], status="draft", visibility="institution")


def test_the_whole_review_cycle(client, people, case, django_capture_on_commit_callbacks):
    client.force_login(people["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        response = step(client, case, "submit", "Ready.")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert ["erin@example.org"] in [m.to for m in mail.outbox]
    client.force_login(people["erin"])
    assert (
        step(client, case, "request_changes", "Add the follow-up.").json()["status"] == "changes"
    )
    client.force_login(people["alice"])
    assert step(client, case, "submit").json()["status"] == "submitted"
    client.force_login(people["erin"])
    assert step(client, case, "publish").json()["status"] == "published"
    assert step(client, case, "retire").json()["status"] == "retired"
    assert step(client, case, "reinstate").json()["status"] == "published"
    notes = list(ReviewNote.objects.filter(case=case).values_list("status", flat=True))
    assert len(notes) == 6
    actions = set(
        AuditEntry.objects.filter(target_id=case.number).values_list("action", flat=True)
    )
    assert {"submit", "request_changes", "publish", "retire", "restore"} <= actions


@pytest.mark.parametrize(
    ("person", "action", "expected"),
    [
        ("alice", "publish", 403),  # an author never publishes
        ("alice", "retire", 403),
        ("alice", "request_changes", 403),
        ("charlie", "submit", 404),  # a draft: not theirs to see
        ("bob", "submit", 404),
        ("erin", "publish", 409),  # an editor publishes, but not a draft
        ("erin", "retire", 409),
        ("erin", "submit", 200),  # editors may edit, so submit, any case
        ("alice", "submit", 200),
    ],
)
def test_who_may_take_which_step(client, people, case, person, action, expected):
    client.force_login(people[person])
    response = step(client, case, action, "A note.")
    assert response.status_code == expected, response.content
    if expected != 200:
        assert status(case) == "draft"
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("person", ["bob", "charlie"])
def test_a_reader_of_a_published_case_may_not_move_it(client, people, person):
    published = make_case(created_by=people["alice"], visibility="institution")
    client.force_login(people[person])
    for action in workflow.ACTIONS:
        response = step(client, published, action, "A note.")
        assert response.status_code == 403, (action, response.content)
    assert status(published) == "published"


def test_a_case_one_may_not_see_does_not_exist(client, people):
    private = make_case(created_by=people["alice"], status="draft", visibility="private")
    client.force_login(people["charlie"])
    assert step(client, private, "submit").status_code == 404
    client.logout()
    assert step(client, private, "submit").status_code == 401


def test_a_request_for_changes_needs_a_note(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="submitted")
    client.force_login(people["erin"])
    response = step(client, case, "request_changes", "   ")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "note"]
    assert status(case) == "submitted"


def test_a_blocked_publication_is_a_conflict_saying_why(client, people, case):
    Case.objects.filter(pk=case.pk).update(status="submitted")
    image = add_image(case, png_bytes())
    image.pixel_review = PixelReview.NEEDED
    image.save()
    client.force_login(people["erin"])
    response = step(client, case, "publish")
    assert response.status_code == 409
    assert "burned-in identifiers" in response.json()["error"]["message"]
    assert status(case) == "submitted"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "delete"},
        {"action": "PUBLISH"},
        {},
        {"action": "submit", "note": "x" * 10_001},
        {"action": "submit", "note": "nul\x00"},
        {"action": "submit", "extra": 1},
        {"action": ["submit"]},
    ],
)
def test_a_bad_body_is_invalid(client, people, case, body):
    client.force_login(people["alice"])
    url = f"/api/v1/cases/{case.number}/transitions"
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422, response.content
    assert status(case) == "draft"


def test_the_actions_are_the_workflows():
    annotation = TransitionIn.model_fields["action"].annotation
    assert set(typing.get_args(annotation)) == set(workflow.ACTIONS)


def test_may_ever_take_asks_access_at_each_stage(people, case):
    assert workflow.may_ever_take(people["erin"], case, "publish")
    assert not workflow.may_ever_take(people["alice"], case, "publish")
    assert workflow.may_ever_take(people["alice"], case, "submit")
    assert not workflow.may_ever_take(people["alice"], case, "no-such-step")
    assert case.status == "draft"  # the case itself is not touched
