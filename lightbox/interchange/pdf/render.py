"""HTML to PDF with WeasyPrint, fetching nothing but the pictures it is handed. Django-free.

WeasyPrint fetches every resource a document names — ``<img src>``, stylesheets, fonts,
``url()`` in CSS — through a *URL fetcher*, by default over HTTP, FTP or from files. A
PDF of a case must not be a way to make the server fetch an address of someone's choice
(server-side request forgery) or read a file of its disk, so :func:`render_pdf` gives
WeasyPrint a fetcher that knows only a table of *media*: each picture the caller has
already decided the reader may see, named by an opaque ``lightbox-media:`` address and
read through the caller's opener (Django's storage API, in practice). Any other address
— ``http:``, ``file:``, ``data:``, a media address not in the table — is refused, and the
document is made without it.

The stylesheet comes in the document's own ``<style>``, and fonts from the system's
fontconfig: neither is fetched.

WeasyPrint's layout is pure Python, about a quarter of a second a page, and some text
costs far more (twenty thousand emphasised words in one paragraph: a minute). So
:func:`render_pdf` runs it in a child process (:class:`lightbox.lib.isolation.Isolated`,
one per web process) within :data:`SECONDS` and :data:`MEMORY_BYTES`: a document that
would take longer is refused with :class:`PdfTooLarge`, and the web process's own
threads, serving pages, never wait for the layout's hold on the interpreter.

Examples
--------
>>> media_url("1")
'lightbox-media:1'
>>> MediaFetcherError("http://127.0.0.1/").args[0]
'not a picture of this document: http://127.0.0.1/'
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import IO, Any

from PIL import ImageFile

from lightbox.lib.isolation import Isolated, LimitExceeded, WorkerCrashed

__all__ = [
    "MEDIA_SCHEME",
    "Media",
    "MEMORY_BYTES",
    "SECONDS",
    "MediaFetcherError",
    "PdfTooLarge",
    "PdfUnavailable",
    "media_url",
    "render_pdf",
    "render_pdf_here",
]

logger = logging.getLogger(__name__)

#: The only scheme a document's resources may have.
MEDIA_SCHEME = "lightbox-media"

# Images are re-encoded to at most this resolution at their printed size: a 4,000-pixel
# radiograph printed 17 cm wide does not need its every pixel in a handout.
DPI = 300

#: The longest one PDF may take to make (a case takes well under a second, an agenda of
#: twenty cases with their answers about ten), and the memory its process may use.
SECONDS = 60
MEMORY_BYTES = 3 * 1024**3


@dataclass(frozen=True, slots=True)
class Media:
    """One picture a document may show: how to open it, and its media type."""

    open: Callable[[], IO[bytes]]
    mime_type: str


class PdfUnavailable(Exception):
    """WeasyPrint cannot run on this machine: its system libraries (Pango, HarfBuzz,
    fontconfig) are missing."""


class PdfTooLarge(Exception):
    """The document would take longer than :data:`SECONDS`, or more memory than
    :data:`MEMORY_BYTES`, to make."""


class MediaFetcherError(ValueError):
    """An address the document may not fetch (WeasyPrint leaves the resource out)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"not a picture of this document: {url[:200]}")


def media_url(key: str) -> str:
    """The address under which a document names the picture ``key``."""
    return f"{MEDIA_SCHEME}:{key}"


@cache
def _weasyprint() -> tuple[Any, Any]:
    """WeasyPrint's HTML class and our fetcher class, imported on first use (the import
    takes about a second, which no process that makes no PDF should pay)."""
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as e:  # OSError: a system library is missing
        raise PdfUnavailable(
            f"PDF export is not available on this server: {str(e).splitlines()[0]}"
        ) from e
    finally:
        # WeasyPrint's import tells Pillow, process-wide, to accept truncated images;
        # every other picture check of the process must still refuse them.
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    class OwnMediaFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no types
        """Serves the document's own media and refuses everything else."""

        def __init__(self, media: Mapping[str, Media]) -> None:
            # No protocol but ours, no redirects: belt and braces, as fetch() below
            # never hands an address on to urllib.
            super().__init__(allowed_protocols=(MEDIA_SCHEME,), allow_redirects=False)
            self._media = media

        def fetch(self, url: str, headers: Any = None) -> Any:
            item = self._media.get(url)
            if item is None:
                logger.info("PDF: refused %s", url[:200])
                raise MediaFetcherError(url)
            return URLFetcherResponse(
                url, body=item.open(), headers={"Content-Type": item.mime_type}
            )

    return weasyprint.HTML, OwnMediaFetcher


def render_pdf_here(html: str, *, base_url: str, media: Mapping[str, Media]) -> bytes:
    """``html`` as a PDF, made in this process (see :func:`render_pdf`).

    Parameters
    ----------
    html
        A whole document, its stylesheet in a ``<style>`` element.
    base_url
        What relative links resolve against (the site's address, so that a link in the
        PDF leads back to the site). Never fetched.
    media
        The pictures the document may show, by their :func:`media_url`.

    Raises
    ------
    PdfUnavailable
        When WeasyPrint's system libraries are missing.
    """
    html_class, fetcher_class = _weasyprint()
    document = html_class(string=html, base_url=base_url, url_fetcher=fetcher_class(media))
    pdf: bytes = document.write_pdf(dpi=DPI, pdf_tags=True)
    return pdf


def _opener(data: bytes) -> Callable[[], IO[bytes]]:
    return lambda: io.BytesIO(data)


def _render_in_child(html: str, base_url: str, pictures: dict[str, tuple[bytes, str]]) -> bytes:
    media = {
        url: Media(open=_opener(data), mime_type=mime) for url, (data, mime) in pictures.items()
    }
    return render_pdf_here(html, base_url=base_url, media=media)


_pools: dict[int, Isolated] = {}
_pools_lock = threading.Lock()


def _pool(seconds: int) -> Isolated:
    """This process's PDF maker: one child, started on first use and kept; its fork
    server imports WeasyPrint once (:mod:`lightbox.interchange.pdf.preload`)."""
    with _pools_lock:
        if seconds not in _pools:
            _pools[seconds] = Isolated(
                workers=1,
                memory_bytes=MEMORY_BYTES,
                seconds=seconds,
                preload=["lightbox.interchange.pdf.preload"],
                queue=2,
            )
        return _pools[seconds]


def render_pdf(
    html: str, *, base_url: str, media: Mapping[str, Media], seconds: int = SECONDS
) -> bytes:
    """``html`` as a PDF, made in a child process within ``seconds`` and
    :data:`MEMORY_BYTES` (the parameters are :func:`render_pdf_here`'s). The pictures
    are read here, through their openers, and handed over with the document.

    Raises
    ------
    PdfUnavailable
        When WeasyPrint's system libraries are missing.
    PdfTooLarge
        When the document would take longer or more memory than allowed.
    """
    pictures = {}
    for url, item in media.items():
        try:
            with item.open() as f:
                pictures[url] = (f.read(), item.mime_type)
        except OSError:
            logger.warning("PDF: %s could not be read", url)  # left out, as WeasyPrint would
    try:
        return _pool(seconds).run(_render_in_child, html, base_url, pictures)
    except (LimitExceeded, WorkerCrashed) as e:
        raise PdfTooLarge(
            f"This document is too large to make as a PDF here ({e}); "
            "use the print view and your browser's Print to PDF instead."
        ) from None
