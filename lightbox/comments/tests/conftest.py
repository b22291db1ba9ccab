from __future__ import annotations

import pytest

from lightbox.comments.models import Comment
from lightbox.test import make_case


@pytest.fixture
def case(people):
    """A published, public case by alice."""
    return make_case(created_by=people["alice"])


@pytest.fixture
def say():
    """Write a comment straight to the database: ``say(user, case, body, parent=None)``."""

    def say(user, case, body, parent=None, **fields):
        return Comment.objects.create(case=case, author=user, body=body, parent=parent, **fields)

    return say
