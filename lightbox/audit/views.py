"""The audit log, read-only and for administrators; and the sign-in page that refuses
after too many failures. There is no view that changes an entry: none can."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from lightbox.accounts.roles import can_view_audit
from lightbox.audit import throttle
from lightbox.audit.forms import AuditFilterForm
from lightbox.audit.log import client_ip, record
from lightbox.audit.models import Action, AuditEntry

PAGE_SIZE = 50
REASONS = {"username": "for this user name", "ip": "from this address"}


def _require_audit_access(request: HttpRequest) -> None:
    # Like a case one may not see, the log does not exist for anyone but administrators.
    if not can_view_audit(request.user):
        raise Http404("No such page.")


@login_required
@require_safe
def audit_list(request: HttpRequest) -> HttpResponse:
    """Every entry, newest first, narrowed by the filters in the query string."""
    _require_audit_access(request)
    form = AuditFilterForm(request.GET)
    entries = form.filter(AuditEntry.objects.order_by("-created", "-pk"))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/entry_list.html", {"form": form, "page": page})


@login_required
@require_safe
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_audit_access(request)
    entry = get_object_or_404(AuditEntry.objects.select_related("actor"), pk=pk)
    # (key, text, whether the text is JSON to show as it is laid out)
    data = [
        (key, value, False)
        if isinstance(value, str)
        else (key, json.dumps(value, indent=2, ensure_ascii=False), isinstance(value, dict | list))
        for key, value in sorted(entry.data.items())
    ]
    return render(request, "audit/entry_detail.html", {"entry": entry, "data": data})


class ThrottledLoginView(LoginView):
    """Django's sign-in page, refusing with 429 once :func:`throttle.check` says so.

    The check comes before the password is looked at: a locked name stays locked even
    for the right password, or the lock would tell a guesser when they had it right.
    """

    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = throttle.normalise_username(request.POST.get("username", ""))
        refusal = throttle.check(username, client_ip(request))
        if refusal is None:
            return super().post(request, *args, **kwargs)
        now = timezone.now()
        minutes, seconds = refusal.minutes(now), refusal.seconds(now)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
        why = REASONS[refusal.reason]
        record(
            Action.SIGN_IN_REFUSED,
            request=request,
            target_type="user",
            target_label=username,
            summary=f"Sign-in as {username!r} refused: too many failures {why}",
            username=username,
            reason=refusal.reason,
            retry_after_seconds=seconds,
        )
        messages.error(request, f"Too many failed sign-ins; try again in {wait}.")
        # An unbound form: a bound one would authenticate as soon as the page asked
        # for its errors.
        form = self.get_form_class()(request, initial={"username": username})
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(seconds)
        return response
