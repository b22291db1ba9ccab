"""Fault drill, in process: the database cannot answer (SQLite locked past its busy timeout;
PostgreSQL unreachable). Every layer that meets it answers 503 with ``Retry-After``: a
middleware (an API token looked up and touched), a view, the API; an edit is refused
whole and saved when sent again. The restart of a real PostgreSQL server under a running
web server is drilled in test_faults_postgres_restart.py."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client

from lightbox.api.models import ApiToken
from lightbox.history.models import Revision
from lightbox.ops.middleware import RETRY_AFTER_SECONDS
from lightbox.ops.tests.conftest import free_port
from lightbox.test import make_case

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    """While in use, the database cannot take a write (SQLite: another process holds the
    write lock, and this connection waits 50 ms for it) or answer at all (PostgreSQL:
    nothing listens where it is); afterwards it answers again."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 50")
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
            connection.close()  # the next connection has the configured busy timeout
    else:
        port = connection.settings_dict["PORT"]
        connection.close()
        connection.settings_dict["PORT"] = str(free_port())  # nothing listens there
        try:
            yield
        finally:
            connection.settings_dict["PORT"] = port


def _edit(client, case, revision: int, **headers):
    body = {"revision": revision, "title": "Calcinosis of the soft tissues"}
    return client.patch(
        f"/api/v1/cases/{case.number}",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def _refused(response, *, api: bool) -> str:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    if api:
        error = response.json()["error"]
        assert error["status"] == 503
        return error["message"]
    text = response.content.decode()
    assert "Temporarily unavailable" in text and "Traceback" not in text
    return text


def test_an_edit_the_database_cannot_take_is_refused_whole_and_saved_when_sent_again(
    people, caplog
):
    # Django's test client raises what a request raised, even when a middleware answered
    # it; the web server does not.
    client = Client(raise_request_exception=False)
    erin = people["erin"]
    case = make_case(created_by=people["alice"])
    token = ApiToken.issue(erin, "drill", "write")[1]
    client.force_login(erin)
    revision = client.get(f"/api/v1/cases/{case.number}").json()["revision"]
    revisions = Revision.objects.count()

    with database_down():
        # With a token: the token's lookup, or the note that it was used, meets the
        # database in a middleware, before any view.
        with_token = _edit(client, case, revision, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert "nothing you sent was saved" in _refused(with_token, api=True)
        # With the session: the API view's save meets it.
        assert "nothing you sent was saved" in _refused(_edit(client, case, revision), api=True)
        page = client.get(f"/cases/{case.number}/known/")
        if connection.vendor == "sqlite":
            assert page.status_code == 200  # WAL: a reader never waits for a writer
        else:
            _refused(page, api=False)

    case.refresh_from_db()
    assert case.title != "Calcinosis of the soft tissues"
    assert Revision.objects.count() == revisions  # nothing half saved
    saved = _edit(client, case, revision, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert saved.status_code == 200, saved.content
    case.refresh_from_db()
    assert case.title == "Calcinosis of the soft tissues"
    # Said in one line each, never with a traceback.
    warnings = [r for r in caplog.records if r.name == "lightbox.ops.middleware"]
    assert len(warnings) >= 2 and not [r for r in warnings if r.exc_info]
    assert not [r for r in caplog.records if r.name == "django.request" and r.exc_info]
