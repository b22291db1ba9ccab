"""API tokens in the Django admin: administrators see everyone's (never a secret: none is
kept) and revoke them, for instance when someone leaves. Tokens are made only by their
owners, on their token page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from lightbox.accounts.roles import can_manage_people
from lightbox.api.models import ApiToken
from lightbox.audit.log import record as audit
from lightbox.cases.access import can_revoke_api_token
from lightbox.lib.admin import ReadOnly


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "user", "hint", "scope", "created", "last_used", "revoked"]
    list_filter = ["scope", "revoked"]
    search_fields = ["name", "user__username", "hint"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_people(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_people(request.user)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = 0
        for token in queryset.select_related("user"):
            if can_revoke_api_token(request.user, token) and token.revoke():
                revoked += 1
                audit(
                    "token_revoke",
                    request=request,
                    target=token,
                    summary=f"revoked API token {token} of {token.user.get_username()}",
                )
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
