"""Who may see which case. Every view and API endpoint asks here; none decides on its own.

The rules (roles come later; for now an editor is a staff user):

- anyone: published cases that are public;
- a signed-in user: also published cases visible to the institution;
- an author: also their own cases, in any state and visibility;
- an editor (staff) and administrator: every case.
"""

from __future__ import annotations

from django.db.models import Q

from lightbox.cases.models import Case, CaseAuthor, Status, Visibility

__all__ = [
    "can_edit_case",
    "can_view_case",
    "is_editor",
    "visible_cases_q",
    "visible_topic_cases_q",
]


def is_editor(user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def visible_cases_q(user, prefix: str = "") -> Q:
    """A filter for the cases ``user`` may see; ``prefix`` for use across a relation."""
    if is_editor(user):
        return Q()
    levels = [Visibility.PUBLIC]
    if user.is_authenticated:
        levels.append(Visibility.INSTITUTION)
    q = Q(**{f"{prefix}status": Status.PUBLISHED, f"{prefix}visibility__in": levels})
    if user.is_authenticated:
        # A subquery, not a join, so the result never holds a case twice.
        authored = CaseAuthor.objects.filter(user=user).values("case_id")
        q |= Q(**{f"{prefix}created_by": user}) | Q(**{f"{prefix}pk__in": authored})
    return q


def visible_topic_cases_q(user) -> Q:
    return visible_cases_q(user, prefix="cases__")


def can_view_case(user, case: Case) -> bool:
    if is_editor(user):
        return True
    if case.status == Status.PUBLISHED:
        if case.visibility == Visibility.PUBLIC:
            return True
        if case.visibility == Visibility.INSTITUTION and user.is_authenticated:
            return True
    if not user.is_authenticated:
        return False
    return case.created_by_id == user.pk or case.authors.filter(user=user).exists()


def can_edit_case(user, case: Case) -> bool:
    """Authors of the case (its creator and any co-author with an account) and editors."""
    if not user.is_authenticated:
        return False
    if is_editor(user):
        return True
    return case.created_by_id == user.pk or case.authors.filter(user=user).exists()
