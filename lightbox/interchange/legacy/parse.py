"""Parse one page of a 1990s radiology teaching file into a :class:`LegacyCase`.

Django-free: the standard library, ftfy and :mod:`lightbox.cases.acr`. The legacy
collections come as plain text or as the HTML the text was rendered from, in UTF-8 or
Windows-1252; the page is decoded (:mod:`~lightbox.interchange.legacy.text`: stray bytes and
mojibake repaired, with a warning), HTML is flattened to the same layout, paragraphs
separated by a blank line, the lines are grouped into sections
(:mod:`~lightbox.interchange.legacy.sections`) and each section is read into its fields
(:mod:`~lightbox.interchange.legacy.fields`). Nothing is silently dropped: text the parser
cannot place is kept verbatim in :attr:`LegacyCase.unparsed` and explained in
:attr:`LegacyCase.warnings`. Input that is not a case page at all (empty, binary, over
:data:`MAX_BYTES`, no section headings) raises :class:`LegacyParseError`.

Notes
-----
A heading is recognised at the start of a line, in any case, followed by a colon, a dash
and a space, or the end of the line ("Dx." may be followed by its text directly); text
after it belongs to the section. A heading is a heading only where a page puts one: one
inside a running paragraph, or a second one for a section already read in this half of
the page, stays prose (the rule is in :mod:`~lightbox.interchange.legacy.sections`).
Headings and synonyms:

==============================  ===================================================
Field                           Headings
==============================  ===================================================
authors (+ date, rating)        Case Author(s), Author(s), Authors, Contributed by,
                                Submitted by
number                          Case number, Case no., Case #, Case ID
title                           Title, Case title
case_date                       Date, Case date
difficulty, quality             Rating (``#D3, #Q4``)
diagnosis                       Diagnosis, Case diagnosis, Final diagnosis,
                                Pathologic(al) diagnosis, Histologic(al) diagnosis,
                                Definitive diagnosis, Diagnoses, Diagnosis(es),
                                Impression, Dx, Dx., Case Dx, Final Dx
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
  heading it fills ``full_history`` instead (and if both exist it is a second heading for
  the brief history, see below). A lone brief history is not copied into ``full_history``.
* Only the plural "References" (or a synonym above) starts the reference list. Singular
  "Ref:" and "Reference:" lines are citations inside whatever section they appear in, most
  often the discussion. The topic line starts with "References and ..." but is not one.
* A section that appears twice with the same text (the 1996 pages print the diagnosis in
  the "unknown" and the "known" half) is kept once. A second heading for a section with
  different text is prose in the same half of the page, unless the HTML marks it as a
  heading (``<h3>``, ``<b>``): then its text is appended, with a warning.
* Lists (differential, keywords, authors, doses) split only outside brackets:
  "metastatic carcinoma (breast, kidney, lung)" is one item.
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

import re
from datetime import date

from lightbox.cases.acr import InvalidAcrCode, parse_code
from lightbox.interchange.legacy.fields import (
    ACTIVITY_STEP,
    CODE_LABEL_RE,
    CODE_SEPARATOR_RE,
    CODE_SHAPE_RE,
    LIST_MARK_RE,
    MAX_ACTIVITY,
    RATING_D_RE,
    RATING_Q_RE,
    find_date,
    looks_like_author_line,
    parse_doses,
    parse_topic,
    reference,
    split_authors,
    split_list,
    split_off_rating,
    split_outside_brackets,
    split_references,
)
from lightbox.interchange.legacy.sections import (
    LOOSE,
    PROSE,
    SINGLE,
    Section,
    Special,
    normalised,
    split_sections,
)
from lightbox.interchange.legacy.text import decode, page_lines
from lightbox.interchange.legacy.types import (
    MAX_BYTES,
    MAX_FIELD_CHARS,
    LegacyAuthor,
    LegacyCase,
    LegacyParseError,
    LegacyRadiopharmaceutical,
    LegacyReference,
    LegacyTopic,
)

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


def parse_legacy(data: bytes | str) -> LegacyCase:
    """Parse one legacy teaching-file page, given as text or HTML, bytes or str.

    Raises
    ------
    LegacyParseError
        When the input is empty, binary, too large or not a case page.
    """
    text, warnings = decode(data)
    sections, specials = split_sections(page_lines(text))
    if not any(section.heading for section in sections):
        raise LegacyParseError("not a teaching-file case page: no case sections found")
    case = _Builder(sections, specials).build()
    case.warnings[:0] = warnings
    return case


# --------------------------------------------------------------------------------------------
# Sections to a case
# --------------------------------------------------------------------------------------------


class _Builder:
    """Read each section into the case; collect what cannot be placed."""

    def __init__(self, sections: list[Section], specials: list[Special]) -> None:
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

    def _first_time(self, section: Section) -> bool:
        """False when the same section, with the same text, was already read."""
        text = normalised("\n\n".join(section.paragraphs))
        seen = self.seen.setdefault(section.kind, set())
        if text in seen:
            return False
        seen.add(text)
        return True

    # -- sections ------------------------------------------------------------------------------

    def _read(self, section: Section) -> None:
        if section.kind == LOOSE:
            self._read_loose(section)
        elif not section.paragraphs or not self._first_time(section):
            return
        elif section.kind in PROSE:
            self._read_prose(section)
        elif section.kind in SINGLE:
            self._read_single(section)
        else:
            {
                "images": self._read_images,
                "radiopharm": self._read_radiopharm,
                "references": self._read_references,
                "differential": self._read_differential,
                "codes": self._read_codes,
            }[section.kind](section)

    def _read_loose(self, section: Section) -> None:
        where = (
            f"text after {section.label!r} is under no heading"
            if section.label
            else "text before the first section heading"
        )
        left: list[str] = []
        for paragraph in section.paragraphs:
            if not self.case.authors and looks_like_author_line(paragraph):
                self._read_author_line(paragraph)
            else:
                left.append(paragraph)
        self.leave(left, where)

    def _read_prose(self, section: Section) -> None:
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
        elif normalised(text) not in normalised(current):
            setattr(self.case, attribute, f"{current}\n\n{text}")
            self.warn(f"{section.label!r} repeats a section with different text; both kept")

    def _history_attribute(self) -> str:
        # A bare "History" is the brief history, unless the page has one of those already.
        if "brief" not in self.kinds:
            return "brief_history"
        if "full" not in self.kinds:
            return "full_history"
        return "brief_history"

    def _read_single(self, section: Section) -> None:
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
        if len(line) > MAX_FIELD_CHARS:
            return False
        if self.case.authors:
            return False  # a second, different author line: the caller keeps its text
        found, span = find_date(line)
        self._set_date(found)
        names, rating = split_off_rating(line[: span[0]] + " " + line[span[1] :])
        if rating is not None:
            self._read_rating(rating)
        authors, stray = split_authors(names)
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
        found, _ = find_date(value)
        self._set_date(found)
        return found is not None and found == self.case.case_date

    def _set_date(self, found: date | str | None) -> None:
        """Record the first date found; a str is the warning that stands for a bad one."""
        if isinstance(found, str):
            self.warn(found)
        elif found is not None and self.case.case_date is None:
            self.case.case_date = found

    def _read_rating(self, value: str) -> bool:
        difficulty, quality = RATING_D_RE.search(value), RATING_Q_RE.search(value)
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

    def _read_images(self, section: Section) -> None:
        for paragraph in section.paragraphs:
            for line in paragraph.split("\n"):
                caption = LIST_MARK_RE.sub("", line, count=1).strip()
                if caption:
                    self.case.images.append(caption)

    def _read_radiopharm(self, section: Section) -> None:
        doses, left = parse_doses(section.paragraphs)
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
        if dose.activity > MAX_ACTIVITY:
            self.warn(f"activity in {dose.text!r} is implausibly large; left blank")
            dose.activity, dose.unit = None, ""
        elif int(dose.activity.as_tuple().exponent) < -3:
            rounded = dose.activity.quantize(ACTIVITY_STEP)
            if rounded != dose.activity:
                self.warn(f"activity in {dose.text!r} rounded to {rounded} {dose.unit}")
            dose.activity = rounded

    def _read_references(self, section: Section) -> None:
        for text in split_references(section.paragraphs):
            self.case.references.append(reference(text))

    def _read_differential(self, section: Section) -> None:
        left: list[str] = []
        seen = set(self.case.differential)
        for index, paragraph in enumerate(section.paragraphs):
            items = split_list(paragraph)
            # Later paragraphs must still look like a list, not a note after it.
            if index and any(len(item.split()) > 12 for item in items):
                left.append(paragraph)
                continue
            for item in items:
                if item not in seen:
                    seen.add(item)
                    self.case.differential.append(item)
        self.leave(left, f"text under {section.label!r} is not a list of diagnoses")

    def _read_codes(self, section: Section) -> None:
        left: list[str] = []
        seen = {keyword.casefold() for keyword in self.case.keywords}
        codes = set(self.case.acr_codes)
        text = CODE_LABEL_RE.sub(";", "\n".join(section.paragraphs))
        for chunk in split_outside_brackets(text, CODE_SEPARATOR_RE):
            keyword_words: list[str] = []
            for word in chunk.split():
                if CODE_SHAPE_RE.fullmatch(word):
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

    def _read_special(self, special: Special) -> None:
        if special.kind == "main_image":
            if special.value and not self.case.main_image:
                self.case.main_image = special.value
        elif special.kind == "copyright":
            if not self.case.copyright:
                self.case.copyright = special.line
            elif special.line != self.case.copyright:
                self.leave([special.line], "a second, different copyright line")
        elif special.kind == "topic":
            topic = parse_topic(special.line, self.warn)
            if self.case.topic is None:
                self.case.topic = topic
            elif topic != self.case.topic:
                self.leave([special.line], "a second, different topic line")
