"""The Django admin for conferences: read-only. Agendas are built and rooms run on the
conference pages, where the access rules live."""

from django.contrib import admin

from lightbox.conference.models import Conference
from lightbox.lib.admin import ReadOnly


@admin.register(Conference)
class ConferenceAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["pk", "title", "owner", "created", "is_live", "stage"]
    list_filter = ["is_live"]
    search_fields = ["title", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "current", "question"]
    ordering = ["-created"]
