"""The one JSON error shape, for every error a client of the JSON API can get::

    {"error": {"status": 404, "code": "not_found", "message": "…", "details": […]}}

The API's endpoints (:mod:`lightbox.api.views`) answer with it, and so do the layers that
answer an /api/ request before any endpoint sees it: the request-body middleware
(:mod:`lightbox.ops.middleware`), the API's own error-shape middleware and the web
server's full-disk answer (:mod:`lightbox.asgi`). It lives here so that none of those has
to import the API.

>>> error_body(404, "No such case number.")
{'error': {'status': 404, 'code': 'not_found', 'message': 'No such case number.'}}
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

__all__ = ["ERROR_CODES", "error_body", "error_response"]

ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
    500: "server_error",
    503: "timeout",
    507: "insufficient_storage",
}


def error_body(status: int, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "status": status,
        "code": ERROR_CODES.get(status, "error"),
        "message": message,
    }
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(status: int, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse(error_body(status, message, details), status=status)
