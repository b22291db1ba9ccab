"""Building a conference: the list of one's conferences, a new one, its agenda.

Editors and administrators only (:func:`~lightbox.cases.access.can_run_conference`); to
anyone else a conference does not exist (404). Every change is a POST that ends back on
the agenda page with a message saying what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lightbox.accounts.roles import is_admin
from lightbox.cases.access import can_create_conference, can_put_on_agenda, can_run_conference
from lightbox.cases.models import Case, split_number
from lightbox.conference.forms import ConferenceForm
from lightbox.conference.models import Conference
from lightbox.lib.http import AuthenticatedHttpRequest
from lightbox.lib.params import parse_int

AGENDA_ACTIONS = ("add", "up", "down", "remove")


def editors_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors are sent to sign in (and back to the conference's agenda, not
    to a POST-only address); signed-in people who may not build conferences get 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            pk = kwargs.get("pk")
            back = (
                reverse("lightbox-conference-agenda", args=[pk])
                if request.method == "POST" and pk is not None
                else request.get_full_path()
            )
            return redirect_to_login(back)
        if not can_create_conference(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


def get_conference(request: HttpRequest, pk: int, *, for_update: bool = False) -> Conference:
    queryset = Conference.objects.select_related("current")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    conference = get_object_or_404(queryset, pk=pk)
    if not can_run_conference(request.user, conference):
        raise Http404("No such conference.")
    return conference


@editors_only
@require_safe
def conference_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    conferences = Conference.objects.annotate(n=Count("agenda")).select_related("owner")
    if not is_admin(request.user):
        conferences = conferences.filter(owner=request.user)
    return render(request, "conference/conference_list.html", {"conferences": conferences})


@editors_only
@require_http_methods(["GET", "POST"])
def conference_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ConferenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        conference = Conference.objects.create(
            title=form.cleaned_data["title"], owner=request.user
        )
        messages.success(request, "The conference is created. Add cases by their number.")
        return redirect(conference)
    return render(request, "conference/conference_new.html", {"form": form})


@editors_only
@require_safe
def agenda(request: HttpRequest, pk: int) -> HttpResponse:
    conference = get_conference(request, pk)
    context = {
        "conference": conference,
        "items": conference.items(),
        "form": ConferenceForm(initial={"title": conference.title}),
    }
    return render(request, "conference/agenda.html", context)


@editors_only
@require_POST
def conference_edit(request: HttpRequest, pk: int) -> HttpResponse:
    conference = get_conference(request, pk)
    form = ConferenceForm(request.POST)
    if form.is_valid():
        conference.title = form.cleaned_data["title"]
        conference.save(update_fields=["title"])
        messages.success(request, "The title is saved.")
    else:
        messages.error(request, f"The title was not saved. {form.errors['title'][0]}")
    return redirect(conference)


@editors_only
@require_POST
def agenda_change(request: HttpRequest, pk: int) -> HttpResponse:
    """``action=add&number=bs068``; ``action=up|down|remove&item=<id>``."""
    action = request.POST.get("action")
    if action not in AGENDA_ACTIONS:
        return HttpResponseBadRequest("Unknown agenda action.")
    with transaction.atomic():
        conference = get_conference(request, pk, for_update=True)
        if action == "add":
            _add(request, conference, request.POST.get("number", ""))
        else:
            item_id = parse_int(request.POST.get("item"), minimum=1)
            item = (
                None
                if item_id is None
                else conference.agenda.filter(pk=item_id).select_related("case").first()
            )
            if item is None:
                messages.error(request, "That case is no longer on the agenda.")
            elif action == "remove":
                conference.remove_item(item)
                messages.success(request, f"Case {item.case.number} is off the agenda.")
            else:
                conference.move_item(item, -1 if action == "up" else 1)
    return redirect(conference)


def _add(request: HttpRequest, conference: Conference, raw: object) -> None:
    number = raw.strip().lower() if isinstance(raw, str) else ""
    try:
        split_number(number)
    except ValueError:
        messages.error(request, "Give a case number, such as bs068.")
        return
    case = Case.objects.filter(number=number).first()
    # A case the presenter may not read is, to them, one that does not exist.
    if case is None or not can_put_on_agenda(request.user, conference, case):
        messages.error(request, f"There is no case numbered {number}.")
        return
    try:
        with transaction.atomic():
            conference.add_case(case)
    except IntegrityError:
        messages.error(request, f"Case {number} is already on the agenda.")
        return
    messages.success(request, f"Case {number} is added to the agenda.")
