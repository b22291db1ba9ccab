"""Lossless bundles: cases exported with everything they hold, and imported again.

A bundle is a BagIt zip (:mod:`~lightbox.interchange.bundle.bag`) of JSON and files: for
each case a ``case.json`` with every field, its authors, doses, images and DICOM series,
comments, review notes, unsaved drafts, revisions and redactions, and its de-identified
DICOM, pictures and thumbnails byte for byte; the topic pages and series the cases belong
to; and the people they name, by username. A SHA-256 manifest covers every file. See
``docs/interchange.md#lossless-bundles``.

- :mod:`~lightbox.interchange.bundle.schema`: the tables of a case (one entry each) and
  how a row becomes JSON and back;
- :mod:`~lightbox.interchange.bundle.export`: writing cases into a bundle
  (``manage.py export_bundle``);
- :mod:`~lightbox.interchange.bundle.plan`: reading a bundle and checking every byte of it
  before anything is stored; :mod:`~lightbox.interchange.bundle.files` (Django-free): the
  checks of its DICOM and pictures;
- :mod:`~lightbox.interchange.bundle.save`: storing a checked bundle
  (``manage.py import_bundle``).

Import the modules by their full names: importing this package loads none of them.
"""
