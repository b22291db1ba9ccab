"""Sign-in, sign-out and failed sign-ins, from Django's auth signals: every way in is
logged, the admin's login page and the API included, not only the login view."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from lightbox.audit.log import record
from lightbox.audit.models import Action
from lightbox.audit.throttle import normalise_username


def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    name = user.get_username()
    record(Action.SIGN_IN, actor=user, request=request, target=user, target_label=name,
           summary=f"Signed in as {name}")  # fmt: skip


def signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # signing out when not signed in
        return
    name = user.get_username()
    record(Action.SIGN_OUT, actor=user, request=request, target=user, target_label=name,
           summary=f"Signed out {name}")  # fmt: skip


def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The user name tried, never the password: Django has already masked it in
    ``credentials``, and this keeps none of the other credentials anyway."""
    field = get_user_model().USERNAME_FIELD
    username = normalise_username(str(credentials.get(field) or credentials.get("username") or ""))
    record(
        Action.SIGN_IN_FAILED,
        request=request,
        target_type="user",
        target_label=username,
        summary=f"Failed sign-in as {username!r}",
        username=username,
    )
