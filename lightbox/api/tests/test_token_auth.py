"""Signing in to the API: a bearer token acts as its owner; a session keeps its CSRF check."""

import json

import pytest
from django.test import Client

from lightbox.api.models import ApiToken
from lightbox.cases.models import Case
from lightbox.test import make_case, make_series

pytestmark = pytest.mark.django_db

NEW = {"series": "bs", "title": "From a script"}


def _post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def draft(people):
    make_series()
    return make_case(created_by=people["alice"], status="draft", visibility="private")


def test_a_token_reads_what_its_owner_may_read(client, people, draft, token_for):
    assert client.get(f"/api/v1/cases/{draft.number}").status_code == 404
    own = client.get(f"/api/v1/cases/{draft.number}", headers=token_for(people["alice"], "read"))
    assert own.status_code == 200 and own.json()["status"] == "draft"
    other = token_for(people["charlie"], "read")
    assert client.get(f"/api/v1/cases/{draft.number}", headers=other).status_code == 404
    assert client.get("/api/v1/cases", headers=other).json()["count"] == 0


def test_a_write_token_writes_without_a_csrf_token(people, draft, token_for):
    client = Client(enforce_csrf_checks=True)
    response = _post(client, "/api/v1/cases", NEW, headers=token_for(people["alice"]))
    assert response.status_code == 201, response.content
    assert Case.objects.get(number=response.json()["number"]).created_by == people["alice"]


def test_a_read_token_may_not_write(client, people, draft, token_for):
    headers = token_for(people["alice"], "read")
    response = _post(client, "/api/v1/cases", NEW, headers=headers)
    assert response.status_code == 403
    assert "may only read" in response.json()["error"]["message"]
    patch = client.patch(
        f"/api/v1/cases/{draft.number}", "{}", content_type="application/json", headers=headers
    )
    assert patch.status_code == 403
    assert Case.objects.count() == 1


def test_a_token_does_only_what_its_owner_may(client, people, draft, token_for):
    # bob is a learner: his write token cannot create a case, nor see alice's draft.
    headers = token_for(people["bob"])
    assert _post(client, "/api/v1/cases", NEW, headers=headers).status_code == 403
    patch = client.patch(
        f"/api/v1/cases/{draft.number}",
        json.dumps({"revision": 1, "title": "x"}),
        content_type="application/json",
        headers=headers,
    )
    assert patch.status_code == 404


@pytest.mark.parametrize(
    "header",
    ["Bearer lbx_wrong", "Bearer ", "bearer lbx_" + "A" * 43, "Bearer \u00e9t\u00e9", "Bearer"],
)
def test_a_bad_bearer_token_is_refused_not_ignored(client, header):
    response = client.get("/api/v1/cases", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert "API tokens page" in response.json()["error"]["message"]


def test_a_token_of_a_disabled_account_is_refused(client, people, token_for):
    headers = token_for(people["alice"])
    people["alice"].is_active = False
    people["alice"].save()
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_another_scheme_is_left_to_the_proxy_that_sent_it(client, people, draft):
    # A site behind HTTP Basic at its proxy: every request carries that header.
    response = client.get("/api/v1/cases", headers={"Authorization": "Basic YWxpY2U6eA=="})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_the_pages_ignore_a_token(client, people, draft, token_for):
    headers = token_for(people["alice"])
    assert client.get(f"/cases/{draft.number}/", headers=headers).status_code == 404
    assert client.get("/accounts/tokens/", headers=headers).status_code == 302


def test_a_session_write_needs_the_csrf_token(people, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    refused = _post(client, "/api/v1/cases", NEW)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert Case.objects.count() == 1
    client.get("/api/v1/docs")  # any page that sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = _post(client, "/api/v1/cases", NEW, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201, accepted.content


def test_a_token_wins_over_a_session(client, people, draft, token_for):
    client.force_login(people["charlie"])
    response = client.get(f"/api/v1/cases/{draft.number}", headers=token_for(people["alice"]))
    assert response.status_code == 200


def test_the_writes_need_someone_signed_in(client, draft):
    response = _post(client, "/api/v1/cases", NEW)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_token_is_looked_up_once_per_request(
    client, people, token_for, django_assert_max_num_queries
):
    headers = token_for(people["alice"], "read")
    client.get("/api/v1/cases", headers=headers)  # last_used written: now fresh
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/cases", headers=headers).status_code == 200
    assert ApiToken.objects.get().last_used is not None
