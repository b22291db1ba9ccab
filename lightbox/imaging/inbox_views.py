"""The inbox of studies received from the PACS, and claiming one.

A study whose calling AE title names no author lands in a draft case that belongs to
nobody (see :mod:`lightbox.imaging.received`); the inbox lists those for every author to
claim, and each author's own received studies with how far they have got. Who may look
and claim is decided in :mod:`lightbox.cases.access`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from lightbox.audit.log import record as audit
from lightbox.cases import access
from lightbox.imaging import received
from lightbox.imaging.models import ReceivedStudy, Series
from lightbox.lib.http import AuthenticatedHttpRequest

SHOWN = 200


@dataclass
class Row:
    """One received study as the inbox shows it."""

    study: ReceivedStudy
    state: str
    modalities: str
    claimable: bool


@login_required
@require_safe
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Studies waiting for an author, then the signed-in author's own."""
    if not access.can_use_inbox(request.user):
        raise Http404("No such page.")
    studies = list(received.inbox_for(request.user)[:SHOWN])
    modalities: dict[int, set[str]] = defaultdict(set)
    series = Series.objects.filter(study__case_id__in={s.case_id for s in studies})
    for case_id, modality in series.values_list("study__case_id", "modality"):
        if modality:
            modalities[case_id].add(modality)
    now = timezone.now()
    rows = [
        Row(
            study=s,
            state=received.manifest_state(s, now),
            modalities=", ".join(sorted(modalities[s.case_id])),
            claimable=access.can_claim_case(request.user, s.case),
        )
        for s in studies
    ]
    mine = [r for r in rows if r.study.case.created_by_id == request.user.pk]
    context = {
        "waiting": [r for r in rows if r.study.in_inbox],
        "mine": mine,
        "others": [r for r in rows if not r.study.in_inbox and r not in mine],
    }
    return render(request, "imaging/inbox.html", context)


@login_required
@require_POST
def inbox_claim(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Make a study waiting in the inbox the signed-in author's draft."""
    study = get_object_or_404(ReceivedStudy.objects.select_related("case__series"), pk=pk)
    case = study.case
    if not access.can_claim_case(request.user, case):
        if access.can_use_inbox(request.user) and access.can_edit_case(request.user, case):
            messages.info(request, f"Case {case.number} is no longer waiting in the inbox.")
            return redirect("lightbox-inbox")
        raise Http404("No such study.")
    if not received.claim(study, request.user):
        messages.error(request, f"Someone else claimed case {case.number} a moment ago.")
        return redirect("lightbox-inbox")
    audit(
        "edit",
        request=request,
        target=case,
        summary=f"claimed case {case.number} from the inbox of received studies",
    )
    messages.success(request, f"Case {case.number} is now your draft; write it here.")
    return redirect("lightbox-case-edit", case.number)
