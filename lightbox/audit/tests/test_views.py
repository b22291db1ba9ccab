"""/audit/ and /audit/<id>/: administrators only; filters; pages of 50."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from lightbox.audit.log import record
from lightbox.audit.models import Action, AuditEntry
from lightbox.test import PASSWORD, make_case, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("auditor", "auditor@example.org", PASSWORD)


@pytest.fixture
def entry(people):
    return record(
        Action.PUBLISH,
        actor=people["erin"],
        target_type="case",
        target_id="bs068",
        target_label="bs068 Diffuse soft-tissue uptake",
        summary="Published after review",
        reviewer_note="Fine",
        checks={"pixels": "confirmed"},
    )


def _entries(client, query=""):
    """The entries on the page, as their pks, in order; not the viewer's own sign-in."""
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    entries = response.context["page"].object_list
    return [e.pk for e in entries if (e.actor_name, e.action) != ("auditor", Action.SIGN_IN)]


@pytest.mark.parametrize("url", ["/audit/", "/audit/{pk}/"])
def test_an_administrator_sees_the_log(client, admin, entry, url):
    client.force_login(admin)
    assert client.get(url.format(pk=entry.pk)).status_code == 200


@pytest.mark.parametrize("url", ["/audit/", "/audit/{pk}/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, entry, url):
    response = client.get(url.format(pk=entry.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "erin"])
@pytest.mark.parametrize("url", ["/audit/", "/audit/{pk}/"])
def test_everyone_else_is_told_the_log_does_not_exist(client, people, entry, persona, url):
    client.force_login(people[persona])  # erin, an editor, included
    assert client.get(url.format(pk=entry.pk)).status_code == 404


@pytest.mark.parametrize("url", ["/audit/", "/audit/{pk}/"])
def test_staff_who_are_not_administrators_are_told_the_same(client, entry, url):
    client.force_login(User.objects.create_user("stella", password=PASSWORD, is_staff=True))
    assert client.get(url.format(pk=entry.pk)).status_code == 404


@pytest.mark.parametrize("url", ["/audit/", "/audit/{pk}/"])
def test_nothing_can_be_posted(client, admin, entry, url):
    client.force_login(admin)
    assert client.post(url.format(pk=entry.pk), {"summary": "x"}).status_code == 405


def test_a_missing_entry_is_404(client, admin):
    client.force_login(admin)
    assert client.get("/audit/999999/").status_code == 404


def test_the_list_links_an_entry_and_its_case(client, admin, people):
    case = make_case(created_by=people["alice"])
    entry = record(Action.PUBLISH, actor=people["erin"], target=case)
    client.force_login(admin)
    html = client.get("/audit/").content.decode()
    assert f'href="/audit/{entry.pk}/"' in html
    assert f'href="/cases/{case.number}/"' in html


def test_the_detail_shows_every_field_and_the_data(client, admin, entry):
    client.force_login(admin)
    text = text_of(client.get(f"/audit/{entry.pk}/").content.decode())
    for expected in ("Published after review", "erin", "bs068", "reviewer_note", "Fine",
                     "pixels", "confirmed"):  # fmt: skip
        assert expected in text


def test_the_detail_says_when_the_account_is_gone(client, admin, entry, people):
    people["erin"].delete()
    client.force_login(admin)
    assert "account since deleted" in client.get(f"/audit/{entry.pk}/").content.decode()


@pytest.fixture
def assorted(people):
    """Four entries that differ in every filterable way."""
    alice, bob = people["alice"], people["bob"]
    return {
        "edit": AuditEntry.objects.create(
            action=Action.EDIT, actor=alice, actor_name="alice", target_type="case",
            target_id="bs068", summary="Findings rewritten", ip="192.0.2.1",
            created=timezone.make_aware(dt.datetime(2026, 3, 1, 12)),
        ),
        "publish": AuditEntry.objects.create(
            action=Action.PUBLISH, actor=bob, actor_name="bob", target_type="case",
            target_id="bs069", summary="Published", ip="192.0.2.2",
            created=timezone.make_aware(dt.datetime(2026, 3, 2, 12)),
        ),
        "topic": AuditEntry.objects.create(
            action=Action.EDIT, actor=bob, actor_name="bob", target_type="topic",
            target_id="7", target_label="Bone scintigraphy", summary="Discussion shortened",
            ip="2001:db8::1", created=timezone.make_aware(dt.datetime(2026, 3, 3, 12)),
        ),
        "failed": AuditEntry.objects.create(
            action=Action.SIGN_IN_FAILED, target_type="user", target_label="mallory",
            summary="Failed sign-in as 'mallory'", ip="192.0.2.1",
            created=timezone.make_aware(dt.datetime(2026, 3, 4, 12)),
        ),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["failed", "topic", "publish", "edit"]),
        ("?action=edit", ["topic", "edit"]),
        ("?actor=bob", ["topic", "publish"]),
        ("?actor=BOB", ["topic", "publish"]),
        ("?target_type=case", ["publish", "edit"]),
        ("?target_type=case&target_id=bs069", ["publish"]),
        ("?date_from=2026-03-02", ["failed", "topic", "publish"]),
        ("?date_to=2026-03-02", ["publish", "edit"]),
        ("?date_from=2026-03-02&date_to=2026-03-03", ["topic", "publish"]),
        ("?ip=192.0.2.1", ["failed", "edit"]),
        ("?ip=2001:DB8:0::1", ["topic"]),
        ("?q=rewritten", ["edit"]),
        ("?q=MALLORY", ["failed"]),
        ("?q=scintigraphy", ["topic"]),  # the target's label is searched too
        ("?action=edit&actor=alice&ip=192.0.2.1", ["edit"]),
    ],
)
def test_the_filters(client, admin, assorted, query, expected):
    client.force_login(admin)
    assert _entries(client, query) == [assorted[name].pk for name in expected]


def test_the_actor_filter_finds_a_deleted_accounts_entries(client, admin, assorted, people):
    people["alice"].delete()
    client.force_login(admin)
    assert _entries(client, "?actor=alice") == [assorted["edit"].pk]


@pytest.mark.parametrize(
    "query", ["?ip=not-an-ip", "?date_from=yesterday", "?date_to=0001-01-01", "?action=nope"]
)
def test_an_invalid_filter_is_shown_and_ignored(client, admin, assorted, query):
    client.force_login(admin)
    response = client.get(f"/audit/{query}")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert set(_entries(client, query)) == {entry.pk for entry in assorted.values()}


def test_the_list_is_paginated_by_fifty_and_keeps_the_filters(client, admin, people):
    for n in range(51):
        record(Action.EDIT, actor=people["alice"], target_type="case", target_id=f"bs{n:03d}")
    record(Action.PUBLISH, actor=people["alice"], target_type="case", target_id="bs000")
    client.force_login(admin)
    response = client.get("/audit/?action=edit")
    page = response.context["page"]
    assert len(page.object_list) == 50
    assert page.object_list[0].target_id == "bs050"  # newest first
    assert "?action=edit&amp;page=2" in response.content.decode()
    second = client.get("/audit/?action=edit&page=2").context["page"]
    assert [e.target_id for e in second.object_list] == ["bs000"]
