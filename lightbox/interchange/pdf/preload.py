"""Imported once by the fork server of the PDF maker's child process (see
:func:`lightbox.interchange.pdf.render.render_pdf`), so that each child starts with
WeasyPrint loaded. Where its system libraries are missing, nothing is loaded here and the
child reports it when asked for a PDF."""

import contextlib

from PIL import ImageFile

with contextlib.suppress(ImportError, OSError):
    import weasyprint  # noqa: F401
# WeasyPrint's import tells Pillow to accept truncated images; the pictures a PDF holds
# were checked when stored, and nothing here should lower Pillow's guard for them.
ImageFile.LOAD_TRUNCATED_IMAGES = False
