"""HTML to PDF: the pictures a document is handed are embedded; nothing else is fetched —
no address on the network, no file on the disk, no data: URL, not even an address of
ours the document was not given. Made in a child process, within a time limit."""

from __future__ import annotations

import http.server
import io
import logging
import threading

import pytest

from lightbox.interchange.pdf import render
from lightbox.interchange.pdf.render import (
    Media,
    PdfTooLarge,
    PdfUnavailable,
    media_url,
    render_pdf,
    render_pdf_here,
)
from lightbox.interchange.tests.pdfs import (
    dark_fraction,
    first_page_png,
    images_per_page,
    inked_fraction,
    page_texts,
)
from lightbox.test import png_bytes

BASE = "https://lightbox.test/"
# A one-pixel PNG as a data: address.
DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAg"
    "ABSK+kcQAAAABJRU5ErkJggg=="
)


def _media(data: bytes, mime: str = "image/png") -> Media:
    return Media(open=lambda: io.BytesIO(data), mime_type=mime)


@pytest.fixture
def listener():
    """A web server on a free loopback port that counts the requests it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            body = png_bytes((40, 40), 0)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_it_embeds_the_pictures_it_is_handed():
    url = media_url("1")
    html = f'<p>Scan</p><img src="{url}" style="width:8cm;height:8cm">'
    pdf = render_pdf(html, base_url=BASE, media={url: _media(png_bytes((64, 64), 0))})
    assert images_per_page(pdf) == [1]
    assert page_texts(pdf)[0] == "Scan"
    # A black 8 cm square is a good part of an A4 page.
    assert dark_fraction(first_page_png(pdf)) > 0.05


def test_it_fetches_nothing_from_the_network_even_on_loopback(listener, tmp_path, caplog):
    address, hits = listener
    secret = tmp_path / "secret.png"
    secret.write_bytes(png_bytes((64, 64), 0))
    html = f"""<html><head>
      <link rel="stylesheet" href="{address}/style.css">
      <style>@import url("{address}/import.css");
        body {{ background: url("{address}/bg.png") }}
        @font-face {{ font-family: X; src: url("{address}/font.woff") }}</style>
      </head><body><p>Body text</p>
      <img src="{address}/img.png"><img src="/cases/bs001/images/1/full">
      <img src="file://{secret}"><img src="{secret}">
      <img src="{DATA_URL}">
      <img src="{media_url("2")}"><img src="lightbox-media:../../etc/passwd">
      <object data="{address}/object.png"></object><embed src="{address}/embed.png">
      <svg><image href="{address}/svg.png"/></svg>
      </body></html>"""
    with caplog.at_level(logging.INFO, logger="lightbox.interchange.pdf.render"):
        pdf = render_pdf_here(html, base_url=address + "/", media={})
    assert hits == []
    # And in the child process the views use.
    assert images_per_page(render_pdf(html, base_url=address + "/", media={})) == [0]
    assert hits == []
    assert images_per_page(pdf) == [0]
    assert page_texts(pdf)[0].startswith("Body text")
    refused = [r.getMessage() for r in caplog.records]
    assert any(f"{address}/img.png" in m for m in refused)
    assert any("file://" in m for m in refused)
    assert any(m.endswith(DATA_URL) for m in refused)


def test_a_relative_address_resolves_against_the_site_and_is_refused(listener):
    address, hits = listener
    pdf = render_pdf('<img src="/media/images/1/x.png">', base_url=address + "/", media={})
    assert hits == [] and images_per_page(pdf) == [0]


def test_a_picture_that_will_not_open_or_decode_is_left_out():
    def broken():
        raise FileNotFoundError("gone from the disk")

    html = "".join(f'<img src="{media_url(k)}">' for k in "123") + "<p>Still here</p>"
    media = {
        media_url("1"): Media(open=broken, mime_type="image/png"),
        media_url("2"): _media(b"\x89PNG\r\n\x1a\n" + b"\0" * 40),  # a truncated PNG
        media_url("3"): _media(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png"),
    }
    assert page_texts(render_pdf_here(html, base_url=BASE, media=media)) == ["Still here"]
    assert page_texts(render_pdf(html, base_url=BASE, media=media)) == ["Still here"]


def test_page_one_of_a_document_is_not_blank():
    pdf = render_pdf("<h1>Case bs001</h1><p>Brief history.</p>", base_url=BASE, media={})
    assert inked_fraction(first_page_png(pdf)) > 0.001


def test_without_weasyprint_s_libraries_it_says_so(monkeypatch):
    def no_pango():
        raise PdfUnavailable("PDF export is not available on this server: no library 'pango'")

    monkeypatch.setattr(render, "_weasyprint", no_pango)
    with pytest.raises(PdfUnavailable, match="pango"):
        render_pdf_here("<p>x</p>", base_url=BASE, media={})


def test_a_document_that_takes_too_long_is_refused_and_the_next_one_is_made():
    # Twenty thousand emphasised words in one paragraph: about a minute of layout.
    hostile = "<p>" + "<em>a</em> " * 20_000 + "</p>"
    with pytest.raises(PdfTooLarge, match="too large to make as a PDF"):
        render_pdf(hostile, base_url=BASE, media={}, seconds=2)
    assert page_texts(render_pdf("<p>Next</p>", base_url=BASE, media={}, seconds=2)) == ["Next"]


def test_loading_weasyprint_leaves_pillow_refusing_truncated_images():
    # WeasyPrint's import sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process,
    # which would let every other picture check of the process accept broken files.
    from PIL import ImageFile

    from lightbox.interchange.pdf import render

    render._weasyprint.cache_clear()
    render._weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
