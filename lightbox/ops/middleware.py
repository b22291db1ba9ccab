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

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string

from lightbox.imaging.uploads import DISK_FULL
from lightbox.lib.disk import is_disk_full
from lightbox.lib.jsonerror import error_response

__all__ = [
    "DatabaseUnavailableMiddleware",
    "DatabaseUnavailableViewMiddleware",
    "QuarantineUploadHandler",
    "answer_unavailable",
    "RequestBodyMiddleware",
    "RequestSizeLimitMiddleware",
    "database_unavailable",
]

logger = logging.getLogger(__name__)

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


#: Seconds a client is asked to wait (``Retry-After``) while the database is unavailable:
#: a PostgreSQL restart takes a few seconds, a failover under a minute.
RETRY_AFTER_SECONDS = 30

#: PostgreSQL error classes (SQLSTATE) that mean "the server cannot serve you now", not
#: "this query is wrong": 08 connection exception, 53 insufficient resources (too many
#: connections, out of memory or disk), 57P operator intervention (shut down, restarting).
UNAVAILABLE_SQLSTATES = ("08", "53", "57P")

#: SQLite's ways of saying the same: another writer held the lock for longer than the
#: busy timeout, or the file cannot be opened.
UNAVAILABLE_SQLITE = ("database is locked", "unable to open database file")

_MARK = "_lightbox_database_unavailable"


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot answer now (down, restarting, locked)
    rather than that a query is wrong: only the first is worth a 503 and a retry; the
    second is a bug and stays a 500, logged with its traceback."""
    if isinstance(error, InterfaceError):  # a connection the server closed under us
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if cause is not None and type(cause).__module__.startswith("psycopg"):
        # No SQLSTATE: the client could not reach the server (refused, reset, timed out).
        return sqlstate is None or sqlstate.startswith(UNAVAILABLE_SQLSTATES)
    return any(phrase in str(error) for phrase in UNAVAILABLE_SQLITE)


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After``: the API's error shape under /api/, otherwise a page that
    needs nothing from the database (no session, no signed-in user, no site settings
    from it), saying whether what the reader sent was kept: it was not, since every write
    is one transaction and a transaction the database did not finish is rolled back."""
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    message = (
        "The database is not answering, so nothing you sent was saved. Send it again "
        "in a minute (keep this page open: going back keeps what you wrote)."
        if writing
        else "The database is not answering at the moment. Try again in a minute."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = error_response(503, message)
    else:
        context = {"message": message, "site_name": settings.SITE_NAME}
        response = HttpResponse(render_to_string("unavailable.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _mark_unavailable(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``got_request_exception``: note on the request that what Django is about to turn into
    a 500 was the database being unavailable, for :class:`DatabaseUnavailableMiddleware`."""
    error = sys.exc_info()[1]
    if request is not None and error is not None and database_unavailable(error):
        request.__dict__[_MARK] = error


class _QuietWhileUnavailable(logging.Filter):
    """Keeps Django's "Internal Server Error" traceback out of the log when the error was
    the database being unavailable: the middleware logs one warning line instead, and an
    outage of a minute does not fill the log with identical tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or not database_unavailable(error)


got_request_exception.connect(_mark_unavailable, dispatch_uid="lightbox-database-unavailable")
logging.getLogger("django.request").addFilter(_QuietWhileUnavailable())


class DatabaseUnavailableMiddleware:
    """A database that is down, restarting or locked gets a 503 with ``Retry-After``,
    never a 500 with a traceback; Lightbox itself needs no restart afterwards (each request
    checks its connection first: ``conn_health_checks``).

    Listed first in ``MIDDLEWARE``, so that it sees the failures of the middleware below
    it too (an API token or a session looked up, a session saved), which Django turns into
    a 500 before any middleware hears of them: :func:`_mark_unavailable` notes them on the
    request and this replaces the 500. Failures in views are answered by
    :class:`DatabaseUnavailableViewMiddleware`, listed last.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if error := request.__dict__.pop(_MARK, None):
            return answer_unavailable(request, error)
        return response


class DatabaseUnavailableViewMiddleware:
    """The view's half of :class:`DatabaseUnavailableMiddleware`: listed last, its
    ``process_exception`` runs before any other's (the API's would answer 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        return answer_unavailable(request, exception)


def answer_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    """:func:`unavailable`, with one line in the log saying why (not a traceback)."""
    logger.warning(
        "database unavailable: %s %s answered 503 (%s)",
        request.method,
        request.path,
        str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
    )
    return unavailable(request)
