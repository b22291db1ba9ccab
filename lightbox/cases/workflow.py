"""The review workflow: draft → submitted → changes requested ↔ submitted → published →
retired, and an editor's reinstatement of a retired case.

Each transition is one function that checks the permission (in :mod:`lightbox.cases.access`),
moves the case, keeps a :class:`~lightbox.cases.models.ReviewNote` (what an editor asked,
what an author answered), records a revision and an audit entry, and tells the people
concerned by e-mail. Publication is refused while :meth:`Case.publication_blockers` finds
anything: an image awaiting pixel review, or a possible identifier in the text that nobody
has resolved.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from lightbox.accounts.roles import editors_q
from lightbox.audit.log import record as audit
from lightbox.cases import access
from lightbox.cases.models import Case, ReviewNote, Status
from lightbox.history.revisions import record as revision

__all__ = ["ACTIONS", "Refused", "may_ever_take", "transition"]


class Refused(Exception):
    """The transition is not allowed now; the message says why, for the author."""


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    target: str
    allowed: Any  # (user, case) -> bool
    audit: str
    note_required: bool = False


ACTIONS = {
    a.name: a
    for a in (
        Action("submit", "Submit for review", Status.SUBMITTED, access.can_submit_case, "submit"),
        Action(
            "request_changes",
            "Request changes",
            Status.CHANGES,
            access.can_review_case,
            "request_changes",
            note_required=True,
        ),
        Action("publish", "Publish", Status.PUBLISHED, access.can_review_case, "publish"),
        Action("retire", "Retire", Status.RETIRED, access.can_retire_case, "retire"),
        Action("reinstate", "Reinstate", Status.PUBLISHED, access.can_reinstate_case, "restore"),
    )
}


def available(user: Any, case: Case) -> list[Action]:
    return [a for a in ACTIONS.values() if a.allowed(user, case)]


def may_ever_take(user: Any, case: Case, name: str) -> bool:
    """Whether ``user`` may take step ``name`` on ``case`` at some stage of its review.

    If not, refusing the step is about who asks (an author cannot publish); if so, about
    the stage the case is at (an editor cannot publish a draft). The same rules of
    :mod:`lightbox.cases.access` are asked, of a copy of the case at each stage.
    """
    action = ACTIONS.get(name)
    if action is None:
        return False
    for status in Status.values:
        probe = copy.copy(case)
        probe.status = status
        if action.allowed(user, probe):
            return True
    return False


def transition(request: Any, case: Case, name: str, note: str = "") -> Case:
    """Apply transition ``name`` to ``case`` for ``request.user``.

    Raises
    ------
    Refused
        Not allowed for this user in this state, a note missing, or publication blocked.
    """
    user = request.user
    action = ACTIONS.get(name)
    if action is None or not action.allowed(user, case):
        raise Refused("That step is not possible for this case now.")
    note = note.strip()
    if action.note_required and not note:
        raise Refused("Say what needs changing: the authors see this note.")
    if action.target == Status.PUBLISHED and (blockers := case.publication_blockers()):
        raise Refused("Not published: " + " ".join(blockers))
    with transaction.atomic():
        case.status = action.target
        if action.target == Status.PUBLISHED and case.published_at is None:
            case.published_at = timezone.now()
        case.save(update_fields=["status", "published_at", "updated"])
        ReviewNote.objects.create(case=case, author=user, status=action.target, text=note)
        revision(case, user=user, kind="status", message=f"{action.label}: {note}"[:200])
        audit(
            action.audit,
            request=request,
            target=case,
            summary=f"{action.label} {case.number}",
            status=action.target,
            note=note,
        )
    _notify(request, case, action, note)
    return case


def _notify(request: Any, case: Case, action: Action, note: str) -> None:
    """Editors hear of a submission; the case's authors of every editor's decision."""
    users = get_user_model().objects.filter(is_active=True).exclude(pk=request.user.pk)
    if action.name == "submit":
        recipients = users.filter(editors_q())
    else:
        ids = {case.created_by_id, *case.authors.values_list("user_id", flat=True)}
        recipients = users.filter(pk__in=[i for i in ids if i])
    emails = sorted({e for e in recipients.values_list("email", flat=True) if e})
    if not emails:
        return
    url = request.build_absolute_uri(case.get_known_url())
    who = request.user.get_full_name() or request.user.get_username()
    body = f"{who}: {action.label.lower()} — case {case.number} ({case.title}).\n"
    if note:
        body += f"\n{note}\n"
    body += f"\n{url}\n"
    subject = f"Case {case.number}: {action.label.lower()}"
    # One message each: recipients do not see each other's addresses.
    messages = [(subject, body, None, [email]) for email in emails]
    transaction.on_commit(lambda: send_mass_mail(messages))
