"""The API's own middleware: the token sign-in, and one error shape for errors raised
outside its endpoints.

:class:`ApiTokenMiddleware` signs a request under /api/ in with its bearer token.

:class:`ApiErrorShapeMiddleware`: Django itself answers some requests before or around
django-ninja: a wrong method (405), a CSRF failure (403), an oversized body (400/413), an
unhandled exception (500). Under /api/ those become the same JSON error as everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from lightbox.api.models import ApiToken
from lightbox.audit.log import client_ip
from lightbox.lib.jsonerror import error_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
#: What Django answers with a 4xx (404, 403, 400: a malformed or oversized request).
CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
#: What a read token may do.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiTokenMiddleware:
    """Sign in an /api/ request that carries ``Authorization: Bearer <token>`` as the
    token's owner, for that request only.

    Every endpoint then reads ``request.user`` as it would for a browser session, so the
    rules of :mod:`lightbox.cases.access` apply unchanged. A request signed in by a token
    is exempt from the CSRF check: a browser never adds an ``Authorization`` header to a
    request another site makes it send (that needs a CORS preflight, which Lightbox
    refuses), so a token cannot be ridden the way a session cookie can. A session's
    writes keep their CSRF check (see :mod:`lightbox.api.auth`).

    A bearer token that is unknown, revoked or of a deactivated account is a 401, not an
    anonymous request: a script should hear that its token no longer works. A read token
    sending anything but GET, HEAD or OPTIONS is a 403. Other schemes (``Basic``, from a
    proxy in front of the site) are left alone. Outside /api/ the header is ignored: the
    pages are for browsers, signed in by their session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX) and (secret := bearer(request)) is not None:
            token = ApiToken.find(secret)
            if token is None:
                return error_response(
                    401, "The API token is not valid: it is mistyped, revoked, or its account "
                    "is disabled. Make a new one on your API tokens page."
                )  # fmt: skip
            if not token.can_write and request.method not in SAFE_METHODS:
                return error_response(
                    403, f"The token {token.hint}… may only read: make a read and write token."
                )
            token.touch(client_ip(request))
            user = token.user

            async def auser() -> object:
                return user

            request.user = user
            request.auser = auser  # type: ignore[method-assign,assignment]
            request.api_token = token  # type: ignore[attr-defined]
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)


def bearer(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer …`` header ("" when the header names the
    scheme and nothing else); None when there is no such header."""
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


class ApiErrorShapeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            shaped = error_response(response.status_code, response.reason_phrase + ".")
            if allow := response.get("Allow"):
                shaped["Allow"] = allow
            return shaped
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX) or isinstance(exception, CLIENT_ERRORS):
            # Django turns these into their 4xx response, which __call__ then shapes.
            return None
        logger.exception("API error on %s", request.path)
        return error_response(500, "Something went wrong on the server; it has been logged.")
