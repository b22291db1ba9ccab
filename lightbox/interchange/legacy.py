"""Parse one page of a 1990s radiology teaching file into a :class:`LegacyCase`.

Django-free: only the standard library and :mod:`lightbox.cases.acr`. The legacy
collections come as plain text or as the HTML the text was rendered from; HTML is flattened
(with :mod:`html.parser`) to the same layout, paragraphs separated by a blank line, and the
text is then read section by section. Nothing is silently dropped: text the parser cannot
place is kept verbatim in :attr:`LegacyCase.unparsed` and explained in
:attr:`LegacyCase.warnings`. Input that is not a case page at all (empty, binary, over
:data:`MAX_BYTES`, undecodable, no section headings) raises :class:`LegacyParseError`.

Notes
-----
A heading is recognised at the start of a line, in any case, followed by a colon or by the
end of the line; text after the colon belongs to the section. Headings and synonyms:

==============================  ===================================================
Field                           Headings
==============================  ===================================================
authors (+ date, rating)        Case Author(s), Author(s), Authors, Contributed by,
                                Submitted by
number                          Case number, Case no., Case #, Case ID
title                           Title, Case title
case_date                       Date, Case date
difficulty, quality             Rating (``#D3, #Q4``)
diagnosis                       Diagnosis, Final diagnosis, Pathologic diagnosis,
                                Impression, Dx, Final Dx
brief_history                   Brief history, Brief clinical history
full_history                    Full history, Full clinical history
(either history, see below)     History, Clinical history, Patient history, History
                                of present illness, Clinical information, Clinical
                                presentation, Presentation
images                          Images, Image(s), Image, Figures, Image captions
radiopharmaceuticals            Radiopharmaceutical, Radiopharmaceuticals,
                                Radiopharmaceutical(s), Radiopharmaceutical and dose,
                                Radiotracer(s), Tracer(s), Radionuclide(s)
findings                        Findings, Imaging findings, Scan findings
discussion                      Discussion, Teaching point(s), Comment(s)
references                      References, Reference list, Bibliography, Suggested
                                reading(s), Further reading
followup                        Followup, Follow-up, Follow up, Outcome
differential                    Differential Diagnosis List, Differential diagnosis,
                                Differential diagnoses, Differential, DDx
acr_codes, keywords             ACR Codes and Keywords, ACR code(s), Keywords, Key
                                words, Index terms
==============================  ===================================================

Lines recognised anywhere: the author/rating line without its heading (it needs a rating,
or a date and a name with a degree); "References and General Discussion of <topic>
(Anatomic field:..., Category:...)", the topic; a line starting "Copyright"; and the site's
navigation ("View main image(bs) in a separate image viewer", "Search for similar cases.",
"Edit this case", ...), which is dropped, the main-image token kept.

Decisions worth knowing:

* A generic "History" fills ``brief_history``; if the page also has a "Brief history"
  heading it fills ``full_history`` instead (and if both exist it is appended to the brief
  history with a warning). A lone brief history is not copied into ``full_history``.
* Only the plural "References" (or a synonym above) starts the reference list. Singular
  "Ref:" and "Reference:" lines are citations inside whatever section they appear in, most
  often the discussion. The topic line starts with "References and ..." but is not one.
* A section that appears twice with the same text (the 1996 pages print the diagnosis in
  the "unknown" and the "known" half) is kept once; different text is appended with a
  warning.
* Navigation lines end the section before them: text after them that is not under a new
  heading goes to ``unparsed``.
* In list-like sections (radiopharmaceuticals, references, differential, codes, images)
  and one-line fields, a short unknown "Something:" paragraph ends the section, so that an
  unknown section lands in ``unparsed`` rather than being read as list items. In prose
  sections such lines stay, as sub-headings of the prose.
* Activities are kept in the unit family written: mCi (µCi converted) or MBq (GBq
  converted), to at most three decimals (a rounding is warned about); an activity over
  100,000 is taken for a typing error and left blank, with a warning. Two-digit years
  00-29 are 20xx, the rest 19xx; numeric dates are read month first, unless the first
  number cannot be a month.

Examples
--------
>>> case = parse_legacy(
...     "Case Author(s): Ann Lee, M.D. , 10/23/96 . Rating: #D2, #Q5\\n\\n"
...     "Diagnosis: Paget disease\\n\\n"
...     "Radiopharmaceutical: 20 mCi Tc-99m MDP i.v.\\n"
... )
>>> case.authors
[LegacyAuthor(name='Ann Lee', credentials='M.D.')]
>>> case.case_date, case.difficulty, case.diagnosis
(datetime.date(1996, 10, 23), 2, 'Paget disease')
>>> case.radiopharmaceuticals[0].agent, case.radiopharmaceuticals[0].activity
('Tc-99m MDP', Decimal('20'))
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

from lightbox.cases.acr import InvalidAcrCode, category_for_name, field_for_name, parse_code

__all__ = [
    "LegacyCase",
    "LegacyAuthor",
    "LegacyRadiopharmaceutical",
    "LegacyReference",
    "LegacyTopic",
    "LegacyParseError",
    "parse_legacy",
    "MAX_BYTES",
]

MAX_BYTES = 5 * 1024 * 1024  # a legacy page is a few KB; anything over this is refused

# Field-level regexes run only on chunks up to this long: a longer "dose" or "author line"
# is not one, and the bound keeps every search cheap whatever the input.
_MAX_FIELD_CHARS = 1000


class LegacyParseError(ValueError):
    """The input is not a teaching-file page. The message is one line, without a filename."""


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass
class LegacyAuthor:
    name: str
    credentials: str


@dataclass
class LegacyRadiopharmaceutical:
    agent: str
    activity: Decimal | None
    unit: str
    route: str
    time_to_imaging: str
    text: str


@dataclass
class LegacyReference:
    text: str
    pmid: str = ""
    doi: str = ""


@dataclass
class LegacyTopic:
    title: str
    field: str | None
    category: str | None
    field_name: str
    category_name: str


@dataclass
class LegacyCase:
    number: str = ""
    title: str = ""
    authors: list[LegacyAuthor] = field(default_factory=list)
    case_date: date | None = None
    difficulty: int | None = None
    quality: int | None = None
    diagnosis: str = ""
    brief_history: str = ""
    full_history: str = ""
    findings: str = ""
    discussion: str = ""
    followup: str = ""
    images: list[str] = field(default_factory=list)
    main_image: str = ""
    radiopharmaceuticals: list[LegacyRadiopharmaceutical] = field(default_factory=list)
    references: list[LegacyReference] = field(default_factory=list)
    differential: list[str] = field(default_factory=list)
    acr_codes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    topic: LegacyTopic | None = None
    copyright: str = ""
    unparsed: str = ""
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def parse_legacy(data: bytes | str) -> LegacyCase:
    """Parse one legacy teaching-file page, given as text or HTML, bytes or str.

    Raises
    ------
    LegacyParseError
        When the input is empty, binary, too large, undecodable or not a case page.
    """
    text = _decode(data)
    if _looks_like_html(text):
        text = _html_to_text(text)
    sections, specials = _split_sections(_clean_lines(text))
    if not any(section.heading for section in sections):
        raise LegacyParseError("not a teaching-file case page: no case sections found")
    return _Builder(sections, specials).build()


# --------------------------------------------------------------------------------------------
# Bytes to text
# --------------------------------------------------------------------------------------------

_TEXT_CONTROLS = frozenset(b"\t\n\v\f\r")


def _decode(data: bytes | str) -> str:
    """Check size and content before decoding, so hostile input costs little."""
    if isinstance(data, str):
        size = len(data.encode("utf-8", "surrogatepass"))
        _check_size(size)
        text = data.removeprefix("\ufeff")
        _check_binary([ord(c) for c in text[:8192]])
    else:
        _check_size(len(data))
        if not data.strip():
            raise LegacyParseError("empty file")
        _check_binary(list(data[:8192]))
        text = _decode_bytes(data)
    if not text.strip():
        raise LegacyParseError("empty file")
    return text


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise LegacyParseError(f"file too large: {size} bytes (limit 5 MiB)")


def _check_binary(codes: list[int]) -> None:
    """NUL bytes, or more than 10% control characters, in the first 8 KB mean binary."""
    controls = sum(1 for c in codes if (c < 32 and c not in _TEXT_CONTROLS) or c == 127)
    if 0 in codes or controls > len(codes) / 10:
        raise LegacyParseError("binary file, not a teaching-file page")


def _decode_bytes(data: bytes) -> str:
    # UTF-8 first (it fails loudly on anything else); then Windows-1252, which is what the
    # 1990s pages were saved in. Latin-1 is no fallback: it would accept any bytes at all.
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = data[skip:]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise LegacyParseError(
            "cannot decode text: not UTF-8 or Windows-1252 "
            f"(byte 0x{body[exc.start]:02x} at offset {exc.start + skip})"
        ) from None


# --------------------------------------------------------------------------------------------
# HTML to text
# --------------------------------------------------------------------------------------------

_HTML_SNIFF_RE = re.compile(
    r"<(?:!doctype\s+html|/?(?:html|head|body|title|p|br|hr|h[1-6]|div|table|tr|td|ul|ol|li"
    r"|dl|dt|dd|b|i|u|a|font|center|pre|img|strong|em|span|blockquote)\b)",
    re.IGNORECASE,
)


def _looks_like_html(text: str) -> bool:
    return _HTML_SNIFF_RE.search(text[:4096]) is not None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCK_TAGS = _words(
    "address article aside blockquote body caption center dd div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html main nav ol p pre section table "
    "tbody thead tfoot ul"
)
_LINE_TAGS = _words("li tr")
_CELL_TAGS = _words("td th")
# Content that is never page text. Script and style matter for safety; head holds only the
# window title and metadata.
_SKIPPED_TAGS = _words("script style head title template iframe object embed svg math noscript")
_LAYOUT_TAGS = _BLOCK_TAGS | _LINE_TAGS | _CELL_TAGS | _SKIPPED_TAGS | {"br"}
# A case page has a few hundred tags at most; refusing tag soup keeps the parse fast.
_MAX_TAGS = 100_000
# One pass over the markup, linear (possessive quantifiers, and "[^<>]" stops at the next
# "<"): comments, terminated or not; tags; declarations; and a "<" that starts nothing.
_MARKUP_RE = re.compile(
    r"<!--.*?-->|<!--.*"
    r"|<(/?)([A-Za-z][A-Za-z0-9]*+)[^<>]*+>"
    r"|<[!?/][^<>]*+>"
    r"|<",
    re.DOTALL,
)


def _html_to_text(markup: str) -> str:
    """Flatten HTML to the plain-text page layout: blocks become paragraphs."""
    if markup.count("<") > _MAX_TAGS:
        raise LegacyParseError(
            f"not a teaching-file case page: too much markup (over {_MAX_TAGS} tags)"
        )
    parser = _TextExtractor()
    parser.feed(_MARKUP_RE.sub(_simplified_tag, markup))
    parser.close()
    return parser.text()


def _simplified_tag(match: re.Match[str]) -> str:
    """Keep only the name of a tag that shapes the text; drop attributes, comments, the rest.

    HTMLParser before Python 3.13.5 takes quadratic time on some malformed markup
    (CVE-2025-6069); handing it only bare, well-formed tags avoids that, and no attribute
    (event handlers, ``javascript:`` links) ever reaches it.
    """
    name = match[2]
    if name is None:
        return "&lt;" if match[0] == "<" else ""
    name = name.lower()
    return f"<{match[1]}{name}>" if name in _LAYOUT_TAGS else ""


class _TextExtractor(HTMLParser):
    """Turn simplified markup into text: paragraph breaks, line breaks and words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping: list[str] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and "head" in self._skipping:
            # 1990s pages often forget </head>; the body starts the visible text anyway.
            self._skipping = [t for t in self._skipping if t != "head"]
        if tag in _SKIPPED_TAGS:
            self._skipping.append(tag)
        elif tag == "br" or tag in _LINE_TAGS:
            self._parts.append("\n")
        elif tag in _CELL_TAGS:
            self._parts.append(" ")
        elif tag in _BLOCK_TAGS:
            self._parts.append("\n\n")
        if tag == "pre":
            self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            while self._skipping and self._skipping.pop() != tag:
                pass
        elif tag == "tr":
            self._parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self._parts.append("\n\n")
        if tag == "pre" and self._pre:
            self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        # Outside <pre>, HTML whitespace (newlines included) is a single space.
        self._parts.append(data if self._pre else _WHITESPACE_RUN_RE.sub(" ", data))

    def text(self) -> str:
        return "".join(self._parts)


_WHITESPACE_RUN_RE = re.compile(r"\s+")


# --------------------------------------------------------------------------------------------
# Lines and sections
# --------------------------------------------------------------------------------------------

# Tabs and no-break spaces become spaces; form feeds end lines; other C0 controls and
# zero-width characters are noise from old editors and are dropped.
_CLEANUP: dict[int, str | None] = {c: None for c in range(32) if c not in (9, 10, 12, 13)}
_CLEANUP.update({9: " ", 12: "\n", 0x7F: None, 0xA0: " ", 0x200B: None, 0xFEFF: None})


def _clean_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEANUP)
    return [line.strip() for line in text.split("\n")]


# Section kinds, by how their content is read.
_PROSE = frozenset({"diagnosis", "brief", "full", "history", "findings", "discussion", "followup"})
_LISTS = frozenset({"images", "radiopharm", "references", "differential", "codes"})
_SINGLE = frozenset({"authors", "number", "title", "date", "rating"})
_LOOSE = "loose"  # text under no heading: before the first one, or after navigation lines

_HEADINGS: list[tuple[str, str]] = [
    (
        r"case\s+authors?(?:\s*\(s\))?|authors?(?:\s*\(s\))?|(?:contributed|submitted)\s+by",
        "authors",
    ),
    (r"case\s+(?:number|no\.?|\#|id)", "number"),
    (r"(?:case\s+)?title", "title"),
    (r"(?:case\s+)?date", "date"),
    (r"rating", "rating"),
    (r"(?:final\s+|pathologic(?:al)?\s+)?diagnosis|(?:final\s+)?dx|impression", "diagnosis"),
    (r"brief\s+(?:clinical\s+)?history", "brief"),
    (r"full\s+(?:clinical\s+)?history", "full"),
    (
        r"(?:clinical\s+|patient\s+)?history(?:\s+of\s+present\s+illness)?"
        r"|clinical\s+(?:information|presentation)|presentation",
        "history",
    ),
    (r"images?(?:\s*\(s\))?|figures?|image\s+captions?", "images"),
    (
        r"radiopharmaceuticals?(?:\s*\(s\))?(?:\s*(?:and|&|/)\s*(?:doses?|activit(?:y|ies)))?"
        r"|radiotracers?(?:\s*\(s\))?|tracers?|radionuclides?",
        "radiopharm",
    ),
    (r"(?:imaging\s+|scan\s+)?findings", "findings"),
    (r"discussion|teaching\s+points?|comments?", "discussion"),
    (
        r"references|reference\s+list|bibliography|suggested\s+readings?|further\s+reading",
        "references",
    ),
    (r"follow[\s-]?up|outcome", "followup"),
    (r"differential\s+diagnos[ie]s(?:\s+list)?|differential(?:\s+list)?|ddx", "differential"),
    (
        r"acr\s+codes?(?:\s*\(s\))?(?:\s*(?:and|&)\s*key\s*words)?|key\s*words|index\s+terms",
        "codes",
    ),
]
_HEADING_KIND = {f"h{i}": kind for i, (_, kind) in enumerate(_HEADINGS)}
# Anchored, literal alternatives and a bounded tail: linear on any line.
_HEADING_RE = re.compile(
    r"^(?:" + "|".join(f"(?P<h{i}>{pattern})" for i, (pattern, _) in enumerate(_HEADINGS)) + r")"
    r"[ ]*(?::[ ]*(?P<rest>.*))?$",
    re.IGNORECASE,
)

# "References and General Discussion of Bone Scintigraphy (Anatomic field:..., Category:...)"
_TOPIC_RE = re.compile(r"^references\s+and\s+general\s+discussion\s+of\s+", re.IGNORECASE)
_COPYRIGHT_RE = re.compile(r"^(?:copyright\b|©|\(c\)\s)", re.IGNORECASE)
_MAIN_IMAGE_RE = re.compile(
    r"view\s+(main\s+)?image\s*(?:\(\s*([^()]{0,40})\))?"
    r"(?:\s+in\s+a\s+separate\s+(?:image\s+)?viewer)?\.?",
    re.IGNORECASE,
)
# The site's navigation. These end the section they follow: nothing belongs after them.
_NAVIGATION_RE = re.compile(
    r"(?:full\s+history\s*/\s*diagnosis\s+is\s+available\s+below"
    r"|search\s+for\s+similar\s+cases|edit\s+this\s+case|add\s+comments?\s+about\s+this\s+case"
    r"|return\s+to\s+the\s+teaching\s+file(?:\s+home\s*page)?|(?:previous|next)\s+case"
    r"|back\s+to\s+(?:the\s+)?(?:index|top|case\s+list))\.?",
    re.IGNORECASE,
)
# "Technique:" and the like: a short label on its own, ending in a colon.
_UNKNOWN_HEADING_RE = re.compile(r"[A-Za-z][A-Za-z ()/&'-]{0,48}:")


@dataclass
class _Section:
    kind: str
    label: str  # the heading as written, or the line the loose text follows ("" at the top)
    heading: bool = False
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class _Special:
    kind: str  # "topic", "copyright", "main_image" or "navigation"
    line: str
    value: str = ""


def _split_sections(lines: Iterable[str]) -> tuple[list[_Section], list[_Special]]:
    """Group lines into paragraphs and paragraphs into sections, in page order."""
    sections = [_Section(_LOOSE, "")]
    specials: list[_Special] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            _add_paragraph(sections, "\n".join(paragraph))
            paragraph.clear()

    for line in lines:
        if not line:
            flush()
            continue
        special = _match_special(line)
        if special is not None:
            flush()
            if special.kind == "navigation":
                sections.append(_Section(_LOOSE, line))
            else:
                specials.append(special)
            continue
        match = _HEADING_RE.match(line)
        if match is None:
            paragraph.append(line)
            continue
        flush()
        kind = next(
            _HEADING_KIND[name]
            for name, value in match.groupdict().items()
            if value and name != "rest"
        )
        label = line if match["rest"] is None else line[: match.start("rest")].rstrip(" :")
        sections.append(_Section(kind, label, heading=True))
        if match["rest"]:
            paragraph.append(match["rest"])
    flush()
    return sections, specials


def _match_special(line: str) -> _Special | None:
    if _TOPIC_RE.match(line):
        return _Special("topic", line)
    if _COPYRIGHT_RE.match(line):
        return _Special("copyright", line)
    if len(line) <= 200:
        image = _MAIN_IMAGE_RE.fullmatch(line)
        if image:
            token = (image[2] or "").strip() if image[1] else ""
            return _Special("main_image", line, token)
        if _NAVIGATION_RE.fullmatch(line):
            return _Special("navigation", line)
    return None


def _add_paragraph(sections: list[_Section], paragraph: str) -> None:
    current = sections[-1]
    first_line = paragraph.partition("\n")[0]
    if (
        current.kind in _LISTS | _SINGLE
        and current.paragraphs
        and _UNKNOWN_HEADING_RE.fullmatch(first_line)
        and len(first_line.split()) <= 6
    ):
        # An unknown section inside a list: its text must not become list items.
        current = _Section(_LOOSE, first_line)
        sections.append(current)
    current.paragraphs.append(paragraph)


# --------------------------------------------------------------------------------------------
# Sections to a case
# --------------------------------------------------------------------------------------------


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Builder:
    """Read each section into the case; collect what cannot be placed."""

    def __init__(self, sections: list[_Section], specials: list[_Special]) -> None:
        self.sections = sections
        self.specials = specials
        self.case = LegacyCase()
        self.unparsed: list[str] = []
        self.seen: dict[str, set[str]] = {}  # kind -> normalised texts already read
        self.kinds = {s.kind for s in sections if s.heading}

    def build(self) -> LegacyCase:
        for section in self.sections:
            self._read(section)
        for special in self.specials:
            self._read_special(special)
        self.case.unparsed = "\n\n".join(self.unparsed)
        return self.case

    # -- helpers -------------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        self.case.warnings.append(message)

    def leave(self, paragraphs: list[str], why: str) -> None:
        """Keep text that could not be placed, and say so."""
        if paragraphs:
            self.unparsed.extend(paragraphs)
            count = len(paragraphs)
            self.warn(f"{why}: {count} paragraph{'s' if count > 1 else ''} kept in unparsed")

    def _first_time(self, section: _Section) -> bool:
        """False when the same section, with the same text, was already read."""
        text = _normalised("\n\n".join(section.paragraphs))
        seen = self.seen.setdefault(section.kind, set())
        if text in seen:
            return False
        seen.add(text)
        return True

    # -- sections ------------------------------------------------------------------------------

    def _read(self, section: _Section) -> None:
        if section.kind == _LOOSE:
            self._read_loose(section)
        elif not section.paragraphs or not self._first_time(section):
            return
        elif section.kind in _PROSE:
            self._read_prose(section)
        elif section.kind in _SINGLE:
            self._read_single(section)
        else:
            {
                "images": self._read_images,
                "radiopharm": self._read_radiopharm,
                "references": self._read_references,
                "differential": self._read_differential,
                "codes": self._read_codes,
            }[section.kind](section)

    def _read_loose(self, section: _Section) -> None:
        where = (
            f"text after {section.label!r} is under no heading"
            if section.label
            else "text before the first section heading"
        )
        left: list[str] = []
        for paragraph in section.paragraphs:
            if not self.case.authors and _looks_like_author_line(paragraph):
                self._read_author_line(paragraph)
            else:
                left.append(paragraph)
        self.leave(left, where)

    def _read_prose(self, section: _Section) -> None:
        attribute = {
            "diagnosis": "diagnosis",
            "brief": "brief_history",
            "full": "full_history",
            "findings": "findings",
            "discussion": "discussion",
            "followup": "followup",
        }.get(section.kind) or self._history_attribute()
        text = "\n\n".join(section.paragraphs)
        current: str = getattr(self.case, attribute)
        if not current:
            setattr(self.case, attribute, text)
        elif _normalised(text) not in _normalised(current):
            setattr(self.case, attribute, f"{current}\n\n{text}")
            self.warn(f"{section.label!r} repeats a section with different text; both kept")

    def _history_attribute(self) -> str:
        # A bare "History" is the brief history, unless the page has one of those already.
        if "brief" not in self.kinds:
            return "brief_history"
        if "full" not in self.kinds:
            return "full_history"
        return "brief_history"

    def _read_single(self, section: _Section) -> None:
        value, *rest = section.paragraphs
        value = " ".join(value.split("\n"))
        placed = {
            "authors": self._read_author_line,
            "number": self._read_number,
            "title": self._read_title,
            "date": self._read_date,
            "rating": self._read_rating,
        }[section.kind](value)
        if not placed:
            rest = [value, *rest]
        self.leave(rest, f"text under {section.label!r} could not be placed")

    def _read_author_line(self, line: str) -> bool:
        line = " ".join(line.split("\n"))
        if len(line) > _MAX_FIELD_CHARS:
            return False
        if self.case.authors:
            return False  # a second, different author line: the caller keeps its text
        found, span = _find_date(line)
        self._set_date(found)
        names, rating = _split_off_rating(line[: span[0]] + " " + line[span[1] :])
        if rating is not None:
            self._read_rating(rating)
        authors, stray = _split_authors(names)
        self.case.authors = authors
        if stray:
            self.warn(f"{stray!r} in the author line is not a name; ignored")
        return bool(authors or found or rating is not None)

    def _read_number(self, value: str) -> bool:
        words = value.split()
        if not words or self.case.number:
            return False
        self.case.number = words[0].rstrip(".,;").lower()
        if len(words) > 1:
            self.warn(f"case number {value!r} has extra words; used {self.case.number!r}")
        return True

    def _read_title(self, value: str) -> bool:
        if self.case.title:
            return False
        self.case.title = value.strip()
        return True

    def _read_date(self, value: str) -> bool:
        found, _ = _find_date(value)
        self._set_date(found)
        return found is not None and found == self.case.case_date

    def _set_date(self, found: date | str | None) -> None:
        """Record the first date found; a str is the warning that stands for a bad one."""
        if isinstance(found, str):
            self.warn(found)
        elif found is not None and self.case.case_date is None:
            self.case.case_date = found

    def _read_rating(self, value: str) -> bool:
        difficulty, quality = _RATING_D_RE.search(value), _RATING_Q_RE.search(value)
        if difficulty is None and quality is None:
            return False
        rating = (
            self._rating_value(difficulty, "difficulty", "D"),
            self._rating_value(quality, "quality", "Q"),
        )
        if (self.case.difficulty, self.case.quality) == (None, None):
            self.case.difficulty, self.case.quality = rating
        return rating == (self.case.difficulty, self.case.quality)  # a second one must agree

    def _rating_value(self, match: re.Match[str] | None, what: str, letter: str) -> int | None:
        if match is None:
            return None
        value = int(match[1])
        if 1 <= value <= 5:
            return value
        self.warn(f"{what} {letter}{value} is outside 1-5; ignored")
        return None

    def _read_images(self, section: _Section) -> None:
        for paragraph in section.paragraphs:
            for line in paragraph.split("\n"):
                caption = _LIST_MARK_RE.sub("", line, count=1).strip()
                if caption:
                    self.case.images.append(caption)

    def _read_radiopharm(self, section: _Section) -> None:
        doses, left = _parse_doses(section.paragraphs)
        self.case.radiopharmaceuticals.extend(doses)
        for dose in doses:
            if not dose.agent:
                self.warn(f"no agent found in radiopharmaceutical {dose.text!r}")
            self._check_activity(dose)
        self.leave(left, f"text under {section.label!r} is not a radiopharmaceutical dose")

    def _check_activity(self, dose: LegacyRadiopharmaceutical) -> None:
        """Keep activities to what a dose can be: under 100,000, to 0.001 (1 µCi)."""
        if dose.activity is None:
            return
        if dose.activity > _MAX_ACTIVITY:
            self.warn(f"activity in {dose.text!r} is implausibly large; left blank")
            dose.activity, dose.unit = None, ""
        elif int(dose.activity.as_tuple().exponent) < -3:
            rounded = dose.activity.quantize(_ACTIVITY_STEP)
            if rounded != dose.activity:
                self.warn(f"activity in {dose.text!r} rounded to {rounded} {dose.unit}")
            dose.activity = rounded

    def _read_references(self, section: _Section) -> None:
        for text in _split_references(section.paragraphs):
            self.case.references.append(_reference(text))

    def _read_differential(self, section: _Section) -> None:
        left: list[str] = []
        seen = set(self.case.differential)
        for index, paragraph in enumerate(section.paragraphs):
            items = _split_list(paragraph)
            # Later paragraphs must still look like a list, not a note after it.
            if index and any(len(item.split()) > 12 for item in items):
                left.append(paragraph)
                continue
            for item in items:
                if item not in seen:
                    seen.add(item)
                    self.case.differential.append(item)
        self.leave(left, f"text under {section.label!r} is not a list of diagnoses")

    def _read_codes(self, section: _Section) -> None:
        left: list[str] = []
        seen = {keyword.casefold() for keyword in self.case.keywords}
        codes = set(self.case.acr_codes)
        text = _CODE_LABEL_RE.sub(";", "\n".join(section.paragraphs))
        for chunk in _CODE_SEPARATOR_RE.split(text):
            keyword_words: list[str] = []
            for word in chunk.split():
                if _CODE_SHAPE_RE.fullmatch(word):
                    code = self._code(word, left)
                    if code and code not in codes:
                        codes.add(code)
                        self.case.acr_codes.append(code)
                else:
                    keyword_words.append(word)
            keyword = " ".join(keyword_words).rstrip(".")
            if not keyword:
                continue
            if len(keyword_words) > 8:
                left.append(keyword)
            elif keyword.casefold() not in seen:
                seen.add(keyword.casefold())
                self.case.keywords.append(keyword)
        self.leave(left, f"text under {section.label!r} is not an ACR code or keyword")

    @staticmethod
    def _code(word: str, left: list[str]) -> str:
        """The validated code, or "" with ``word`` added to ``left``."""
        # "642.3212." at the end of a sentence: the last point is punctuation.
        for candidate in (word, word[:-1]) if word.endswith(".") else (word,):
            try:
                return parse_code(candidate).code
            except InvalidAcrCode:
                continue
        left.append(word)
        return ""

    # -- special lines -------------------------------------------------------------------------

    def _read_special(self, special: _Special) -> None:
        if special.kind == "main_image":
            if special.value and not self.case.main_image:
                self.case.main_image = special.value
        elif special.kind == "copyright":
            if not self.case.copyright:
                self.case.copyright = special.line
            elif special.line != self.case.copyright:
                self.leave([special.line], "a second, different copyright line")
        elif special.kind == "topic":
            topic = _parse_topic(special.line, self.warn)
            if self.case.topic is None:
                self.case.topic = topic
            elif topic != self.case.topic:
                self.leave([special.line], "a second, different topic line")


# --------------------------------------------------------------------------------------------
# Authors, dates and ratings
# --------------------------------------------------------------------------------------------

_RATING_LABEL_RE = re.compile(r"\brating\s*:?", re.IGNORECASE)
# Only ever searched in the text after "Rating:" (or in "#D3" tokens), so a bare "D3" is safe.
_RATING_D_RE = re.compile(r"(?:#[ ]?D|\bD|\bdifficulty\s*:?)[ ]?(\d{1,3})\b", re.IGNORECASE)
_RATING_Q_RE = re.compile(r"(?:#[ ]?Q|\bQ|\bquality\s*:?)[ ]?(\d{1,3})\b", re.IGNORECASE)
_RATING_TOKEN_RE = re.compile(r"#[ ]?[DQ][ ]?\d{1,3}\b", re.IGNORECASE)


def _looks_like_author_line(paragraph: str) -> bool:
    """An author/rating line without its "Case Author(s):" heading.

    It needs a rating, or a date and a name with a degree: "Paget disease, MS" alone is a
    title with an unlucky abbreviation, not an author.
    """
    if "\n" in paragraph or len(paragraph) > _MAX_FIELD_CHARS:
        return False
    if _RATING_LABEL_RE.search(paragraph) or _RATING_TOKEN_RE.search(paragraph):
        return True
    found, span = _find_date(paragraph)
    if found is None:
        return False
    authors, _ = _split_authors(paragraph[: span[0]] + " " + paragraph[span[1] :])
    return any(author.credentials for author in authors)


def _split_off_rating(line: str) -> tuple[str, str | None]:
    """("names, date", "#D3, #Q4") from an author line; the rating may be absent."""
    label = _RATING_LABEL_RE.search(line)
    if label:
        return line[: label.start()], line[label.end() :]
    tokens = list(_RATING_TOKEN_RE.finditer(line))
    if not tokens:
        return line, None
    rating = " ".join(m[0] for m in tokens)
    return _RATING_TOKEN_RE.sub("", line), rating


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_RES = (
    # 10/23/96, 10-23-1996, 10.23.96 (US order, as the pages were American)
    ("mdy", re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/])")),
    ("iso", re.compile(r"(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/-])")),
    ("dmy", re.compile(rf"\b(\d{{1,2}})[ ]+({_MONTH})\.?,?[ ]+(\d{{4}})\b", re.IGNORECASE)),
    (
        "mdy_name",
        re.compile(
            rf"\b({_MONTH})\.?[ ]+(\d{{1,2}})(?:st|nd|rd|th)?,?[ ]+(\d{{4}})\b", re.IGNORECASE
        ),
    ),
)


def _find_date(text: str) -> tuple[date | str | None, tuple[int, int]]:
    """The first date in ``text`` and its span; a str is a warning about a bad date."""
    for shape, pattern in _DATE_RES:
        match = pattern.search(text)
        if match is None:
            continue
        if shape == "mdy":
            month, day, year = int(match[1]), int(match[3]), _full_year(match[4])
        elif shape == "iso":
            year, month, day = int(match[1]), int(match[2]), int(match[3])
        elif shape == "dmy":
            day, month, year = int(match[1]), _MONTHS[match[2].lower()], int(match[3])
        else:
            month, day, year = _MONTHS[match[1].lower()], int(match[2]), int(match[3])
        return _make_date(year, month, day, match[0], shape), match.span()
    return None, (0, 0)


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        # Two-digit years: 00-29 are this century, the rest the last (the files began ~1994).
        year += 2000 if year < 30 else 1900
    return year


def _make_date(year: int, month: int, day: int, written: str, shape: str) -> date | str:
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if shape == "mdy":
        try:
            found = date(year, day, month)
        except ValueError:
            pass
        else:
            return found  # 23/10/96: a day-first date; unambiguous because 23 is no month
    return f"date {written!r} is not a valid date; ignored"


_AUTHOR_SEPARATOR_RE = re.compile(r"[,;&]|\band\b", re.IGNORECASE)
# Degrees and certifications, compared without dots, brackets or hyphens, upper-cased.
_CREDENTIALS = _words(
    """MD DO PHD MBBS MBCHB MB BCH BS BSC MS MSC MA MPH MBA MHS MMED DPHIL DSC FRCR FRCPC FRCP
    FRCS FRANZCR FACR FACNM FSNM FACP FACC FAHA FASNC FACS DABR DABNM ABNM MRCP MRCS DMRD DMRT
    DMRE DNB RT RTN RTR RTNM RTCT ARRT CNMT NMTCB RN BSN MSN NP PA PAC DDS DMD PHARMD RPH DVM
    JD CCD RDMS RVT"""
)
_NAME_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV"})
_CAPITALISED_WORD_RE = re.compile(r"[A-Z][a-z]+")
_CREDENTIAL_PUNCTUATION_RE = re.compile(r"[.()\-]")


def _credential_key(token: str) -> str:
    return _CREDENTIAL_PUNCTUATION_RE.sub("", token).upper()


def _is_credential(token: str) -> bool:
    # "Ma" is a surname, "MA" a degree: a plain capitalised word is never a credential.
    if _CAPITALISED_WORD_RE.fullmatch(token):
        return False
    return _credential_key(token) in _CREDENTIALS


def _split_authors(text: str) -> tuple[list[LegacyAuthor], str]:
    """Authors from "Ed Grishaw, M.D. and Henry Royal, M.D.".

    Commas, ";", "&" and "and" all split chunks; a chunk made only of degrees belongs to
    the author before it, which is why the comma before "M.D." is no author separator.
    Returns the authors and any credentials that came before the first name.
    """
    authors: list[LegacyAuthor] = []
    stray: list[str] = []
    for chunk in _AUTHOR_SEPARATOR_RE.split(text):
        tokens = [token for token in chunk.split() if any(c.isalnum() for c in token)]
        if not any(c.isalnum() for c in chunk) or _credential_key(chunk) == "ET AL":
            continue
        if not any(c.isalpha() for c in chunk):
            stray.append(chunk.strip())  # a number where a name should be
            continue
        if all(_is_credential(t) for t in tokens):
            if authors:
                previous = authors[-1]
                previous.credentials = ", ".join(
                    filter(None, [previous.credentials, " ".join(tokens)])
                )
            else:
                stray.append(" ".join(tokens))
        elif (
            authors
            and not authors[-1].credentials
            and all(_credential_key(t) in _NAME_SUFFIXES for t in tokens)
        ):
            authors[-1].name += ", " + " ".join(tokens)
        else:
            cut = len(tokens)
            while cut > 1 and _is_credential(tokens[cut - 1]):
                cut -= 1
            authors.append(LegacyAuthor(" ".join(tokens[:cut]), " ".join(tokens[cut:])))
    return authors, ", ".join(stray)


# --------------------------------------------------------------------------------------------
# Radiopharmaceuticals
# --------------------------------------------------------------------------------------------

_ACTIVITY_RE = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d{1,6}(?:\.\d{1,4})?)[ ]?"
    r"(millicuries?|microcuries?|megabecquerels?|gigabecquerels?|mci|mbq|gbq|[uµμ]ci)(?![a-z])",
    re.IGNORECASE,
)
# Element symbols of the radionuclides nuclear medicine uses; case matters ("In" not "in").
_ELEMENTS = (
    "Tc|In|Tl|Ga|Xe|Kr|Rb|Sm|Sr|Cr|Lu|Ra|Co|Se|Cu|Zr|Re|Er|Au|Ho|Yb|Ge|Hg|Bi|At|Ac|F|I|N|O|C|Y|P"
)
_ISOTOPE_RE = re.compile(
    rf"(?<![\w-])(?:(?:{_ELEMENTS})-?\d{{1,3}}m?|\d{{1,3}}m?-?(?:{_ELEMENTS}))(?![a-z])"
)
_AGENT_WORD_RE = re.compile(
    r"\b(?:fdg|mdp|hdp|hmdp|medronate|oxidronate|maa|dtpa|dmsa|mag3|mertiatide|sestamibi|mibi"
    r"|tetrofosmin|pertechnetate|sulfur\s+colloid|colloid|hmpao|exametazime|ecd|bicisate"
    r"|thallium|gallium|indium|technetium|xenon|octreotide|pentetreotide|mibg|iobenguane"
    r"|iodide|pyp|pyrophosphate|rbcs?|wbcs?|leukocytes?|mebrofenin|disofenin|hida|disida"
    r"|choline|psma|dotatate|dotatoc|florbetapir|tilmanocept|rubidium|ammonia|naf|strontium"
    r"|samarium|radium|ioflupane|glucoheptonate|gluceptate)\b",
    re.IGNORECASE,
)
_ROUTE_RE = re.compile(
    r"(?<![\w.])(?:i\.[ ]?v\.?|iv|intravenous(?:ly)?|p\.[ ]?o\.?|po|per[ ]+os|by[ ]+mouth"
    r"|oral(?:ly)?|inhaled|by[ ]+inhalation|inhalation|intrathecal(?:ly)?"
    r"|subcutaneous(?:ly)?|s\.[ ]?[cq]\.|sq|intradermal(?:ly)?|i\.d\.|intraperitoneal(?:ly)?"
    r"|intra-?articular(?:ly)?|intravesical(?:ly)?)(?!\w)",
    re.IGNORECASE,
)
# "imaged 3 hours after injection", "at 3 h", "24-hour delayed"; repetition is bounded.
_TIME_RE = re.compile(
    r"(?:\b(?:imaged|imaging|images|scanned|acquired|obtained|performed)[ ]{1,5}"
    r"(?:(?:was|were|obtained|acquired|performed)[ ]{1,5})?)?"
    r"(?:\b(?:at|after)[ ]{1,5})?"
    r"\b(\d{1,3}(?:\.\d{1,2})?)[ ]?-?[ ]?(hours?|hrs?|h|minutes?|mins?|days?)\b"
    r"(?:[ ]{1,5}(?:after|post|following)[ -]{1,5}(?:the[ ]{1,5})?"
    r"(?:injection|administration|ingestion|dose|inj\b\.?))?"
    r"(?:[ ]{1,5}(?:p\.i\.|delay(?:ed)?))?",
    re.IGNORECASE,
)
_DOSE_SEPARATOR_RE = re.compile(r"[ ]*;[ ]*|[ ]+(?:and|plus|&|\+)[ ]+", re.IGNORECASE)
_NO_DOSE_RE = re.compile(r"none|n/?a|not applicable|-+", re.IGNORECASE)
_AGENT_LEAD_RE = re.compile(
    r"^(?:(?:of|with|using|dose|injected|administered|given|received)\b[ ]*)+", re.IGNORECASE
)
_AGENT_TAIL_RE = re.compile(
    r"[ ](?:imaged|imaging|images|scanned|injected|administered|given|followed)\b.*$",
    re.IGNORECASE,
)
_MAX_ACTIVITY = Decimal(100_000)
_ACTIVITY_STEP = Decimal("0.001")
_AGENT_BREAK_RE = re.compile(r"[,;()\[\]]")
_UNITS = {
    "mci": ("mCi", Decimal(1)),
    "millicurie": ("mCi", Decimal(1)),
    "millicuries": ("mCi", Decimal(1)),
    "uci": ("mCi", Decimal("0.001")),
    "µci": ("mCi", Decimal("0.001")),
    "μci": ("mCi", Decimal("0.001")),
    "microcurie": ("mCi", Decimal("0.001")),
    "microcuries": ("mCi", Decimal("0.001")),
    "mbq": ("MBq", Decimal(1)),
    "megabecquerel": ("MBq", Decimal(1)),
    "megabecquerels": ("MBq", Decimal(1)),
    "gbq": ("MBq", Decimal(1000)),
    "gigabecquerel": ("MBq", Decimal(1000)),
    "gigabecquerels": ("MBq", Decimal(1000)),
}
_TIME_UNITS = {"h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour"}
_TIME_UNITS |= {"min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute"}
_TIME_UNITS |= {"day": "day", "days": "day"}


def _is_dose_like(text: str) -> bool:
    return bool(
        _ACTIVITY_RE.search(text) or _ISOTOPE_RE.search(text) or _AGENT_WORD_RE.search(text)
    )


def _parse_doses(paragraphs: list[str]) -> tuple[list[LegacyRadiopharmaceutical], list[str]]:
    """One dose per line, or several on a line split by ";" or "and".

    A piece that names no activity, nuclide or agent ("imaged at 3 h") continues the dose
    before it rather than standing alone.
    """
    chunks: list[tuple[str, bool]] = []  # (text, names a dose)
    for paragraph in paragraphs:
        for line in paragraph.split("\n"):
            if _NO_DOSE_RE.fullmatch(line.rstrip(".")):
                continue
            for piece in _split_dose_line(line):
                is_dose = len(piece) <= _MAX_FIELD_CHARS and _is_dose_like(piece)
                if chunks and chunks[-1][1] and not is_dose:
                    chunks[-1] = (f"{chunks[-1][0]} {piece}", True)
                else:
                    chunks.append((piece, is_dose))
    doses: list[LegacyRadiopharmaceutical] = []
    left: list[str] = []
    for chunk, is_dose in chunks:
        if is_dose and len(chunk) <= _MAX_FIELD_CHARS:
            doses.append(_parse_dose(chunk))
        else:
            left.append(chunk)
    return doses, left


def _split_dose_line(line: str) -> list[str]:
    if len(line) > _MAX_FIELD_CHARS:
        return [line]
    spans: list[tuple[int, int]] = []
    start = 0
    for separator in _DOSE_SEPARATOR_RE.finditer(line):
        spans.append((start, separator.start()))
        start = separator.end()
    spans.append((start, len(line)))
    merged: list[tuple[int, int]] = []
    for begin, end in spans:
        if merged and not _is_dose_like(line[begin:end]):
            merged[-1] = (merged[-1][0], end)  # "... in vivo and in vitro" is one dose
        else:
            merged.append((begin, end))
    if len(merged) > 1 and not _is_dose_like(line[merged[0][0] : merged[0][1]]):
        merged[:2] = [(merged[0][0], merged[1][1])]
    return [line[begin:end].strip() for begin, end in merged if line[begin:end].strip()]


def _parse_dose(text: str) -> LegacyRadiopharmaceutical:
    activity: Decimal | None = None
    unit = ""
    spans: list[tuple[int, int]] = []
    for match in _ACTIVITY_RE.finditer(text):
        if activity is None:
            unit, factor = _UNITS[match[2].lower()]
            activity = _converted(Decimal(match[1].replace(",", "")), factor)
        spans.append(match.span())
    route = _ROUTE_RE.search(text)
    if route:
        spans.append(route.span())
    time = _TIME_RE.search(text)
    time_to_imaging = ""
    if time:
        spans.append(time.span())
        count, word = time[1], _TIME_UNITS[time[2].lower()]
        time_to_imaging = f"{count} {word}{'' if count == '1' else 's'}"
    return LegacyRadiopharmaceutical(
        agent=_agent(text, spans),
        activity=activity,
        unit=unit,
        route=route[0] if route else "",
        time_to_imaging=time_to_imaging,
        text=text,
    )


def _converted(value: Decimal, factor: Decimal) -> Decimal:
    """``value`` times ``factor``, without the trailing zeros the product picks up."""
    if factor == 1:
        return value  # as written: "21.6" stays "21.6"
    value *= factor
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def _agent(text: str, spans: list[tuple[int, int]]) -> str:
    """What is left of a dose once activity, route and timing are cut out."""
    rest = text
    for begin, end in sorted(spans, reverse=True):
        rest = rest[:begin] + "," + rest[end:]
    for segment in _AGENT_BREAK_RE.split(rest):
        segment = _AGENT_LEAD_RE.sub("", segment.strip(" \t.:-"))
        segment = _AGENT_TAIL_RE.sub("", segment).strip(" \t.:-")
        if segment:
            return segment
    return ""


# --------------------------------------------------------------------------------------------
# References, lists, topic
# --------------------------------------------------------------------------------------------

_REFERENCE_MARK_RE = re.compile(r"^(?:\(?\d{1,3}[.)]|\[\d{1,3}\])(?!\d)[ ]*")
_PMID_RE = re.compile(r"\bPMID[ ]*:?[ ]*(\d{1,9})\b", re.IGNORECASE)
_DOI_RE = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")


def _split_references(paragraphs: list[str]) -> list[str]:
    """References numbered "1)", "1." or "[1]", or one per paragraph (or per line)."""
    references: list[str] = []
    for paragraph in paragraphs:
        lines = [piece for line in paragraph.split("\n") for piece in _split_numbered_run(line)]
        numbered = any(_REFERENCE_MARK_RE.match(line) for line in lines)
        for index, line in enumerate(lines):
            starts_new = (
                index == 0
                or (numbered and _REFERENCE_MARK_RE.match(line) is not None)
                # Unnumbered lines: a line after one that ended a sentence is a new entry.
                or (not numbered and lines[index - 1].endswith((".", ")")))
            )
            text = _REFERENCE_MARK_RE.sub("", line, count=1).strip()
            if starts_new or not references:
                references.append(text)
            else:
                references[-1] += " " + text
    return [text for text in references if text]


def _split_numbered_run(line: str) -> list[str]:
    """ "1) A. 2) B." on one line: split where the next number in sequence starts."""
    first = re.match(r"(\(?)1\)|(\[)1\]", line)
    if first is None or len(line) > _MAX_FIELD_CHARS * 10:
        return [line]
    template = "[{}]" if first[2] else "({})" if first[1] else "{})"
    pieces: list[str] = []
    start, number = 0, 2
    while (found := line.find(" " + template.format(number) + " ", start)) != -1:
        pieces.append(line[start:found].strip())
        start, number = found + 1, number + 1
    pieces.append(line[start:].strip())
    return pieces


def _reference(text: str) -> LegacyReference:
    pmid = _PMID_RE.search(text)
    doi = _DOI_RE.search(text)
    doi_text = _trim_doi(doi[0]) if doi else ""
    return LegacyReference(text=text, pmid=pmid[1] if pmid else "", doi=doi_text)


def _trim_doi(doi: str) -> str:
    """Drop the sentence punctuation a DOI picks up, and a bracket it does not open."""
    doi = doi.rstrip(".,;")
    while (
        doi and doi[-1] in ")]" and doi.count(doi[-1]) > doi.count("(" if doi[-1] == ")" else "[")
    ):
        doi = doi[:-1].rstrip(".,;")
    return doi


_LIST_MARK_RE = re.compile(r"^(?:[-*•·][ ]+|\(?\d{1,3}[.)](?!\d)[ ]*|\[\d{1,3}\][ ]*|[a-z]\)[ ]+)")
_LIST_CONJUNCTION_RE = re.compile(r"^(?:and|or)[ ]+", re.IGNORECASE)
# "ACR codes: 4.5. Keywords: gout" on one line: the inner label separates, it is no keyword.
_CODE_LABEL_RE = re.compile(r"\b(?:acr[ ]+codes?|key[ ]?words?)[ ]*:", re.IGNORECASE)
_CODE_SEPARATOR_RE = re.compile(r"[,;\n]")
_CODE_SHAPE_RE = re.compile(r"\d[\d.]{0,20}")


def _split_list(paragraph: str) -> list[str]:
    """Items of a differential written as a comma/";" list, one per line, or numbered."""
    lines = paragraph.split("\n")
    if len(lines) == 1 or any(line.endswith((",", ";")) for line in lines[:-1]):
        # One logical line: a list written across a line break still splits on punctuation.
        joined = " ".join(_LIST_MARK_RE.sub("", line, count=1) for line in lines)
        items = joined.split(";") if ";" in joined else joined.split(",")
    else:
        items = lines
    cleaned = []
    for item in items:
        item = _LIST_MARK_RE.sub("", item.strip(), count=1).strip()
        item = _LIST_CONJUNCTION_RE.sub("", item).rstrip(" .")
        if item:
            cleaned.append(item)
    return cleaned


_TOPIC_FIELDS_RE = re.compile(r"\(\s*(?:anatomic\s+)?field\s*:", re.IGNORECASE)
_TOPIC_CATEGORY_RE = re.compile(r"\bcategory\s*:", re.IGNORECASE)


def _parse_topic(line: str, warn: Callable[[str], None]) -> LegacyTopic:
    rest = _TOPIC_RE.sub("", line, count=1).strip()
    title, field_name, category_name = rest, "", ""
    opening = _TOPIC_FIELDS_RE.search(rest)
    if opening:
        title = rest[: opening.start()].strip()
        inner = rest[opening.end() :].strip().removesuffix(")")
        category = _TOPIC_CATEGORY_RE.search(inner)
        if category:
            field_name = inner[: category.start()].strip(" ,;")
            category_name = inner[category.end() :].strip(" ,;")
        else:
            field_name = inner.strip(" ,;")
    field_digit = field_for_name(field_name) if field_name else None
    category_digit = category_for_name(category_name) if category_name else None
    if field_name and field_digit is None:
        warn(f"anatomic field {field_name!r} is not in the ACR index; left blank")
    if category_name and category_digit is None:
        warn(f"category {category_name!r} is not in the ACR index; left blank")
    return LegacyTopic(title, field_digit, category_digit, field_name, category_name)
