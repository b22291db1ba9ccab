"""Importing the pages of a 1990s radiology teaching file: a Django-free parser, then a save.

The package has two halves, and only the second imports Django:

- *Parsing*, Django-free (the standard library, ftfy and :mod:`lightbox.cases.acr`):
  :func:`parse_legacy` (in :mod:`~lightbox.interchange.legacy.parse`, the entry, whose
  docstring lists every heading and decision) turns the bytes of one page into a
  :class:`LegacyCase`, or raises :class:`LegacyParseError` for input that is not a case
  page. It decodes the page and flattens its HTML (:mod:`~lightbox.interchange.legacy.text`),
  groups the lines into sections (:mod:`~lightbox.interchange.legacy.sections`) and reads
  each section into its fields (:mod:`~lightbox.interchange.legacy.fields`); what it
  returns is defined in :mod:`~lightbox.interchange.legacy.types`. Nothing is silently
  dropped: what the parser cannot place is kept in :attr:`LegacyCase.unparsed` and
  explained in :attr:`LegacyCase.warnings`.
- *Saving*, Django: :mod:`lightbox.interchange.legacy.save` maps a :class:`LegacyCase` onto
  the models, one page per atomic block, creating or updating by case number
  (:func:`~lightbox.interchange.legacy.save.import_legacy_file`, used by the
  ``import_legacy`` management command). Import it by its full name; importing this
  package does not load it, so the parser stays usable without Django.

The names below are the parser's public API, re-exported from
:mod:`~lightbox.interchange.legacy.parse`; other modules import them from here.
"""

from __future__ import annotations

from lightbox.interchange.legacy.parse import (
    MAX_BYTES,
    LegacyAuthor,
    LegacyCase,
    LegacyParseError,
    LegacyRadiopharmaceutical,
    LegacyReference,
    LegacyTopic,
    parse_legacy,
)

__all__ = [
    "LegacyCase",
    "LegacyAuthor",
    "LegacyRadiopharmaceutical",
    "LegacyReference",
    "LegacyTopic",
    "LegacyParseError",
    "parse_legacy",
    "MAX_BYTES",
]
