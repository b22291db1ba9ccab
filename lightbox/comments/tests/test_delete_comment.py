"""POST cases/<number>/comments/<id>/delete/: the author's own comment; never hard-deleted."""

import pytest
from django.test import Client

from lightbox.comments.models import Comment

pytestmark = pytest.mark.django_db


def _delete(comment):
    return f"/cases/{comment.case.number}/comments/{comment.pk}/delete/"


def _thread(client, case) -> str:
    return client.get(f"/cases/{case.number}/comments/").content.decode()


def test_deleting_a_comment_without_replies_removes_it_from_the_thread(client, people, case, say):
    comment = say(people["bob"], case, "Regretted")
    client.force_login(people["bob"])
    response = client.post(_delete(comment))
    assert response["Location"] == f"/cases/{case.number}/known/#comments"
    comment.refresh_from_db()
    assert comment.deleted and comment.body == "Regretted"  # kept, not hard-deleted
    html = _thread(client, case)
    assert "Regretted" not in html and "[deleted]" not in html


def test_deleting_a_comment_with_replies_leaves_deleted_and_the_replies(client, people, case, say):
    comment = say(people["bob"], case, "Regretted")
    reply = say(people["alice"], case, "Good point", parent=comment)
    client.force_login(people["bob"])
    response = client.post(_delete(comment))
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    html = _thread(client, case)
    assert "Regretted" not in html
    assert "[deleted]" in html and "Good point" in html
    assert f'id="comment-{reply.pk}"' in html
    assert Comment.objects.count() == 2


def test_deleting_a_reply_goes_back_to_its_parent(client, people, case, say):
    parent = say(people["alice"], case, "Question")
    reply = say(people["bob"], case, "Answer", parent=parent)
    client.force_login(people["bob"])
    assert client.post(_delete(reply))["Location"].endswith(f"#comment-{parent.pk}")


@pytest.mark.parametrize("name", ["alice", "charlie", "erin"])
def test_nobody_else_can_delete_it(client, people, case, say, name):
    comment = say(people["bob"], case, "Bob's")
    client.force_login(people[name])
    assert client.post(_delete(comment)).status_code == 404
    comment.refresh_from_db()
    assert not comment.deleted


def test_a_hidden_comment_cannot_be_deleted_by_its_author(client, people, case, say):
    comment = say(people["bob"], case, "Bob's", hidden=True, hidden_reason="Rude")
    client.force_login(people["bob"])
    assert client.post(_delete(comment)).status_code == 404


def test_get_is_not_allowed(client, people, case, say):
    comment = say(people["bob"], case, "Bob's")
    client.force_login(people["bob"])
    assert client.get(_delete(comment)).status_code == 405


def test_anonymous_is_sent_to_sign_in(client, people, case, say):
    comment = say(people["bob"], case, "Bob's")
    assert client.post(_delete(comment))["Location"].startswith("/accounts/login/")
    comment.refresh_from_db()
    assert not comment.deleted


def test_csrf_is_enforced(people, case, say):
    comment = say(people["bob"], case, "Bob's")
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["bob"])
    assert client.post(_delete(comment)).status_code == 403
    comment.refresh_from_db()
    assert not comment.deleted
