"""Comments through the API: the thread as each reader may see it, posting, replying,
editing and deleting one's own, and moderation."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from lightbox.audit.models import AuditEntry
from lightbox.comments.models import RATE_LIMIT, Comment
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def send(client, method, url, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.generic(method, url, data, content_type="application/json")


@pytest.fixture
def case(people):
    return make_case(created_by=people["alice"])


def say(user, case, body, **fields):
    return Comment.objects.create(case=case, author=user, body=body, **fields)


def url(case, comment=None):
    base = f"/api/v1/cases/{case.number}/comments"
    return f"{base}/{comment.pk}" if comment else base


def test_the_thread_shows_each_reader_what_they_may_read(client, people, case):
    shown = say(people["bob"], case, "Nice case.")
    hidden = say(people["bob"], case, "Rude", hidden=True, hidden_reason="Be kind")
    gone = say(people["charlie"], case, "Oops", deleted=True)
    reply = say(people["alice"], case, "Thanks", parent=shown)

    def thread(person=None):
        c = Client()
        if person:
            c.force_login(people[person])
        return {i["id"]: i for i in c.get(url(case)).json()["items"]}

    anonymous = thread()
    assert anonymous[shown.pk]["body"] == "Nice case." and anonymous[shown.pk]["author"] == "Bob"
    assert (anonymous[hidden.pk]["state"], anonymous[hidden.pk]["body"]) == ("hidden", "")
    assert anonymous[hidden.pk]["hidden_reason"] == ""
    assert (anonymous[gone.pk]["state"], anonymous[gone.pk]["body"]) == ("deleted", "")
    assert anonymous[reply.pk]["parent"] == shown.pk
    # Its author and the editors read a hidden comment, with the reason.
    for person in ("bob", "erin"):
        assert thread(person)[hidden.pk]["body"] == "Rude"
        assert thread(person)[hidden.pk]["hidden_reason"] == "Be kind"
    assert thread("charlie")[hidden.pk]["body"] == ""
    # A deleted comment's text is nobody's.
    assert thread("erin")[gone.pk]["body"] == ""


def test_the_thread_of_a_case_one_may_not_see_does_not_exist(client, people):
    draft = make_case(created_by=people["alice"], status="draft", visibility="private")
    say(people["alice"], draft, "Note to self")
    response = client.get(url(draft))
    assert response.status_code == 404 and "Note to self" not in response.content.decode()


def test_a_reader_comments_and_replies(client, people, case, django_capture_on_commit_callbacks):
    client.force_login(people["bob"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = send(client, "POST", url(case), {"body": "  Why not **MRI**?  "})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["body"] == "Why not **MRI**?" and data["author"] == "Bob"
    assert data["url"].endswith(f"#comment-{data['id']}")
    assert len(callbacks) == 1  # the authors are told, once it is committed
    client.force_login(people["alice"])
    reply = send(client, "POST", url(case), {"body": "It was done.", "parent": data["id"]})
    assert reply.status_code == 201 and reply.json()["parent"] == data["id"]


def test_a_reply_to_a_removed_comment_is_a_conflict(client, people, case):
    hidden = say(people["charlie"], case, "x", hidden=True)
    client.force_login(people["charlie"])
    response = send(client, "POST", url(case), {"body": "Reply", "parent": hidden.pk})
    assert response.status_code == 409
    assert Comment.objects.count() == 1


def test_a_reply_to_another_cases_comment_is_invalid(client, people, case):
    elsewhere = say(people["bob"], make_case(), "Elsewhere")
    client.force_login(people["bob"])
    response = send(client, "POST", url(case), {"body": "Reply", "parent": elsewhere.pk})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "parent"]


@pytest.mark.parametrize(
    "body",
    [
        {"body": ""},
        {"body": "   \r\n "},
        {"body": "x" * 10_001},
        {"body": "nul \x00"},
        {"body": "ok", "parent": 0},
        {"body": "ok", "parent": 99999999999999999999},
        {"body": "ok", "parent": "1; --"},
        {"body": "ok", "author": "erin"},
        {},
        "[]",
        "{",
    ],
)
def test_a_bad_comment_is_refused_and_nothing_is_posted(client, people, case, body):
    client.force_login(people["bob"])
    response = send(client, "POST", url(case), body)
    assert response.status_code in (400, 422), response.content
    assert not Comment.objects.exists()


def test_posting_is_rate_limited(client, people, case):
    for i in range(RATE_LIMIT):
        say(people["bob"], case, f"Comment {i}")
    client.force_login(people["bob"])
    response = send(client, "POST", url(case), {"body": "One more"})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert Comment.objects.count() == RATE_LIMIT


def test_the_author_edits_and_deletes_their_comment(client, people, case):
    comment = say(people["bob"], case, "Frist")
    client.force_login(people["bob"])
    edited = send(client, "PATCH", url(case, comment), {"body": "First"})
    assert edited.status_code == 200 and edited.json()["body"] == "First"
    assert edited.json()["edited"] is not None
    deleted = client.delete(url(case, comment))
    assert deleted.status_code == 204
    comment.refresh_from_db()
    assert comment.deleted
    assert send(client, "PATCH", url(case, comment), {"body": "Back"}).status_code == 404


@pytest.mark.parametrize("person", ["alice", "charlie", "erin"])
def test_nobody_else_edits_or_deletes_a_comment(client, people, case, person):
    comment = say(people["bob"], case, "Mine")
    client.force_login(people[person])
    assert send(client, "PATCH", url(case, comment), {"body": "Theirs"}).status_code == 403
    assert client.delete(url(case, comment)).status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.deleted) == ("Mine", False)


def test_an_editor_hides_with_a_reason_and_shows_again(client, people, case):
    comment = say(people["bob"], case, "Rude")
    client.force_login(people["erin"])
    refused = send(client, "PATCH", url(case, comment), {"hidden": True, "reason": " "})
    assert refused.status_code == 422
    hidden = send(client, "PATCH", url(case, comment), {"hidden": True, "reason": "Be kind"})
    assert hidden.status_code == 200, hidden.content
    assert (hidden.json()["state"], hidden.json()["hidden_reason"]) == ("hidden", "Be kind")
    assert AuditEntry.objects.filter(action="comment_hide", target_id=case.number).exists()
    shown = send(client, "PATCH", url(case, comment), {"hidden": False})
    assert shown.json()["state"] == "shown"
    assert AuditEntry.objects.filter(action="comment_restore").exists()
    client.force_login(people["alice"])
    assert (
        send(client, "PATCH", url(case, comment), {"hidden": True, "reason": "x"}).status_code
        == 403
    )


@pytest.mark.parametrize(
    "comment_id", ["0", "-1", "abc", "99999999999999999999", "9223372036854775807"]
)
def test_an_odd_comment_id_is_a_client_error(client, people, case, comment_id):
    client.force_login(people["bob"])
    response = client.delete(f"{url(case)}/{comment_id}")
    assert response.status_code in (404, 422)


def test_anonymous_visitors_may_read_but_not_post(client, case):
    assert client.get(url(case)).status_code == 200
    assert send(client, "POST", url(case), {"body": "Hi"}).status_code == 401
