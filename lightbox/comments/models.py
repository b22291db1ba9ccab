"""Comments about a case: a thread of Markdown notes under the answer.

Comments are part of the answer (they discuss the diagnosis), so they are shown on the
known page only. Nothing is ever hard-deleted: an author's delete and a moderator's hide
are flags, so that a thread keeps its shape and a moderator can always see what was said.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from lightbox.cases.models import Case

MAX_BODY = 10_000
MAX_REASON = 500
#: At most this many comments by one person in RATE_WINDOW, from the page or the API.
RATE_LIMIT = 10
RATE_WINDOW = dt.timedelta(minutes=1)


def posted_too_often(user: Any) -> bool:
    """Whether ``user`` has posted RATE_LIMIT comments in the last RATE_WINDOW."""
    since = timezone.now() - RATE_WINDOW
    return Comment.objects.filter(author=user, created__gt=since).count() >= RATE_LIMIT


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    # A reply; replies nest to any depth (the thread caps only the indentation).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MAX_BODY, help_text="Markdown.")
    created = models.DateTimeField(default=timezone.now)
    edited = models.DateTimeField(null=True, blank=True)

    hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=MAX_REASON, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["created", "pk"]
        indexes = [
            models.Index(fields=["case", "created"], name="comment_thread"),
            # The rate limit counts one author's recent comments.
            models.Index(fields=["author", "created"], name="comment_author_recent"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.case.number}"

    def get_absolute_url(self) -> str:
        return f"{self.case.get_known_url()}#comment-{self.pk}"

    @property
    def author_name(self) -> str:
        """The name shown on the thread: full name, else username."""
        if self.author is None:
            return "A former user"
        return self.author.get_full_name() or self.author.get_username()

    @property
    def hidden_by_name(self) -> str:
        if self.hidden_by is None:
            return "a former editor"
        return self.hidden_by.get_full_name() or self.hidden_by.get_username()

    @property
    def is_removed(self) -> bool:
        """Deleted or hidden: no longer open to replies."""
        return self.deleted or self.hidden

    def edit(self, body: str) -> None:
        if body != self.body:
            self.body = body
            self.edited = timezone.now()
            self.save(update_fields=["body", "edited"])

    def mark_deleted(self) -> None:
        """The author's delete. The row and its text stay; the thread shows ``[deleted]``
        while it has replies and nothing once it has none."""
        self.deleted = True
        self.save(update_fields=["deleted"])

    def hide(self, by, reason: str) -> None:
        self.hidden = True
        self.hidden_reason = reason
        self.hidden_by = by
        self.hidden_at = timezone.now()
        self.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])

    def restore(self) -> None:
        """Show the comment again. Who hid it, when and why stay on the row for the record
        (they are shown only while it is hidden)."""
        self.hidden = False
        self.save(update_fields=["hidden"])
