"""Topic pages through the API: everyone reads them, editors write them."""

from __future__ import annotations

import json

import pytest

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Topic
from lightbox.history import revisions
from lightbox.test import make_topic

pytestmark = pytest.mark.django_db

NEW = {"title": "Pulmonary Embolism", "anatomic_field": "6", "category": "7",
       "discussion": "V/Q *scintigraphy*."}  # fmt: skip


def send(client, method, url, body):
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_anyone_reads_the_topics(client):
    topic = make_topic()
    listing = client.get("/api/v1/topics").json()
    assert listing["count"] == 1
    assert listing["items"][0]["slug"] == topic.slug
    data = client.get(f"/api/v1/topics/{topic.slug}").json()
    assert data["discussion"] == topic.discussion
    assert data["anatomic_field"] == {"code": "4", "name": "Skeletal system"}
    assert data["references"][0]["text"] == "A textbook of scintigraphy."
    assert data["revision"] == 1


@pytest.mark.parametrize("slug", ["nothing", "%00", "a" * 500, "..", "%F0%9F%98%80"])
def test_a_missing_topic_is_not_found(client, slug):
    response = client.get(f"/api/v1/topics/{slug}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_editor_writes_a_topic_with_a_revision_and_an_audit_entry(client, people):
    client.force_login(people["erin"])
    response = send(client, "POST", "/api/v1/topics", NEW)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["slug"] == "pulmonary-embolism" and data["revision"] == 1
    topic = Topic.objects.get(slug="pulmonary-embolism")
    assert revisions.latest(topic).user == people["erin"]
    assert AuditEntry.objects.filter(action="create", target_type="topic").exists()
    changed = send(
        client, "PATCH", f"/api/v1/topics/{topic.slug}", {"revision": 1, "category": "3"}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["category"]["code"] == "3"
    assert changed.json()["discussion"] == NEW["discussion"]
    assert changed.json()["revision"] == 2


@pytest.mark.parametrize("person", ["alice", "bob", "charlie"])
def test_only_editors_write_topics(client, people, person):
    topic = make_topic()
    client.force_login(people[person])
    assert send(client, "POST", "/api/v1/topics", NEW).status_code == 403
    patch = send(client, "PATCH", f"/api/v1/topics/{topic.slug}", {"revision": 1, "title": "x"})
    assert patch.status_code == 403
    assert Topic.objects.get().title == "Bone Scintigraphy"


def test_a_stale_revision_is_a_conflict(client, people):
    topic = make_topic()
    client.force_login(people["erin"])
    url = f"/api/v1/topics/{topic.slug}"
    assert send(client, "PATCH", url, {"revision": 1, "title": "First"}).status_code == 200
    assert send(client, "PATCH", url, {"revision": 2, "title": "Second"}).status_code == 200
    response = send(client, "PATCH", url, {"revision": 2, "discussion": "Lost?"})
    assert response.status_code == 409
    assert response.json()["error"]["details"] == [
        {"loc": ["body", "title"], "msg": "Title was changed since revision 2."}
    ]
    assert Topic.objects.get().discussion != "Lost?"


def test_the_topic_page_editor_keeps_its_conflict_check(client, people):
    topic = make_topic()
    client.force_login(people["erin"])
    send(client, "PATCH", f"/api/v1/topics/{topic.slug}", {"revision": 1, "title": "A"})
    send(client, "PATCH", f"/api/v1/topics/{topic.slug}", {"revision": 2, "title": "B"})
    page = client.post(
        f"/topics/{topic.slug}/edit/",
        {"title": "Web", "anatomic_field": "4", "category": "5", "discussion": "d",
         "base_revision": "2"},
    )  # fmt: skip
    assert page.status_code == 409
    assert "saved this topic meanwhile" in page.content.decode()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"title": ""}, ["body", "title"]),
        ({"title": "x", "anatomic_field": "x"}, ["body", "anatomic_field"]),
        ({"title": "x", "slug": "mine"}, ["body", "slug"]),
        ({"discussion": "no title"}, ["body", "title"]),
        ({"title": "x" * 201}, ["body", "title"]),
        ({"title": "a\x00"}, ["body", "title"]),
    ],
)
def test_a_bad_topic_is_invalid(client, people, body, loc):
    client.force_login(people["erin"])
    response = send(client, "POST", "/api/v1/topics", body)
    assert response.status_code == 422, response.content
    assert loc in [d["loc"] for d in response.json()["error"]["details"]]
    assert not Topic.objects.exists()
