"""``<case:number>`` in URL patterns: only what can be a case number reaches a view.

A case number is 2–4 letters then 1–6 digits (``bs068``; see ``Case.NUMBER_RE``). Upper
case is let through so that the case page can redirect ``/cases/BS068/`` to its lower-case
address. Anything else ("%00", 300 characters, "' OR 1=1") is a 404 from the URL resolver
before any view runs or any query is made: PostgreSQL refuses a NUL byte in a query with
an error, which a view looking the number up would have turned into a 500.
"""

from __future__ import annotations

from django.urls import register_converter

__all__ = ["CaseNumberConverter"]


class CaseNumberConverter:
    regex = "[A-Za-z]{2,4}[0-9]{1,6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CaseNumberConverter, "case")
