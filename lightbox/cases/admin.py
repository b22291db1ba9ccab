"""The Django admin for cases and topics: read-only. Cases and topics are written in the
editor, where every save is a revision and an audit entry and publication goes through
review; the admin must not be a way around that. Series are managed here. The codes table
is read-only too: RadLex is written by ``import_radlex``, other codes in the editor."""

from django.contrib import admin

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    CaseCode,
    Code,
    CodeSynonym,
    Radiopharmaceutical,
    Series,
    Topic,
)
from lightbox.imaging.models import Image
from lightbox.lib.admin import ReadOnly


class CaseAuthorInline(ReadOnly, admin.TabularInline):
    model = CaseAuthor
    extra = 0
    fields = ["order", "name", "credentials", "user"]
    raw_id_fields = ["user"]


class RadiopharmaceuticalInline(ReadOnly, admin.TabularInline):
    model = Radiopharmaceutical
    extra = 0
    fields = ["order", "agent", "activity", "unit", "route", "time_to_imaging"]


class CaseCodeInline(ReadOnly, admin.TabularInline):
    model = CaseCode
    extra = 0
    fields = ["order", "code"]
    raw_id_fields = ["code"]


class ImageInline(ReadOnly, admin.TabularInline):
    model = Image
    extra = 0
    fields = ["order", "caption", "answer_caption", "is_main", "file", "width", "height"]
    readonly_fields = ["width", "height"]


@admin.register(Case)
class CaseAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["number", "title", "modality", "anatomic_field", "category", "status",
                    "visibility", "updated"]  # fmt: skip
    list_filter = ["status", "visibility", "modality", "series", "anatomic_field", "is_demo"]
    search_fields = ["number", "title", "diagnosis", "brief_history"]
    list_select_related = ["series"]
    readonly_fields = ["number", "created", "updated", "source"]
    raw_id_fields = ["created_by"]
    inlines = [CaseAuthorInline, RadiopharmaceuticalInline, CaseCodeInline, ImageInline]
    ordering = ["-updated"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name"]


@admin.register(Topic)
class TopicAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["title", "anatomic_field", "category", "updated"]
    prepopulated_fields = {"slug": ["title"]}


class CodeSynonymInline(ReadOnly, admin.TabularInline):
    model = CodeSynonym
    extra = 0
    fields = ["term"]


@admin.register(Code)
class CodeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["system", "code", "meaning", "source", "updated"]
    list_filter = ["system"]
    search_fields = ["code", "meaning", "synonyms__term"]
    readonly_fields = ["key", "updated"]
    inlines = [CodeSynonymInline]
    show_full_result_count = False  # RadLex is tens of thousands of rows
