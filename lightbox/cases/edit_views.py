"""Writing cases: create, edit (with autosave and conflict detection), the review workflow,
identifier acknowledgements, and topic pages. Every permission comes from
:mod:`lightbox.cases.access`; what a person may not touch is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.views.decorators.http import require_http_methods, require_POST

from lightbox.accounts.roles import is_editor
from lightbox.audit.log import record as audit
from lightbox.cases import access, workflow
from lightbox.cases.editor import LISTS, CaseEditor, Conflict, save_topic
from lightbox.cases.forms import NewCaseForm, TopicForm
from lightbox.cases.models import (
    Case,
    EditDraft,
    IdentifierAcknowledgement,
    Status,
    Topic,
    Visibility,
)
from lightbox.history import revisions
from lightbox.lib.http import AuthenticatedHttpRequest
from lightbox.lib.markdown import render as markdown

MAX_PREVIEW = 100_000


def _editable(request: HttpRequest, number: str) -> Case:
    case = get_object_or_404(Case.objects.select_related("series", "topic"), number=number)
    if not access.can_edit_case(request.user, case):
        raise Http404("No such case.")
    return case


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a case: choose its series; the next number in the series is assigned."""
    if not access.can_create_case(request.user):
        raise Http404("No such page.")
    form = NewCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = Case.objects.create(
            series=form.cleaned_data["series"],
            title=form.cleaned_data["title"],
            created_by=request.user,
            status=Status.DRAFT,
            visibility=Visibility.PRIVATE,
        )
        revisions.record(case, user=request.user, kind="created", message="Created")
        audit("create", request=request, target=case, summary=f"created case {case.number}")
        messages.success(request, f"Case {case.number} is created as a draft; write it here.")
        return redirect("lightbox-case-edit", case.number)
    return render(request, "cases/case_new.html", {"form": form})


def identifier_place(field: str) -> tuple[str, str]:
    """Where a possible identifier is, for its author: the field's label as the editor
    shows it, and the id of the editor's element to go to (``full_history`` is "Full
    history", ``caption.2`` "Caption of image 2")."""
    name, _, number = field.partition(".")
    if not number:
        try:
            model_field = Case._meta.get_field(name)
        except FieldDoesNotExist:
            return field, ""
        label = str(getattr(model_field, "verbose_name", name))
        return capfirst(label), f"id_{name}"
    if name in ("caption", "answer_caption"):
        which = "Caption before the answer" if name == "caption" else "Caption after the answer"
        return f"{which}, image {number}", "list-captions"
    if name in LISTS:
        return f"{LISTS[name][0].split(' (')[0]}, item {number}", f"list-{name}"
    return field, ""


def _context(request: HttpRequest, case: Case, editor: CaseEditor, **extra: Any) -> dict[str, Any]:
    texts = case.text_fields()
    unresolved = case.unresolved_identifiers(texts)
    return {
        "case": case,
        "editor": editor,
        "form": editor.form,
        "actions": workflow.available(request.user, case),
        "notes": case.review_notes.select_related("author")[:20],
        "identifiers": [
            (f, f.context(texts.get(f.field, "")), *identifier_place(f.field)) for f in unresolved
        ],
        "blockers": case.publication_blockers(unresolved),
        "can_set_visibility": True,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    case = _editable(request, number)
    draft = EditDraft.objects.filter(case=case, user=request.user).first()
    if request.method == "POST":
        editor = CaseEditor(case, request.POST, request.user)
        if not editor.is_valid():
            messages.error(request, "Not saved: correct the fields marked below.")
            return render(request, "cases/case_edit.html", _context(request, case, editor))
        try:
            revision = editor.save(request.user, force=request.POST.get("overwrite") == "yes")
        except Conflict as conflict:
            case.refresh_from_db()
            context = _context(request, case, editor, conflict=conflict)
            return render(request, "cases/case_edit.html", context, status=409)
        EditDraft.objects.filter(case=case, user=request.user).delete()
        if revision:
            audit(
                "edit",
                request=request,
                target=case,
                summary=f"edited case {case.number}",
                revision=revision.number,
                changed=revision.changed,
            )
            messages.success(request, f"Saved (revision {revision.number}).")
        else:
            messages.info(request, "Nothing had changed.")
        return redirect("lightbox-case-edit", case.number)
    if draft and request.GET.get("draft") == "restore":
        data = QueryDict(mutable=True)
        for key, values in draft.data.items():
            data.setlist(key, values)
        editor = CaseEditor(case, data, request.user)
        editor.is_valid()
        messages.info(request, "Your unsaved draft is back in the form: save to keep it.")
        return render(request, "cases/case_edit.html", _context(request, case, editor))
    offer = draft if draft and draft.saved > case.updated else None
    context = _context(request, case, CaseEditor(case, user=request.user), draft=offer)
    return render(request, "cases/case_edit.html", context)


@login_required
@require_POST
def case_autosave(request: AuthenticatedHttpRequest, number: str) -> JsonResponse:
    """Keep what is in the editor, unsaved, so that nothing typed is ever lost."""
    case = _editable(request, number)
    data = {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"}
    if sum(len(v) for values in data.values() for v in values) > 2_000_000:
        return JsonResponse({"error": "too much text to keep as a draft"}, status=413)
    draft, _ = EditDraft.objects.update_or_create(
        case=case, user=request.user, defaults={"data": data}
    )
    return JsonResponse({"saved": draft.saved.isoformat()})


@login_required
@require_POST
def case_discard_draft(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    case = _editable(request, number)
    EditDraft.objects.filter(case=case, user=request.user).delete()
    messages.info(request, "The unsaved draft is discarded.")
    return redirect("lightbox-case-edit", case.number)


@login_required
@require_POST
def markdown_preview(request: HttpRequest) -> JsonResponse:
    """The live preview: the same sanitised HTML the case page will show."""
    if not access.can_create_case(request.user):
        raise Http404("No such page.")
    text = request.POST.get("text", "")
    if len(text) > MAX_PREVIEW:
        return JsonResponse({"error": "text too long to preview"}, status=413)
    return JsonResponse({"html": markdown(text)})


@login_required
@require_POST
def case_transition(request: HttpRequest, number: str, action: str) -> HttpResponse:
    case = get_object_or_404(Case.objects.select_related("series"), number=number)
    if not access.can_view_case(request.user, case):
        raise Http404("No such case.")
    try:
        if action == "publish" and request.POST.get("confirm") != "yes":
            # Readers see a published case at once: never on a stray click.
            raise workflow.Refused(
                f"Not published: tick “Publish case {case.number} now” to confirm."
            )
        workflow.transition(request, case, action, request.POST.get("note", ""))
    except workflow.Refused as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Case {case.number}: {case.get_status_display().lower()}.")
    if access.can_edit_case(request.user, case):
        return redirect("lightbox-case-edit", case.number)
    return redirect("lightbox-review-queue")


@login_required
@require_POST
def case_acknowledge(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """The author has looked at possible identifiers and says these are none."""
    case = _editable(request, number)
    chosen = set(request.POST.getlist("fingerprint"))
    found = {f.fingerprint: f for f in case.unresolved_identifiers()}
    for fingerprint in chosen & set(found):
        finding = found[fingerprint]
        IdentifierAcknowledgement.objects.get_or_create(
            case=case,
            fingerprint=fingerprint,
            defaults={"field": finding.field, "kind": finding.kind.name, "user": request.user},
        )
        audit(
            "edit",
            request=request,
            target=case,
            summary=f"confirmed a {finding.kind.label} in {finding.field} is not an identifier",
            fingerprint=fingerprint,
        )
    if chosen - set(found):
        messages.error(request, "Some findings had changed meanwhile; look at them again.")
    elif chosen:
        messages.success(request, f"{len(chosen)} finding(s) confirmed as not identifiers.")
    return redirect("lightbox-case-edit", case.number)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Editors: cases waiting for review, and what was sent back. Authors: their cases."""
    if is_editor(request.user):
        waiting = Case.objects.filter(status=Status.SUBMITTED)
    elif access.can_create_case(request.user):
        waiting = Case.objects.filter(access.visible_cases_q(request.user)).exclude(
            status=Status.PUBLISHED
        )
    else:
        raise Http404("No such page.")
    mine = Case.objects.none()
    if request.user.is_authenticated:
        mine = Case.objects.filter(created_by=request.user).order_by("-updated")[:50]
    context = {"waiting": waiting.select_related("series").order_by("updated")[:200], "mine": mine}
    return render(request, "cases/review_queue.html", context)


# -- topics -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    if not access.can_edit_topic(request.user):
        raise Http404("No such page.")
    topic = get_object_or_404(Topic, slug=slug) if slug else Topic()
    latest = revisions.latest(topic) if topic.pk else None
    form = TopicForm(
        request.POST or None,
        instance=topic,
        initial={"base_revision": latest.number if latest else 0},
    )
    if request.method == "POST" and form.is_valid():
        new = topic.pk is None
        try:
            revision = save_topic(form, request.user)
        except Conflict as conflict:
            messages.error(
                request,
                f"Not saved: {conflict.latest.user_name or 'someone'} saved this topic "
                f"meanwhile (revision {conflict.latest.number}). Your text is below; compare "
                "in the history.",
            )
            context = {"form": form, "topic": topic}
            return render(request, "cases/topic_edit.html", context, status=409)
        topic = form.instance
        audit(
            "create" if new else "edit",
            request=request,
            target=topic,
            summary=f"{'created' if new else 'edited'} topic {topic.title}",
            revision=revision.number if revision else None,
        )
        messages.success(request, "Topic saved.")
        return redirect(topic.get_absolute_url())
    return render(request, "cases/topic_edit.html", {"form": form, "topic": topic})
