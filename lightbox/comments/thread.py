"""A case's comment thread as one reader may see it, ready for ``comments/_thread.html``.

The known page (and the standalone thread page) add :func:`thread_context` to their
context and include the template::

    context |= thread_context(request, case)
    {% include "comments/_thread.html" %}
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from lightbox.cases.access import (
    can_add_comment,
    can_change_comment,
    can_moderate_comments,
    can_reply_to_comment,
    can_see_comment,
)
from lightbox.cases.models import Case
from lightbox.comments.forms import CommentForm
from lightbox.comments.models import Comment

__all__ = ["DRAFT_KEY", "MAX_INDENT", "Entry", "keep_draft", "thread_context"]

# Replies indent up to this many levels; deeper replies line up at the last level and say
# whom they answer.
MAX_INDENT = 4
# Where a comment that failed validation waits (in the session) to be shown again.
DRAFT_KEY = "lightbox-comment-draft"
# A draft longer than this is not kept (it would bloat the session); the limit is 10,000.
MAX_DRAFT = 50_000


@dataclass
class Entry:
    """One comment in the thread, as the reader may see it.

    ``placeholder`` is ``"deleted"`` or ``"hidden"`` when the reader may not read the
    comment but it stays to keep its replies in place; its text is then never shown.
    ``reply_to`` is the entry it answers when it is deeper than ``MAX_INDENT`` (so not
    indented under it). ``draft`` is reply text re-shown after a failed post.
    """

    comment: Comment
    level: int
    placeholder: str = ""
    reply_to: Entry | None = None
    children: list[Entry] = field(default_factory=list)
    can_reply: bool = False
    can_change: bool = False
    can_moderate: bool = False
    draft: str = ""


def keep_draft(request: HttpRequest, case: Case, parent_id: int | None, body: str) -> None:
    """Keep text that could not be posted, for the next :func:`thread_context` to re-show."""
    if body and len(body) <= MAX_DRAFT:
        request.session[DRAFT_KEY] = {"case": case.pk, "parent": parent_id, "body": body}


def _take_draft(request: HttpRequest, case: Case) -> tuple[int | None, str]:
    session = getattr(request, "session", None)
    if session is None or not request.user.is_authenticated:
        return None, ""
    draft = session.get(DRAFT_KEY)
    if not isinstance(draft, dict) or draft.get("case") != case.pk:
        return None, ""
    del session[DRAFT_KEY]
    return draft.get("parent"), str(draft.get("body", ""))


def thread_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The context ``comments/_thread.html`` needs, for a reader who may view ``case``.

    Returns
    -------
    dict
        ``comment_case`` the case; ``comments`` the top-level :class:`Entry` objects in
        order, each with its ``children``; ``comment_count`` how many comments the reader
        can read; ``comment_form`` the new-comment form (holding re-shown text, if any);
        ``can_comment`` whether the reader may post; ``can_moderate`` whether they may hide
        and restore; ``comment_login_url`` the sign-in link that comes back here.
    """
    user = request.user
    draft_parent, draft = _take_draft(request, case)
    entries = _entries(user, case)
    by_pk = {e.comment.pk: e for e in _walk(entries)}
    form_text = draft
    if draft and draft_parent is not None:
        target = by_pk.get(draft_parent)
        if target is not None and target.can_reply:
            target.draft, form_text = draft, ""
    return {
        "comment_case": case,
        "comments": entries,
        "comment_count": sum(not e.placeholder for e in by_pk.values()),
        "comment_form": CommentForm(initial={"body": form_text}),
        "can_comment": can_add_comment(user, case),
        "can_moderate": can_moderate_comments(user, case),
        "comment_login_url": f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}",
    }


def _entries(user, case: Case) -> list[Entry]:
    comments = list(case.comments.select_related("author", "hidden_by"))
    for c in comments:
        c.case = case
    pks = {c.pk for c in comments}
    roots: list[Comment] = []
    children: dict[int, list[Comment]] = defaultdict(list)
    for c in comments:
        if c.parent_id in pks:
            children[c.parent_id].append(c)
        else:
            roots.append(c)

    # Depth first, without recursion: a thread may be deeper than Python's stack.
    order: list[Comment] = []
    seen: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        c = stack.pop()
        if c.pk not in seen:
            seen.add(c.pk)
            order.append(c)
            stack.extend(reversed(children[c.pk]))

    readable = {c.pk: can_see_comment(user, c) for c in comments}
    # A comment the reader may not read stays (as a placeholder) while a reply below it stays.
    keep: dict[int, bool] = {}
    for c in reversed(order):
        keep[c.pk] = readable[c.pk] or any(keep.get(r.pk, False) for r in children[c.pk])

    moderator = can_moderate_comments(user, case)
    top: list[Entry] = []
    made: dict[int, Entry] = {}
    pending: list[tuple[Comment, int, list[Entry]]] = [(c, 0, top) for c in reversed(roots)]
    while pending:
        c, depth, siblings = pending.pop()
        if not keep.get(c.pk) or c.pk in made:
            continue
        entry = Entry(comment=c, level=min(depth, MAX_INDENT))
        if not readable[c.pk]:
            entry.placeholder = "deleted" if c.deleted else "hidden"
        else:
            entry.can_reply = can_reply_to_comment(user, c)
            entry.can_change = can_change_comment(user, c)
            entry.can_moderate = moderator
        if depth > MAX_INDENT:
            entry.reply_to = made.get(c.parent_id or 0)
        made[c.pk] = entry
        siblings.append(entry)
        # At the deepest indent, replies join the same list, right after what they answer.
        below = entry.children if depth < MAX_INDENT else siblings
        pending.extend((r, depth + 1, below) for r in reversed(children[c.pk]))
    return top


def _walk(entries: list[Entry]) -> list[Entry]:
    out: list[Entry] = []
    stack = list(reversed(entries))
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(reversed(e.children))
    return out
