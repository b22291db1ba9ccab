"""Importing RadLex, RSNA's radiology lexicon, from the OWL file an operator downloads.

The package has two halves, and only the second imports Django:

- *Reading*, Django-free (expat from the standard library, and
  :mod:`lightbox.cases.codes`): :func:`read_radlex` (in
  :mod:`~lightbox.interchange.radlex.parse`) streams an OWL file into
  :class:`RadLexTerm` s — ID, preferred name, synonyms, broader classes — or raises
  :class:`RadLexError` with one line saying why it cannot.
- *Saving*, Django: :mod:`lightbox.interchange.radlex.save` writes the terms into the
  codes table (:class:`lightbox.cases.models.Code`) in one transaction, and brings the
  cases that carry a changed code up to date (their pages and the search index). Import
  it by its full name; importing this package does not load it.

``manage.py import_radlex FILE.owl`` runs both, with progress bars.
"""

from __future__ import annotations

from lightbox.interchange.radlex.parse import (
    MAX_BYTES,
    RadLexError,
    RadLexFile,
    RadLexTerm,
    read_radlex,
)

__all__ = ["MAX_BYTES", "RadLexError", "RadLexFile", "RadLexTerm", "read_radlex"]
