"""Reading the PDFs the tests make, with PDFium (pypdfium2): text per page, pictures per
page, the outline, and page 1 as a picture."""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image as PILImage
from PIL import ImageChops


def squash(text: str) -> str:
    """``text`` without any whitespace: what a line break in a PDF cannot change."""
    return "".join(text.split())


def _document(pdf: bytes) -> pdfium.PdfDocument:
    assert pdf.startswith(b"%PDF-"), pdf[:200]
    return pdfium.PdfDocument(pdf)


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed."""
    doc = _document(pdf)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in doc]
    finally:
        doc.close()


def images_per_page(pdf: bytes) -> list[int]:
    """How many pictures each page draws."""
    doc = _document(pdf)
    try:
        return [len(list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))) for page in doc]
    finally:
        doc.close()


def outline(pdf: bytes) -> list[str]:
    """The titles of the PDF's bookmarks (its outline, shown beside the first page)."""
    doc = _document(pdf)
    try:
        return [item.get_title() for item in doc.get_toc()]
    finally:
        doc.close()


def metadata_title(pdf: bytes) -> str:
    doc = _document(pdf)
    try:
        return str(doc.get_metadata_dict().get("Title", ""))
    finally:
        doc.close()


def first_page_png(pdf: bytes, path=None) -> PILImage.Image:
    """Page 1 rendered at 72 dpi (saved as a PNG at ``path`` when given)."""
    doc = _document(pdf)
    try:
        picture = doc[0].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    if path is not None:
        picture.save(path, "PNG")
    return picture


def inked_fraction(picture: PILImage.Image) -> float:
    """The share of the page's pixels that are not white paper."""
    grey = picture.convert("L")
    white = PILImage.new("L", grey.size, 255)
    diff = ImageChops.difference(grey, white).point(lambda v: 255 if v > 24 else 0)
    histogram = diff.histogram()
    return histogram[255] / (grey.size[0] * grey.size[1])


def dark_fraction(picture: PILImage.Image) -> float:
    """The share of nearly black pixels (text is thin; a picture of a scan is a block)."""
    grey = picture.convert("L")
    return sum(grey.point(lambda v: 255 if v < 40 else 0).histogram()[255:]) / (
        grey.size[0] * grey.size[1]
    )
