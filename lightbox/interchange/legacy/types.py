"""What the legacy page parser returns, and the error it raises.

Django-free. Re-exported by :mod:`lightbox.interchange.legacy` (the package), which is where
other modules import them from; they live here so that the parser's modules (text,
sections, fields) can share them without importing each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = [
    "MAX_BYTES",
    "MAX_FIELD_CHARS",
    "LegacyAuthor",
    "LegacyCase",
    "LegacyParseError",
    "LegacyRadiopharmaceutical",
    "LegacyReference",
    "LegacyTopic",
]

MAX_BYTES = 5 * 1024 * 1024  # a legacy page is a few KB; anything over this is refused

# Field-level regexes run only on chunks up to this long: a longer "dose" or "author line"
# is not one, and the bound keeps every search cheap whatever the input.
MAX_FIELD_CHARS = 1000


class LegacyParseError(ValueError):
    """The input is not a teaching-file page. The message is one line, without a filename."""


@dataclass
class LegacyAuthor:
    name: str
    credentials: str


@dataclass
class LegacyRadiopharmaceutical:
    agent: str
    activity: Decimal | None
    unit: str
    route: str
    time_to_imaging: str
    text: str


@dataclass
class LegacyReference:
    text: str
    pmid: str = ""
    doi: str = ""


@dataclass
class LegacyTopic:
    title: str
    field: str | None
    category: str | None
    field_name: str
    category_name: str


@dataclass
class LegacyCase:
    number: str = ""
    title: str = ""
    authors: list[LegacyAuthor] = field(default_factory=list)
    case_date: date | None = None
    difficulty: int | None = None
    quality: int | None = None
    diagnosis: str = ""
    brief_history: str = ""
    full_history: str = ""
    findings: str = ""
    discussion: str = ""
    followup: str = ""
    images: list[str] = field(default_factory=list)
    main_image: str = ""
    radiopharmaceuticals: list[LegacyRadiopharmaceutical] = field(default_factory=list)
    references: list[LegacyReference] = field(default_factory=list)
    differential: list[str] = field(default_factory=list)
    acr_codes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    topic: LegacyTopic | None = None
    copyright: str = ""
    unparsed: str = ""
    warnings: list[str] = field(default_factory=list)
