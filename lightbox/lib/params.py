"""Whole numbers from query strings, forms and URLs, read without surprises. Django-free.

A parameter a reader can type (``?page=``, ``?frame=``, a revision number, the comment
replied to) is only ever parsed here, so that every view treats odd values the same way:
a value that is not a plain whole number is as good as absent, and one out of range is
brought into range or refused, never a 500.

``int()`` and ``str.isdigit()`` are not enough: ``isdigit()`` says yes to "²", which
``int()`` then refuses; ``int()`` takes "٣" and "1_000", raises on more than 4,300 digits,
and makes integers no database column holds (SQLite and PostgreSQL stop at 64 bits, which
``?page=99999999999999999999`` went past: a 500).

Examples
--------
>>> [parse_int(v) for v in ("12", " -3 ", "+7", "1e3", "²", "٣", "1_000", "", None, "9" * 30)]
[12, -3, 7, None, None, None, None, None, None, None]
>>> parse_int("0", minimum=1), parse_int("5", minimum=1, maximum=9)
(None, 5)
>>> int_param({"page": "99999999999999999999"}, "page", 1, minimum=1, maximum=500)
500
>>> int_param({"page": "abc"}, "page", 1, minimum=1, maximum=500)
1
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_DIGITS", "int_param", "parse_int"]

#: More digits than this is beyond any 64-bit integer a database stores.
MAX_DIGITS = 18
_INTEGER = re.compile(r"([+-]?)([0-9]+)")


def _integer(value: object) -> tuple[int, bool] | None:
    """``(number, huge)`` for a plain whole number written in ASCII digits; ``huge``
    when it has more than MAX_DIGITS digits (``number`` is then ±10**MAX_DIGITS)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, int):
        return value, abs(value) >= 10**MAX_DIGITS
    match = _INTEGER.fullmatch(value.strip())
    if not match:
        return None
    sign = -1 if match[1] == "-" else 1
    digits = match[2].lstrip("0") or "0"
    if len(digits) > MAX_DIGITS:
        return sign * 10**MAX_DIGITS, True
    return sign * int(digits), False


def parse_int(
    value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """``value`` (a string, as a query or form gives it, or an int) as an integer, or None
    when it is not a plain whole number, has more than MAX_DIGITS digits, or is outside
    ``[minimum, maximum]``. Spaces around it and a sign are allowed; nothing else."""
    parsed = _integer(value)
    if parsed is None or parsed[1]:
        return None
    number = parsed[0]
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return None
    return number


def int_param(
    params: Mapping[str, Any], name: str, default: int, *, minimum: int, maximum: int
) -> int:
    """The whole-number parameter ``name`` of a query string or form (a QueryDict gives its
    last value), brought into ``[minimum, maximum]``; ``default`` when it is missing or
    is not a plain whole number ("", "abc", "1e3", "1.5", "²")."""
    parsed = _integer(params.get(name))
    if parsed is None:
        return default
    return min(max(parsed[0], minimum), maximum)
