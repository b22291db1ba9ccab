"""How patient data is kept out of Lightbox: the one place that answers it. Django-free.

A teaching file holds what authors write and the images they upload, and either can carry a
patient's identity. This package holds the rules that find or remove it. It imports no
Lightbox app and nothing from Django (only the standard library, pydicom and
dicom-anonymizer's tables), so each rule can be read, run and tested on its own.

**Text** (:mod:`lightbox.deid.text`). Before a case is published, every piece of text a
reader can see is scanned for the shapes identifiers take: names after a title or a label,
record, accession and telephone numbers, e-mail and web addresses, full dates, ages over 89,
street addresses (:func:`scan`, :func:`scan_fields`). Each :class:`Finding` holds
publication back until an author removes it or acknowledges it by its fingerprint
(:func:`unresolved`); the case model calls the scan and stores the acknowledgements. It is
a safety net, not a guarantee. See ``docs/identifier-scan.md``.

**DICOM** (:mod:`lightbox.deid.dicom`). Every uploaded DICOM instance is de-identified in
memory before anything of it is stored (:func:`deidentify`, then
:func:`write_deidentified`): the DICOM PS3.15 Annex E Basic Application Level
Confidentiality Profile with the Retain Patient Characteristics, Retain Longitudinal
Temporal Information with Modified Dates and Clean Descriptors options, keyed by a
per-install secret (:class:`DeidPolicy`). The Annex E tables live in
:mod:`lightbox.deid.annex_e`. Whatever the table does not list is removed unless the
allowlist (:mod:`lightbox.deid.allowlist`) names it: what display, grouping or a valid IOD
needs, never free text. :mod:`lightbox.deid.conformance` writes
``docs/deidentification.md`` from the same decision function, so the document and the code
cannot disagree.

**Elsewhere**, because it needs storage, a database or a person: the upload's identified
bytes touch the disk only in :mod:`lightbox.imaging.quarantine`; a child process with a
memory cap runs the de-identification (:mod:`lightbox.imaging.dicom.prepare`, which also
re-encodes JPEG/PNG pictures from their pixels alone, dropping their metadata); an instance
that may carry burned-in text (:attr:`DeidReport.needs_pixel_review`) is hidden from readers
and blocks publication until an author masks or clears it (:mod:`lightbox.imaging.review`,
:mod:`lightbox.imaging.dicom.mask`); and an identifier that reached a case's history is
redacted by :mod:`lightbox.history.redaction`.

Examples
--------
>>> [(f.kind.name, f.text) for f in scan("Seen by Dr. Jones, MRN 00123456.")]
[('NAME', 'Dr. Jones'), ('MRN', '00123456')]
"""

from lightbox.deid.allowlist import view_label
from lightbox.deid.dicom import (
    DeidentificationError,
    DeidOptions,
    DeidPolicy,
    DeidReport,
    DeidResult,
    deidentify,
    write_deidentified,
)
from lightbox.deid.text import Finding, scan, scan_fields, unresolved

__all__ = [
    "DeidOptions",
    "DeidPolicy",
    "DeidReport",
    "DeidResult",
    "DeidentificationError",
    "Finding",
    "deidentify",
    "scan",
    "scan_fields",
    "unresolved",
    "view_label",
    "write_deidentified",
]
