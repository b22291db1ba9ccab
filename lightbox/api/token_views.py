"""Each person's API tokens: make one (its secret shown once), see when each was last
used, revoke one. Linked from the profile page. Every permission comes from
:mod:`lightbox.cases.access`; another person's token is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from lightbox.api.forms import TokenForm
from lightbox.api.models import MAX_LIVE_TOKENS, ApiToken
from lightbox.audit.log import record as audit
from lightbox.cases import access
from lightbox.lib.http import AuthenticatedHttpRequest


@never_cache  # the page that shows a new secret must never be kept by a cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One's tokens, and the form that makes one. A new token's secret is in this
    answer and nowhere else: only its SHA-256 is kept."""
    if not access.can_have_api_tokens(request.user):
        raise Http404("No such page.")
    tokens = ApiToken.objects.filter(user=request.user)
    form = TokenForm(request.POST or None)
    secret = created = None
    if request.method == "POST" and form.is_valid():
        if tokens.live().count() >= MAX_LIVE_TOKENS:
            form.add_error(
                None, f"You have {MAX_LIVE_TOKENS} tokens, the most allowed: revoke one first."
            )
        else:
            created, secret = ApiToken.issue(
                request.user, form.cleaned_data["name"], form.cleaned_data["scope"]
            )
            audit(
                "token_create",
                request=request,
                target=created,
                summary=f"made API token {created} ({created.get_scope_display().lower()})",
                scope=created.scope,
            )
            form = TokenForm()
    context = {"tokens": tokens, "form": form, "secret": secret, "created": created}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def revoke_token(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk)
    if not access.can_revoke_api_token(request.user, token):
        raise Http404("No such token.")
    if token.revoke():
        audit(
            "token_revoke",
            request=request,
            target=token,
            summary=f"revoked API token {token} of {token.user.get_username()}",
        )
        messages.success(request, f"The token {token} is revoked: it no longer works.")
    return redirect("lightbox-api-tokens")
