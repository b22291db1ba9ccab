"""History pages of cases and topics: the list, a comparison, one revision, a restore, and
the redaction of a text from every revision.

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
from lightbox.history.models import Redaction, Revision
from lightbox.history.redaction import RedactionRefused, find, redact
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

    @property
    def url_redact(self) -> str:
        return self.url("history-redact")

    def url(self, name: str, *extra: object) -> str:
        return reverse(f"lightbox-{self.type}-{name}", args=[self.key, *extra])


def _case(
    request: HttpRequest, number: str, *, restoring: bool = False, redacting: bool = False
) -> Subject:
    try:
        split_number(number)
    except ValueError:
        raise Http404("No such case.") from None
    case = get_object_or_404(Case.objects.select_related("series"), number=number.lower())
    allowed = access.can_restore_case_revision if restoring else access.can_view_case_history
    if not allowed(request.user, case) or (
        redacting and not access.can_redact_history(request.user)
    ):
        raise Http404("No such case.")
    return Subject(case, "case")


def _topic(
    request: HttpRequest, slug: str, *, restoring: bool = False, redacting: bool = False
) -> Subject:
    topic = get_object_or_404(Topic, slug=slug)
    allowed = access.can_restore_topic_revision if restoring else access.can_view_topic_history
    if not allowed(request.user, topic) or (
        redacting and not access.can_redact_history(request.user)
    ):
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
        "redactions": Redaction.objects.filter(target_type=subject.type, target_id=subject.obj.pk),
        "can_redact": access.can_redact_history(request.user),
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


MAX_REDACTED = 1000  # characters: an identifier, not a section


def _redact(request: HttpRequest, subject: Subject) -> HttpResponse:
    """Find a text in the history (first POST), then purge it on confirmation. The text
    travels only in POST bodies: never in an address, a message or the audit log."""
    text = request.POST.get("text", "")[:MAX_REDACTED] if request.method == "POST" else ""
    context: dict[str, object] = {"subject": subject, "text": text, "found": None, "error": ""}
    if request.method == "POST":
        try:
            if request.POST.get("confirm") == "yes":
                done = redact(subject.obj, text, by=request.user)
                audit(
                    "revision_redact",
                    request=request,
                    target=subject.obj,
                    summary=f"redacted a text from {len(done.revisions)} revision(s)",
                    redaction=done.pk,
                    revisions=done.revisions,
                    fields=done.fields,
                    elsewhere=done.elsewhere,
                )
                messages.success(
                    request,
                    f"Redacted from {len(done.revisions)} revision(s)"
                    + (
                        f" and {sum(done.elsewhere.values())} other record(s)."
                        if done.elsewhere
                        else "."
                    ),
                )
                return redirect(subject.history_url)
            found = find(subject.obj, text)
            if not found:
                raise RedactionRefused("The text does not occur in the history.")
            context["found"] = found
            context["labels"] = [subject.labels.get(k, "Revision message") for k in found.fields]
        except RedactionRefused as e:
            context["error"] = str(e)
    return render(request, "history/redact.html", context, status=400 if context["error"] else 200)


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
@require_http_methods(["GET", "POST"])
def case_history_redact(request: HttpRequest, number: str) -> HttpResponse:
    return _redact(request, _case(request, number, redacting=True))


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


@login_required
@require_http_methods(["GET", "POST"])
def topic_history_redact(request: HttpRequest, slug: str) -> HttpResponse:
    return _redact(request, _topic(request, slug, redacting=True))
