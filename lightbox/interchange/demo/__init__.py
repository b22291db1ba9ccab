"""The demo library that ``make run`` loads into an empty database.

- :mod:`~lightbox.interchange.demo.content`: the cases and topic pages, data only.
- :mod:`~lightbox.interchange.demo.dicom`, Django-free: the DICOM series, built from the
  public test files of pydicom and pydicom-data.
- :mod:`~lightbox.interchange.demo.save`, Django: :func:`~lightbox.interchange.demo.save.
  load_demo` puts both into the database, the series through the upload pipeline; the
  ``load_demo`` management command calls it.
"""
