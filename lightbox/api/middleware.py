"""Keep the API's one error shape for errors raised outside its endpoints.

Django itself answers some requests before or around django-ninja: a wrong method (405),
a CSRF failure (403), an oversized body (400/413), an unhandled exception (500). Under
/api/ those become the same JSON error as everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from lightbox.lib.jsonerror import error_response

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
#: What Django answers with a 4xx (404, 403, 400: a malformed or oversized request).
CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


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
