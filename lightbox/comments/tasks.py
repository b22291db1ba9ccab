"""Background work for comments, run by the task worker (django.tasks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task

from lightbox.cases.access import can_view_case
from lightbox.comments.models import Comment


@task
def notify_new_comment(comment_id: int, url: str) -> None:
    """E-mail the case's authors, and the author of the comment replied to, about a new
    comment at ``url`` (absolute). Never the commenter; never someone who may not see the
    case; nothing if the comment was deleted or hidden before the worker got to it."""
    comment = (
        Comment.objects.select_related("case__created_by", "author", "parent__author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None or comment.is_removed:
        return
    subject = f"New comment on case {comment.case.number}"
    for user, why in recipients(comment):
        send_mail(subject, _message(comment, url, why), None, [user.email])


def recipients(comment: Comment) -> list[tuple[Any, str]]:
    """Who hears of ``comment``, each once, with why: ``(user, reason)``."""
    case = comment.case
    found: dict[int, tuple[Any, str]] = {}
    if comment.parent is not None and comment.parent.author is not None:
        found[comment.parent.author.pk] = (
            comment.parent.author,
            "you wrote the comment it answers",
        )
    authors = [case.created_by, *(a.user for a in case.authors.select_related("user"))]
    for user in authors:
        if user is not None:
            found.setdefault(user.pk, (user, "you are an author of this case"))
    return [
        (user, why)
        for pk, (user, why) in found.items()
        if pk != comment.author_id and user.email and user.is_active and can_view_case(user, case)
    ]


def _message(comment: Comment, url: str, why: str) -> str:
    verb = "replied to a comment" if comment.parent_id else "commented"
    return (
        f"{comment.author_name} {verb} on case {comment.case.number}:\n\n"
        f"{comment.body}\n\n"
        f"Read the thread: {url}\n\n"
        f"You receive this because {why}.\n"
        f"— {settings.SITE_NAME}\n"
    )
