"""Counts and times every request for ``/metrics`` (see :mod:`lightbox.ops.metrics`).

First in the middleware list, so that the time is the whole of Django's work and a
request refused by a later middleware (too large, a bad token) is counted too. The route
is the URL pattern's name, never the path: a path holds case numbers and tokens, and one
label value per case would swamp Prometheus.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from lightbox.ops.metrics import REQUESTS, status_class

__all__ = ["RequestMetricsMiddleware"]

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or "unnamed"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        start = time.perf_counter()
        status = 500  # an exception escaping Django's own handling is answered with one
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            method = request.method if request.method in METHODS else "other"
            REQUESTS.labels(method, route(request), status_class(status)).observe(
                time.perf_counter() - start
            )
