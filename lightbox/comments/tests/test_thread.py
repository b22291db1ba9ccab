"""thread_context(request, case): the contract the known page relies on."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory

from lightbox.comments.forms import CommentForm
from lightbox.comments.thread import DRAFT_KEY, MAX_INDENT, keep_draft, thread_context
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def _request(user, path="/cases/bs001/known/"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    return request


def test_it_gives_the_documented_keys(people, case, say):
    comment = say(people["bob"], case, "Hello")
    context = thread_context(_request(people["bob"]), case)
    assert set(context) == {
        "comment_case",
        "comments",
        "comment_count",
        "comment_form",
        "can_comment",
        "can_moderate",
        "comment_login_url",
    }
    assert context["comment_case"] == case
    assert [e.comment for e in context["comments"]] == [comment]
    assert context["comment_count"] == 1
    assert isinstance(context["comment_form"], CommentForm)
    assert context["can_comment"] and not context["can_moderate"]
    entry = context["comments"][0]
    assert entry.can_reply and entry.can_change and not entry.can_moderate


def test_anonymous_readers_may_read_but_not_post(people, case, say):
    say(people["bob"], case, "Hello")
    context = thread_context(_request(AnonymousUser()), case)
    assert context["comment_count"] == 1
    assert not context["can_comment"]
    assert context["comment_login_url"] == "/accounts/login/?next=%2Fcases%2Fbs001%2Fknown%2F"
    entry = context["comments"][0]
    assert not (entry.can_reply or entry.can_change or entry.can_moderate)


def test_editors_may_moderate(people, case, say):
    say(people["bob"], case, "Hello")
    context = thread_context(_request(people["erin"]), case)
    assert context["can_moderate"] and context["comments"][0].can_moderate


def test_levels_stop_at_the_indent_limit(people, case, say):
    parent = None
    for n in range(MAX_INDENT + 3):
        parent = say(people["bob"], case, f"n{n}", parent=parent)
    entries = thread_context(_request(people["bob"]), case)["comments"]
    levels = []
    while entries:
        levels.extend(e.level for e in entries)
        entries = entries[0].children
    assert levels == [0, 1, 2, 3, 4, 4, 4]


def test_a_draft_is_shown_once_and_only_on_its_own_case(people, case, say):
    other = make_case(created_by=people["alice"])
    request = _request(people["bob"])
    keep_draft(request, case, None, "Unfinished thought")
    assert thread_context(request, other)["comment_form"].initial["body"] == ""
    assert DRAFT_KEY in request.session
    assert thread_context(request, case)["comment_form"].initial["body"] == "Unfinished thought"
    assert DRAFT_KEY not in request.session


def test_the_include_renders_on_any_page(people, case, say):
    say(people["bob"], case, "Rendered *here*")
    request = _request(people["bob"])
    html = render_to_string(
        "comments/_thread.html", thread_context(request, case) | {"user": people["bob"]}, request
    )
    assert "<em>here</em>" in html
    assert 'id="comments"' in html
