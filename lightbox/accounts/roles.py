"""A person's role, and what the role alone decides.

Roles (kept on :class:`~lightbox.accounts.models.Profile`): learner, author, editor,
administrator; a Django superuser is always an administrator, and an anonymous visitor
has the role ``"anonymous"``. What a role may do with a case, a comment or a conference
is decided in :mod:`lightbox.cases.access`, which asks here for the role; what needs
nothing but the role (managing people, reading the audit log) is decided here.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q

from lightbox.accounts.models import Profile, Role
from lightbox.lib.schema import column

__all__ = [
    "can_manage_people",
    "can_view_audit",
    "editors_q",
    "is_admin",
    "is_editor",
    "role_of",
]

_ROLE_CACHE = "_lightbox_role"


def role_of(user: Any) -> str:
    """``"anonymous"``, ``"learner"``, ``"author"``, ``"editor"`` or ``"admin"``; looked up
    once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    if user.is_superuser:
        return "admin"
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is None:
        # Plain SQL: every signed-in request asks, and building the query through the
        # ORM cost ten times what answering it does.
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn(column(Profile, 'role'))} FROM {qn(Profile._meta.db_table)} "  # noqa: S608 (model names)
                f"WHERE {qn(column(Profile, 'user'))} = %s",
                [user.pk],
            )
            row = cursor.fetchone()
        cached = (row and row[0]) or Role.LEARNER
        setattr(user, _ROLE_CACHE, cached)
    return str(cached)


def is_editor(user: Any) -> bool:
    return role_of(user) in ("editor", "admin")


def editors_q() -> Q:
    """A filter on users: the editors and administrators (as :func:`is_editor` decides),
    to find them in one query."""
    return Q(is_superuser=True) | Q(profile__role__in=["editor", "admin"])


def is_admin(user: Any) -> bool:
    return role_of(user) == "admin"


def can_manage_people(user: Any) -> bool:
    """Roles and invitations."""
    return is_admin(user)


def can_view_audit(user: Any) -> bool:
    """The audit log: administrators only."""
    return is_admin(user)
