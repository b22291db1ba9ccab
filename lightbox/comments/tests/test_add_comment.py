"""POST cases/<number>/comments/add/: a comment or a reply."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from lightbox.comments.models import MAX_BODY, Comment
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def _add(case):
    return f"/cases/{case.number}/comments/add/"


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_adds_a_comment_and_goes_to_it_on_the_known_page(client, people, case):
    client.force_login(people["bob"])
    response = client.post(_add(case), {"body": "Why not *scleroderma*?"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.number}/known/#comment-{comment.pk}"
    assert (comment.case, comment.author, comment.parent) == (case, people["bob"], None)
    assert comment.body == "Why not *scleroderma*?"
    assert comment.edited is None


def test_it_adds_a_reply(client, people, case, say):
    question = say(people["bob"], case, "Why not scleroderma?")
    client.force_login(people["alice"])
    response = client.post(_add(case), {"body": "Look at the thighs.", "parent": question.pk})
    reply = Comment.objects.get(parent=question)
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    assert reply.author == people["alice"]


def test_the_case_number_is_matched_whatever_its_case(client, people, case):
    client.force_login(people["bob"])
    client.post(f"/cases/{case.number.upper()}/comments/add/", {"body": "Upper case URL."})
    assert Comment.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_comment_is_refused_with_a_message(client, people, case, body):
    client.force_login(people["bob"])
    response = client.post(_add(case), {"body": body})
    assert response.status_code == 302
    assert response["Location"].endswith("#comment-form")
    assert not Comment.objects.exists()
    assert any("Write something" in m for m in _messages(response))


def test_a_too_long_comment_is_refused_and_its_text_shown_again(client, people, case):
    client.force_login(people["bob"])
    text = "x" * (MAX_BODY + 1)
    response = client.post(_add(case), {"body": text})
    assert not Comment.objects.exists()
    assert any("at most 10,000 characters" in m for m in _messages(response))
    page = client.get(f"/cases/{case.number}/comments/").content.decode()
    assert text in page
    # Shown once only: the next page starts empty again.
    assert text not in client.get(f"/cases/{case.number}/comments/").content.decode()


def test_a_comment_of_exactly_the_limit_with_crlf_line_ends_is_accepted(client, people, case):
    client.force_login(people["bob"])
    body = "a\r\n" * (MAX_BODY // 2 - 2) + "end"  # 9,999 characters with LF, 14,997 with CRLF
    client.post(_add(case), {"body": body})
    assert Comment.objects.get().body == body.replace("\r\n", "\n")


def test_a_parent_from_another_case_is_refused_and_the_text_kept(client, people, case, say):
    other = make_case(created_by=people["alice"])
    elsewhere = say(people["bob"], other, "On another case.")
    client.force_login(people["bob"])
    response = client.post(_add(case), {"body": "My careful reply.", "parent": elsewhere.pk})
    assert not Comment.objects.filter(case=case).exists()
    assert any("not part of this case" in m for m in _messages(response))
    assert "My careful reply." in client.get(f"/cases/{case.number}/comments/").content.decode()


@pytest.mark.parametrize(
    "parent", ["abc", "-1", "999999", "1.5", "²", "٣", "99999999999999999999", "9" * 5000]
)
def test_a_malformed_or_missing_parent_is_refused(client, people, case, parent):
    client.force_login(people["bob"])
    response = client.post(_add(case), {"body": "Reply.", "parent": parent})
    assert response.status_code == 302
    assert not Comment.objects.exists()


@pytest.mark.parametrize("flag", [{"deleted": True}, {"hidden": True}])
def test_a_reply_to_a_deleted_or_hidden_comment_is_refused(client, people, case, say, flag):
    parent = say(people["charlie"], case, "Gone.", **flag)
    say(people["alice"], case, "An earlier reply keeps it in the thread.", parent=parent)
    client.force_login(people["bob"])
    response = client.post(_add(case), {"body": "Late reply.", "parent": parent.pk})
    assert Comment.objects.count() == 2
    assert any("deleted or hidden" in m for m in _messages(response))
    # The text comes back in the main form, since the reply form is gone.
    page = client.get(f"/cases/{case.number}/comments/").content.decode()
    assert "Late reply." in page


def test_the_text_of_a_refused_reply_comes_back_in_its_reply_form(client, people, case, say):
    parent = say(people["alice"], case, "Question?")
    client.force_login(people["bob"])
    for n in range(10):
        say(people["bob"], case, f"Quick {n}")
    response = client.post(_add(case), {"body": "The eleventh.", "parent": parent.pk})
    assert response["Location"].endswith(f"#comment-{parent.pk}")
    page = client.get(f"/cases/{case.number}/comments/").content.decode()
    assert f'id="reply-{parent.pk}" name="body" rows="3" required>The eleventh.</textarea>' in page
    assert '<details class="comment-reply" open>' in page


def test_more_than_ten_comments_a_minute_are_refused(client, people, case):
    client.force_login(people["bob"])
    for n in range(10):
        assert client.post(_add(case), {"body": f"Comment {n}"}).status_code == 302
    response = client.post(_add(case), {"body": "One too many"})
    assert Comment.objects.count() == 10
    assert any("10 comments in the last minute" in m for m in _messages(response))


def test_the_rate_limit_counts_only_the_last_minute(client, people, case, say):
    old = timezone.now() - dt.timedelta(minutes=2)
    for n in range(10):
        say(people["bob"], case, f"Old {n}", created=old)
    client.force_login(people["bob"])
    client.post(_add(case), {"body": "Fresh"})
    assert Comment.objects.filter(body="Fresh").exists()


def test_the_rate_limit_is_per_user(client, people, case, say):
    for n in range(10):
        say(people["bob"], case, f"Bob {n}")
    client.force_login(people["charlie"])
    client.post(_add(case), {"body": "Charlie's first"})
    assert Comment.objects.filter(author=people["charlie"]).count() == 1


def test_an_anonymous_post_is_sent_to_sign_in(client, case):
    response = client.post(_add(case), {"body": "Drive-by"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert f"next=/cases/{case.number}/known/" in response["Location"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("fields", [{"status": "draft"}, {"visibility": "private"}])
def test_an_outsider_cannot_comment_on_a_case_they_cannot_see(client, people, fields):
    case = make_case(created_by=people["alice"], **fields)
    client.force_login(people["charlie"])
    assert client.post(_add(case), {"body": "Hello?"}).status_code == 404
    assert not Comment.objects.exists()


def test_an_author_may_comment_on_their_own_draft(client, people):
    case = make_case(created_by=people["alice"], status="draft")
    client.force_login(people["alice"])
    client.post(_add(case), {"body": "Note to my co-authors."})
    assert Comment.objects.filter(case=case).exists()


def test_an_unknown_case_is_404(client, people):
    client.force_login(people["bob"])
    assert client.post("/cases/zz999/comments/add/", {"body": "x"}).status_code == 404


def test_get_is_not_allowed(client, people, case):
    client.force_login(people["bob"])
    assert client.get(_add(case)).status_code == 405


def test_csrf_is_enforced(people, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["bob"])
    assert client.post(_add(case), {"body": "Forged"}).status_code == 403
    assert not Comment.objects.exists()


def test_a_post_with_the_pages_csrf_token_is_accepted(people, case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["bob"])
    client.get(f"/cases/{case.number}/comments/")
    token = client.cookies["csrftoken"].value
    response = client.post(_add(case), {"body": "Genuine", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Comment.objects.filter(body="Genuine").exists()
