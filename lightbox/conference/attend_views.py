"""Attending: join by code, follow the current case on a phone, answer the live question.

Anyone holding the code of a running conference may attend, signed in or not
(:func:`~lightbox.cases.access.can_attend_conference`). An attendee sees the current case
as an unknown, and its diagnosis once the presenter reveals it — never another
attendee's answer, never the histogram.

An anonymous attendee is told apart by a random token in a cookie (``lightbox_attendee``,
12 hours, this site's ``/join/`` pages only); see :func:`~lightbox.conference.models.attendee_key`
for what is stored of it.
"""

from __future__ import annotations

import os
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from lightbox.cases.access import can_answer_in_conference, can_attend_conference
from lightbox.conference.forms import AnswerForm
from lightbox.conference.histogram import normalise
from lightbox.conference.models import Conference, LiveAnswer, attendee_key, normalise_code
from lightbox.conference.screen import attendee_screen
from lightbox.imaging.models import Image

COOKIE = "lightbox_attendee"
COOKIE_AGE = 12 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,64}")

NOT_RUNNING = "No conference is running with that code. Check it with the presenter's screen."
BAD_CODE = (
    "A join code is six letters and digits, as on the presenter's screen "
    "(there is no 0, 1, I, L or O in a code)."
)


def _room(join_code: str, *, for_update: bool = False) -> Conference:
    """The running conference with this code, or 404 (an odd code, no such conference and
    a conference not running all look the same)."""
    code = normalise_code(join_code)
    if code is None:
        raise Http404(BAD_CODE)
    queryset = Conference.objects.select_related("current")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    conference = queryset.filter(code=code).first()
    if conference is None or not can_attend_conference(conference):
        raise Http404(NOT_RUNNING)
    return conference


def _token(request: HttpRequest) -> str | None:
    token = request.COOKIES.get(COOKIE, "")
    return token if _TOKEN.fullmatch(token) else None


def _key(request: HttpRequest, conference: Conference, token: str) -> tuple[str, int | None]:
    """``(attendee key, user id)`` for this browser in this conference."""
    if request.user.is_authenticated:
        return attendee_key(conference.pk, user_id=request.user.pk), request.user.pk
    return attendee_key(conference.pk, token=token), None


def _with_token(request: HttpRequest, response: HttpResponse, token: str) -> HttpResponse:
    if _token(request) != token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_AGE,
            path=reverse("lightbox-conference-join"),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_safe
def join(request: HttpRequest) -> HttpResponse:
    """The page a room is sent to: type the code, go. ``?code=`` comes from its form."""
    if "code" not in request.GET:
        return render(request, "conference/join.html", {})
    raw = request.GET.get("code", "")
    code = normalise_code(raw)
    if code is None:
        return render(request, "conference/join.html", {"error": BAD_CODE, "raw": raw}, status=400)
    conference = Conference.objects.filter(code=code).first()
    if conference is None or not can_attend_conference(conference):
        return render(
            request, "conference/join.html", {"error": NOT_RUNNING, "raw": raw}, status=404
        )
    return redirect(conference.get_attend_url())


def _own_answer(request: HttpRequest, conference: Conference, token: str) -> str:
    if conference.question_id is None:
        return ""
    key, _ = _key(request, conference, token)
    found = LiveAnswer.objects.filter(question_id=conference.question_id, attendee=key)
    return found.values_list("text", flat=True).first() or ""


@require_safe
@never_cache
def attend(request: HttpRequest, join_code: str) -> HttpResponse:
    conference = _room(join_code)
    token = _token(request) or secrets.token_urlsafe(18)
    context = {
        "conference": conference,
        "can_answer": can_answer_in_conference(conference),
        "own_answer": _own_answer(request, conference, token),
        "form": AnswerForm(),
        **attendee_screen(conference),
    }
    return _with_token(request, render(request, "conference/attend.html", context), token)


@require_safe
@never_cache
def state(request: HttpRequest, join_code: str) -> JsonResponse:
    """What an attendee's page polls: one query, nothing of the case in it."""
    code = normalise_code(join_code)
    row = (
        Conference.objects.filter(code=code).values_list("version", "stage", "is_live").first()
        if code
        else None
    )
    if row is None or not row[2]:
        return JsonResponse({"live": False, "error": NOT_RUNNING}, status=404)
    return JsonResponse({"live": True, "version": row[0], "stage": row[1]})


@require_POST
def answer(request: HttpRequest, join_code: str) -> HttpResponse:
    """Store or change this attendee's answer to the open question. The page's script
    asks for JSON; a form without it comes back to the page, which shows the answer."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = AnswerForm(request.POST)
    token = _token(request) or secrets.token_urlsafe(18)
    with transaction.atomic():
        # Locked against the presenter's move: an answer is counted only if the question
        # is still open when it is stored.
        conference = _room(join_code, for_update=True)
        if not form.is_valid():
            return _refused(request, conference, token, form, 400, wants_json)
        asked = form.cleaned_data["question"]
        question_id = conference.question_id  # set whenever a question is open
        if (
            not can_answer_in_conference(conference)
            or question_id is None
            or (asked is not None and asked != question_id)
        ):
            form.add_error(None, "The question is closed: your answer was not counted.")
            return _refused(request, conference, token, form, 409, wants_json)
        key, user_id = _key(request, conference, token)
        text = form.cleaned_data["answer"]
        LiveAnswer.objects.bulk_create(
            [
                LiveAnswer(
                    question_id=question_id,
                    attendee=key,
                    user_id=user_id,
                    text=text,
                    normalised=normalise(text),
                    answered_at=timezone.now(),
                )
            ],
            update_conflicts=True,
            unique_fields=["question", "attendee"],
            update_fields=["text", "normalised", "answered_at"],
        )
    if wants_json:
        response: HttpResponse = JsonResponse({"answer": text, "version": conference.version})
    else:
        response = redirect(conference.get_attend_url())
    return _with_token(request, response, token)


def _refused(
    request: HttpRequest,
    conference: Conference,
    token: str,
    form: AnswerForm,
    status: int,
    wants_json: bool,
) -> HttpResponse:
    errors = [str(e) for errors in form.errors.values() for e in errors]
    if wants_json:
        return JsonResponse({"error": " ".join(errors)}, status=status)
    context = {
        "conference": conference,
        "can_answer": can_answer_in_conference(conference),
        "own_answer": _own_answer(request, conference, token),
        "form": form,
        "errors": errors,
        **attendee_screen(conference),
    }
    response = render(request, "conference/attend.html", context, status=status)
    return _with_token(request, response, token)


@require_safe
def image(request: HttpRequest, join_code: str, pk: int, kind: str) -> FileResponse:
    """An image of the current case, for attendees who may not open the case itself. Any
    other image — another case's, or this case's once the presenter has moved on — is
    404, as is one still waiting for pixel review."""
    conference = _room(join_code)
    if conference.current is None:
        raise Http404("No such image.")
    image = get_object_or_404(
        Image.objects.select_related("case"), pk=pk, case_id=conference.current.case_id
    )
    field = {"full": image.file, "thumb": image.thumbnail}.get(kind)
    # A FieldFile is false when its name is empty: no file.
    if field is None or not field.name or image.needs_pixel_review:
        raise Http404("No such image file.")
    extension = os.path.splitext(field.name)[1].lower()
    suffix = "-thumb" if kind == "thumb" else ""
    response = FileResponse(
        field.open("rb"), filename=f"{image.case.number}-image-{pk}{suffix}{extension}"
    )
    # Addresses carry the content hash (screen.pictures): the browser may keep it a while.
    response["Cache-Control"] = "private, max-age=3600"
    return response
