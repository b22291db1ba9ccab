"""Read settings from the environment. Django-free.

Every variable read through these helpers must be documented in docs/configuration.md;
``lightbox/tests/test_docs.py`` checks that.
"""

from __future__ import annotations

import json
import math
import os

__all__ = ["envbool", "envint", "envlist", "envmap", "envstr", "envweights", "parse_map"]

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


def envmap(name: str) -> dict[str, str]:
    """Comma-separated ``key=value`` pairs (see :func:`parse_map`); empty when unset."""
    return parse_map(name, envstr(name, ""))


def parse_map(name: str, text: str) -> dict[str, str]:
    """``key=value`` pairs separated by commas; blanks dropped, spaces around each key and
    value too. ``name`` is the variable, for the error message.

    >>> parse_map("LIGHTBOX_DICOM_AE_AUTHORS", "CT_WS1=alice, MR_WS2 = bob,")
    {'CT_WS1': 'alice', 'MR_WS2': 'bob'}
    >>> parse_map("LIGHTBOX_DICOM_AE_AUTHORS", "CT_WS1")
    Traceback (most recent call last):
    ...
    ValueError: LIGHTBOX_DICOM_AE_AUTHORS: 'CT_WS1' is not of the form KEY=value
    """
    found: dict[str, str] = {}
    for pair in (item.strip() for item in text.split(",")):
        if not pair:
            continue
        key, equals, value = pair.partition("=")
        if not equals or not key.strip() or not value.strip():
            raise ValueError(f"{name}: {pair!r} is not of the form KEY=value")
        found[key.strip()] = value.strip()
    return found


def envweights(name: str) -> dict[str, float]:
    """A JSON object of names to non-negative numbers, e.g. ``{"semantic": 6}``; empty
    when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise ValueError(
            f'{name}={value!r}: expected a JSON object such as {{"semantic": 6}}'
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        for v in data.values()
    ):
        raise ValueError(f"{name}={value!r}: expected names with numbers of 0 or more")
    return {str(k): float(v) for k, v in data.items()}
