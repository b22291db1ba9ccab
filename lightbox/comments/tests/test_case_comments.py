"""GET cases/<number>/comments/: the thread on its own page, and what each reader sees."""

import re

import pytest

from lightbox.comments.models import Comment
from lightbox.test import make_case, text_of

pytestmark = pytest.mark.django_db


def _page(client, case) -> str:
    response = client.get(f"/cases/{case.number}/comments/")
    assert response.status_code == 200
    return response.content.decode()


def _ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article id="comment-(\d+)"', html)]


def test_it_shows_the_thread_with_a_link_to_the_case(client, people, case, say):
    say(people["bob"], case, "Why not **scleroderma**?")
    html = _page(client, case)
    assert f'href="/cases/{case.number}/known/"' in html
    assert 'Comments <span class="count">(1)</span>' in html
    assert "Bob" in html  # the author's display name
    assert "<strong>scleroderma</strong>" in html


def test_it_shows_an_empty_thread(client, people, case):
    html = _page(client, case)
    assert "No comments yet." in html
    assert "(0)" in html


def test_anonymous_readers_are_invited_to_sign_in(client, case):
    html = _page(client, case)
    assert "Sign in to comment" in html
    assert f"/accounts/login/?next=/cases/{case.number}/comments/" in html
    assert 'id="comment-form"' not in html


def test_signed_in_readers_get_the_form(client, people, case):
    client.force_login(people["bob"])
    html = _page(client, case)
    assert 'id="comment-form"' in html
    assert "Sign in to comment" not in html


def test_replies_nest_under_their_comment_in_order(client, people, case, say):
    first = say(people["bob"], case, "First")
    second = say(people["charlie"], case, "Second")
    reply_to_first = say(people["alice"], case, "Reply to first", parent=first)
    reply_to_reply = say(people["bob"], case, "Reply to reply", parent=reply_to_first)
    late_reply = say(people["erin"], case, "Late reply to first", parent=first)
    html = _page(client, case)
    assert _ids(html) == [first.pk, reply_to_first.pk, reply_to_reply.pk, late_reply.pk, second.pk]
    # reply_to_reply sits inside reply_to_first's <li>, which sits inside first's.
    first_li = html[
        html.index(f'id="comment-{first.pk}"') : html.index(f'id="comment-{second.pk}"')
    ]
    assert first_li.count('<ol class="comment-list comment-replies">') == 2


def test_deep_replies_stop_indenting_and_say_whom_they_answer(client, people, case, say):
    chain = [say(people["bob"], case, "Level 0")]
    for level in range(1, 8):
        chain.append(say(people["alice"], case, f"Level {level}", parent=chain[-1]))
    html = _page(client, case)
    assert _ids(html) == [c.pk for c in chain]
    assert html.count('<ol class="comment-list comment-replies">') == 4
    assert f'href="#comment-{chain[5].pk}">in reply to Alice</a>' in html
    assert "in reply to" not in html[: html.index(f'id="comment-{chain[5].pk}"')]


def test_a_thread_deeper_than_pythons_stack_still_renders(client, people, case):
    parent = None
    rows = []
    for n in range(1200):
        parent = Comment(case=case, author=people["bob"], body=f"n{n}", parent=parent)
        parent.save()
        rows.append(parent)
    html = _page(client, case)
    assert _ids(html)[-1] == rows[-1].pk


def test_edited_comments_are_marked(client, people, case, say):
    comment = say(people["bob"], case, "Typo")
    comment.edit("Fixed")
    assert "(edited)" in _page(client, case)


def test_the_author_sees_edit_and_delete_others_do_not(client, people, case, say):
    comment = say(people["bob"], case, "Mine")
    client.force_login(people["bob"])
    html = _page(client, case)
    assert f"/comments/{comment.pk}/edit/" in html
    assert f"/comments/{comment.pk}/delete/" in html
    assert f"/comments/{comment.pk}/hide/" not in html
    client.force_login(people["charlie"])
    html = _page(client, case)
    assert f"/comments/{comment.pk}/edit/" not in html
    assert f"/comments/{comment.pk}/delete/" not in html
    assert "<summary>Reply</summary>" in html


def test_editors_see_hide_and_restore(client, people, case, say):
    shown = say(people["bob"], case, "Shown")
    hidden = say(people["bob"], case, "Hidden", hidden=True, hidden_reason="Off topic")
    client.force_login(people["erin"])
    html = _page(client, case)
    assert f"/comments/{shown.pk}/hide/" in html
    assert f"/comments/{hidden.pk}/restore/" in html


def test_hidden_comments_are_shown_marked_to_author_and_editor_only(client, people, case, say):
    say(people["bob"], case, "Rude remark", hidden=True, hidden_reason="Be kind")
    for name in ("bob", "erin"):
        client.force_login(people[name])
        text = text_of(_page(client, case))
        assert "Rude remark" in text
        assert "Hidden by a moderator" in text and "Be kind" in text
    for name in ("alice", "charlie"):
        client.force_login(people[name])
        html = _page(client, case)
        assert "Rude remark" not in html and "Be kind" not in html
        assert "(0)" in html
    client.logout()
    assert "Rude remark" not in _page(client, case)


def test_a_hidden_comment_with_replies_leaves_a_placeholder_for_others(client, people, case, say):
    rude = say(people["bob"], case, "Rude remark", hidden=True, hidden_reason="Be kind")
    say(people["alice"], case, "Polite answer", parent=rude)
    client.force_login(people["charlie"])
    html = _page(client, case)
    assert "Rude remark" not in html
    assert "[hidden]" in html and "Polite answer" in html


def test_a_deleted_comment_with_replies_shows_deleted_and_keeps_them(client, people, case, say):
    gone = say(people["bob"], case, "Regretted", deleted=True)
    say(people["alice"], case, "Answer stays", parent=gone)
    for name in ("bob", "erin", "charlie"):
        client.force_login(people[name])
        html = _page(client, case)
        assert "Regretted" not in html
        assert "[deleted]" in html and "Answer stays" in html
        assert "(1)" in html


def test_a_deleted_comment_without_replies_disappears(client, people, case, say):
    gone = say(people["bob"], case, "Regretted", deleted=True)
    # A deleted reply under it does not keep it either.
    say(people["alice"], case, "Also gone", parent=gone, deleted=True)
    html = _page(client, case)
    assert "[deleted]" not in html and "Regretted" not in html and "Also gone" not in html
    assert "No comments yet." in html


@pytest.mark.parametrize("fields", [{"status": "draft"}, {"visibility": "private"}])
def test_outsiders_get_404_for_a_case_they_cannot_see(client, people, say, fields):
    case = make_case(created_by=people["alice"], **fields)
    say(people["alice"], case, "Secret discussion")
    for user in (people["charlie"], people["bob"], None):
        client.logout()
        if user:
            client.force_login(user)
        assert client.get(f"/cases/{case.number}/comments/").status_code == 404
    client.force_login(people["alice"])
    assert "Secret discussion" in _page(client, case)
    client.force_login(people["erin"])
    assert "Secret discussion" in _page(client, case)


def test_an_institution_case_needs_a_sign_in(client, people, say):
    case = make_case(created_by=people["alice"], visibility="institution")
    assert client.get(f"/cases/{case.number}/comments/").status_code == 404
    client.force_login(people["bob"])
    assert client.get(f"/cases/{case.number}/comments/").status_code == 200


def test_an_unknown_or_malformed_case_is_404(client):
    assert client.get("/cases/zz999/comments/").status_code == 404
    assert client.get("/cases/not-a-case/comments/").status_code == 404


def test_comments_are_not_on_the_unknown_page(client, people, case, say):
    say(people["bob"], case, "The diagnosis is obviously calcinosis")
    client.force_login(people["bob"])
    response = client.get(f"/cases/{case.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "obviously calcinosis" not in html
    assert 'id="comments"' not in html
