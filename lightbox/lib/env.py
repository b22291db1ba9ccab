"""Read settings from the environment. Django-free.

Every variable read through these helpers must be documented in docs/configuration.md;
``lightbox/tests/test_docs.py`` checks that.
"""

from __future__ import annotations

import os

__all__ = ["envbool", "envint", "envlist", "envstr"]

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in TRUE:
        return True
    if value.strip().lower() in FALSE:
        return False
    raise ValueError(f"{name}={value!r}: expected one of true/false, yes/no, on/off, 1/0")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None


def envlist(name: str, default: str) -> list[str]:
    """A comma-separated list; blanks dropped."""
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]
