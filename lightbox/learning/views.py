"""The learner's pages: answer and reveal, sessions, the review queue, progress, and the
authors' and editors' views of results. Who may do what: :mod:`lightbox.cases.access`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lightbox.cases import pages
from lightbox.cases.access import (
    can_answer_cases,
    can_overrule_grade,
    can_see_case_results,
    can_see_difficulty_report,
    can_view_case,
    can_view_progress_of,
)
from lightbox.cases.models import Case
from lightbox.cases.views import case_page, readable_page
from lightbox.learning import attempts, progress, sources
from lightbox.learning import page as learning_page
from lightbox.learning.forms import AnswerForm, SessionForm
from lightbox.learning.models import Attempt, StudySession
from lightbox.lib.http import AuthenticatedHttpRequest
from lightbox.lib.params import int_param

FRAGMENT_HEADER = "X-Lightbox-Fragment"


def _wants_fragment(request: HttpRequest) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def _reveal_fragment(request: HttpRequest, case: Case, attempt: Attempt | None) -> HttpResponse:
    """The answer, to put in place of the reveal (the page's script asks for it)."""
    from lightbox.comments.thread import thread_context

    context: dict[str, Any] = pages.article_context(case.pk, "known")
    context["your_answer"] = learning_page.your_answer(request, case, attempt)
    # The comments are part of the answer: they come with it.
    context |= thread_context(request, context["case"])
    # Signing in to comment comes back to the known page, not to this fragment.
    next_url = f"{case.get_known_url()}#comments"
    context["comment_login_url"] = f"{reverse('login')}?{urlencode({'next': next_url})}"
    return render(request, "learning/_reveal.html", context)


# -- answering ---------------------------------------------------------------------------


def _session_at(request: HttpRequest) -> tuple[StudySession | None, int | None]:
    pk = int_param(request.POST, "session", 0, minimum=0, maximum=2**62)
    if not pk:
        return None, None
    session = get_object_or_404(StudySession, pk=pk, user=request.user.pk)
    position = int_param(request.POST, "position", 1, minimum=1, maximum=len(session) or 1)
    return session, position


@require_http_methods(["GET", "POST"])
def case_answer(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the answer as a fragment (the in-place reveal). POST: commit an answer, be
    graded, and land on the answer."""
    row = readable_page(request, number, "known")
    if request.method == "GET":
        return _reveal_fragment(request, row.case, None)
    if not can_answer_cases(request.user):
        return redirect(f"{reverse('login')}?next={row.case.get_absolute_url()}")
    session, position = _session_at(request)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        extra = {"form": form, "session": session, "position": position}
        return case_page(request, number, "unknown", extra=extra, status=400)
    case = Case.objects.get(pk=row.case.pk)
    attempt = None
    if form.cleaned_data["diagnosis"].strip():
        attempt = attempts.commit(
            request.user,
            case,
            answer=form.cleaned_data["diagnosis"],
            differential=form.differential,
            confidence=form.cleaned_data["confidence"],
            session=session,
            seconds=form.seconds,
        )
    if _wants_fragment(request):
        return _reveal_fragment(request, case, attempt)
    if session is not None:
        return redirect(f"{reverse('lightbox-session-case', args=[session.pk, position])}#answer")
    return redirect(f"{case.get_known_url()}#answer")


@require_POST
@login_required
def attempt_self_grade(request: HttpRequest, pk: int) -> HttpResponse:
    """The reader's own verdict on an answer the grader could not decide."""
    attempt = get_object_or_404(Attempt.objects.select_related("case"), pk=pk, user=request.user)
    if not can_view_case(request.user, attempt.case):
        raise Http404("No such answer.")
    verdict = request.POST.get("right")
    if verdict not in ("yes", "no"):
        return HttpResponse("Say yes or no.", status=400, content_type="text/plain")
    attempts.self_grade(attempt, verdict == "yes")
    if attempt.session_id:
        order = attempt.session.case_ids if attempt.session else []
        if attempt.case_id in order:
            position = order.index(attempt.case_id) + 1
            url = reverse("lightbox-session-case", args=[attempt.session_id, position])
            return redirect(f"{url}#answer")
    return redirect(f"{attempt.case.get_known_url()}#answer")


# -- sessions ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def session_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose how to study a list (GET, from a list's "Study these" link), then start."""
    data = request.POST if request.method == "POST" else None
    raw = (request.POST.get("source", "") if data else request.GET.urlencode()) or ""
    source = sources.parse(raw)
    if source is None:
        return render(request, "learning/session_new.html", {"error": True}, status=400)
    form = SessionForm(data, initial={"source": source.urlencode()})
    if data is None or not form.is_valid():
        context = {"form": form, "title": sources.describe(source), "kinds": _kinds()}
        return render(request, "learning/session_new.html", context, status=400 if data else 200)
    ids = sources.cases_of(source, request.user, form.cleaned_data["length"])
    if not ids:
        context = {"form": form, "title": sources.describe(source), "empty": True}
        return render(request, "learning/session_new.html", context)
    session = StudySession.objects.create(
        user=request.user,
        title=sources.describe(source)[:200],
        source_url=sources.list_url(source)[:500],
        mode=form.cleaned_data["mode"],
        case_ids=ids,
        is_review=source.kind == "due",
    )
    return redirect("lightbox-session-case", session.pk, 1)


def _kinds() -> list[tuple[str, str]]:
    demo = [("list=demo", "The demo quiz (the demo library, as unknowns)")]
    return [
        *(demo if Case.objects.filter(is_demo=True, status="published").exists() else []),
        ("list=new", "New to me"),
        ("list=missed", "Cases I missed"),
        ("list=due", "Due for review"),
        ("list=random", "Random cases"),
    ]


def _own_session(request: HttpRequest, pk: int) -> StudySession:
    return get_object_or_404(StudySession, pk=pk, user=request.user.pk)


@require_safe
@login_required
def session_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to the first case of the session not yet answered (or the summary)."""
    session = _own_session(request, pk)
    done = set(session.attempts.values_list("case_id", flat=True))
    for position, case_id in enumerate(session.case_ids, start=1):
        if case_id not in done:
            return redirect("lightbox-session-case", session.pk, position)
    return redirect("lightbox-session-summary", session.pk)


@require_safe
@login_required
def session_case(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """The session's case at ``position`` (from 1): as an unknown until answered."""
    session = _own_session(request, pk)
    if not 1 <= position <= len(session):
        raise Http404("No such position in this session.")
    # The whole row: deciding who may read it needs its status, visibility and owner.
    case = Case.objects.filter(pk=session.case_ids[position - 1]).first()
    if case is None or not can_view_case(request.user, case):
        return _skip(session, position)
    answered = session.attempts.filter(case=case).exists()
    view = "known" if answered or session.mode == StudySession.Mode.KNOWN else "unknown"
    extra = {
        "session": session,
        "position": position,
        "answered": answered,
        "progress_percent": round(100 * (position - (0 if answered else 1)) / len(session)),
    }
    return case_page(request, case.number, view, extra=extra)


def _skip(session: StudySession, position: int) -> HttpResponse:
    """A case the reader may no longer see (retired, hidden): go on to the next."""
    if position < len(session):
        return redirect("lightbox-session-case", session.pk, position + 1)
    return redirect("lightbox-session-summary", session.pk)


@require_safe
@login_required
def session_summary(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    if session.finished_at is None:
        session.finished_at = timezone.now()
        session.save(update_fields=["finished_at"])
    context = progress.session_summary(session)
    return render(request, "learning/session_summary.html", context)


# -- reviews, progress -------------------------------------------------------------------


@require_safe
@login_required
def learn(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The learner's hub: what is due, where to start, recent sessions."""
    context = {
        "due": progress.due_today(request.user),
        "cap": settings.LIGHTBOX_REVIEWS_PER_DAY,
        "sessions": StudySession.objects.filter(user=request.user)[:10],
        "kinds": _kinds(),
    }
    return render(request, "learning/learn.html", context)


@require_safe
@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    return render(request, "learning/progress.html", progress.report(request.user))


@require_safe
@login_required
def reader_progress(request: HttpRequest, username: str) -> HttpResponse:
    reader = get_object_or_404(get_user_model(), username=username)
    if not can_view_progress_of(request.user, reader):
        raise Http404("No such reader.")
    return render(request, "learning/progress.html", progress.report(reader))


@require_safe
@login_required
def difficulty_report(request: HttpRequest) -> HttpResponse:
    if not can_see_difficulty_report(request.user):
        raise Http404("Editors only.")
    context = {"rows": progress.difficulty_disagreements(), "min_attempts": progress.MIN}
    return render(request, "learning/difficulty.html", context)


# -- results of a case (authors, editors) ------------------------------------------------


def _results_case(request: HttpRequest, number: str) -> Case:
    row = readable_page(request, number, "known")
    case = Case.objects.get(pk=row.case.pk)
    if not can_see_case_results(request.user, case):
        raise Http404("No such case number.")
    return case


@require_safe
@login_required
def case_results(request: HttpRequest, number: str) -> HttpResponse:
    case = _results_case(request, number)
    context: dict[str, Any] = progress.case_results(case)
    context["can_overrule"] = can_overrule_grade(request.user, case)
    return render(request, "learning/case_results.html", context)


@require_POST
@login_required
def case_overrule(request: HttpRequest, number: str) -> HttpResponse:
    case = _results_case(request, number)
    if not can_overrule_grade(request.user, case):
        raise Http404("No such case number.")
    answer = request.POST.get("answer", "").replace("\x00", "").strip()[:300]
    decision = request.POST.get("decision")
    if not answer or decision not in ("accept", "refuse"):
        return HttpResponse(
            "Name the answer and accept or refuse it.", status=400, content_type="text/plain"
        )
    attempts.overrule(case, answer, right=decision == "accept", by=request.user, request=request)
    return redirect("lightbox-case-results", case.number)
