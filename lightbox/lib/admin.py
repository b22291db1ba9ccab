"""Shared pieces of the Django admin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

__all__ = ["ReadOnly"]


class ReadOnly:
    """A ModelAdmin (or inline) mixin: look, never touch — no add, change or delete.

    For what Lightbox writes elsewhere, where every change is a revision or an audit
    entry (cases, topics, comments), and for the append-only logs themselves.
    """

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
