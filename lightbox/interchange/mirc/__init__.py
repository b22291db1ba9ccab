"""MIRCdocuments (RSNA MIRC Teaching File System) in and out: Django-free halves, then Django.

- *Reading and writing the XML*, Django-free: :func:`parse_mirc` turns the bytes of a
  MIRCdocument into a :class:`MircDocument` (:mod:`~lightbox.interchange.mirc.parse`,
  whose docstring says how each element is read), under the limits of
  :mod:`~lightbox.interchange.mirc.xmltree`; :func:`write_mirc` is its inverse
  (:mod:`~lightbox.interchange.mirc.write`). :mod:`~lightbox.interchange.mirc.package`
  finds the documents and their files in a zip or a folder, under the limits of
  :mod:`lightbox.lib.archive`.
- *Saving and exporting*, Django: :mod:`~lightbox.interchange.mirc.save` makes a draft case
  of a document (its DICOM through the upload pipeline, de-identified like any upload),
  and :mod:`~lightbox.interchange.mirc.export` writes a case as a MIRCdocument zip. Import
  them by their full names; importing this package does not load them.
"""

from __future__ import annotations

from lightbox.interchange.mirc.parse import is_mirc_document, parse_mirc
from lightbox.interchange.mirc.types import (
    MircAuthor,
    MircCode,
    MircDocument,
    MircDose,
    MircImage,
    MircParseError,
    MircReference,
)
from lightbox.interchange.mirc.write import write_mirc

__all__ = [
    "MircAuthor",
    "MircCode",
    "MircDocument",
    "MircDose",
    "MircImage",
    "MircParseError",
    "MircReference",
    "is_mirc_document",
    "parse_mirc",
    "write_mirc",
]
