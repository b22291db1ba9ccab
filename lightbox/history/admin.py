"""Revisions in the admin: readable, never editable (the log is append-only)."""

from __future__ import annotations

from django.contrib import admin

from lightbox.history.models import Revision
from lightbox.lib.admin import ReadOnly


@admin.register(Revision)
class RevisionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["target_type", "target_id", "number", "created", "user_name", "kind"]
    list_filter = ["target_type", "kind"]
    search_fields = ["user_name", "message"]
