"""The audit log in the Django admin: read-only, administrators only, like /audit/."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lightbox.accounts.roles import can_view_audit
from lightbox.audit.models import AuditEntry
from lightbox.lib.admin import ReadOnly


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created", "actor_name", "action", "target_type", "target_id", "summary",
                    "ip"]  # fmt: skip
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_id", "target_label", "summary"]
    date_hierarchy = "created"
    ordering = ["-created", "-pk"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view_audit(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view_audit(request.user)
