"""Request bodies: refused clearly when over a limit, and never left behind on disk.

Django enforces its request limits while it parses a body, wherever that first happens —
in the CSRF check of a form page, inside django-ninja for the API — and answers with a
bare "Bad Request (400)" page, or the API's 500. Here the body is parsed first, once,
and each way it can fail gets a clear answer: the site's page for a browser, the API's
one error shape (:mod:`lightbox.lib.jsonerror`) under /api/.

Django writes each uploaded file larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a
temporary file in ``quarantine/incoming``. When the request fails half-way (a full disk,
too many files, a client gone), the file being written is not among the request's files,
so Django does not close it and it would wait for the garbage collector or the hourly
sweep. :class:`QuarantineUploadHandler` remembers every temporary file it opens, and
:class:`RequestBodyMiddleware` removes them all as soon as the parse fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from lightbox.imaging.uploads import DISK_FULL
from lightbox.lib.disk import is_disk_full
from lightbox.lib.jsonerror import error_response

__all__ = ["QuarantineUploadHandler", "RequestBodyMiddleware", "RequestSizeLimitMiddleware"]

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def refused(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The answer to a request refused before any view saw it: JSON under /api/, the
    site's page otherwise."""
    if request.path.startswith("/api/"):
        return error_response(status, message)
    context = {"status": status, "message": message, "back": request.path}
    return render(request, "refused.html", context, status=status)


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
            return refused(
                request,
                413,
                f"Request too large: {length:,} bytes (limit {settings.MAX_UPLOAD_BYTES:,}).",
            )
        return self.get_response(request)


class QuarantineUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, remembering on the request every file it opens,
    so that a failed request can remove them (see :func:`discard_temporary_files`)."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.request.__dict__.setdefault("_lightbox_temporary_files", []).append(self.file)


def discard_temporary_files(request: HttpRequest) -> None:
    """Close, and so delete, every temporary upload file the request made."""
    for temporary in request.__dict__.pop("_lightbox_temporary_files", []):
        temporary.close()


class RequestBodyMiddleware:
    """Parse a form body before any other code does, and answer its failures clearly.

    ======================================  ======  =========================================
    Failure while parsing                   Status  Why
    ======================================  ======  =========================================
    more than DATA_UPLOAD_MAX_NUMBER_FILES  413     one request carries at most that many
    more than DATA_UPLOAD_MAX_NUMBER_FIELDS 413     a form never has that many fields
    fields over DATA_UPLOAD_MAX_MEMORY_SIZE 413     form fields are held in memory
    the disk is full                        507     nothing was kept; tell the administrator
    a malformed multipart body              400     the form data cannot be read
    the client went away                    400     nobody is left to read the answer
    ======================================  ======  =========================================

    A JSON body declaring more than DATA_UPLOAD_MAX_MEMORY_SIZE is refused (413) unread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with_body = request.method in ("POST", "PUT", "PATCH", "DELETE")
        if with_body and (answer := self._read(request)):
            return answer
        return self.get_response(request)

    def _read(self, request: HttpRequest) -> HttpResponse | None:
        if request.content_type not in FORM_TYPES:
            return self._check_declared_length(request)
        try:
            request.POST  # noqa: B018 - parsing is the point
            request.FILES  # noqa: B018
        except Exception as e:
            discard_temporary_files(request)
            if answer := self._answer(request, e):
                return answer
            raise
        return None

    def _check_declared_length(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if limit is not None and length > limit:
            return refused(request, 413, _too_much_data(limit))
        return None

    def _answer(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        if isinstance(error, TooManyFilesSent):
            return refused(request, 413, _too_many_files(request))
        if isinstance(error, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            return refused(request, 413, f"Too many form fields: at most {limit:,} at a time.")
        if isinstance(error, RequestDataTooBig):
            return refused(request, 413, _too_much_data(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
        if is_disk_full(error):
            return refused(request, 507, DISK_FULL)
        if isinstance(error, UnreadablePostError):
            return refused(request, 400, "The request was interrupted before it all arrived.")
        if isinstance(error, MultiPartParserError):
            return refused(request, 400, f"The form data could not be read ({error}).")
        return None


def _too_many_files(request: HttpRequest) -> str:
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    if request.path.startswith("/api/"):
        return (
            f"More than {limit:,} files in one request. Send a larger upload in parts: "
            "open it with POST /api/v1/cases/{number}/uploads?open=true, add at most "
            f"{limit:,} files per request with POST /api/v1/uploads/{{id}}/files, then "
            "POST /api/v1/uploads/{id}/finish."
        )
    return (
        f"More than {limit:,} files were sent at once, and one form takes at most {limit:,}. "
        "Choose fewer files, or put the folder in a zip. With JavaScript turned on, the "
        "upload page sends any number of files, in parts, as one upload."
    )


def _too_much_data(limit: int) -> str:
    return (
        f"The request is too large: its form fields or JSON body come to more than "
        f"{limit:,} bytes (uploaded files are not counted)."
    )
