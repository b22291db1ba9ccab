"""History pages of cases and topics: the list, a comparison, one revision, a restore.

Each URL exists twice, once under ``cases/<number>/history/`` and once under
``topics/<slug>/history/``; the views below are thin wrappers that find the object, check
access (:mod:`lightbox.cases.access`) and hand over to one shared function per page.
What a person may not see does not exist for them (404); anonymous people are asked to
sign in first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from lightbox.audit.log import record as audit
from lightbox.cases import access
from lightbox.cases.models import Case, Topic, split_number
from lightbox.history.models import Revision
from lightbox.history.revisions import (
    content,
    diff,
    ensure_first,
    for_object,
    latest,
    restore,
    restore_notes,
)
from lightbox.history.snapshots import CASE_LABELS, TOPIC_LABELS, WORKFLOW_FIELDS
from lightbox.lib.params import parse_int

# Beyond any real revision number, and within every database's integer range.
MAX_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class Subject:
    """The case or topic whose history is shown, and how to link to its pages."""

    obj: Case | Topic
    type: str

    @property
    def key(self) -> str:
        return self.obj.number if isinstance(self.obj, Case) else self.obj.slug

    @property
    def name(self) -> str:
        if isinstance(self.obj, Case):
            return f"Case {self.obj.number}"
        return f"Topic “{self.obj.title}”"

    @property
    def heading(self) -> str:
        """For the middle of a sentence: "History of case bs068"."""
        if isinstance(self.obj, Case):
            return f"case {self.obj.number}"
        return f"topic “{self.obj.title}”"

    @property
    def labels(self) -> dict[str, str]:
        return CASE_LABELS if self.type == "case" else TOPIC_LABELS

    @property
    def history_url(self) -> str:
        return self.url("history")

    @property
    def compare_url(self) -> str:
        return self.url("history-compare")

    def url(self, name: str, *extra: object) -> str:
        return reverse(f"lightbox-{self.type}-{name}", args=[self.key, *extra])


def _case(request: HttpRequest, number: str, *, restoring: bool = False) -> Subject:
    try:
        split_number(number)
    except ValueError:
        raise Http404("No such case.") from None
    case = get_object_or_404(Case.objects.select_related("series"), number=number.lower())
    allowed = access.can_restore_case_revision if restoring else access.can_view_case_history
    if not allowed(request.user, case):
        raise Http404("No such case.")
    return Subject(case, "case")


def _topic(request: HttpRequest, slug: str, *, restoring: bool = False) -> Subject:
    topic = get_object_or_404(Topic, slug=slug)
    allowed = access.can_restore_topic_revision if restoring else access.can_view_topic_history
    if not allowed(request.user, topic):
        raise Http404("No such topic.")
    return Subject(topic, "topic")


def _number(value: object) -> int | None:
    """A revision number from a URL or query string, or None if it cannot be one."""
    return parse_int(value, minimum=1, maximum=MAX_NUMBER)


def _revision(subject: Subject, n: object) -> Revision:
    number = _number(n)
    if number is None:
        raise Http404("No such revision.")
    return get_object_or_404(for_object(subject.obj), number=number)


# -- the four pages, shared by cases and topics ----------------------------------------


def _history(request: HttpRequest, subject: Subject) -> HttpResponse:
    ensure_first(subject.obj)
    revisions = list(for_object(subject.obj))
    for rev in revisions:
        rev.url = subject.url("revision", rev.number)
        rev.changed_labels = [subject.labels.get(k, k) for k in rev.changed]
    context = {
        "subject": subject,
        "revisions": revisions,
        "default_a": revisions[min(1, len(revisions) - 1)].number,
        "default_b": revisions[0].number,
    }
    return render(request, "history/history.html", context)


def _compare(request: HttpRequest, subject: Subject) -> HttpResponse:
    a, b = _number(request.GET.get("a")), _number(request.GET.get("b"))
    if a is None or b is None:
        messages.error(request, "Choose two revisions to compare.")
        return redirect(subject.history_url)
    old, new = _revision(subject, min(a, b)), _revision(subject, max(a, b))
    context = {
        "subject": subject,
        "old": old,
        "new": new,
        "diffs": diff(old, new),
        "old_url": subject.url("revision", old.number),
        "new_url": subject.url("revision", new.number),
        "old_label": f"Revision {old.number}",
        "new_label": f"Revision {new.number}",
    }
    return render(request, "history/compare.html", context)


def _detail(request: HttpRequest, subject: Subject, n: int) -> HttpResponse:
    rev = _revision(subject, n)
    newest = latest(subject.obj)
    context = {
        "subject": subject,
        "rev": rev,
        "rev_label": f"Revision {rev.number}",
        "fields": content(rev),
        "changed": [subject.labels.get(k, k) for k in rev.changed],
        "newest": newest,
        "restore_url": subject.url("revision-restore", rev.number),
    }
    return render(request, "history/revision.html", context)


def _restore(request: HttpRequest, subject: Subject, n: int) -> HttpResponse:
    rev = _revision(subject, n)
    if request.method == "POST":
        try:
            new = restore(rev, user=request.user)
        except ValueError as e:
            messages.error(request, f"Nothing restored: {e}")
        else:
            audit(
                "revision_restore",
                request=request,
                target=subject.obj,
                summary=f"restored revision {rev.number} as revision {new.number}",
                restored=rev.number,
                revision=new.number,
            )
            messages.success(request, f"Restored revision {rev.number} as revision {new.number}.")
        subject.obj.refresh_from_db()  # a topic's restored slug moves its pages
        return redirect(subject.history_url)
    current = latest(subject.obj)
    changes = diff(current, rev) if current else []
    context = {
        "subject": subject,
        "rev": rev,
        "rev_url": subject.url("revision", rev.number),
        "changes": [d for d in changes if d.key not in WORKFLOW_FIELDS],
        "notes": restore_notes(rev, subject.obj),
        "keeps_workflow": subject.type == "case",
    }
    return render(request, "history/restore.html", context)


# -- URL entry points --------------------------------------------------------------------


@login_required
@require_safe
def case_history(request: HttpRequest, number: str) -> HttpResponse:
    return _history(request, _case(request, number))


@login_required
@require_safe
def case_compare(request: HttpRequest, number: str) -> HttpResponse:
    return _compare(request, _case(request, number))


@login_required
@require_safe
def case_revision(request: HttpRequest, number: str, n: int) -> HttpResponse:
    return _detail(request, _case(request, number), n)


@login_required
@require_http_methods(["GET", "POST"])
def case_revision_restore(request: HttpRequest, number: str, n: int) -> HttpResponse:
    return _restore(request, _case(request, number, restoring=True), n)


@login_required
@require_safe
def topic_history(request: HttpRequest, slug: str) -> HttpResponse:
    return _history(request, _topic(request, slug))


@login_required
@require_safe
def topic_compare(request: HttpRequest, slug: str) -> HttpResponse:
    return _compare(request, _topic(request, slug))


@login_required
@require_safe
def topic_revision(request: HttpRequest, slug: str, n: int) -> HttpResponse:
    return _detail(request, _topic(request, slug), n)


@login_required
@require_http_methods(["GET", "POST"])
def topic_revision_restore(request: HttpRequest, slug: str, n: int) -> HttpResponse:
    return _restore(request, _topic(request, slug, restoring=True), n)
