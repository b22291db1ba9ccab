"""Read a MIRCdocument (RSNA MIRC Teaching File System) into a :class:`MircDocument`.

Django-free: the standard library, :mod:`lightbox.cases.acr` and the legacy parser's list
and dose readers. The XML is read by :func:`~lightbox.interchange.mirc.xmltree.parse_xml`,
under limits and with no entity of any kind (see that module).

The document is read the way MIRC itself reads it:

- **Displayed text** is in ``<section heading="…">`` elements, whose content is HTML
  (paragraphs, line breaks, lists, tables, emphasis, links), flattened here to the plain
  text with light Markdown that Lightbox's sections hold. Headings name the fields:

  ==================  ===============================================================
  Field               Section headings (any case and punctuation)
  ==================  ===============================================================
  brief_history       History, Brief history, Clinical history, Patient history,
                      Presentation, Clinical presentation, Clinical information,
                      Indication, Case history
  full_history        Full history, Additional history, Further history
  exam                Exam, Examination, Procedure (one line, at most 200 characters)
  radiopharmaceutical Radiopharmaceutical(s)
  findings            Findings, Imaging findings, Image findings, Observations
  diagnosis           Diagnosis, Diagnoses, Final diagnosis
  differential        Differential diagnosis, Differential diagnoses, Differential, DDx
  discussion          Discussion
  followup            Follow-up, Followup, Follow up, Outcome, Clinical course
  references          References, Reference, Bibliography
  unparsed            Unplaced text (what Lightbox writes for its own unparsed text)
  ==================  ===============================================================

  Any other section is kept, under its heading, as unparsed text, and reported.
- **Hidden copies** at the root (``<history>``, ``<findings>``, ``<diagnosis>``,
  ``<differential-diagnosis>``, ``<discussion>``), which MIRC indexes but does not show,
  fill a field no section filled; a copy that says something its section does not is
  kept as unparsed text, and reported.
- ``<title>``; ``<author>`` (``<name>``, with degrees after a comma: "Ed Grishaw, M.D.";
  ``<affiliation>`` becomes the copyright line when there is no ``<rights>``);
  ``<abstract>`` (kept as unparsed text unless it repeats the history: an abstract
  usually tells the answer, and unparsed text is read after the reveal);
  ``<keywords>``, and ``<anatomy>``, ``<pathology>``, ``<organ-system>`` as keywords;
  ``<code coding-system="ACR">`` (the code as the element's text, or its ``code`` or
  ``value`` attribute, with its ``<meaning>``, kept as a keyword unless it is the field
  and category the code itself names); ``<code>`` of RadLex or SNOMED CT (see
  :func:`code_system`; checked as :mod:`lightbox.cases.codes` checks a code, its
  ``<meaning>`` the term, each code once, at most :data:`MAX_CODES`; a code that is not
  valid, or beyond the limit, is kept as unparsed text and reported); ``<modality>``;
  ``<category>`` (the anatomic field, for a case without an ACR code); ``<level>``
  (→ difficulty: primary 1, intermediate 3, advanced 5, or a digit 1–5);
  ``<publication-date>`` (→ the case date); ``<rights>`` (→ the copyright line);
  ``<authorization>/<read>`` (``*`` = public, someone = institution, no one = private;
  without it ``<access>``, and without either public, as MIRC has it);
  ``<references>/<reference>``.
- **Images**: every ``<image>``, in an ``<image-section>`` or in a section, in document
  order; see :class:`MircImage` for what becomes of ``src`` and the
  ``<alternative-image>`` roles (``icon``, ``annotation``, ``original-dimensions``,
  ``original-format``). ``<image-caption display="always">`` is read before the answer;
  any other caption only after it, since a caption usually says what the image shows.
- **Patient data is never kept**: ``<phi>``, ``<pt-name>``, ``<pt-id>``, ``<pt-mrn>``,
  birth dates, study UIDs and accession numbers, wherever they appear, are dropped
  unread, and the report names the elements (never their values). Of ``<patient>`` only
  ``<pt-age>`` (ages over 89 as 90) and ``<pt-sex>`` are kept.
- **Unknown elements** are kept as unparsed text under their name, and reported. MIRC's
  own site details (document type, language, owners, display instructions, template
  slots) are not teaching content: they are reported as not imported.
- Lightbox's own export adds what MIRC has no element for in an ``<lb:case>`` element
  (quality, accepted answers, the topic, a category without a code) and ``lb:``
  attributes (the main image, a reference's PMID and DOI). Where it repeats something
  MIRC shows (the exact difficulty behind ``<level>``, the doses behind the
  Radiopharmaceuticals section), it is used only while what MIRC shows still agrees, so
  an edit made in MIRC after an export is never undone.

Examples
--------
>>> doc = parse_mirc(b'''<MIRCdocument><title>Osteoid osteoma</title>
... <section heading="History"><p>Night pain relieved by aspirin.</p></section>
... <patient><pt-name>Doe^Jane</pt-name><pt-age><years>17</years></pt-age></patient>
... </MIRCdocument>''')
>>> doc.title, doc.brief_history, doc.patient_age
('Osteoid osteoma', 'Night pain relieved by aspirin.', 17)
>>> doc.report
['patient data dropped, never stored: <pt-name>']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lightbox.cases import acr, codes
from lightbox.interchange.legacy.fields import (
    find_date,
    parse_doses,
    reference,
    split_authors,
    split_list,
    split_references,
)
from lightbox.interchange.mirc.types import (
    MircAuthor,
    MircCode,
    MircDocument,
    MircDose,
    MircImage,
    MircParseError,
    MircReference,
)
from lightbox.interchange.mirc.xmltree import Node, XmlError, parse_xml

__all__ = [
    "AGE_CEILING",
    "CATEGORIES",
    "CODE_SYSTEMS",
    "EXTENSION",
    "LEVELS",
    "MAX_CODES",
    "acr_meaning",
    "code_system",
    "is_mirc_document",
    "level_word",
    "parse_mirc",
]
_WORD = re.compile(r"[a-z0-9]+")

AGE_CEILING = 90  # HIPAA Safe Harbor: ages over 89 are one category
EXTENSION = "lb:case"  # Lightbox's own element, see the module docstring

# MIRC's categories (its subspecialties) by the ACR anatomic field each stands for: what
# Lightbox writes, and reads with the aliases below.
CATEGORIES: dict[str, str] = {
    "1": "Neuroradiology",
    "2": "Head and Neck",
    "3": "Spine",
    "4": "Musculoskeletal",
    "5": "Cardiac",
    "6": "Chest",
    "7": "Gastrointestinal",
    "8": "Genitourinary",
    "9": "Vascular/Interventional",
    "0": "Breast",
}
_CATEGORY_ALIASES = {
    "neuro": "1", "neurology": "1", "brain": "1", "ent": "2", "neck": "2", "face": "2",
    "msk": "4", "bone": "4", "skeletal": "4", "skeletal system": "4", "cardiovascular": "5",
    "heart": "5", "thoracic": "6", "pulmonary": "6", "lung": "6", "gi": "7",
    "abdominal": "7", "abdomen": "7", "gu": "8", "urology": "8", "vascular": "9",
    "interventional": "9", "mammography": "0",
}  # fmt: skip
_CATEGORY_DIGITS = {" ".join(_WORD.findall(n.lower())): d for d, n in CATEGORIES.items()}
# <code coding-system> values naming RadLex and SNOMED CT, as MIRC sites write them (read
# through _key: "SNOMED-CT" → "snomed ct"). Older SNOMED editions (SNOMED RT, SNOMED 3,
# codes like "T-28000") are other systems; a site that called them just "SNOMED" has its
# codes reported as not SNOMED CT identifiers.
_CODE_SYSTEMS = {
    "radlex": codes.RADLEX, "rsna radlex": codes.RADLEX, "radlex id": codes.RADLEX,
    "snomed": codes.SNOMED_CT, "snomed ct": codes.SNOMED_CT, "snomedct": codes.SNOMED_CT,
    "sct": codes.SNOMED_CT, "snomed clinical terms": codes.SNOMED_CT,
}  # fmt: skip
#: The ``coding-system`` Lightbox writes for each system.
CODE_SYSTEMS = {codes.RADLEX: "RadLex", codes.SNOMED_CT: "SNOMED-CT"}
#: Most RadLex and SNOMED CT codes read from a document; the rest are kept as text.
MAX_CODES = 100
# Codes that are not valid named in the report one by one, at most.
_NAMED_CODES = 5
# <level> → difficulty 1–5. Lightbox writes the first three.
LEVELS: dict[str, int] = {"primary": 1, "intermediate": 3, "advanced": 5}
_LEVEL_ALIASES = {
    "basic": 1, "beginner": 1, "student": 1, "medical student": 1, "resident": 3,
    "fellow": 5, "expert": 5, "attending": 5,
}  # fmt: skip
_MODALITIES = {
    "ct": "CT", "cat": "CT", "computed tomography": "CT", "mr": "MR", "mri": "MR",
    "magnetic resonance": "MR", "nm": "NM", "nuclear medicine": "NM", "spect": "NM",
    "scintigraphy": "NM", "pt": "PT", "pet": "PT", "pet ct": "PT", "pet mr": "PT",
    "cr": "CR", "radiography": "CR", "xr": "CR", "x ray": "CR", "plain film": "CR",
    "dx": "DX", "us": "US", "ultrasound": "US", "sonography": "US", "mg": "MG",
    "mammography": "MG", "xa": "XA", "angiography": "XA", "rf": "RF", "fluoroscopy": "RF",
    "ot": "OT", "other": "OT",
}  # fmt: skip

_SECTIONS = {
    "brief_history": (
        "history", "brief history", "clinical history", "patient history", "presentation",
        "clinical presentation", "clinical information", "indication", "case history",
    ),
    "full_history": ("full history", "additional history", "further history"),
    "exam": ("exam", "examination", "procedure"),
    "radiopharmaceuticals": ("radiopharmaceutical", "radiopharmaceuticals"),
    "findings": ("findings", "imaging findings", "image findings", "observations"),
    "diagnosis": ("diagnosis", "diagnoses", "final diagnosis"),
    "differential": (
        "differential diagnosis", "differential diagnoses", "differential", "ddx",
    ),
    "discussion": ("discussion",),
    "followup": ("follow up", "followup", "outcome", "clinical course"),
    "references": ("references", "reference", "bibliography"),
    "unparsed": ("unplaced text",),
}  # fmt: skip
_HEADINGS = {heading: name for name, headings in _SECTIONS.items() for heading in headings}
# The hidden copies MIRC indexes, at the root, and the field each copies.
_COPIES = {
    "history": "brief_history",
    "findings": "findings",
    "diagnosis": "diagnosis",
    "differential-diagnosis": "differential",
    "discussion": "discussion",
}
_TEXT_FIELDS = (
    "brief_history", "full_history", "findings", "diagnosis", "discussion", "followup",
)  # fmt: skip
_LABELS = {
    "brief_history": "History", "full_history": "Full history", "findings": "Findings",
    "diagnosis": "Diagnosis", "discussion": "Discussion", "followup": "Follow-up",
    "differential": "Differential diagnosis",
}  # fmt: skip

# Patient data: dropped wherever it appears, its value never read.
_PHI = {
    "phi", "pt-name", "pt-id", "pt-mrn", "pt-birth-date", "pt-birthdate", "pt-dob",
    "birth-date", "si-uid", "study-uid", "study-instance-uid", "pt-address", "pt-phone",
}  # fmt: skip
# MIRC's own site details and display instructions: no teaching content.
_SITE = {
    "peer-review", "creator", "revision-history", "show",
    "metadata-refs", "order-by", "server", "temp", "block", "insert-dataset",
    "insert-image", "insert-megasave", "insert-dicom", "commons", "sort-images",
}  # fmt: skip
# Site details not worth a line of the report.
_QUIET = {"document-type", "language"}
# HTML inside sections. Block elements end a paragraph; the others flow into it.
_BLOCKS = {
    "p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead",
    "tbody", "tfoot", "ul", "ol", "dl", "dt", "dd", "pre", "center", "hr", "caption",
    "li",
}  # fmt: skip
_INLINE = {
    "b", "strong", "i", "em", "u", "span", "font", "small", "big", "sup", "sub", "tt",
    "a", "abbr", "cite", "q", "s", "strike", "td", "th", "label", "nobr", "var", "kbd",
    "samp", "mark", "del", "ins", "br", "img",
}  # fmt: skip
_EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_SPACE_RE = re.compile(r"\s+")
_WORDS_RE = _WORD
_XML_SPACE = "xml:space"


def parse_mirc(data: bytes) -> MircDocument:
    """Read the bytes of one MIRCdocument XML file.

    Raises
    ------
    MircParseError
        The bytes are not XML we read (see :mod:`~lightbox.interchange.mirc.xmltree`), or
        its root element is not ``<MIRCdocument>``.
    """
    try:
        root = parse_xml(data)
    except XmlError as e:
        raise MircParseError(str(e)) from None
    if root.tag != "MIRCdocument":
        raise MircParseError(f"not a MIRCdocument: the root element is <{root.tag[:40]}>")
    return _Reader(root).read()


def is_mirc_document(data: bytes) -> bool:
    """Whether ``data`` is XML whose root element is ``<MIRCdocument>`` (any other XML,
    such as a MIRC metadata file, is not). Raises :class:`MircParseError` for bytes that
    are not XML we read at all.

    >>> is_mirc_document(b"<MIRCdocument/>"), is_mirc_document(b"<dataset/>")
    (True, False)
    """
    try:
        return parse_xml(data).tag == "MIRCdocument"
    except XmlError as e:
        raise MircParseError(str(e)) from None


def code_system(coding_system: str, value: str) -> str | None:
    """The designator of the vocabulary a ``<code>`` is of, ``RADLEX`` or ``SCT``, or None
    for any other. Told by the ``coding-system`` ("RadLex", "RADLEX", "SNOMED",
    "SNOMED-CT", "SCT"…), or, when there is none, by the code's shape: a RadLex ID, or
    a SNOMED CT identifier whose check digit holds.

    >>> code_system("SNOMED-CT", "1"), code_system("", "RID3874"), code_system("", "22298006")
    ('SCT', 'RADLEX', 'SCT')
    >>> code_system("", "22298007"), code_system("ICD-10", "RID3874")
    (None, None)
    """
    if coding_system.strip():
        return _CODE_SYSTEMS.get(_key(coding_system))
    if codes.rid_of(value):
        return codes.RADLEX
    try:
        return codes.parse_any(value)[0]
    except codes.InvalidCode:
        return None


def _key(text: str) -> str:
    """A heading or name reduced to lower-case words: "Follow-up:" → "follow up"."""
    return " ".join(_WORDS_RE.findall(text.lower()))


def _one_line(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def _same(copy: str, shown: str) -> bool:
    """Whether ``copy`` says nothing ``shown`` does not (its words appear there, in order)."""
    return _key(copy) in _key(shown)


@dataclass
class _Para:
    text: str
    item: bool = False  # a list item (its marker not in the text)
    ordered: bool = False


class _Flattener:
    """HTML (as MIRC sections hold it) → paragraphs of plain text with light Markdown.

    Text is HTML text: runs of white space are one space and line breaks come from
    ``<br/>``, except inside ``xml:space="preserve"``, where every character is kept
    (Lightbox's export writes its text that way, so that it comes back exactly).
    ``special`` is offered every element that is not HTML; when it returns True the
    element is its business and takes no part in the text.
    """

    def __init__(self, special: Callable[[Node], bool]) -> None:
        self.special = special
        self.paragraphs: list[_Para] = []
        self._current: list[str] = []
        self._preserved = False
        self._item: _Para | None = None

    def run(self, node: Node, preserve: bool = False) -> list[_Para]:
        self._walk(node, preserve)
        self._flush()
        return self.paragraphs

    def _flush(self) -> None:
        text = "".join(self._current)
        self._current = []
        if not self._preserved:
            text = "\n".join(line.strip(" ") for line in text.split("\n")).strip()
        if self._preserved or text:
            para = self._item or _Para("")
            para.text = text
            self.paragraphs.append(para)
            self._item = None  # a second paragraph inside a list item is a paragraph
        self._preserved = False

    def _inline(self, node: Node, preserve: bool) -> str:
        """The text of an inline element on one line, read as any other (its patient
        data dropped by ``special``)."""
        inner = _Flattener(self.special).run(node, preserve)
        return _one_line(" ".join(p.text for p in inner))

    def _walk(self, node: Node, preserve: bool) -> None:
        cells = 0
        for child in node.children:
            if isinstance(child, str):
                self._current.append(child if preserve else _SPACE_RE.sub(" ", child))
                self._preserved = self._preserved or preserve
                continue
            tag = child.tag.lower()
            space = child.attrs.get(_XML_SPACE)
            inner = preserve if space is None else space == "preserve"
            if tag == "br":
                self._current.append("\n")
            elif tag == "tr":  # a table is a paragraph, a row a line of it
                self._walk(child, inner)
                self._current.append("\n")
            elif tag in ("td", "th"):
                if cells:
                    self._current.append(" | ")
                cells += 1
                self._walk(child, inner)
            elif tag == "li":
                self._flush()
                self._item = _Para("", item=True, ordered=node.tag.lower() == "ol")
                self._preserved = inner
                self._walk(child, inner)
                self._flush()
                self._item = None
            elif tag in _BLOCKS:
                self._flush()
                self._preserved = inner and tag in ("p", "pre")
                self._walk(child, inner or tag == "pre")
                self._flush()
            elif tag in _EMPHASIS and not inner:
                mark = _EMPHASIS[tag]
                if text := self._inline(child, inner):
                    self._current.append(f"{mark}{text}{mark}")
            elif tag == "a":
                text, href = self._inline(child, inner), child.attrs.get("href", "")
                if href.startswith(("http://", "https://")) and href != text:
                    self._current.append(f"[{text or href}]({href})")
                else:
                    self._current.append(text)
            elif tag == "img":
                self.special(child)
            elif tag in _INLINE or tag in _COPIES:
                # HTML, or a MIRC element shown as part of the text (a <diagnosis>).
                self._walk(child, inner)
            elif not self.special(child):
                # Another element, read as text of its own (a quiz's question, its answer).
                self._flush()
                self._walk(child, inner)
                self._flush()


def _paragraphs_text(paragraphs: list[_Para]) -> str:
    lines = []
    number = 0
    for para in paragraphs:
        if para.item:
            number = number + 1 if para.ordered else 0
            lines.append(f"{number}. {para.text}" if para.ordered else f"- {para.text}")
        else:
            number = 0
            lines.append(para.text)
    return "\n\n".join(lines)


class _Reader:
    def __init__(self, root: Node) -> None:
        self.root = root
        self.doc = MircDocument(visibility="public")
        self.sections: dict[str, list[str]] = {}
        self.copies: dict[str, str] = {}
        self.differential_items: list[str] = []
        self.dose_paragraphs: list[str] | None = None
        self.reference_paragraphs: list[_Para] = []
        self.unparsed: list[str] = []
        self.abstract = ""
        self.level: int | None = None
        self.read_access: str | None = None  # from <authorization><read>
        self.access: str | None = None  # from <access>
        self.affiliations: list[str] = []
        self.rights = ""
        self.category_field = ""
        self.extension: Node | None = None
        self.code_keys: set[tuple[str, str]] = set()
        self.invalid_codes: list[str] = []  # why each was not valid
        self.extra_codes: list[str] = []  # beyond MAX_CODES
        self.long_meanings = 0
        self.dropped: list[str] = []
        self.kept: list[str] = []
        self.site: list[str] = []
        self.notes: list[str] = []

    # -- the walk ---------------------------------------------------------------------

    def read(self) -> MircDocument:
        for node in self.root.elements():
            self._root_element(node)
        self._resolve()
        return self.doc

    def _root_element(self, node: Node) -> None:
        tag = node.tag
        handlers: dict[str, Callable[[Node], None]] = {
            "title": self._title,
            "alternative-title": self._alternative,
            "alternative-abstract": self._alternative,
            "author": self._author,
            "abstract": self._abstract,
            "section": self._section,
            "image-section": self._image_section,
            EXTENSION: self._extension,
        }
        if tag in handlers:
            handlers[tag](node)
        elif tag in _COPIES:
            self.copies[_COPIES[tag]] = self._text(node)
        elif not self._anywhere(node):
            self._keep(node)

    def _anywhere(self, node: Node) -> bool:
        """Elements read the same wherever they appear. Whether ``node`` was one."""
        tag = node.tag
        if tag in _PHI or "accession" in tag.lower():
            self._drop(tag)
        elif tag == "patient":
            self._patient(node)
        elif tag == "image":
            self._image(node)
        elif tag == "img" and node.attrs.get("src"):
            self.doc.images.append(MircImage(picture=node.attrs["src"].strip()))
        elif tag == "references":
            for ref in node.elements():
                self._reference(ref)
        elif tag == "reference":
            self._reference(node)
        elif tag == "code":
            self._code(node)
        elif tag in ("keywords", "anatomy", "pathology", "organ-system"):
            self._add_keywords(_split_terms(self._line(node)))
        elif tag == "modality":
            self._modality(self._line(node))
        elif tag == "category":
            self._category(self._line(node))
        elif tag == "level":
            self._level(self._line(node))
        elif tag == "access":
            self.access = self._line(node).lower()
        elif tag == "authorization":
            self._authorization(node)
        elif tag == "rights":
            self.rights = self._plain(node)
        elif tag == "publication-date":
            self._date(self._line(node))
        elif tag in _QUIET:
            pass
        elif tag in _SITE or tag.startswith(("insert-", "ATFI-")):
            self._site(tag)
        else:
            return False
        return True

    def _in_section(self, node: Node) -> bool:
        """An element inside a section that is not HTML: MIRC's own elements are read as
        anywhere else; a hidden-copy element (``<diagnosis>``…) shown in a section is
        part of its text; anything else is kept as unparsed text."""
        if node.tag in _COPIES:
            return False
        if self._anywhere(node):
            return True
        self._keep(node)
        return True

    def _inside_kept(self, node: Node) -> bool:
        if node.tag in _PHI or "accession" in node.tag.lower():
            self._drop(node.tag)
            return True
        return False

    def _line(self, node: Node) -> str:
        """An element's text on one line, its patient data dropped."""
        paragraphs = _Flattener(self._inside_kept).run(node)
        return _one_line(" ".join(p.text for p in paragraphs))

    def _text_in(self, node: Node, tag: str) -> str:
        child = node.find(tag)
        return self._line(child) if child is not None else ""

    def _int_in(self, node: Node, tag: str) -> int | None:
        text = self._text_in(node, tag)
        return int(text) if text.isdigit() and len(text) < 4 else None

    def _text(self, node: Node) -> str:
        return _paragraphs_text(_Flattener(self._in_section).run(node, _preserved(node)))

    # -- elements -------------------------------------------------------------------------

    def _plain(self, node: Node) -> str:
        """One line of text, or the text exactly when the element preserves it."""
        text = self._text(node)
        return text if _preserved(node) else _one_line(text)

    def _title(self, node: Node) -> None:
        self.doc.title = self._plain(node)

    def _alternative(self, node: Node) -> None:
        if node.attrs.get("type", "").lower() == "unknown":
            # The title MIRC shows before the answer; Lightbox shows the case number.
            self.notes.append(
                f'<{node.tag} type="unknown"> not kept: Lightbox shows the case number '
                "before the answer"
            )
        else:
            self._keep(node)

    def _author(self, node: Node) -> None:
        name_node = node.find("name")
        text = _one_line(self._text(name_node)) if name_node is not None else ""
        if text:
            authors, _ = split_authors(text)
            if len(authors) == 1 and authors[0].credentials:
                self.doc.authors.append(MircAuthor(authors[0].name, authors[0].credentials))
            else:
                self.doc.authors.append(MircAuthor(text))
        if (affiliation := node.find("affiliation")) is not None:
            text = self._line(affiliation)
            if text and text not in self.affiliations:
                self.affiliations.append(text)
        if node.find("contact") is not None:
            self.site.append("author contact details")

    def _abstract(self, node: Node) -> None:
        self.abstract = self._text(node)

    def _section(self, node: Node) -> None:
        heading = _one_line(node.attrs.get("heading", ""))
        field = _HEADINGS.get(_key(heading), "")
        if node.attrs.get("visible", "yes").lower() in ("no", "owner"):
            self.notes.append(f"section {heading or '(no heading)'!r} was hidden in MIRC")
        paragraphs = _Flattener(self._in_section).run(node, _preserved(node))
        if not paragraphs:
            return
        text = _paragraphs_text(paragraphs)
        if field == "differential":
            for para in paragraphs:
                self.differential_items += [para.text] if para.item else split_list(para.text)
        elif field == "references":
            self.reference_paragraphs += paragraphs
        elif field == "radiopharmaceuticals":
            self.dose_paragraphs = (self.dose_paragraphs or []) + [p.text for p in paragraphs]
        elif field == "exam" and "\n" not in text and len(text) <= 200 and not self.doc.exam:
            self.doc.exam = text
        elif field in _TEXT_FIELDS or field == "unparsed":
            self.sections.setdefault(field, []).append(text)
        else:
            self.unparsed.append(f"{heading or 'Section'}:\n{text}")
            self.kept.append(f"section {heading!r}" if heading else "a section without heading")

    def _image_section(self, node: Node) -> None:
        # Its images, in order; any text between them is kept.
        paragraphs = _Flattener(self._in_section).run(node)
        if paragraphs:
            heading = node.attrs.get("heading", "Images")
            self.unparsed.append(f"{heading}:\n{_paragraphs_text(paragraphs)}")
            self.kept.append(f"text in the image section {heading!r}")

    def _image(self, node: Node) -> None:
        image = MircImage(picture=node.attrs.get("src", "").strip())
        image.is_main = node.attrs.get("lb:main", "").lower() == "yes"
        href = node.attrs.get("href", "").strip()
        for alt in node.find_all("alternative-image"):
            role, src = alt.attrs.get("role", "").lower(), alt.attrs.get("src", "").strip()
            if not src:
                continue
            if role == "original-dimensions":
                image.picture = src
            elif role == "original-format":
                image.dicom.append(src)
            elif role == "annotation":
                image.annotations.append(src)
            elif role != "icon":
                self.notes.append(f"alternative image with role {role!r} not kept")
        if href and href not in image.dicom and href.lower().endswith((".dcm", ".dicom")):
            image.dicom.append(href)
        for caption in node.find_all("image-caption") + node.find_all("caption"):
            text = self._text(caption)
            if caption.attrs.get("display", "").lower() == "always":
                image.caption = "\n\n".join(filter(None, [image.caption, text]))
            else:
                image.answer_caption = "\n\n".join(filter(None, [image.answer_caption, text]))
        if image.picture or image.dicom:
            self.doc.images.append(image)
        else:
            self.notes.append("an <image> naming no file was skipped")

    def _reference(self, node: Node) -> None:
        if node.tag != "reference":
            self._keep(node)
            return
        text = _one_line(self._text(node)) if not _preserved(node) else self._text(node)
        if not text:
            return
        pmid, doi = node.attrs.get("lb:pmid"), node.attrs.get("lb:doi")
        if pmid is None and doi is None:
            found = reference(text)
            pmid, doi = found.pmid, found.doi
        pmid = pmid if pmid and pmid.isdigit() and len(pmid) < 12 else ""
        doi = doi if doi and doi.startswith("10.") and len(doi) < 300 else ""
        self.doc.references.append(MircReference(text, pmid, doi))

    def _code(self, node: Node) -> None:
        system = _one_line(node.attrs.get("coding-system", ""))
        meaning_node = node.find("meaning")
        meaning = self._line(meaning_node) if meaning_node is not None else ""
        value = node.attrs.get("code") or node.attrs.get("value") or ""
        for tag in ("value", "code-value"):
            if not value and (child := node.find(tag)) is not None:
                value = self._line(child)
        if not value:
            value = "".join(c for c in node.children if isinstance(c, str))
        value = _one_line(value)
        if system.upper() != "ACR":
            if vocabulary := code_system(system, value):
                self._vocabulary_code(vocabulary, system, value, meaning)
                return
            label = f"Code ({system or 'no coding system'}) {value}".strip()
            self.unparsed.append(f"{label}: {meaning}" if meaning else label)
            self.kept.append(
                f"<code coding-system={system!r}> (only ACR, RadLex and SNOMED CT codes are read)"
            )
            return
        try:
            code = acr.parse_code(value)
        except acr.InvalidAcrCode:
            self.unparsed.append(f"ACR code (not a valid code) {value}: {meaning}".strip(": "))
            self.kept.append(f"ACR code {value[:30]!r}, which is not shaped like one")
            return
        if code.code not in self.doc.acr_codes:
            self.doc.acr_codes.append(code.code)
        if meaning and _key(meaning) != _key(acr_meaning(code.code)):
            self._add_keywords([meaning])

    def _vocabulary_code(self, system: str, named: str, value: str, meaning: str) -> None:
        """A RadLex or SNOMED CT code, checked; each kept once, at most MAX_CODES."""
        name = codes.SYSTEMS[system]
        try:
            code = codes.parse_code(system, value)
        except codes.InvalidCode as e:
            label = f"Code ({named or name}) {value}"
            self.unparsed.append(f"{label}: {meaning}" if meaning else label)
            self.invalid_codes.append(str(e))
            return
        if (system, code) in self.code_keys:
            return
        self.code_keys.add((system, code))
        if len(self.doc.codes) >= MAX_CODES:
            self.extra_codes.append(f"{name} {code}: {meaning}" if meaning else f"{name} {code}")
            return
        if len(meaning) > codes.MAX_TERM:
            self.unparsed.append(f"{name} {code} (its meaning in full):\n{meaning}")
            self.long_meanings += 1
            meaning = _cut(meaning, codes.MAX_TERM)
        self.doc.codes.append(MircCode(system, code, meaning))

    def _patient(self, node: Node) -> None:
        for child in node.elements():
            tag = child.tag
            if tag == "pt-age":
                self._age(child)
            elif tag == "pt-sex":
                sex = _key(self._line(child))
                self.doc.patient_sex = {"male": "M", "m": "M", "female": "F", "f": "F"}.get(
                    sex, "O" if sex in ("other", "o") else ""
                )
            elif tag in _PHI or "accession" in tag.lower():
                self._drop(tag)
            else:
                self.notes.append(f"patient detail <{tag}> not kept")

    def _age(self, node: Node) -> None:
        years = node.find("years")
        if years is not None:
            text = self._line(years)
        elif any(node.find(unit) is not None for unit in ("months", "weeks", "days")):
            text = "0"  # an infant: under a year
        else:
            text = self._line(node)  # "45", "45 years", "045Y"
        if match := re.match(r"\s*(\d{1,3})", text):
            self.doc.patient_age = min(int(match[1]), AGE_CEILING)

    def _authorization(self, node: Node) -> None:
        read = node.find("read")
        if read is not None:
            self.read_access = self._line(read)
        if any(n.tag != "read" for n in node.elements()):
            self.site.append("MIRC owners and permissions")

    def _date(self, text: str) -> None:
        found, _ = find_date(text)
        if isinstance(found, date):
            self.doc.case_date = found
        elif text.strip():
            self.notes.append(f"publication date {_one_line(text)[:40]!r} not read as a date")

    def _modality(self, text: str) -> None:
        for term in _split_terms(text):
            code = _MODALITIES.get(_key(term))  # "PET/CT" → "pet ct" → PT
            if code and not self.doc.modality:
                self.doc.modality = code
            elif code != self.doc.modality:
                self._add_keywords([term])
                self.notes.append(f"modality {term[:20]!r} kept as a keyword (one per case)")

    def _category(self, text: str) -> None:
        key = _key(text)
        digit = _CATEGORY_DIGITS.get(key) or _CATEGORY_ALIASES.get(key)
        if digit and not self.category_field:
            self.category_field = digit
        elif key:
            self._add_keywords([_one_line(text)])

    def _level(self, text: str) -> None:
        key = _key(text)
        if key.isdigit() and 1 <= int(key) <= 5:
            self.level = int(key)
        elif (value := LEVELS.get(key) or _LEVEL_ALIASES.get(key)) is not None:
            self.level = value
        elif key:
            self.notes.append(f"level {_one_line(text)[:40]!r} is not one Lightbox reads")

    def _extension(self, node: Node) -> None:
        self.extension = node

    def _add_keywords(self, terms: list[str]) -> None:
        known = {k.lower() for k in self.doc.keywords}
        for term in terms:
            term = _one_line(term)
            if term and term.lower() not in known:
                self.doc.keywords.append(term)
                known.add(term.lower())

    def _drop(self, tag: str) -> None:
        name = f"<{tag[:40]}>"
        if name not in self.dropped:
            self.dropped.append(name)

    def _keep(self, node: Node) -> None:
        """Keep an element as unparsed text under its name: all its text, whatever is
        inside it, but patient data, which is dropped even there."""
        paragraphs = _Flattener(self._inside_kept).run(node, _preserved(node))
        text = _paragraphs_text(paragraphs)
        name = node.tag[:40]
        if text:
            self.unparsed.append(f"{name}:\n{text}")
        self.kept.append(f"<{name}>")

    def _site(self, tag: str) -> None:
        name = f"<{tag[:40]}>"
        if name not in self.site:
            self.site.append(name)

    # -- putting it together ----------------------------------------------------------

    def _resolve(self) -> None:
        doc = self.doc
        for field in _TEXT_FIELDS:
            shown = "\n\n".join(self.sections.get(field, []))
            copy = self.copies.get(field, "")
            if shown and copy and not _same(copy, shown):
                self.unparsed.append(f"{_LABELS[field]} (hidden copy):\n{copy}")
                self.kept.append(f"the hidden <{_copy_tag(field)}>, which differs")
            setattr(doc, field, shown or copy)
        copy = self.copies.get("differential", "")
        if not self.differential_items and copy:
            self.differential_items = split_list(copy)
        elif copy and not _same(copy, "; ".join(self.differential_items)):
            self.unparsed.append(f"Differential diagnosis (hidden copy):\n{copy}")
            self.kept.append("the hidden <differential-diagnosis>, which differs")
        doc.differential = [item for item in self.differential_items if item]
        self._resolve_references()
        if self.abstract and not _same(self.abstract, doc.brief_history):
            self.unparsed.insert(0, f"Abstract:\n{self.abstract}")
            self.kept.append("<abstract> (it usually tells the answer)")
        doc.copyright = self.rights or "; ".join(self.affiliations)
        if self.rights and self.affiliations:
            self.unparsed.append("Author affiliations:\n" + "\n".join(self.affiliations))
        doc.visibility = _visibility(self.read_access, self.access)
        doc.anatomic_field = self.category_field
        self._resolve_extension()
        if doc.acr_codes:
            code = acr.parse_code(doc.acr_codes[0])
            doc.anatomic_field = code.field
            doc.category = code.category or doc.category
        if self.extra_codes:
            self.unparsed.append(
                f"Codes beyond the first {MAX_CODES}:\n" + "\n".join(self.extra_codes)
            )
        self._fit()
        own = self.sections.get("unparsed", [])
        doc.unparsed = "\n\n".join([*own, *self.unparsed])
        self._report()

    def _resolve_references(self) -> None:
        items = [p.text for p in self.reference_paragraphs if p.item]
        loose = [p.text for p in self.reference_paragraphs if not p.item]
        for text in [*items, *split_references(loose)]:
            found = reference(text)
            self.doc.references.append(MircReference(text, found.pmid, found.doi))

    def _resolve_extension(self) -> None:
        doc, ext = self.doc, self.extension
        difficulty = self._int_in(ext, "lb:difficulty") if ext is not None else None
        if self.level is not None:
            same_band = difficulty is not None and _band(difficulty) == _band(self.level)
            doc.difficulty = difficulty if same_band else self.level
        doses = _doses(ext) if ext is not None else []
        if self.dose_paragraphs is not None:
            shown = [p for p in self.dose_paragraphs if p]
            if doses and [d.text() for d in doses] == shown:
                doc.radiopharmaceuticals = doses
            else:
                parsed, left = parse_doses(shown)
                doc.radiopharmaceuticals = [
                    MircDose(d.agent, d.activity, d.unit, d.route, d.time_to_imaging)
                    for d in parsed
                ]
                if left:
                    self.unparsed.append("Radiopharmaceuticals:\n" + "\n".join(left))
                    self.kept.append("radiopharmaceutical text that names no dose")
        if ext is None:
            return
        doc.quality = self._int_in(ext, "lb:quality")
        category = self._text_in(ext, "lb:category")
        doc.category = category if len(category) == 1 and category in "123456789" else ""
        doc.topic = self._text_in(ext, "lb:topic")[:200]
        answers = [self._plain(n) for n in ext.find_all("lb:accepted-answer")]
        doc.accepted_answers = [answer for answer in answers if answer.strip()]

    def _fit(self) -> None:
        """Values longer than their columns: cut, the whole kept as unparsed text."""
        doc = self.doc
        for name, limit in (("title", 200), ("copyright", 300)):
            value = getattr(doc, name)
            if len(value) > limit:
                setattr(doc, name, value[:limit].rstrip())
                self.unparsed.append(f"{name.title()} (in full):\n{value}")
                self.notes.append(f"{name} longer than {limit} characters: cut")
        for author in doc.authors:
            if len(author.name) > 200 or len(author.credentials) > 100:
                self.unparsed.append(f"Author (in full):\n{author.name}, {author.credentials}")
                self.notes.append("an author's name longer than 200 characters: cut")
                author.name, author.credentials = author.name[:200], author.credentials[:100]
        if doc.difficulty is not None and not 1 <= doc.difficulty <= 5:
            doc.difficulty = None
        if doc.quality is not None and not 1 <= doc.quality <= 5:
            doc.quality = None
        doc.keywords = [k[:200] for k in doc.keywords]

    def _report(self) -> None:
        report = self.doc.report
        if self.dropped:
            report.append(f"patient data dropped, never stored: {', '.join(self.dropped)}")
        if self.kept:
            report.append(f"kept as unparsed text: {', '.join(_unique(self.kept))}")
        if self.site:
            report.append(f"MIRC site details not imported: {', '.join(_unique(self.site))}")
        for why in self.invalid_codes[:_NAMED_CODES]:
            report.append(f"code kept as unparsed text: {why}")
        if (more := len(self.invalid_codes) - _NAMED_CODES) > 0:
            report.append(f"and {more:,} more codes not valid, kept as unparsed text")
        if self.extra_codes:
            report.append(
                f"{len(self.extra_codes):,} codes beyond the first {MAX_CODES} kept as "
                "unparsed text"
            )
        if self.long_meanings:
            report.append(
                f"{self.long_meanings} code meaning(s) longer than {codes.MAX_TERM} "
                "characters: cut, each kept whole as unparsed text"
            )
        report.extend(_unique(self.notes))


def acr_meaning(code: str) -> str:
    """What Lightbox writes as an ACR code's ``<meaning>``: the field and category the
    code's first digits name.

    >>> acr_meaning("642.3212")
    'Lung, mediastinum and pleura; Neoplasm, neoplastic-like condition'
    """
    parsed = acr.parse_code(code)
    return "; ".join(
        filter(None, [acr.field_name(parsed.field), acr.category_name(parsed.category)])
    )


def _copy_tag(field: str) -> str:
    return next(tag for tag, name in _COPIES.items() if name == field)


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word's end when it can be.

    >>> _cut("Paget disease of bone", 15), _cut("x" * 20, 4)
    ('Paget disease', 'xxxx')
    """
    if len(text) <= limit:
        return text
    return (text[: limit + 1].rpartition(" ")[0] or text[:limit]).rstrip()


def _preserved(node: Node) -> bool:
    return node.attrs.get(_XML_SPACE) == "preserve"


def _split_terms(text: str) -> list[str]:
    """ "a; b" or "a, b" → ["a", "b"] (semicolons first: a term may hold a comma)."""
    separator = ";" if ";" in text else ","
    return [t for t in (_one_line(t) for t in text.split(separator)) if t]


def _visibility(read: str | None, access: str | None) -> str:
    """MIRC's rule: public when ``<authorization><read>`` holds "*" or is missing."""
    if read is not None:
        return "public" if "*" in read else "institution" if read else "private"
    if access in (None, "", "public"):
        return "public"
    return "private" if access == "private" else "institution"


def _band(difficulty: int) -> int:
    """The <level> a difficulty is written as: 1–2 primary, 3 intermediate, 4–5 advanced."""
    return 1 if difficulty <= 2 else 3 if difficulty == 3 else 5


def level_word(difficulty: int) -> str:
    """
    >>> [level_word(d) for d in (1, 2, 3, 4, 5)]
    ['primary', 'primary', 'intermediate', 'advanced', 'advanced']
    """
    band = _band(difficulty)
    return next(word for word, value in LEVELS.items() if value == band)


_MAX_ACTIVITY = Decimal(10_000_000)  # the column: 10 digits, 3 after the point


def _doses(ext: Node) -> list[MircDose]:
    """The exact doses, or none at all when one of them would not fit its columns (the
    shown text is read instead)."""
    doses = []
    for node in ext.find_all("lb:radiopharmaceutical"):
        a = node.attrs
        try:
            activity = Decimal(a["activity"]) if a.get("activity") else None
        except InvalidOperation:
            return []
        if activity is not None and not (
            activity.is_finite()
            and 0 <= activity < _MAX_ACTIVITY
            and activity == activity.quantize(Decimal("0.001"))
        ):
            return []
        dose = MircDose(
            agent=a.get("agent", ""),
            activity=activity,
            unit=a.get("unit", ""),
            route=a.get("route", ""),
            time_to_imaging=a.get("time-to-imaging", ""),
        )
        if not dose.agent or len(dose.agent) > 120 or len(dose.route) > 40:
            return []
        if len(dose.time_to_imaging) > 60 or dose.unit not in ("mCi", "MBq", ""):
            return []
        if (activity is None) != (dose.unit == ""):
            return []
        doses.append(dose)
    return doses


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
