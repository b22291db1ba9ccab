"""Write a :class:`MircDocument` as MIRCdocument XML. Django-free.

The document is shaped like the MIRC Standard Teaching File template (``display="mstf"``):
title, authors, abstract (the brief history), keywords, a section per text field, an
image section, then the elements MIRC indexes but does not show (hidden copies of the
history, findings, diagnosis, differential and discussion; ACR codes with their meaning;
RadLex and SNOMED CT codes with their terms; modality, category, level, access, the
patient's age and sex, rights, publication date) and ``<authorization>``. What MIRC has no
element for goes in ``<lb:case>`` and ``lb:`` attributes, which MIRC ignores;
:mod:`~lightbox.interchange.mirc.parse` documents each.

Text is written as HTML paragraphs, ``xml:space="preserve"``, a line break as ``<br/>``,
so that :func:`~lightbox.interchange.mirc.parse.parse_mirc` reads back every character:
``parse_mirc(write_mirc(doc))`` equals ``doc`` but for its ``report``.

Examples
--------
>>> from lightbox.interchange.mirc.parse import parse_mirc
>>> doc = MircDocument(title="Paget disease", findings="Expanded pelvis.\\n\\nCoarse trabeculae.")
>>> parse_mirc(write_mirc(doc)).findings == doc.findings
True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 (writing only; reading is xmltree's)

from lightbox.interchange.mirc.parse import (
    CATEGORIES,
    CODE_SYSTEMS,
    EXTENSION,
    acr_meaning,
    level_word,
)
from lightbox.interchange.mirc.types import MircDocument, MircImage

__all__ = ["EXTENSION_NAMESPACE", "SECTION_HEADINGS", "write_mirc"]

EXTENSION_NAMESPACE = "urn:x-lightbox:mirc:1"
# The heading Lightbox writes for each field (the reader knows more, see parse).
SECTION_HEADINGS = {
    "brief_history": "History",
    "exam": "Exam",
    "full_history": "Full history",
    "radiopharmaceuticals": "Radiopharmaceuticals",
    "findings": "Findings",
    "diagnosis": "Diagnosis",
    "differential": "Differential Diagnosis",
    "discussion": "Discussion",
    "followup": "Follow-up",
    "unparsed": "Unplaced text",
}
# Elements whose content is elements only: indented. Everything else holds text, which is
# written exactly as it is.
_CONTAINERS = {
    "MIRCdocument", "author", "abstract", "section", "image-section", "image", "references",
    "patient", "pt-age", "authorization", "ol", EXTENSION,
}  # fmt: skip
_PRESERVE = {"xml:space": "preserve"}
_SEX = {"F": "female", "M": "male", "O": "other"}
_COPIES = {
    "brief_history": "history",
    "findings": "findings",
    "diagnosis": "diagnosis",
    "discussion": "discussion",
}


def write_mirc(doc: MircDocument) -> bytes:
    """The XML of ``doc``, UTF-8, with its declaration."""
    root = ET.Element("MIRCdocument", {"display": "mstf", "xmlns:lb": EXTENSION_NAMESPACE})
    _text(root, "title", doc.title, _PRESERVE)
    for author in doc.authors:
        name = f"{author.name}, {author.credentials}" if author.credentials else author.name
        _text(ET.SubElement(root, "author"), "name", name)
    if doc.brief_history:
        _paragraphs(ET.SubElement(root, "abstract"), doc.brief_history)
    if doc.keywords:
        separator = "; " if any("," in k for k in doc.keywords) else ", "
        _text(root, "keywords", separator.join(doc.keywords))
    _section(root, "brief_history", doc.brief_history)
    if doc.images:
        images = ET.SubElement(root, "image-section", {"heading": "Images"})
        for image in doc.images:
            _image(images, image)
    _section(root, "exam", doc.exam)
    _section(root, "full_history", doc.full_history)
    if doc.radiopharmaceuticals:
        doses = _new_section(root, "radiopharmaceuticals")
        for dose in doc.radiopharmaceuticals:
            _text(doses, "p", dose.text(), _PRESERVE)
    _section(root, "findings", doc.findings)
    _section(root, "diagnosis", doc.diagnosis)
    if doc.differential:
        items = ET.SubElement(_new_section(root, "differential"), "ol")
        for item in doc.differential:
            _text(items, "li", item, _PRESERVE)
    _section(root, "discussion", doc.discussion)
    _section(root, "followup", doc.followup)
    _section(root, "unparsed", doc.unparsed)
    if doc.references:
        references = ET.SubElement(root, "references")
        for ref in doc.references:
            attrs = {**_PRESERVE, "lb:pmid": ref.pmid, "lb:doi": ref.doi}
            _text(references, "reference", ref.text, attrs)
    _index_elements(root, doc)
    _extension(root, doc)
    _indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _index_elements(root: ET.Element, doc: MircDocument) -> None:
    """What MIRC indexes and searches on, not shown."""
    for field, tag in _COPIES.items():
        if value := getattr(doc, field):
            _text(root, tag, value)
    if doc.differential:
        _text(root, "differential-diagnosis", "; ".join(doc.differential))
    for code in doc.acr_codes:
        element = ET.SubElement(root, "code", {"coding-system": "ACR"})
        element.text = code
        _text(element, "meaning", acr_meaning(code))
    for coded in doc.codes:
        element = ET.SubElement(root, "code", {"coding-system": CODE_SYSTEMS[coded.system]})
        element.text = coded.code
        if coded.meaning:
            _text(element, "meaning", coded.meaning)
    if doc.modality:
        _text(root, "modality", doc.modality)
    if doc.anatomic_field:
        _text(root, "category", CATEGORIES[doc.anatomic_field])
    if doc.difficulty:
        _text(root, "level", level_word(doc.difficulty))
    _text(root, "access", "public" if doc.visibility == "public" else "restricted")
    if doc.patient_age is not None or doc.patient_sex:
        patient = ET.SubElement(root, "patient")
        if doc.patient_age is not None:
            _text(ET.SubElement(patient, "pt-age"), "years", str(doc.patient_age))
        if doc.patient_sex:
            _text(patient, "pt-sex", _SEX[doc.patient_sex])
    if doc.copyright:
        _text(root, "rights", doc.copyright, _PRESERVE)
    if doc.case_date:
        _text(root, "publication-date", doc.case_date.isoformat())
    _text(root, "document-type", "teaching file")
    authorization = ET.SubElement(root, "authorization")
    # "*": everyone; "user": anyone signed in to the site; nothing: the owners alone.
    read = {"public": "*", "institution": "user"}.get(doc.visibility, "")
    ET.SubElement(authorization, "read").text = read


def _extension(root: ET.Element, doc: MircDocument) -> None:
    ext = ET.SubElement(root, EXTENSION, {"visible": "no"})
    if doc.difficulty:
        _text(ext, "lb:difficulty", str(doc.difficulty))
    if doc.quality:
        _text(ext, "lb:quality", str(doc.quality))
    if doc.category:
        _text(ext, "lb:category", doc.category)
    if doc.topic:
        _text(ext, "lb:topic", doc.topic)
    for answer in doc.accepted_answers:
        _text(ext, "lb:accepted-answer", answer, _PRESERVE)
    for dose in doc.radiopharmaceuticals:
        attrs = {
            "agent": dose.agent,
            "activity": "" if dose.activity is None else f"{dose.activity:f}",
            "unit": dose.unit,
            "route": dose.route,
            "time-to-imaging": dose.time_to_imaging,
        }
        ET.SubElement(ext, "lb:radiopharmaceutical", attrs)
    if not list(ext):
        root.remove(ext)


def _image(parent: ET.Element, image: MircImage) -> None:
    element = ET.SubElement(parent, "image", {"src": image.picture})
    if image.is_main:
        element.set("lb:main", "yes")
    icon = _icon_name(image.picture)
    ET.SubElement(element, "alternative-image", {"role": "icon", "src": icon})
    for name in image.annotations:
        ET.SubElement(element, "alternative-image", {"role": "annotation", "src": name})
    for name in image.dicom:
        ET.SubElement(element, "alternative-image", {"role": "original-format", "src": name})
    if image.caption:
        _text(element, "image-caption", image.caption, {"display": "always", **_PRESERVE})
    if image.answer_caption:
        attrs = {"display": "click", **_PRESERVE}
        _text(element, "image-caption", image.answer_caption, attrs)


def icon_name(picture: str) -> str:
    """The name of a picture's icon, as MIRC names them: ``IMG-1.png`` → ``IMG-1_icon.jpg``.

    >>> icon_name("IMG-1.png")
    'IMG-1_icon.jpg'
    """
    return f"{picture.rpartition('.')[0] or picture}_icon.jpg"


_icon_name = icon_name


def _new_section(root: ET.Element, field: str) -> ET.Element:
    return ET.SubElement(root, "section", {"heading": SECTION_HEADINGS[field]})


def _section(root: ET.Element, field: str, text: str) -> None:
    if text:
        _paragraphs(_new_section(root, field), text)


def _paragraphs(parent: ET.Element, text: str) -> None:
    """One ``<p>`` per paragraph (a blank line apart), a single newline as ``<br/>``."""
    for paragraph in text.split("\n\n"):
        p = ET.SubElement(parent, "p", _PRESERVE)
        lines = paragraph.split("\n")
        p.text = lines[0]
        for line in lines[1:]:
            ET.SubElement(p, "br").tail = line


def _text(
    parent: ET.Element, tag: str, text: str, attrs: dict[str, str] | None = None
) -> ET.Element:
    """A child holding ``text``: lines apart as ``<br/>`` when it is preserved."""
    element = ET.SubElement(parent, tag, attrs or {})
    if attrs and attrs.get("xml:space") == "preserve" and "\n" in text:
        lines = text.split("\n")
        element.text = lines[0]
        for line in lines[1:]:
            ET.SubElement(element, "br").tail = line
    else:
        element.text = text
    return element


def _indent(element: ET.Element, level: int = 0) -> None:
    """Indent the containers only: whitespace inside an element holding text would
    change the text."""
    if element.tag not in _CONTAINERS or not len(element):
        return
    pad = "\n" + "  " * (level + 1)
    if not (element.text or "").strip():
        element.text = pad
    for child in element:
        _indent(child, level + 1)
        child.tail = pad
    element[-1].tail = "\n" + "  " * level
