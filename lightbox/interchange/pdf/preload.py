"""Imported once by the fork server of the PDF maker's child process (see
:func:`lightbox.interchange.pdf.render.render_pdf`), so that each child starts with
WeasyPrint loaded. Where its system libraries are missing, nothing is loaded here and the
child reports it when asked for a PDF."""

import contextlib

from lightbox.interchange.pdf.render import PdfUnavailable, _weasyprint

# The one import of WeasyPrint, which also puts back Pillow's guard against truncated
# images that WeasyPrint lowers for the whole process.
with contextlib.suppress(PdfUnavailable):
    _weasyprint()
