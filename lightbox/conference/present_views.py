"""Presenting: the full-screen presenter page, the moves through the agenda, opening and
closing the room, and the live histogram.

A move is a POST. From a form (no JavaScript) it ends back on the presenter page; from
the page's script (``Accept: application/json``) it answers the new state, and the script
redraws the page in place — a navigation would leave full screen.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from lightbox.conference.histogram import histogram
from lightbox.conference.models import Conference, Stage
from lightbox.conference.screen import presenter_screen
from lightbox.conference.views import editors_only, get_conference
from lightbox.lib.params import parse_int

MOVES = ("next", "previous", "question", "reveal", "goto")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _state(conference: Conference) -> dict[str, object]:
    return {
        "version": conference.version,
        "stage": conference.stage,
        "live": conference.is_live,
        "item": conference.current_id,
        "question": conference.question_id,
    }


@editors_only
@require_safe
@never_cache
def present(request: HttpRequest, pk: int) -> HttpResponse:
    conference = get_conference(request, pk)
    context = {
        "conference": conference,
        "items": conference.items(),
        "histogram": histogram(conference.question_id),
        "join_url": request.build_absolute_uri(reverse("lightbox-conference-join")),
        "stages": Stage,
        **presenter_screen(conference),
    }
    return render(request, "conference/present.html", context)


@editors_only
@require_POST
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """``action=open``: attendees may join with the code (and the presenter page opens);
    ``action=close``: the code stops working and any open question closes."""
    action = request.POST.get("action")
    if action not in ("open", "close"):
        return HttpResponseBadRequest("Unknown room action.")
    with transaction.atomic():
        conference = get_conference(request, pk, for_update=True)
        if action == "open":
            conference.open_room()
        else:
            conference.close_room()
    if _wants_json(request):
        return JsonResponse(_state(conference))
    if action == "open":
        return redirect("lightbox-conference-present", conference.pk)
    return redirect(conference)


@editors_only
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """``action=next|previous|question|reveal``, or ``action=goto&item=<id>``."""
    action = request.POST.get("action")
    if action not in MOVES:
        return HttpResponseBadRequest("Unknown move.")
    with transaction.atomic():
        conference = get_conference(request, pk, for_update=True)
        if action == "goto":
            item_id = parse_int(request.POST.get("item"), minimum=1)
            item = None if item_id is None else conference.agenda.filter(pk=item_id).first()
            if item is None:
                return HttpResponseBadRequest("That case is not on this agenda.")
            conference.go_to(item)
        elif action == "question":
            conference.toggle_question()
        else:
            getattr(conference, action)()
    if _wants_json(request):
        return JsonResponse(_state(conference))
    return redirect("lightbox-conference-present", conference.pk)


@editors_only
@require_safe
@never_cache
def results(request: HttpRequest, pk: int) -> JsonResponse:
    """The histogram of the question on the current case, for the presenter only: two
    queries (the conference, the grouped answers) beside the sign-in's own."""
    conference = get_conference(request, pk)
    return JsonResponse(
        {**_state(conference), "histogram": histogram(conference.question_id).as_json()}
    )
