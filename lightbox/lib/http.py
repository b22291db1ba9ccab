"""Types for views: what a request is once the view knows who sent it.

Django types ``request.user`` as ``User | AnonymousUser``. A view that only a signed-in
person reaches (behind ``login_required`` or a decorator that refuses anyone else) takes
an :class:`AuthenticatedHttpRequest` instead, so that ``request.user`` is a ``User`` where
a model field or a lookup wants one. This is django-stubs' own pattern; it changes
nothing at run time, where every request is still a plain ``HttpRequest``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = ["AuthenticatedHttpRequest"]


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user is signed in. For annotations only: never built."""

    user: User
