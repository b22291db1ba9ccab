"""Refuse an oversized request before reading its body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lightbox.api.views import error_response


class RequestSizeLimitMiddleware:
    """A body declared larger than ``MAX_UPLOAD_BYTES`` gets 413 at once, unread.

    A body that does not declare its length (chunked) is held to the same limit as it
    streams, by the quarantine writer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_UPLOAD_BYTES + 1024 * 1024  # room for the multipart framing
        if length > limit:
            message = f"Request too large: {length:,} bytes (limit {settings.MAX_UPLOAD_BYTES:,})."
            if request.path.startswith("/api/"):
                return error_response(413, message)
            return HttpResponse(message, status=413, content_type="text/plain")
        return self.get_response(request)
