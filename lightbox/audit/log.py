"""Writing to the audit log: one call, :func:`record`, from every view, command and task::

    record(Action.PUBLISH, request=request, target=case, summary="Published after review")

An entry is written in the caller's transaction, so an action that rolls back leaves no
entry behind, and one that commits always has its entry.
"""

from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from lightbox.audit.models import Action, AuditEntry
from lightbox.lib.schema import concrete_field

__all__ = ["Action", "client_ip", "record"]


def record(
    action: Action | str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    summary: str = "",
    **data: Any,
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    Parameters
    ----------
    action
        An :class:`~lightbox.audit.models.Action`; an unknown value raises ``ValueError``.
    actor
        Who did it. Defaults to ``request.user`` when signed in; ``None`` for the system
        (a command, a task) or an anonymous visitor.
    request
        Gives the actor, the client's IP address and its user agent.
    target
        Any model instance: its type is the model name, its id the ``number`` attribute
        when it has one (a case: ``"bs068"``) else the primary key, its label ``str()``.
        ``target_type``, ``target_id`` and ``target_label`` given explicitly win.
    summary
        One line for the list. Defaults to the action and target.
    **data
        Anything else worth keeping, made JSON-safe (dates, decimals, UUIDs; anything else
        as text). Every key containing "password", at any depth, is dropped.
    """
    action = Action(action)
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if target is not None:
        target_type = target_type or target._meta.model_name or ""
        number = getattr(target, "number", None)
        target_id = target_id or str(number if number not in (None, "") else target.pk or "")
        target_label = target_label or str(target)
    target_id = str(target_id)
    if not summary:
        summary = " ".join(filter(None, [action.label, target_type, target_label or target_id]))
    fields = {
        "actor_name": actor.get_username() if actor is not None else "",
        "target_type": target_type,
        "target_id": target_id,
        "target_label": target_label,
        "summary": summary,
        "user_agent": request.META.get("HTTP_USER_AGENT", "") if request is not None else "",
    }
    return AuditEntry.objects.create(
        action=action.value,
        actor=actor,
        ip=client_ip(request) if request is not None else None,
        data=_scrub(json.loads(json.dumps(data, cls=_Encoder))),
        **{name: _fit(name, value) for name, value in fields.items()},
    )


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, normalised, or ``None`` when it is missing or malformed.

    ``REMOTE_ADDR`` unless Lightbox is behind a reverse proxy (``settings.BEHIND_PROXY``
    when defined, else ``settings.SECURE_PROXY_SSL_HEADER`` being set, which settings.py
    does only under ``LIGHTBOX_BEHIND_PROXY``): then the last address in
    ``X-Forwarded-For``, the one our proxy saw. Earlier ones are the client's to invent.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if _behind_proxy() and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR", "")):
        address = forwarded.split(",")[-1].strip()
    try:
        ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone: "fe80::1%eth0"
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # one client, one address, whichever socket it came in on
    return str(ip)


def _behind_proxy() -> bool:
    explicit = getattr(settings, "BEHIND_PROXY", None)
    if explicit is not None:
        return bool(explicit)
    return bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, set | frozenset):
            return sorted(o, key=str)
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _scrub(value: Any) -> Any:
    """No password under any key; nothing PostgreSQL's jsonb refuses (NUL, NaN)."""
    if isinstance(value, dict):
        return {
            _text(key): _scrub(item)
            for key, item in value.items()
            if "password" not in key.lower()
        }
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _text(value: str) -> str:
    # PostgreSQL refuses NUL in text; SQLite would keep it. Both get the same row.
    return value.replace("\x00", "")


def _fit(name: str, value: str) -> str:
    # PostgreSQL enforces max_length, SQLite does not: cut here so both store the same.
    max_length = concrete_field(AuditEntry, name).max_length
    return _text(str(value))[:max_length]
