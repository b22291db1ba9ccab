"""The API's writes: cases, topics, comments and the review workflow (and, to write
them, their reading). Images are added by the upload endpoints of :mod:`lightbox.api.views`.

They are registered on the same ``api`` as the reads (django-ninja answers a path with
the operations of one router only, and ``/cases`` is both read and written); the URL
configuration imports this module before it asks ``api`` for its URLs.

Every endpoint asks :mod:`lightbox.cases.access` who may, exactly as the page that does
the same thing: what the caller may not see is a 404, what they see but may not change a
403. Cases and topics are written through the web editor's forms
(:mod:`lightbox.api.editing`), so the API refuses what the editor refuses, records the
same revisions and audit entries, and refuses a stale ``revision`` with 409 as the
editor refuses a stale form. Each write is one transaction: it happens whole or not at
all.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Status
from ninja.errors import HttpError, ValidationError
from ninja.pagination import paginate

from lightbox.api import examples as ex
from lightbox.api.auth import SIGNED_IN
from lightbox.api.editing import case_fields, editor_data, errors_of, form_errors, topic_data
from lightbox.api.examples import documented
from lightbox.api.inputs import (
    MAX_ID,
    CaseIn,
    CasePatch,
    CommentIn,
    CommentPatch,
    TopicIn,
    TopicPatch,
    TransitionIn,
)
from lightbox.api.schemas import (
    CaseOut,
    CommentOut,
    TopicDetailOut,
    TopicSummaryOut,
    comment_out,
)
from lightbox.api.views import CasePages, api, case_or_404
from lightbox.audit.log import record as audit
from lightbox.cases import access, workflow
from lightbox.cases.editor import CaseEditor, Conflict, save_topic
from lightbox.cases.forms import TopicForm
from lightbox.cases.models import Case, Series, Topic, Visibility
from lightbox.cases.models import Status as CaseStatus
from lightbox.comments.forms import CommentForm, HideForm
from lightbox.comments.models import RATE_LIMIT, Comment, posted_too_often
from lightbox.comments.tasks import notify_new_comment
from lightbox.comments.views import absolute_url
from lightbox.history import revisions
from lightbox.lib.http import AuthenticatedHttpRequest

__all__: list[str] = []  # the endpoints are registered on ``api`` as this module loads

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")
SIGN_IN = {401: None}


def _invalid(details: list[dict[str, Any]]) -> ValidationError:
    """A 422 with ``details`` in the API's shape (see ``views._invalid``)."""
    return ValidationError(details)  # type: ignore[arg-type]


def _via(request: HttpRequest) -> dict[str, str]:
    """For an audit entry: the token a write came through, if one did."""
    token = getattr(request, "api_token", None)
    if token is None:
        return {"via": "api"}
    return {"via": "api token", "token": f"{token.name} ({token.hint}…, #{token.pk})"}


def _conflict(what: str, conflict: Conflict, base: int) -> HttpError:
    latest = conflict.latest
    who = latest.user_name or "someone"
    return _Conflict(
        f"{what} was saved by {who} (revision {latest.number}) after revision {base}, which "
        "these changes were made on: nothing was saved. Read it again, make the changes "
        f"there and send revision {latest.number}.",
        [
            {"loc": ["body", d.key], "msg": f"{d.label} was changed since revision {base}."}
            for d in conflict.changes
        ],
    )


class _Conflict(HttpError):
    """A 409 with ``details``: the fields the other save changed."""

    def __init__(self, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(409, message)
        self.details = details


# -- cases ---------------------------------------------------------------------------------


def _topic(slug: str | None) -> Topic | None:
    if slug is None:
        return None
    topic = Topic.objects.filter(slug=slug).first() if SLUG_RE.match(slug) else None
    if topic is None:
        raise _invalid([{"loc": ["body", "topic"], "msg": f"No topic {slug!r}."}])
    return topic


def _valid(editor: CaseEditor) -> None:
    if not editor.is_valid():
        raise _invalid(form_errors(editor))


@api.post(
    "/cases",
    auth=SIGNED_IN,
    tags=["cases"],
    **documented(
        {201: (CaseOut, {**ex.CASE, "status": "draft", "visibility": "private", "revision": 1})},
        body=ex.NEW_CASE,
        errors={**SIGN_IN, 403: "Only authors and editors create cases.", 422: None},
    ),
)
def create_case(request: HttpRequest, payload: CaseIn):  # type: ignore[no-untyped-def]
    """Create a case in a series: it is a draft, and private unless ``visibility`` says
    otherwise; the next number of the series is assigned. Every field of the editor may be
    given at once; images are added afterwards by upload. ``201`` with the case."""
    if not access.can_create_case(request.user):
        raise HttpError(403, "Only authors and editors create cases.")
    series = Series.objects.filter(prefix=payload.series).first()
    if series is None:
        raise _invalid([{"loc": ["body", "series"], "msg": f"No series {payload.series!r}."}])
    case = Case(series=series, status=CaseStatus.DRAFT, visibility=Visibility.PRIVATE)
    fields = payload.model_dump()
    editor = CaseEditor(case, editor_data(case, fields, 0, _topic(payload.topic)), request.user)
    _valid(editor)
    with transaction.atomic():
        editor.save(request.user)
        audit(
            "create",
            request=request,
            target=case,
            summary=f"created case {case.number}",
            **_via(request),
        )
    return Status(201, case_or_404(request, case.number))


def _patched(case: Case, changes: dict[str, Any]) -> dict[str, Any]:
    """The case's fields with a PATCH's ``changes`` laid over them. ``images`` must list
    each of the case's images once; a caption not given stays as it is. ``main_image``
    must be one of them."""
    fields = case_fields(case)
    current = {i["id"]: i for i in fields["images"]}
    given = changes.pop("images", None)
    fields |= changes
    if given is not None:
        if sorted(i["id"] for i in given) != sorted(current):
            listed = ", ".join(map(str, sorted(current))) or "none"
            raise _invalid(
                [{"loc": ["body", "images"], "msg": f"List each image once (ids: {listed})."}]
            )
        fields["images"] = [current[i["id"]] | i for i in given]
    main = fields.get("main_image")
    if main is not None and main not in current:
        raise _invalid(
            [{"loc": ["body", "main_image"], "msg": f"Image {main} is not one of this case's."}]
        )
    return fields


@api.patch(
    "/cases/{number}",
    auth=SIGNED_IN,
    tags=["cases"],
    **documented(
        {200: (CaseOut, {**ex.CASE, "revision": 5})},
        body=ex.CASE_PATCH,
        errors={
            **SIGN_IN,
            403: "Only the authors of bs001 and editors may change it.",
            404: None,
            409: "Case bs001 was saved by Erin Editor (revision 5) after revision 4, which "
            "these changes were made on: nothing was saved. Read it again, make the changes "
            "there and send revision 5.",
            422: None,
        },
    ),
)
def update_case(request: HttpRequest, number: str, payload: CasePatch) -> Case:
    """Change a case: the fields given, and only those (a list given replaces the list),
    with the ``revision`` they were made on. The same rules as the editor: its
    validation, one revision per save, and ``409`` if the case was saved since
    ``revision`` (nothing is changed; ``details`` names what the other save changed).
    Status changes go through ``/transitions``."""
    case = case_or_404(request, number)
    if not access.can_edit_case(request.user, case):
        raise HttpError(403, f"Only the authors of {case.number} and editors may change it.")
    changes = payload.model_dump(exclude_unset=True)
    base = changes.pop("revision")
    fields = _patched(case, changes)
    topic = _topic(fields["topic"]) if "topic" in changes else case.topic
    editor = CaseEditor(case, editor_data(case, fields, base, topic), request.user)
    visibility = editor.form.fields["visibility"]
    if visibility.disabled and changes.get("visibility", case.visibility) != case.visibility:
        raise HttpError(403, "Only editors change who may read a published case.")
    _valid(editor)
    try:
        with transaction.atomic():
            revision = editor.save(request.user)
            if revision:
                audit(
                    "edit",
                    request=request,
                    target=case,
                    summary=f"edited case {case.number}",
                    revision=revision.number,
                    changed=revision.changed,
                    **_via(request),
                )
    except Conflict as conflict:
        raise _conflict(f"Case {case.number}", conflict, base) from None
    return case_or_404(request, case.number)


@api.post(
    "/cases/{number}/transitions",
    auth=SIGNED_IN,
    tags=["cases"],
    **documented(
        {200: (CaseOut, {**ex.CASE, "status": "changes", "revision": 5})},
        body=ex.TRANSITION,
        errors={
            **SIGN_IN,
            403: "Only editors may publish a case.",
            404: None,
            409: "Not published: 1 image(s) may show burned-in identifiers: review their "
            "pixels first.",
            422: None,
        },
    ),
)
def transition_case(request: HttpRequest, number: str, payload: TransitionIn) -> Case:
    """Move a case through review, as the buttons of its editor page do: ``submit``
    (its authors), ``request_changes`` (with a ``note``), ``publish``, ``retire`` and
    ``reinstate`` (editors). ``403`` when the caller may never take that step, ``409``
    when the case is not at a stage it can be taken from, or publication is blocked
    (an image awaiting pixel review, a possible identifier in the text)."""
    case = case_or_404(request, number)
    action = workflow.ACTIONS[payload.action]
    if not workflow.may_ever_take(request.user, case, action.name):
        raise HttpError(403, f"You may not {action.label.lower()} case {case.number}.")
    if action.note_required and not payload.note.strip():
        msg = "Say what needs changing: the authors see this note."
        raise _invalid([{"loc": ["body", "note"], "msg": msg}])
    try:
        workflow.transition(request, case, action.name, payload.note)
    except workflow.Refused as e:
        raise HttpError(409, str(e)) from None
    return case_or_404(request, case.number)


# -- topics --------------------------------------------------------------------------------


def _topic_or_404(slug: str) -> Topic:
    topic = Topic.objects.filter(slug=slug).first() if SLUG_RE.match(slug) else None
    if topic is None:
        raise Http404(f"No topic {slug}.")
    return topic


@api.get(
    "/topics",
    tags=["topics"],
    **documented({200: (list[TopicSummaryOut], ex.paged(ex.TOPIC_SUMMARY))}, errors={422: None}),
)
@paginate(CasePages, page_size=50, max_page_size=200)
def list_topics(request: HttpRequest) -> QuerySet[Topic]:
    """The topic pages ("References and General Discussion of …"), by title."""
    return Topic.objects.order_by("title", "pk")


@api.get(
    "/topics/{slug}",
    tags=["topics"],
    **documented({200: (TopicDetailOut, ex.TOPIC)}, errors={404: "No topic bone-scans."}),
)
def get_topic(request: HttpRequest, slug: str) -> Topic:
    """One topic page, with its ``revision`` for a PATCH."""
    return _topic_or_404(slug)


EDITORS_ONLY = "Only editors write topic pages."


@api.post(
    "/topics",
    auth=SIGNED_IN,
    tags=["topics"],
    **documented(
        {201: (TopicDetailOut, {**ex.TOPIC, "revision": 1})},
        body=ex.NEW_TOPIC,
        errors={**SIGN_IN, 403: EDITORS_ONLY, 422: None},
    ),
)
def create_topic(request: HttpRequest, payload: TopicIn):  # type: ignore[no-untyped-def]
    """Write a new topic page (editors). Its slug is made from the title. ``201``."""
    if not access.can_edit_topic(request.user):
        raise HttpError(403, EDITORS_ONLY)
    return Status(201, _save_topic(request, Topic(), payload.model_dump(), 0))


@api.patch(
    "/topics/{slug}",
    auth=SIGNED_IN,
    tags=["topics"],
    **documented(
        {200: (TopicDetailOut, {**ex.TOPIC, "revision": 3})},
        body=ex.TOPIC_PATCH,
        errors={
            **SIGN_IN,
            403: EDITORS_ONLY,
            404: "No topic bone-scans.",
            409: "Topic Bone Scintigraphy was saved by Erin Editor (revision 3) after revision "
            "2, which these changes were made on: nothing was saved. Read it again, make the "
            "changes there and send revision 3.",
            422: None,
        },
    ),
)
def update_topic(request: HttpRequest, slug: str, payload: TopicPatch) -> Topic:
    """Change a topic page (editors): the fields given, with the ``revision`` they were
    made on; ``409`` if it was saved since."""
    topic = _topic_or_404(slug)
    if not access.can_edit_topic(request.user):
        raise HttpError(403, EDITORS_ONLY)
    changes = payload.model_dump(exclude_unset=True)
    return _save_topic(request, topic, changes, changes.pop("revision"))


def _save_topic(request: HttpRequest, topic: Topic, changes: dict[str, Any], base: int) -> Topic:
    new = topic.pk is None
    title = topic.title
    if not new:
        # A topic with no history yet: its state as it is becomes revision 1, the revision
        # GET reported (see schemas.latest_revision), and the change revision 2.
        revisions.ensure_first(topic)
    form = TopicForm(topic_data(topic, changes, base), instance=topic)
    if not form.is_valid():
        raise _invalid(errors_of(form))
    try:
        with transaction.atomic():
            revision = save_topic(form, request.user)
            audit(
                "create" if new else "edit",
                request=request,
                target=form.instance,
                summary=f"{'created' if new else 'edited'} topic {form.instance.title}",
                revision=revision.number if revision else None,
                **_via(request),
            )
    except Conflict as conflict:
        raise _conflict(f"Topic {title}", conflict, base) from None
    return Topic.objects.get(pk=form.instance.pk)


# -- comments ------------------------------------------------------------------------------

CommentId = Path(..., ge=1, le=MAX_ID)


def _comment(request: HttpRequest, case: Case, comment_id: int) -> Comment:
    """A comment of ``case`` the caller may know of: one they may read, or moderate."""
    comment = get_object_or_404(Comment.objects.select_related("author"), pk=comment_id, case=case)
    comment.case = case
    if not (
        access.can_see_comment(request.user, comment)
        or (not comment.deleted and access.can_moderate_comments(request.user, case))
    ):
        raise Http404("No such comment.")
    return comment


def _comment_out(request: HttpRequest, comment: Comment) -> dict[str, Any]:
    return comment_out(comment, access.can_see_comment(request.user, comment))


@api.get(
    "/cases/{number}/comments",
    tags=["comments"],
    **documented({200: (list[CommentOut], ex.paged(ex.COMMENT))}, errors={404: None, 422: None}),
)
@paginate(CasePages, page_size=50, max_page_size=200)
def list_comments(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    """A case's comment thread, oldest first; replies name their ``parent``. Comments are
    about the answer: they are the known page's."""
    case = case_or_404(request, number)
    comments = list(Comment.objects.filter(case=case).select_related("author"))
    for comment in comments:
        comment.case = case
    return [_comment_out(request, c) for c in comments]


@api.post(
    "/cases/{number}/comments",
    auth=SIGNED_IN,
    tags=["comments"],
    **documented(
        {201: (CommentOut, ex.COMMENT)},
        body=ex.NEW_COMMENT,
        errors={
            **SIGN_IN,
            404: None,
            409: "The comment you replied to has been deleted or hidden.",
            422: None,
            429: f"You have posted {RATE_LIMIT} comments in the last minute, the most allowed.",
        },
    ),
)
def add_comment(request: AuthenticatedHttpRequest, number: str, payload: CommentIn):  # type: ignore[no-untyped-def]
    """Comment on a case, or reply to a comment (``parent``). At most 10 comments a
    minute per person (``429``)."""
    case = case_or_404(request, number)
    if not access.can_add_comment(request.user, case):
        raise Http404(f"No case {number}.")
    parent = None
    if payload.parent is not None:
        parent = Comment.objects.filter(pk=payload.parent, case=case).first()
        if parent is None:
            msg = "The comment you replied to is not part of this case."
            raise _invalid([{"loc": ["body", "parent"], "msg": msg}])
        parent.case = case
        if not access.can_reply_to_comment(request.user, parent):
            raise HttpError(409, "The comment you replied to has been deleted or hidden.")
    form = CommentForm({"body": payload.body})
    if not form.is_valid():
        raise _invalid(errors_of(form))
    if posted_too_often(request.user):
        raise HttpError(
            429,
            f"You have posted {RATE_LIMIT} comments in the last minute, the most allowed. "
            "Wait a minute and post it again.",
        )
    with transaction.atomic():
        comment = Comment.objects.create(
            case=case, parent=parent, author=request.user, body=form.cleaned_data["body"]
        )
        url = absolute_url(request, comment.get_absolute_url())
        transaction.on_commit(lambda: notify_new_comment.enqueue(comment.pk, url))
    return Status(201, _comment_out(request, comment))


@api.patch(
    "/cases/{number}/comments/{comment_id}",
    auth=SIGNED_IN,
    tags=["comments"],
    **documented(
        {200: (CommentOut, {**ex.COMMENT, "body": ex.COMMENT_PATCH["body"],
                            "edited": "2025-05-02T09:20:00Z"})},
        body=ex.COMMENT_PATCH,
        errors={**SIGN_IN, 403: "Only its author may edit a comment.", 404: "No such comment.",
                422: None},
    ),
)  # fmt: skip
def change_comment(
    request: HttpRequest, number: str, payload: CommentPatch, comment_id: int = CommentId
) -> dict[str, Any]:
    """Edit one's own comment (``body``), or, as an editor, hide it from readers
    (``hidden: true`` with a ``reason``) or show it again (``hidden: false``)."""
    case = case_or_404(request, number)
    comment = _comment(request, case, comment_id)
    changes = payload.model_dump(exclude_unset=True)
    if "body" in changes and not access.can_change_comment(request.user, comment):
        raise HttpError(403, "Only its author may edit a comment, while it is shown.")
    if "hidden" in changes and not access.can_moderate_comments(request.user, case):
        raise HttpError(403, "Only editors hide comments and show them again.")
    body = hide = None
    if payload.body is not None:
        form = CommentForm({"body": payload.body})
        if not form.is_valid():
            raise _invalid(errors_of(form))
        body = form.cleaned_data["body"]
    if payload.hidden and not comment.hidden:
        hide = HideForm({"reason": payload.reason})
        if not hide.is_valid():
            raise _invalid(errors_of(hide))
    with transaction.atomic():
        if body is not None:
            comment.edit(body)
        if hide is not None:
            comment.hide(request.user, hide.cleaned_data["reason"])
            audit(
                "comment_hide",
                request=request,
                target=case,
                summary=f"hid comment {comment.pk}",
                comment=comment.pk,
                reason=hide.cleaned_data["reason"],
                **_via(request),
            )
        elif payload.hidden is False and comment.hidden:
            comment.restore()
            audit(
                "comment_restore",
                request=request,
                target=case,
                summary=f"showed comment {comment.pk} again",
                comment=comment.pk,
                **_via(request),
            )
    return _comment_out(request, comment)


@api.delete(
    "/cases/{number}/comments/{comment_id}",
    auth=SIGNED_IN,
    tags=["comments"],
    **documented(
        {204: (None, None)},
        errors={**SIGN_IN, 403: "Only its author may delete a comment.", 404: "No such comment."},
    ),
)
def delete_comment(request: HttpRequest, number: str, comment_id: int = CommentId):  # type: ignore[no-untyped-def]
    """Delete one's own comment. Its replies stay, under a ``deleted`` placeholder."""
    case = case_or_404(request, number)
    comment = _comment(request, case, comment_id)
    if not access.can_change_comment(request.user, comment):
        raise HttpError(403, "Only its author may delete a comment, while it is shown.")
    comment.mark_deleted()
    return Status(204, None)
