"""POST cases/<number>/comments/<id>/hide/ and .../restore/: editors, with a reason."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def _url(comment, action):
    return f"/cases/{comment.case.number}/comments/{comment.pk}/{action}/"


def test_an_editor_hides_a_comment_with_a_reason(client, people, case, say):
    comment = say(people["bob"], case, "Rude")
    client.force_login(people["erin"])
    response = client.post(_url(comment, "hide"), {"reason": "  Be kind  "})
    assert response["Location"] == f"/cases/{case.number}/known/#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.hidden
    assert comment.hidden_reason == "Be kind"
    assert comment.hidden_by == people["erin"]
    assert comment.hidden_at is not None


@pytest.mark.parametrize("reason", ["", "   ", "r" * 501])
def test_hiding_needs_a_reason_of_sensible_length(client, people, case, say, reason):
    comment = say(people["bob"], case, "Rude")
    client.force_login(people["erin"])
    response = client.post(_url(comment, "hide"), {"reason": reason})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert not comment.hidden
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(m.startswith("The comment was not hidden") for m in messages)


def test_an_editor_restores_a_hidden_comment(client, people, case, say):
    comment = say(people["bob"], case, "Fine after all")
    comment.hide(people["erin"], "Looked rude")
    client.force_login(people["erin"])
    client.post(_url(comment, "restore"))
    comment.refresh_from_db()
    assert not comment.hidden
    client.force_login(people["charlie"])
    assert "Fine after all" in client.get(f"/cases/{case.number}/comments/").content.decode()


@pytest.mark.parametrize("name", ["alice", "bob", "charlie"])
def test_non_editors_cannot_hide_or_restore(client, people, case, say, name):
    shown = say(people["bob"], case, "Shown")
    hidden = say(people["bob"], case, "Hidden", hidden=True, hidden_reason="x")
    client.force_login(people[name])
    assert client.post(_url(shown, "hide"), {"reason": "Because"}).status_code == 404
    assert client.post(_url(hidden, "restore")).status_code == 404
    shown.refresh_from_db()
    hidden.refresh_from_db()
    assert not shown.hidden and hidden.hidden


def test_a_deleted_comment_cannot_be_hidden(client, people, case, say):
    comment = say(people["bob"], case, "Gone", deleted=True)
    client.force_login(people["erin"])
    assert client.post(_url(comment, "hide"), {"reason": "x"}).status_code == 404


def test_editors_moderate_private_cases_too(client, people, say):
    case = make_case(created_by=people["alice"], visibility="private")
    comment = say(people["alice"], case, "Draft note")
    client.force_login(people["erin"])
    client.post(_url(comment, "hide"), {"reason": "Identifying detail"})
    comment.refresh_from_db()
    assert comment.hidden


def test_the_hidden_author_sees_why(client, people, case, say):
    comment = say(people["bob"], case, "Rude")
    comment.hide(people["erin"], "Be kind to colleagues")
    client.force_login(people["bob"])
    html = client.get(f"/cases/{case.number}/comments/").content.decode()
    assert "Be kind to colleagues" in html
    assert "Erin" not in html  # who hid it is for editors only
    assert f"/comments/{comment.pk}/edit/" not in html


def test_anonymous_is_sent_to_sign_in(client, people, case, say):
    comment = say(people["bob"], case, "Rude")
    assert client.post(_url(comment, "hide"), {"reason": "x"})["Location"].startswith(
        "/accounts/login/"
    )


def test_csrf_is_enforced(people, case, say):
    comment = say(people["bob"], case, "Rude")
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["erin"])
    assert client.post(_url(comment, "hide"), {"reason": "Forged"}).status_code == 403
    comment.hide(people["erin"], "Real")
    assert client.post(_url(comment, "restore")).status_code == 403
    comment.refresh_from_db()
    assert comment.hidden
