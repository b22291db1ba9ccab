"""Revisions in the admin: readable, never editable (the log is append-only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from lightbox.history.models import Revision


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["target_type", "target_id", "number", "created", "user_name", "kind"]
    list_filter = ["target_type", "kind"]
    search_fields = ["user_name", "message"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Revision | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Revision | None = None) -> bool:
        return False
