"""The demo library that ``make run`` loads into an empty database: its content as data
files, and the code that reads them, builds their images and saves them.

- ``library.toml``, ``cases/*.md``, ``topics/*.md``: the content, one Markdown file with
  TOML front matter per case and per topic page (``docs/demo.md`` says how to add one).
- :mod:`~lightbox.interchange.demo.load`, Django-free: reads those files into
  frozen dataclasses (``CASES``, ``TOPICS``, ``SERIES``, ...), or says in one line which
  file is wrong and how.
- :mod:`~lightbox.interchange.demo.dicom`, Django-free: builds each case's DICOM series
  from the public test files that ship inside the ``pydicom`` and ``pydicom-data`` wheels,
  and says what was built and how.
- :mod:`~lightbox.interchange.demo.save`, Django: :func:`~lightbox.interchange.demo.save.
  load_demo` creates the series, topic pages and cases and sends their DICOM through the
  upload pipeline; the ``load_demo`` management command calls it.

Every word of the content was written for Lightbox; nothing is copied from another
teaching file or website. The authors are obviously fictional, the references deliberately
generic ("demo reference", no invented PMIDs or DOIs). The findings describe what the
images show, and only that. The histories, ages and follow-ups are written for teaching,
and each case's discussion ends by saying where its images come from. Where the test data
could not give a case what it needed (a posterior whole-body view, a CT series of several
slices) the series was built, and the case says so before the answer as well as after it.
Each image has two captions: the first, read with the unknown, names only the view; the
second, read after the answer, says what the image shows.
"""
