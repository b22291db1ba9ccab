"""GET/POST cases/<number>/comments/<id>/edit/: the author's own comment only.

Anyone else gets 404, not 403: what you may not touch does not exist.
"""

import pytest
from django.test import Client

from lightbox.comments.models import MAX_BODY
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def _edit(comment):
    return f"/cases/{comment.case.number}/comments/{comment.pk}/edit/"


def test_the_form_shows_the_current_text(client, people, case, say):
    comment = say(people["bob"], case, "Original *text*")
    client.force_login(people["bob"])
    response = client.get(_edit(comment))
    assert response.status_code == 200
    assert "Original *text*</textarea>" in response.content.decode()


def test_the_author_edits_their_comment(client, people, case, say):
    comment = say(people["bob"], case, "Original")
    client.force_login(people["bob"])
    response = client.post(_edit(comment), {"body": "Better"})
    assert response["Location"] == f"/cases/{case.number}/known/#comment-{comment.pk}"
    comment.refresh_from_db()
    assert comment.body == "Better"
    assert comment.edited is not None


def test_saving_the_same_text_is_not_an_edit(client, people, case, say):
    comment = say(people["bob"], case, "Same")
    client.force_login(people["bob"])
    client.post(_edit(comment), {"body": "Same"})
    comment.refresh_from_db()
    assert comment.edited is None


@pytest.mark.parametrize("body", ["", "y" * (MAX_BODY + 5)])
def test_an_invalid_edit_keeps_the_text_and_says_why(client, people, case, say, body):
    comment = say(people["bob"], case, "Original")
    client.force_login(people["bob"])
    response = client.post(_edit(comment), {"body": body})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your changes were not saved" in html
    if body:
        assert body in html
    comment.refresh_from_db()
    assert comment.body == "Original"


@pytest.mark.parametrize("name", ["alice", "charlie", "erin"])
def test_nobody_else_can_edit_it_not_even_an_editor(client, people, case, say, name):
    comment = say(people["bob"], case, "Bob's")
    client.force_login(people[name])
    assert client.get(_edit(comment)).status_code == 404
    assert client.post(_edit(comment), {"body": "Vandalised"}).status_code == 404
    comment.refresh_from_db()
    assert comment.body == "Bob's"


@pytest.mark.parametrize("flag", [{"hidden": True}, {"deleted": True}])
def test_a_hidden_or_deleted_comment_cannot_be_edited(client, people, case, say, flag):
    comment = say(people["bob"], case, "Bob's", **flag)
    client.force_login(people["bob"])
    assert client.post(_edit(comment), {"body": "Sneaky"}).status_code == 404


def test_a_comment_is_only_reached_through_its_own_case(client, people, case, say):
    comment = say(people["bob"], case, "Bob's")
    other = make_case(created_by=people["alice"])
    client.force_login(people["bob"])
    url = f"/cases/{other.number}/comments/{comment.pk}/edit/"
    assert client.get(url).status_code == 404


def test_the_author_loses_it_with_the_case(client, people, say):
    case = make_case(created_by=people["alice"])
    comment = say(people["bob"], case, "Bob's")
    case.visibility = "private"
    case.save()
    client.force_login(people["bob"])
    assert client.get(_edit(comment)).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, people, case, say):
    comment = say(people["bob"], case, "Bob's")
    response = client.post(_edit(comment), {"body": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_csrf_is_enforced(people, case, say):
    comment = say(people["bob"], case, "Bob's")
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["bob"])
    assert client.post(_edit(comment), {"body": "Forged"}).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Bob's"
