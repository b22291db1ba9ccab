"""The Django admin for comments: a read-only view of everything, deleted text included;
moderation (hide, restore) happens on the case, where it is audited."""

from django.contrib import admin

from lightbox.comments.models import Comment
from lightbox.lib.admin import ReadOnly


@admin.register(Comment)
class CommentAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["pk", "case", "author", "created", "edited", "hidden", "deleted"]
    list_filter = ["hidden", "deleted"]
    search_fields = ["case__number", "body", "author__username"]
    list_select_related = ["case", "author"]
    raw_id_fields = ["case", "parent", "author", "hidden_by"]
    readonly_fields = ["created", "edited", "hidden_at"]
    ordering = ["-created"]
