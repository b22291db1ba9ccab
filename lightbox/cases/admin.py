"""The Django admin for cases: an administrator's tool until the case editor arrives."""

from django.contrib import admin

from lightbox.cases.models import Case, CaseAuthor, Radiopharmaceutical, Series, Topic
from lightbox.imaging.models import Image


class CaseAuthorInline(admin.TabularInline):
    model = CaseAuthor
    extra = 0
    fields = ["order", "name", "credentials", "user"]
    raw_id_fields = ["user"]


class RadiopharmaceuticalInline(admin.TabularInline):
    model = Radiopharmaceutical
    extra = 0
    fields = ["order", "agent", "activity", "unit", "route", "time_to_imaging"]


class ImageInline(admin.TabularInline):
    model = Image
    extra = 0
    fields = ["order", "caption", "is_main", "file", "width", "height"]
    readonly_fields = ["width", "height"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "modality", "anatomic_field", "category", "status",
                    "visibility", "updated"]  # fmt: skip
    list_filter = ["status", "visibility", "modality", "series", "anatomic_field", "is_demo"]
    search_fields = ["number", "title", "diagnosis", "brief_history"]
    list_select_related = ["series"]
    readonly_fields = ["number", "created", "updated", "source"]
    raw_id_fields = ["created_by"]
    inlines = [CaseAuthorInline, RadiopharmaceuticalInline, ImageInline]
    ordering = ["-updated"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "anatomic_field", "category", "updated"]
    prepopulated_fields = {"slug": ["title"]}
