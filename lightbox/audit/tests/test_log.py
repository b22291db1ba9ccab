"""record(): who, from where, what, and never a password."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from lightbox.audit.log import client_ip, record
from lightbox.audit.models import Action
from lightbox.test import PASSWORD, make_case, make_topic

pytestmark = pytest.mark.django_db


def _request(user=None, **meta):
    request = RequestFactory().get("/", **meta)
    request.user = user or AnonymousUser()
    return request


def test_the_request_gives_actor_ip_and_user_agent(people):
    request = _request(people["alice"], REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Firefox/140")
    entry = record(Action.EDIT, request=request, target_type="case", target_id="bs068")
    assert entry.actor == people["alice"]
    assert entry.actor_name == "alice"
    assert entry.ip == "192.0.2.7"
    assert entry.user_agent == "Firefox/140"


def test_an_explicit_actor_wins_over_the_requests_user(people):
    entry = record(Action.ROLE_CHANGE, actor=people["erin"], request=_request(people["alice"]))
    assert entry.actor == people["erin"]


def test_an_anonymous_request_has_no_actor(db):
    entry = record(Action.SIGN_IN_FAILED, request=_request(REMOTE_ADDR="192.0.2.8"))
    assert entry.actor is None and entry.actor_name == ""
    assert entry.ip == "192.0.2.8"


def test_a_case_target_is_known_by_its_number(people):
    case = make_case(created_by=people["alice"])
    entry = record(Action.PUBLISH, actor=people["erin"], target=case)
    assert (entry.target_type, entry.target_id) == ("case", case.number)
    assert entry.target_label == str(case)
    assert entry.target_url == f"/cases/{case.number}/"
    assert entry.summary  # a default one-line summary


def test_a_target_without_a_number_is_known_by_its_primary_key(db):
    topic = make_topic()
    entry = record(Action.EDIT, target=topic, summary="Discussion rewritten")
    assert (entry.target_type, entry.target_id) == ("topic", str(topic.pk))
    assert entry.target_label == topic.title
    assert entry.summary == "Discussion rewritten"


def test_keys_containing_password_are_dropped_at_any_depth(people):
    entry = record(
        Action.PASSWORD_CHANGE,
        actor=people["bob"],
        password=PASSWORD,
        new_Password1=PASSWORD,
        form={"old_password": PASSWORD, "email": "bob@example.org"},
        steps=[{"password_hash": "x", "ok": True}],
    )
    entry.refresh_from_db()
    assert PASSWORD not in json.dumps(entry.data)
    assert entry.data == {"form": {"email": "bob@example.org"}, "steps": [{"ok": True}]}


def test_data_is_made_json_safe(db):
    import datetime as dt
    import uuid
    from decimal import Decimal

    key = uuid.uuid4()
    entry = record(
        Action.IMPORT,
        when=dt.date(2024, 3, 14),
        dose=Decimal("20.5"),
        job=key,
        tags={"b", "a"},
        ratio=float("nan"),
    )
    entry.refresh_from_db()
    assert entry.data == {
        "when": "2024-03-14",
        "dose": "20.5",
        "job": str(key),
        "tags": ["a", "b"],
        "ratio": "nan",
    }


def test_long_and_nul_text_is_stored_the_same_on_every_database(db):
    request = _request(HTTP_USER_AGENT="x\x00" * 400)
    entry = record(Action.SIGN_IN_FAILED, request=request, summary="s" * 1000, name="a\x00b")
    entry.refresh_from_db()
    assert entry.user_agent == "x" * 300
    assert len(entry.summary) == 300
    assert entry.data == {"name": "ab"}


def test_an_unknown_action_is_refused(db):
    with pytest.raises(ValueError, match="not_an_action"):
        record("not_an_action")


def test_forwarded_for_is_ignored_unless_behind_a_proxy(settings):
    request = _request(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The last address is the one the proxy saw; the first is the client's to invent.
    assert client_ip(request) == "203.0.113.9"


def test_a_malformed_or_mapped_address_is_normalised():
    assert client_ip(_request(REMOTE_ADDR="not an address")) is None
    assert client_ip(_request(REMOTE_ADDR="")) is None
    assert client_ip(_request(REMOTE_ADDR="::ffff:192.0.2.1")) == "192.0.2.1"
    assert client_ip(_request(REMOTE_ADDR="fe80::1%eth0")) == "fe80::1"
