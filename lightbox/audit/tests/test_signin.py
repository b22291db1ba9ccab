"""Signing in, failing to, and signing out are logged; the session key changes at sign-in."""

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import resolve, reverse

from lightbox.audit.models import Action, AuditEntry
from lightbox.audit.views import ThrottledLoginView
from lightbox.test import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_the_login_url_is_the_throttled_view():
    assert reverse("login") == LOGIN
    assert resolve(LOGIN).func.view_class is ThrottledLoginView


def test_the_login_page_renders(client):
    assert client.get(LOGIN).status_code == 200


def test_a_sign_in_is_logged_with_who_and_from_where(client, people):
    response = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD}, HTTP_USER_AGENT="Firefox/140"
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=Action.SIGN_IN)
    assert entry.actor == people["alice"]
    assert (entry.target_type, entry.target_id, entry.target_label) == (
        "user",
        str(people["alice"].pk),
        "alice",
    )
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == "Firefox/140"


def test_a_failed_sign_in_keeps_the_name_tried_and_never_the_password(client, people):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD + "!"})
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert entry.action == Action.SIGN_IN_FAILED
    assert entry.actor is None
    assert entry.target_label == "alice"
    assert entry.data == {"username": "alice"}
    assert entry.ip == "127.0.0.1"
    stored = json.dumps([entry.summary, entry.target_label, entry.user_agent, entry.data])
    assert PASSWORD not in stored and "*****" not in stored


def test_a_failed_sign_in_for_a_name_that_does_not_exist_is_logged(client, db):
    client.post(LOGIN, {"username": "mallory", "password": "guess"})
    assert AuditEntry.objects.get().target_label == "mallory"


def test_a_sign_out_is_logged(client, people):
    client.force_login(people["bob"])
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    entry = AuditEntry.objects.filter(action=Action.SIGN_OUT).get()
    assert entry.actor == people["bob"]
    assert entry.actor_name == "bob"


def test_the_session_key_changes_at_sign_in(client, people):
    session = client.session
    session["seen_intro"] = True
    session.save()
    before = session.session_key
    client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    after = client.session.session_key
    assert after != before
    assert not SessionStore().exists(before)  # the old key is gone, not merely unused
    assert client.session["seen_intro"] is True  # the data moved to the new key
    assert int(client.session["_auth_user_id"]) == people["alice"].pk
