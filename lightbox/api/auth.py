"""Who may call an endpoint that needs a signed-in caller: a bearer token, or a session.

The token itself is checked by :class:`~lightbox.api.middleware.ApiTokenMiddleware`
before any endpoint runs (and a read token is refused anything but reading there); here
django-ninja is told which callers an endpoint accepts, which also describes both ways
in the OpenAPI document (Swagger UI's *Authorize* button takes a token).

``SIGNED_IN`` is the ``auth=`` of every such endpoint: a token first, then the browser
session, whose unsafe requests must carry the CSRF token (django-ninja checks it, and the
docs page sends it). Endpoints anyone may read take no ``auth``; a token still signs their
caller in.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

__all__ = ["SIGNED_IN", "BearerToken"]


class BearerToken(HttpBearer):
    """``Authorization: Bearer lbx_…``: an API token made on one's API tokens page."""

    def __call__(self, request: HttpRequest) -> Any:
        token = getattr(request, "api_token", None)
        return token.user if token is not None else None

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        raise NotImplementedError("ApiTokenMiddleware checks the token")


SIGNED_IN = [BearerToken(), django_auth]
