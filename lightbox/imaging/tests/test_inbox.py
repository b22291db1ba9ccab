"""The inbox of studies received from the PACS: who sees what, and claiming."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from lightbox.imaging import received
from lightbox.imaging.models import ReceivedStudy, Upload
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def _received(owner=None, uid="2.25.1", **fields) -> ReceivedStudy:
    case = make_case(status="draft", visibility="private", title="Received", created_by=owner)
    return ReceivedStudy.objects.create(
        case=case, study_uid=uid, calling_ae="CT_WS1", instances_received=12, **fields
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_author_sees_the_studies_waiting_and_their_own_not_others(people):
    waiting = _received()
    mine = _received(people["alice"], uid="2.25.2", note="My own note")
    theirs = _received(people["charlie"], uid="2.25.3", note="Charlie's note")
    page = _client(people["alice"]).get("/inbox/").content.decode()
    assert waiting.case.number in page and mine.case.number in page
    assert "My own note" in page
    assert theirs.case.number not in page and "Charlie's note" not in page
    assert "Claim" in page


def test_an_editor_sees_every_received_study(people):
    theirs = _received(people["charlie"], uid="2.25.3")
    page = _client(people["erin"]).get("/inbox/").content.decode()
    assert theirs.case.number in page


def test_a_learner_and_an_anonymous_visitor_are_refused(people):
    assert _client(people["bob"]).get("/inbox/").status_code == 404
    assert Client().get("/inbox/").status_code == 302


def test_claiming_makes_the_case_the_authors_draft(people):
    study = _received()
    Upload.objects.create(case=study.case, received_from="CT_WS1", state="done")
    response = _client(people["alice"]).post(f"/inbox/{study.pk}/claim/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{study.case.number}/edit/"
    study.case.refresh_from_db()
    assert study.case.created_by == people["alice"]
    assert Upload.objects.get().created_by == people["alice"]
    # alice may now edit it; charlie may not see it.
    assert _client(people["alice"]).get(f"/cases/{study.case.number}/edit/").status_code == 200
    assert _client(people["charlie"]).get(f"/cases/{study.case.number}/").status_code == 404


def test_a_study_already_claimed_cannot_be_claimed_again(people):
    study = _received()
    assert received.claim(study, people["alice"])
    assert not received.claim(study, people["charlie"])
    response = _client(people["charlie"]).post(f"/inbox/{study.pk}/claim/")
    assert response.status_code == 404
    study.case.refresh_from_db()
    assert study.case.created_by == people["alice"]


def test_claiming_needs_a_post(people):
    study = _received()
    assert _client(people["alice"]).get(f"/inbox/{study.pk}/claim/").status_code == 405


def test_a_waiting_manifest_past_its_deadline_shows_as_incomplete(people):
    past = timezone.now() - dt.timedelta(minutes=1)
    _received(
        manifest="waiting",
        selected=["2.25.9", "2.25.10"],
        selected_arrived=1,
        manifest_deadline=past,
    )
    page = _client(people["alice"]).get("/inbox/").content.decode()
    assert "Incomplete" in page and "1 of 2 selected images" in page
