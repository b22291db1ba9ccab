"""Who may do what. Every view and API endpoint asks here (or, for what a role alone
decides, :mod:`lightbox.accounts.roles`); none decides on its own.

Roles: learner, author, editor, administrator (:func:`~lightbox.accounts.roles.role_of`).

- anyone: published cases that are public;
- a signed-in user: also published cases visible to the institution;
- an author: also creates cases, and sees and edits their own and those shared with them
  (as a co-author with an account), in any state and visibility;
- an editor and an administrator: every case; editors review, publish, retire, edit
  topics and moderate comments; administrators also manage people and read the audit log
  (:mod:`lightbox.accounts.roles`).

Conferences (see the end of this module) add one more way in: anyone holding the join
code of a running conference, signed in or not, sees its current case as an unknown.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import connection
from django.db.models import Q

from lightbox.accounts.roles import is_admin, is_editor, role_of
from lightbox.cases.models import Case, CaseAuthor, Status, Visibility
from lightbox.lib.schema import column

__all__ = [
    "can_have_api_tokens",
    "can_revoke_api_token",
    "can_answer_cases",
    "can_overrule_grade",
    "can_see_case_results",
    "can_see_difficulty_report",
    "can_view_progress_of",
    "can_add_comment",
    "can_answer_in_conference",
    "can_attend_conference",
    "can_create_conference",
    "can_put_on_agenda",
    "can_run_conference",
    "conference_shows_answer",
    "can_edit_topic",
    "can_reinstate_case",
    "can_retire_case",
    "can_review_case",
    "can_submit_case",
    "can_change_comment",
    "can_claim_case",
    "can_create_case",
    "can_use_inbox",
    "can_redact_history",
    "can_moderate_comments",
    "can_reply_to_comment",
    "can_see_comment",
    "can_restore_case_revision",
    "can_restore_topic_revision",
    "can_view_case_history",
    "can_view_topic_history",
    "can_edit_case",
    "can_view_case",
    "visible_cases_q",
    "visible_topic_cases_q",
]


def can_create_case(user: Any) -> bool:
    return role_of(user) in ("author", "editor", "admin")


def can_use_inbox(user: Any) -> bool:
    """The inbox of studies received from the PACS: whoever may create cases."""
    return can_create_case(user)


def can_claim_case(user: Any, case: Case) -> bool:
    """Take a draft that waits in the inbox (a study the PACS sent for no one in
    particular) as one's own."""
    return can_create_case(user) and case.created_by_id is None and case.status == Status.DRAFT


def can_edit_topic(user: Any) -> bool:
    """Write and change topic pages ("References and General Discussion")."""
    return is_editor(user)


# -- the review workflow (see lightbox.cases.workflow for the transitions) ----------------


def can_submit_case(user: Any, case: Case) -> bool:
    return case.status in (Status.DRAFT, Status.CHANGES) and can_edit_case(user, case)


def can_review_case(user: Any, case: Case) -> bool:
    """Publish a submitted case, or send it back with a request for changes."""
    return case.status == Status.SUBMITTED and is_editor(user)


def can_retire_case(user: Any, case: Case) -> bool:
    return case.status == Status.PUBLISHED and is_editor(user)


def can_reinstate_case(user: Any, case: Case) -> bool:
    return case.status == Status.RETIRED and is_editor(user)


def visible_cases_q(user: Any, prefix: str = "") -> Q:
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


def own_case_ids(user: Any) -> set[int]:
    """Ids of the cases ``user`` created or is an author of: what they see whatever the
    case's status (see :func:`visible_cases_q`).

    A UNION of two indexed lookups, in plain SQL: every search by a signed-in reader
    asks, and the two ORM queries cost ten times what the database does (an OR with a
    subquery also made PostgreSQL scan every case)."""
    if not user.is_authenticated:
        return set()
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {qn(column(Case, 'pk'))} FROM {qn(Case._meta.db_table)} "  # noqa: S608 (model names)
        f"WHERE {qn(column(Case, 'created_by'))} = %s UNION "
        f"SELECT {qn(column(CaseAuthor, 'case'))} FROM {qn(CaseAuthor._meta.db_table)} "
        f"WHERE {qn(column(CaseAuthor, 'user'))} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        return {row[0] for row in cursor.fetchall()}


class CaseLike(Protocol):
    """What :func:`only_visible` reads of a case: a Case, or a row of a search page."""

    @property
    def pk(self) -> Any: ...
    @property
    def status(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def created_by_id(self) -> int | None: ...


def only_visible[C: CaseLike](user: Any, cases: list[C]) -> list[C]:
    """Those of ``cases`` (already loaded: cases, or anything with their ``pk``,
    ``status``, ``visibility`` and ``created_by_id``) that ``user`` may see, in order:
    the rule of :func:`visible_cases_q` applied in Python, with at most one query. For
    a page of cases found by id, where a ``visible_cases_q`` filter would lead SQLite to
    scan the listing index instead of looking the ids up."""
    if is_editor(user):
        return list(cases)
    levels = {Visibility.PUBLIC}
    if user.is_authenticated:
        levels.add(Visibility.INSTITUTION)

    def open_to_all(case: Any) -> bool:
        return case.status == Status.PUBLISHED and case.visibility in levels

    own: set[int] = set()
    if user.is_authenticated and not all(open_to_all(c) for c in cases):
        own = set(
            CaseAuthor.objects.filter(user=user, case_id__in=[c.pk for c in cases]).values_list(
                "case_id", flat=True
            )
        )
    return [
        c
        for c in cases
        if open_to_all(c)
        or (user.is_authenticated and (c.created_by_id == user.pk or c.pk in own))
    ]


def visible_topic_cases_q(user: Any) -> Q:
    return visible_cases_q(user, prefix="cases__")


def can_view_case(user: Any, case: Case) -> bool:
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


def can_edit_case(user: Any, case: Case) -> bool:
    """Authors of the case (its creator and any co-author with an account) and editors; a
    retired case only by editors."""
    if not user.is_authenticated:
        return False
    if is_editor(user):
        return True
    if case.status == Status.RETIRED or role_of(user) == "learner":
        return False
    return case.created_by_id == user.pk or case.authors.filter(user=user).exists()


# -- revisions: a case's history is for the people who may edit it; a topic's, editors ----


def can_view_case_history(user: Any, case: Case) -> bool:
    return can_edit_case(user, case)


def can_restore_case_revision(user: Any, case: Case) -> bool:
    return can_edit_case(user, case)


def can_redact_history(user: Any) -> bool:
    """Purge a text (an identifier) from every revision of a case or topic: editors and
    administrators, not the case's authors (whose edits the history is there to keep)."""
    return is_editor(user)


def can_view_topic_history(user: Any, topic: Any) -> bool:
    return is_editor(user)


def can_restore_topic_revision(user: Any, topic: Any) -> bool:
    return is_editor(user)


# -- comments: read with the case (hidden ones: their author and editors); add or reply when
# signed in; edit or delete one's own while it is shown; editors hide and restore -------


def can_add_comment(user: Any, case: Case) -> bool:
    return bool(user.is_authenticated and can_view_case(user, case))


def can_see_comment(user: Any, comment: Any) -> bool:
    """Whether ``user`` may read the comment's text (deleted comments: nobody, on a page)."""
    if comment.deleted or not can_view_case(user, comment.case):
        return False
    if comment.hidden:
        return is_editor(user) or _is_comment_author(user, comment)
    return True


def can_reply_to_comment(user: Any, comment: Any) -> bool:
    return not comment.is_removed and can_add_comment(user, comment.case)


def can_change_comment(user: Any, comment: Any) -> bool:
    """Edit or delete: the author's own comment, while it is still shown to everyone."""
    return (
        not comment.is_removed
        and _is_comment_author(user, comment)
        and can_view_case(user, comment.case)
    )


def can_moderate_comments(user: Any, case: Case) -> bool:
    """Hide and restore comments on ``case``."""
    return is_editor(user) and can_view_case(user, case)


def _is_comment_author(user: Any, comment: Any) -> bool:
    return bool(user.is_authenticated and comment.author_id == user.pk)


# -- conferences: editors and administrators build and present them; attendees are anyone
# holding the join code while the room is open, and see the current case as an unknown
# until the presenter reveals it ----------------------------------------------------------


def can_create_conference(user: Any) -> bool:
    return is_editor(user)


def can_run_conference(user: Any, conference: Any) -> bool:
    """Edit the agenda and present: the editor who owns the conference, and
    administrators (who may take over a colleague's room)."""
    if not is_editor(user):
        return False
    return conference.owner_id == user.pk or is_admin(user)


def can_put_on_agenda(user: Any, conference: Any, case: Case) -> bool:
    """An agenda holds only cases its presenter may read: attending lets a room see what
    the presenter shows, never more."""
    return can_run_conference(user, conference) and can_view_case(user, case)


def can_attend_conference(conference: Any) -> bool:
    """Whether the join code opens the room: only while it is being presented. Who holds
    the code is not asked — it is a room of residents on their phones, signed in or not."""
    return bool(conference.is_live)


def can_answer_in_conference(conference: Any) -> bool:
    return bool(conference.is_live) and conference.stage == "open"


def conference_shows_answer(conference: Any) -> bool:
    """Whether attendees may see the current case's diagnosis: once it is revealed, and
    not a moment before."""
    return bool(conference.is_live) and conference.stage == "revealed"


# -- learning (lightbox.learning) ----------------------------------------------------------


def can_answer_cases(user: Any) -> bool:
    """Committing an answer, being graded, sessions, reviews, one's own progress: any
    signed-in reader. Anonymous readers keep the plain reveal."""
    return bool(user.is_authenticated)


def can_see_case_results(user: Any, case: Case) -> bool:
    """A case's aggregate results (how many got it, the common answers, never who gave
    them): editors, administrators and the case's own authors."""
    return can_edit_case(user, case)


def can_overrule_grade(user: Any, case: Case) -> bool:
    """Accepting or refusing an answer on a case: its authors and the editors."""
    return can_edit_case(user, case)


def can_view_progress_of(user: Any, reader: Any) -> bool:
    """A reader's own record; an editor (a program director) may open any learner's."""
    return bool(user.is_authenticated) and (user.pk == reader.pk or is_editor(user))


def can_see_difficulty_report(user: Any) -> bool:
    """The cases whose measured and stated difficulty disagree: editors."""
    return is_editor(user)


# -- API tokens (lightbox.api): a token acts as its owner, so everything above applies to
# it; these decide only who holds and revokes tokens ------------------------------------


def can_have_api_tokens(user: Any) -> bool:
    """Make and list one's own tokens: anyone signed in (a learner's token can do what the
    learner can: read, answer, comment)."""
    return bool(user.is_authenticated and user.is_active)


def can_revoke_api_token(user: Any, token: Any) -> bool:
    """One's own tokens, from the token page; administrators revoke anyone's in the
    Django admin (:func:`lightbox.accounts.roles.can_manage_people`)."""
    return bool(user.is_authenticated and token.user_id == user.pk) or is_admin(user)
