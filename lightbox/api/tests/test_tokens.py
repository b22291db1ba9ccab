"""API tokens: made on one's token page, shown once, kept only as a digest, revoked."""

import datetime as dt
import hashlib

import pytest
from django.test import Client

from lightbox.api.models import MAX_LIVE_TOKENS, PREFIX, ApiToken
from lightbox.audit.models import AuditEntry
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

PAGE = "/accounts/tokens/"


def _make(client, name="nightly import", scope="write"):
    return client.post(PAGE, {"name": name, "scope": scope})


def test_it_shows_the_secret_once_and_keeps_only_its_digest(client, people):
    client.force_login(people["alice"])
    response = _make(client)
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith(PREFIX) and len(secret) > 40
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    # Never again: the list shows the first characters only.
    page = client.get(PAGE).content.decode()
    assert secret not in page
    assert f"{token.hint}…" in page and token.hint == secret[:8]


def test_making_and_revoking_a_token_are_audited(client, people):
    client.force_login(people["alice"])
    _make(client, name="Teaching export", scope="read")
    token = ApiToken.objects.get()
    made = AuditEntry.objects.get(action="token_create")
    assert made.actor == people["alice"] and made.target_type == "apitoken"
    assert made.data == {"scope": "read"} and "Teaching export" in made.summary
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None
    assert AuditEntry.objects.filter(action="token_revoke", target_id=str(token.pk)).count() == 1
    # Revoking again changes nothing and writes nothing.
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert AuditEntry.objects.filter(action="token_revoke").count() == 1


def test_a_revoked_token_no_longer_signs_in(client, people):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    token, secret = ApiToken.issue(people["alice"], "script", "read")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/cases/{case.number}", headers=headers).status_code == 200
    token.revoke()
    response = client.get(f"/api/v1/cases/{case.number}", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_nobody_else_can_revoke_or_see_a_persons_tokens(people):
    token, _ = ApiToken.issue(people["alice"], "alice's script", "write")
    for person in ("bob", "charlie", "erin"):
        client = Client()
        client.force_login(people[person])
        assert "alice&#x27;s script" not in client.get(PAGE).content.decode()
        assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.is_live
    # An administrator may (someone left; their scripts must stop).
    root = Client()
    root.force_login(people["root"])
    assert root.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert not token.is_live


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(PAGE).status_code == 302
    assert client.post(PAGE, {"name": "x", "scope": "read"}).status_code == 302
    assert not ApiToken.objects.exists()


def test_a_learner_may_have_a_token_too(client, people):
    client.force_login(people["bob"])
    assert _make(client, scope="read").context["secret"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "scope": "read"}, "This field is required."),
        ({"name": "   ", "scope": "read"}, "This field is required."),
        ({"name": "x" * 101, "scope": "read"}, "at most 100 characters"),
        ({"name": "ok", "scope": "admin"}, "Select a valid choice."),
        ({"name": "nul \x00", "scope": "read"}, "Null characters are not allowed."),
    ],
)
def test_a_bad_form_makes_no_token_and_says_why(client, people, data, error):
    client.force_login(people["alice"])
    response = client.post(PAGE, data)
    assert response.status_code == 200
    assert response.context["secret"] is None
    assert error in response.content.decode()
    assert not ApiToken.objects.exists()


def test_there_is_a_most_live_tokens_a_person_may_have(client, people):
    for i in range(MAX_LIVE_TOKENS):
        ApiToken.issue(people["alice"], f"t{i}", "read")
    client.force_login(people["alice"])
    response = _make(client)
    assert response.context["secret"] is None
    assert "revoke one first" in response.content.decode()
    ApiToken.objects.first().revoke()
    assert _make(client).context["secret"]


def test_the_profile_links_to_the_token_page(client, people):
    client.force_login(people["bob"])
    assert f'href="{PAGE}"' in client.get("/accounts/profile/").content.decode()


def test_last_used_is_kept_at_most_once_a_minute(client, people):
    token, secret = ApiToken.issue(people["alice"], "script", "read")
    headers = {"Authorization": f"Bearer {secret}"}
    client.get("/api/v1/cases", headers=headers, REMOTE_ADDR="10.1.2.3")
    token.refresh_from_db()
    first = token.last_used
    assert first is not None and token.last_used_ip == "10.1.2.3"
    client.get("/api/v1/cases", headers=headers, REMOTE_ADDR="10.9.9.9")
    token.refresh_from_db()
    assert token.last_used == first and token.last_used_ip == "10.1.2.3"
    ApiToken.objects.filter(pk=token.pk).update(last_used=first - dt.timedelta(minutes=2))
    client.get("/api/v1/cases", headers=headers, REMOTE_ADDR="10.9.9.9")
    token.refresh_from_db()
    assert token.last_used > first and token.last_used_ip == "10.9.9.9"


def test_the_admin_lists_tokens_for_administrators_and_revokes_them(client, people):
    token, secret = ApiToken.issue(people["alice"], "old laptop", "write")
    client.force_login(people["root"])
    listing = client.get("/admin/api/apitoken/")
    assert listing.status_code == 200 and "old laptop" in listing.content.decode()
    assert secret not in listing.content.decode()
    assert client.get(f"/admin/api/apitoken/{token.pk}/change/").status_code == 200
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert not token.is_live
    assert AuditEntry.objects.filter(action="token_revoke", actor=people["root"]).exists()
    erin = Client()
    erin.force_login(people["erin"])
    assert erin.get("/admin/api/apitoken/").status_code in (302, 403)


@pytest.mark.parametrize(
    "secret",
    ["", "lbx_", "lbx_" + "A" * 43, "not-a-token", "lbx_" + "é" * 40, "lbx_" + "x" * 5000],
)
def test_no_made_up_secret_is_found(people, secret):
    ApiToken.issue(people["alice"], "real", "write")
    assert ApiToken.find(secret) is None
