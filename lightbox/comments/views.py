"""Comments on a case: post, reply, edit, delete, and moderation (hide and restore).

Every change is a POST (CSRF-checked) that ends on the case's known page at the comment.
A case or comment the user may not touch answers 404, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lightbox.audit.log import record as audit
from lightbox.cases.access import (
    can_change_comment,
    can_moderate_comments,
    can_reply_to_comment,
    can_view_case,
)
from lightbox.cases.models import Case
from lightbox.comments.forms import CommentForm, HideForm
from lightbox.comments.models import RATE_LIMIT, Comment, posted_too_often
from lightbox.comments.tasks import notify_new_comment
from lightbox.comments.thread import keep_draft, thread_context
from lightbox.lib.http import AuthenticatedHttpRequest
from lightbox.lib.params import parse_int


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like ``login_required``, but coming back to the case's known page, not to a
    POST-only URL."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, number: str, *args: object, **kwargs: object
    ) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("lightbox-case-known", args=[number.lower()]))
        return view(request, number, *args, **kwargs)

    return wrapper


def _get_case(request: HttpRequest, number: str) -> Case:
    case = get_object_or_404(Case.objects.select_related("series"), number=number.lower())
    # A case the reader may not see is indistinguishable from one that does not exist.
    if not can_view_case(request.user, case):
        raise Http404("No such case number.")
    return case


def _get_comment(request: HttpRequest, number: str, pk: int) -> Comment:
    case = _get_case(request, number)
    comment = get_object_or_404(Comment.objects.select_related("author"), pk=pk, case=case)
    comment.case = case
    return comment


def _back(case: Case, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('lightbox-case-known', args=[case.number])}#{anchor}")


def _first_error(form: CommentForm | HideForm) -> str:
    # An ErrorList item is the message itself (str() forces a lazy translation).
    return str(next(iter(form.errors.values()))[0])


@require_safe
def case_comments(request: HttpRequest, number: str) -> HttpResponse:
    """The thread on a page of its own, for moderation and linking."""
    case = _get_case(request, number)
    context = {"case": case, **thread_context(request, case)}
    return render(request, "comments/case_comments.html", context)


@_signed_in
@require_POST
def add_comment(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """A new comment, or a reply when ``parent`` is given. A refused post keeps its text,
    shown again in the form it came from."""
    case = _get_case(request, number)
    parent, error = _parent(request, case)
    form = CommentForm(request.POST)
    if not error and not form.is_valid():
        error = _first_error(form)
    if not error and posted_too_often(request.user):
        error = (
            f"You have posted {RATE_LIMIT} comments in the last minute, the most allowed. "
            "Wait a minute and post it again; your text is kept."
        )
    if error:
        messages.error(request, f"Your comment was not posted. {error}")
        keep_draft(request, case, parent.pk if parent else None, request.POST.get("body", ""))
        return _back(case, f"comment-{parent.pk}" if parent else "comment-form")
    comment = Comment.objects.create(
        case=case, parent=parent, author=request.user, body=form.cleaned_data["body"]
    )
    url = absolute_url(request, comment.get_absolute_url())
    transaction.on_commit(lambda: notify_new_comment.enqueue(comment.pk, url))
    messages.success(request, "Your comment is posted.")
    return _back(case, f"comment-{comment.pk}")


def _parent(request: HttpRequest, case: Case) -> tuple[Comment | None, str]:
    """The comment replied to, or why it cannot be: ``(parent, error)``."""
    raw = request.POST.get("parent", "").strip()
    if not raw:
        return None, ""
    parent = None
    if (pk := parse_int(raw, minimum=1)) is not None:
        parent = Comment.objects.filter(pk=pk, case=case).first()
    if parent is None:
        return None, "The comment you replied to is not part of this case."
    parent.case = case
    if not can_reply_to_comment(request.user, parent):
        return None, "The comment you replied to has been deleted or hidden."
    return parent, ""


def absolute_url(request: HttpRequest, path: str) -> str:
    """``path`` on this site, for a link sent by e-mail (the API's comments use it too).
    LIGHTBOX_SITE_URL, when configured, names the site."""
    site = getattr(settings, "LIGHTBOX_SITE_URL", "")
    return f"{site.rstrip('/')}{path}" if site else request.build_absolute_uri(path)


@_signed_in
@require_http_methods(["GET", "POST"])
def edit_comment(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    comment = _get_comment(request, number, pk)
    if not can_change_comment(request.user, comment):
        raise Http404("No such comment.")
    if request.method == "POST":
        form = CommentForm(request.POST)
        if form.is_valid():
            comment.edit(form.cleaned_data["body"])
            messages.success(request, "Your comment is saved.")
            return _back(comment.case, f"comment-{comment.pk}")
        messages.error(request, f"Your changes were not saved. {_first_error(form)}")
    else:
        form = CommentForm(initial={"body": comment.body})
    context = {"case": comment.case, "comment": comment, "form": form}
    return render(request, "comments/comment_edit.html", context)


@_signed_in
@require_POST
def delete_comment(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    comment = _get_comment(request, number, pk)
    if not can_change_comment(request.user, comment):
        raise Http404("No such comment.")
    comment.mark_deleted()
    messages.success(request, "Your comment is deleted.")
    # With replies it stays in the thread as "[deleted]"; without, it is gone.
    if comment.replies.exists():
        return _back(comment.case, f"comment-{comment.pk}")
    return _back(comment.case, f"comment-{comment.parent_id}" if comment.parent_id else "comments")


def _moderated_comment(request: HttpRequest, number: str, pk: int) -> Comment:
    comment = _get_comment(request, number, pk)
    if comment.deleted or not can_moderate_comments(request.user, comment.case):
        raise Http404("No such comment.")
    return comment


@_signed_in
@require_POST
def hide_comment(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    """Hide a comment from everyone but its author and editors, with the reason why."""
    comment = _moderated_comment(request, number, pk)
    form = HideForm(request.POST)
    if form.is_valid():
        comment.hide(request.user, form.cleaned_data["reason"])
        audit(
            "comment_hide",
            request=request,
            target=comment.case,
            summary=f"hid comment {comment.pk}",
            comment=comment.pk,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, "The comment is hidden.")
    else:
        messages.error(request, f"The comment was not hidden. {_first_error(form)}")
    return _back(comment.case, f"comment-{comment.pk}")


@_signed_in
@require_POST
def restore_comment(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    comment = _moderated_comment(request, number, pk)
    if comment.hidden:
        comment.restore()
        audit(
            "comment_restore",
            request=request,
            target=comment.case,
            summary=f"showed comment {comment.pk} again",
            comment=comment.pk,
        )
        messages.success(request, "The comment is shown again.")
    return _back(comment.case, f"comment-{comment.pk}")
