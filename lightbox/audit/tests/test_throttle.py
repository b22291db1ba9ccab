"""Too many failed sign-ins: refused with 429, counted per user name and per address.

The rule for successes: a name's count starts again after that name signs in; the
address's count never does, and another account's success changes nothing.
"""

import datetime as dt

import pytest
from django.utils import timezone

from lightbox.audit import throttle
from lightbox.audit.models import Action, AuditEntry
from lightbox.test import PASSWORD, text_of

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _fail(client, username, times=1, ip="127.0.0.1"):
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong"}, REMOTE_ADDR=ip)
        assert response.status_code == 200


def _sign_in(client, username, ip="127.0.0.1"):
    response = client.post(LOGIN, {"username": username, "password": PASSWORD}, REMOTE_ADDR=ip)
    client.logout()
    return response


def test_five_failures_lock_the_name_even_for_the_right_password(client, people):
    _fail(client, "alice", 5)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not AuditEntry.objects.filter(action=Action.SIGN_IN).exists()


def test_the_refusal_says_how_long_to_wait_on_the_login_page(client, people):
    _fail(client, "alice", 5)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    text = text_of(response.content.decode())
    assert "Too many failed sign-ins; try again in 15 minutes." in text
    assert 'name="password"' in response.content.decode()  # the normal sign-in form
    assert 840 < int(response["Retry-After"]) <= 900


def test_four_failures_do_not_lock(client, people):
    _fail(client, "alice", 4)
    assert _sign_in(client, "alice").status_code == 302


def test_a_refused_attempt_is_logged_but_not_counted(client, people):
    _fail(client, "alice", 5)
    client.post(LOGIN, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="192.0.2.4")
    refused = AuditEntry.objects.get(action=Action.SIGN_IN_REFUSED)
    assert refused.target_label == "alice"
    assert refused.ip == "192.0.2.4"
    assert refused.data["reason"] == "username"
    assert "password" not in refused.data
    assert AuditEntry.objects.filter(action=Action.SIGN_IN_FAILED).count() == 5


def test_the_name_is_locked_whatever_its_case_or_spacing(client, people):
    _fail(client, "alice", 5)
    response = client.post(LOGIN, {"username": " ALICE ", "password": "wrong"})
    assert response.status_code == 429


def test_the_lock_lifts_when_the_failures_leave_the_window(client, people):
    now = timezone.now()
    _fail(client, "alice", 5)
    assert throttle.check("alice", None, now=now + dt.timedelta(minutes=14))
    assert throttle.check("alice", None, now=now + dt.timedelta(minutes=16)) is None


def test_old_failures_do_not_count(client, people):
    long_ago = timezone.now() - dt.timedelta(minutes=16)
    for _ in range(5):
        AuditEntry.objects.create(
            action=Action.SIGN_IN_FAILED,
            created=long_ago,
            target_type="user",
            target_label="alice",
        )
    assert _sign_in(client, "alice").status_code == 302


def test_the_settings_change_the_limit_and_the_window(client, people, settings):
    settings.LIGHTBOX_SIGNIN_MAX_FAILURES = 2
    settings.LIGHTBOX_SIGNIN_WINDOW_MINUTES = 60
    _fail(client, "alice", 2)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "try again in 60 minutes" in response.content.decode()


def test_a_success_starts_the_names_count_again(client, people):
    _fail(client, "alice", 4)
    assert _sign_in(client, "alice").status_code == 302
    _fail(client, "alice", 4)
    assert _sign_in(client, "alice").status_code == 302


def test_another_accounts_success_does_not_reset_a_names_count(client, people):
    _fail(client, "alice", 5)
    assert _sign_in(client, "bob").status_code == 302
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429


def test_twenty_failures_from_one_address_lock_every_name_from_it(client, people):
    for n in range(20):
        _fail(client, f"guess{n}", ip="203.0.113.5")
    response = client.post(
        LOGIN, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert AuditEntry.objects.get(action=Action.SIGN_IN_REFUSED).data["reason"] == "ip"
    # Another address is not affected.
    assert _sign_in(client, "bob", ip="203.0.113.6").status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(client, people):
    for n in range(19):
        _fail(client, f"guess{n}", ip="203.0.113.5")
    assert _sign_in(client, "charlie", ip="203.0.113.5").status_code == 302
    _fail(client, "guess19", ip="203.0.113.5")
    response = client.post(
        LOGIN, {"username": "charlie", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5"
    )
    assert response.status_code == 429


def test_a_limit_of_zero_turns_the_rule_off(client, people, settings):
    settings.LIGHTBOX_SIGNIN_MAX_FAILURES = 0
    _fail(client, "alice", 6)
    assert _sign_in(client, "alice").status_code == 302


def test_the_login_page_itself_is_not_refused(client, people):
    _fail(client, "alice", 5)
    assert client.get(LOGIN).status_code == 200


def test_a_hostile_user_name_is_refused_safely(client, people):
    name = "alice\x00" + "x" * 5000
    _fail(client, "alice", 5)
    for _ in range(2):
        response = client.post(LOGIN, {"username": name, "password": "wrong"})
        assert response.status_code in (200, 429)
    assert client.post(LOGIN, {"username": "alice\x00", "password": "x"}).status_code == 429
