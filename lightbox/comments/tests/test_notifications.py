"""A new comment e-mails the case's authors, and a reply the comment's author."""

import pytest
from django.core import mail

from lightbox.cases.models import CaseAuthor
from lightbox.comments.models import Comment
from lightbox.test import make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def post(user, case, body, parent=None):
        client.force_login(user)
        data = {"body": body} | ({"parent": parent.pk} if parent else {})
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/cases/{case.number}/comments/add/", data)
        return Comment.objects.order_by("pk").last()

    return post


def _to(messages) -> list[str]:
    return sorted(a for m in messages for a in m.to)


def test_a_comment_e_mails_the_case_author(people, case, post):
    comment = post(people["bob"], case, "Why not *scleroderma*?")
    assert _to(mail.outbox) == ["alice@example.org"]
    message = mail.outbox[0]
    assert message.subject == f"New comment on case {case.number}"
    assert "Why not *scleroderma*?" in message.body
    assert f"http://testserver/cases/{case.number}/known/#comment-{comment.pk}" in message.body
    assert "Bob commented" in message.body


def test_co_authors_with_accounts_hear_too_each_once(people, case, post):
    dave = make_user("dave")
    CaseAuthor.objects.create(case=case, name="Dave", user=dave)
    CaseAuthor.objects.create(case=case, name="Alice again", user=people["alice"])
    CaseAuthor.objects.create(case=case, name="No account")
    post(people["bob"], case, "Hello authors")
    assert _to(mail.outbox) == ["alice@example.org", "dave@example.org"]


def test_the_commenter_is_never_told_of_their_own_comment(people, case, post):
    post(people["alice"], case, "Author's note")
    assert mail.outbox == []


def test_a_reply_e_mails_the_parent_comments_author(people, case, post):
    question = post(people["bob"], case, "Question")
    mail.outbox.clear()
    post(people["charlie"], case, "Answer", parent=question)
    assert _to(mail.outbox) == ["alice@example.org", "bob@example.org"]
    to_bob = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    assert "you wrote the comment it answers" in to_bob.body
    assert "Charlie replied to a comment" in to_bob.body


def test_replying_to_yourself_sends_you_nothing(people, case, post):
    question = post(people["bob"], case, "Question")
    mail.outbox.clear()
    post(people["bob"], case, "Never mind", parent=question)
    assert _to(mail.outbox) == ["alice@example.org"]


def test_nobody_without_an_address_or_access_is_e_mailed(people, post):
    case = make_case(created_by=people["alice"], visibility="private")
    people["alice"].email = ""
    people["alice"].save()
    post(people["erin"], case, "Editor's note")
    assert mail.outbox == []


def test_a_parent_author_who_lost_access_is_not_e_mailed(people, case, say, post):
    question = say(people["charlie"], case, "Question")
    case.visibility = "private"
    case.save()
    post(people["alice"], case, "Answer", parent=question)
    assert mail.outbox == []


def test_no_mail_is_sent_for_a_refused_comment(people, case, post):
    post(people["bob"], case, "")
    assert mail.outbox == []


def test_the_site_url_setting_names_the_link(people, case, post, settings):
    settings.LIGHTBOX_SITE_URL = "https://teaching.example.org/"
    comment = post(people["bob"], case, "Hello")
    assert (
        f"https://teaching.example.org/cases/{case.number}/known/#comment-{comment.pk}"
        in mail.outbox[0].body
    )


def test_a_comment_removed_before_the_worker_runs_sends_nothing(people, case, say):
    from lightbox.comments.tasks import notify_new_comment

    comment = say(people["bob"], case, "Oops", deleted=True)
    notify_new_comment.call(comment.pk, "http://testserver/")
    notify_new_comment.call(999999, "http://testserver/")
    assert mail.outbox == []
