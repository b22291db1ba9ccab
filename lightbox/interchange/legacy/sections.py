"""The lines of a legacy page, grouped into sections under the headings the page puts there.

Django-free. :func:`split_sections` reads the lines :func:`~lightbox.interchange.legacy.text.
page_lines` gives and returns the page's sections in page order, with the lines that are
read wherever they are (topic, copyright, main image, navigation) set apart.

Which lines are headings
------------------------
A line that starts with a known heading (see ``HEADINGS``), followed by a colon, a dash or
the end of the line, is a *candidate*. Teaching-file prose is full of such lines ("Findings:
the scan demonstrated ...", "Dx: is usually clinical", a report's "IMPRESSION:" pasted into
the findings), so a candidate is a heading only where a page puts one. Its strength:

``MARKED``
    the HTML made it a heading: an ``<h1>``-``<h6>`` or ``<dt>`` element, or a ``<b>`` or
    ``<strong>`` label that begins a line.
``ALONE``
    it begins a block (the first line, a line after a blank line or an HTML block, after a
    navigation line or after another candidate line, as in a "Label: value" list) and is
    alone on its line.
``LABELLED``
    it begins a block and its text follows it on the line.
``INLINE``
    it is alone on its line inside a running paragraph (a page written with few blank
    lines).

A heading that is not alone on its line and does not begin a block, "Findings: the scan
..." inside a paragraph of the discussion, is prose. (A page without a single blank line
has no blocks: each of its lines begins one.)

Each section opens once per *half* of the page: the 1996 pages print an unknown half and a
known half, separated by a navigation line ("Full history/Diagnosis is available below"),
and bs068 prints its diagnosis in both. Within a half, of the candidates for one section
one is the heading, chosen by (in this order): marked by the HTML, then beginning a block,
then inside a paragraph; in its place, that is not a heading of the case's presentation
(history, images, radiopharmaceutical, findings) inside its teaching part (after a
discussion, references, follow-up, differential or codes heading); the section's own
name before a synonym that reports and prose use too ("Impression", "Dx", "Clinical
presentation"); alone on its line before followed by text; first on the page. Another is
a heading too when it is ``MARKED`` (the author's markup says so: a repeated section is
appended, with a warning) or when it begins a block and repeats the chosen one's text (the
same diagnosis printed twice is read once). Every other candidate stays where it is, as a
line of the prose around it.

Order decides nothing else: collections put the sections in many orders, and a page with
its sections shuffled still reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from lightbox.interchange.legacy.text import HEADING_MARK

__all__ = [
    "DIAGNOSIS_HEADINGS",
    "LISTS",
    "LOOSE",
    "PROSE",
    "SINGLE",
    "Section",
    "Special",
    "normalised",
    "split_sections",
]

# Section kinds, by how their content is read.
PROSE = frozenset({"diagnosis", "brief", "full", "history", "findings", "discussion", "followup"})
LISTS = frozenset({"images", "radiopharm", "references", "differential", "codes"})
SINGLE = frozenset({"authors", "number", "title", "date", "rating"})
LOOSE = "loose"  # text under no heading: before the first one, or after navigation lines

# Named in the warning about a page without a diagnosis; keep in step with HEADINGS.
DIAGNOSIS_HEADINGS = (
    "Diagnosis, Case Diagnosis, Final Diagnosis, Pathologic Diagnosis, Diagnosis(es), "
    "Diagnoses, Dx, Final Dx, Impression"
)

# (pattern, kind, secondary): a secondary heading is a synonym that reports and prose use
# too ("Impression", "Dx", "Clinical presentation"); beside the section's own heading on
# the same page, it is the prose's.
HEADINGS: list[tuple[str, str, bool]] = [
    (
        r"case\s+authors?(?:\s*\(s\))?|authors?(?:\s*\(s\))?|(?:contributed|submitted)\s+by",
        "authors",
        False,
    ),
    (r"case\s+(?:number|no\.?|\#|id)", "number", False),
    (r"(?:case\s+)?title", "title", False),
    (r"(?:case\s+)?date", "date", False),
    (r"rating", "rating", False),
    (
        r"(?:case\s+|final\s+|definitive\s+|(?:histo)?pathologic(?:al)?\s+|histologic(?:al)?\s+)?"
        r"diagnos[ie]s(?:\s*\(\s*es\s*\))?",
        "diagnosis",
        False,
    ),
    (r"(?:case\s+|final\s+)?dx\.?|impression", "diagnosis", True),
    (r"brief\s+(?:clinical\s+)?history", "brief", False),
    (r"full\s+(?:clinical\s+)?history", "full", False),
    (r"(?:clinical\s+|patient\s+)?history(?:\s+of\s+present\s+illness)?", "history", False),
    (r"clinical\s+(?:information|presentation)|presentation", "history", True),
    (r"images?(?:\s*\(s\))?|figures?|image\s+captions?", "images", False),
    (
        r"radiopharmaceuticals?(?:\s*\(s\))?(?:\s*(?:and|&|/)\s*(?:doses?|activit(?:y|ies)))?"
        r"|radiotracers?(?:\s*\(s\))?|tracers?|radionuclides?",
        "radiopharm",
        False,
    ),
    (r"(?:imaging\s+|scan\s+)?findings", "findings", False),
    (r"discussion", "discussion", False),
    (r"teaching\s+points?|comments?", "discussion", True),
    (r"references|reference\s+list", "references", False),
    (r"bibliography|suggested\s+readings?|further\s+reading", "references", True),
    (r"follow[\s-]?up", "followup", False),
    (r"outcome", "followup", True),
    (r"differential\s+diagnos[ie]s(?:\s+list)?|differential(?:\s+list)?", "differential", False),
    (r"ddx", "differential", True),
    (
        r"acr\s+codes?(?:\s*\(s\))?(?:\s*(?:and|&)\s*key\s*words)?|key\s*words",
        "codes",
        False,
    ),
    (r"index\s+terms", "codes", True),
]
_HEADING_KIND = {f"h{i}": (kind, secondary) for i, (_, kind, secondary) in enumerate(HEADINGS)}
# The sections that present the case, and those that teach it after the answer: a page's
# own "Findings" heading does not stand inside its discussion or references.
_PRESENTATION = frozenset({"brief", "full", "history", "images", "radiopharm", "findings"})
_TEACHING = frozenset({"discussion", "references", "followup", "differential", "codes"})
# Anchored, literal alternatives and a bounded tail: linear on any line. The heading ends
# the line, or is followed by a colon, by a dash and a space ("DIAGNOSIS - gout"), or, for
# an abbreviation's point, by a space ("Dx. gout").
_HEADING_RE = re.compile(
    r"^(?:" + "|".join(f"(?P<h{i}>{pattern})" for i, (pattern, *_) in enumerate(HEADINGS)) + r")"
    r"(?:[ ]*(?::|[-–—](?=[ ]|$))[ ]*(?P<rest>.*)|(?<=\.)[ ]+(?P<after_point>.+)|[ ]*)$",
    re.IGNORECASE,
)

# "References and General Discussion of Bone Scintigraphy (Anatomic field:..., Category:...)"
TOPIC_RE = re.compile(r"^references\s+and\s+general\s+discussion\s+of\s+", re.IGNORECASE)
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
class Section:
    kind: str
    label: str  # the heading as written, or the line the loose text follows ("" at the top)
    heading: bool = False
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Special:
    kind: str  # "topic", "copyright", "main_image" or "navigation"
    line: str
    value: str = ""


class Strength(IntEnum):
    """How surely a candidate line is a heading (see the module docstring)."""

    INLINE = 0
    LABELLED = 1
    ALONE = 2
    MARKED = 3


@dataclass(frozen=True)
class _Candidate:
    index: int  # of the line
    kind: str
    label: str  # the heading as written, without its colon or dash
    rest: str  # the text after it on the line
    strength: Strength
    half: int  # navigation lines passed before it
    secondary: bool  # a synonym prose uses too ("Impression", "Dx")
    after_teaching: bool  # the candidate before it in its half opens a teaching section


def normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def split_sections(raw_lines: Iterable[str]) -> tuple[list[Section], list[Special]]:
    """Group lines into paragraphs and paragraphs into sections, in page order.

    ``raw_lines`` are stripped lines; one starting with :data:`HEADING_MARK` was marked a
    heading by the HTML.
    """
    lines, marked = _unmarked(raw_lines)
    specials_at = {i: s for i, line in enumerate(lines) if line and (s := _match_special(line))}
    headings = _headings(_candidates(lines, marked, specials_at), lines)
    sections = [Section(LOOSE, "")]
    specials: list[Special] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            _add_paragraph(sections, "\n".join(paragraph))
            paragraph.clear()

    for index, line in enumerate(lines):
        if not line:
            flush()
        elif (special := specials_at.get(index)) is not None:
            flush()
            if special.kind == "navigation":
                sections.append(Section(LOOSE, line))
            else:
                specials.append(special)
        elif (heading := headings.get(index)) is not None:
            flush()
            sections.append(Section(heading.kind, heading.label, heading=True))
            if heading.rest:
                paragraph.append(heading.rest)
        else:
            paragraph.append(line)
    flush()
    return sections, specials


def _unmarked(raw_lines: Iterable[str]) -> tuple[list[str], list[bool]]:
    lines, marked = [], []
    for line in raw_lines:
        marked.append(line.startswith(HEADING_MARK))
        lines.append(line.replace(HEADING_MARK, "").strip() if HEADING_MARK in line else line)
    return lines, marked


def _candidates(
    lines: list[str], marked: list[bool], specials_at: dict[int, Special]
) -> list[_Candidate]:
    """Every line that could be a heading, with its strength; prose lines left out."""
    found: list[_Candidate] = []
    half = 0
    # A page written without a single blank line has no blocks to begin: there every line
    # is one (text pages saved from a form, one "Label: value" per line).
    text = [index for index, line in enumerate(lines) if line]
    dense = bool(text) and all(lines[text[0] : text[-1] + 1])
    block_start = True
    for index, line in enumerate(lines):
        block_start = block_start or dense
        if not line:
            block_start = True
            continue
        if (special := specials_at.get(index)) is not None:
            block_start = True
            half += special.kind == "navigation"
            continue
        match = _HEADING_RE.match(line)
        strength = _strength(match, marked[index], block_start)
        block_start = strength is not None  # after a heading line, the next line may be one
        if match is None or strength is None:
            continue
        rest = match["rest"] or match["after_point"] or ""
        kind, secondary = next(
            _HEADING_KIND[n] for n, v in match.groupdict().items() if v and n[1:].isdigit()
        )
        label = line[: match.start("rest")] if match["rest"] is not None else line
        if match["after_point"]:
            label = line[: match.start("after_point")]
        before = next((c for c in reversed(found) if c.kind != kind), None)
        after_teaching = before is not None and before.half == half and before.kind in _TEACHING
        found.append(
            _Candidate(
                index, kind, label.rstrip(" :-–—"), rest, strength, half, secondary, after_teaching
            )
        )
    return found


def _strength(match: re.Match[str] | None, marked: bool, block_start: bool) -> Strength | None:
    if match is None:
        return None
    alone = not (match["rest"] or match["after_point"])
    if marked:
        return Strength.MARKED
    if block_start:
        return Strength.ALONE if alone else Strength.LABELLED
    return Strength.INLINE if alone else None


def _headings(candidates: list[_Candidate], lines: list[str]) -> dict[int, _Candidate]:
    """The candidates that are headings, by line index (see the module docstring)."""
    blocks = {c.kind for c in candidates if c.strength >= Strength.LABELLED}

    def slot(kind: str) -> str:
        # A bare "History" fills the brief history, or the full one beside a brief one.
        if kind == "history":
            return "full" if "brief" in blocks and "full" not in blocks else "brief"
        return kind

    groups: dict[tuple[int, str], list[_Candidate]] = {}
    for candidate in candidates:
        groups.setdefault((candidate.half, slot(candidate.kind)), []).append(candidate)
    # The next non-blank line after each line, found in one pass from the end.
    following = [""] * len(lines)
    for index in range(len(lines) - 2, -1, -1):
        following[index] = lines[index + 1] or following[index + 1]

    def first_text(candidate: _Candidate) -> str:
        """A section's first line of text: after its heading, or the next line."""
        return normalised(candidate.rest or following[candidate.index])

    headings: dict[int, _Candidate] = {}
    for group in groups.values():
        winner = max(group, key=_rank)
        text = first_text(winner)
        for candidate in group:
            if (
                candidate is winner
                or candidate.strength == Strength.MARKED
                or (candidate.strength >= Strength.LABELLED and first_text(candidate) == text)
            ):
                headings[candidate.index] = candidate
    return headings


def _rank(candidate: _Candidate) -> tuple[int, bool, bool, bool, int]:
    """Which of several candidates for one section is its heading: the highest.

    Marked by the HTML first, then beginning a block, then inside a paragraph; among
    those, one in its place (not a presentation heading inside the teaching part), the
    section's own name before a synonym, alone on its line before followed by text, and
    the first on the page.
    """
    level = {Strength.MARKED: 2, Strength.ALONE: 1, Strength.LABELLED: 1}.get(
        candidate.strength, 0
    )
    in_place = not (candidate.kind in _PRESENTATION and candidate.after_teaching)
    alone = candidate.strength == Strength.ALONE
    return (level, in_place, not candidate.secondary, alone, -candidate.index)


def _match_special(line: str) -> Special | None:
    if TOPIC_RE.match(line):
        return Special("topic", line)
    if _COPYRIGHT_RE.match(line):
        return Special("copyright", line)
    if len(line) <= 200:
        image = _MAIN_IMAGE_RE.fullmatch(line)
        if image:
            token = (image[2] or "").strip() if image[1] else ""
            return Special("main_image", line, token)
        if _NAVIGATION_RE.fullmatch(line):
            return Special("navigation", line)
    return None


def _add_paragraph(sections: list[Section], paragraph: str) -> None:
    current = sections[-1]
    first_line = paragraph.partition("\n")[0]
    if (
        current.kind in LISTS | SINGLE
        and current.paragraphs
        and _UNKNOWN_HEADING_RE.fullmatch(first_line)
        and len(first_line.split()) <= 6
    ):
        # An unknown section inside a list: its text must not become list items.
        current = Section(LOOSE, first_line)
        sections.append(current)
    current.paragraphs.append(paragraph)
