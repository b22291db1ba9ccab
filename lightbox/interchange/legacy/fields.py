"""The fields of a legacy page: authors, dates, ratings, doses, references, lists, topic.

Django-free apart from :mod:`lightbox.cases.acr`. Each function reads the text of one
section (or one special line) and returns what it found; the builder in
:mod:`lightbox.interchange.legacy.parse` decides where it goes and what to warn about.

Lists split only outside brackets: "metastatic carcinoma (breast, kidney, lung)" is one
differential item, "Tc-99m MDP (20 mCi; 740 MBq)" one dose and "Ed Lee, M.D. (Nuclear
Medicine, Radiology)" one author (see :func:`split_outside_brackets`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from lightbox.cases.acr import category_for_name, field_for_name, is_any_category
from lightbox.interchange.legacy.sections import TOPIC_RE
from lightbox.interchange.legacy.types import (
    MAX_FIELD_CHARS,
    LegacyAuthor,
    LegacyRadiopharmaceutical,
    LegacyReference,
    LegacyTopic,
)

__all__ = [
    "ACTIVITY_STEP",
    "CODE_LABEL_RE",
    "CODE_SEPARATOR_RE",
    "CODE_SHAPE_RE",
    "LIST_MARK_RE",
    "MAX_ACTIVITY",
    "RATING_D_RE",
    "RATING_Q_RE",
    "find_date",
    "looks_like_author_line",
    "parse_doses",
    "parse_topic",
    "reference",
    "split_authors",
    "split_list",
    "split_off_rating",
    "separators_outside_brackets",
    "split_outside_brackets",
    "split_references",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --------------------------------------------------------------------------------------------
# Splitting outside brackets
# --------------------------------------------------------------------------------------------

_CLOSER = {"(": ")", "[": "]", "{": "}"}
_BRACKET_RE = re.compile(r"[()\[\]{}]")


def separators_outside_brackets(text: str, separator: re.Pattern[str]) -> list[re.Match[str]]:
    """The matches of ``separator`` in ``text`` that are not inside (), [] or {}.

    Only matched pairs protect what they enclose: an opening bracket that is never closed,
    or a closing one that was never opened, is taken for a typing slip and ignored, so one
    stray "(" does not glue the rest of a list into one item. Linear in ``len(text)``.
    """
    spans = _bracketed_spans(text)
    if not spans:
        return list(separator.finditer(text))
    kept: list[re.Match[str]] = []
    cursor = 0
    for match in separator.finditer(text):
        while cursor < len(spans) and spans[cursor][1] <= match.start():
            cursor += 1
        if cursor == len(spans) or match.start() < spans[cursor][0]:
            kept.append(match)
    return kept


def split_outside_brackets(text: str, separator: re.Pattern[str]) -> list[str]:
    """``separator.split(text)``, except where the separator is inside brackets."""
    if _BRACKET_RE.search(text) is None:
        return separator.split(text)
    pieces: list[str] = []
    start = 0
    for match in separators_outside_brackets(text, separator):
        pieces.append(text[start : match.start()])
        start = match.end()
    pieces.append(text[start:])
    return pieces


def _outside_brackets(text: str) -> str:
    """``text`` with what its matched brackets enclose (brackets included) blanked out."""
    for start, end in reversed(_bracketed_spans(text)):
        text = text[:start] + " " + text[end:]
    return text


def _bracketed_spans(text: str) -> list[tuple[int, int]]:
    """The outermost matched bracket pairs of ``text``, as sorted (start, end) spans."""
    stack: list[tuple[str, int]] = []  # (the closer it needs, where it opened)
    waiting = {closer: 0 for closer in _CLOSER.values()}  # closers the stack needs
    spans: list[tuple[int, int]] = []
    for match in _BRACKET_RE.finditer(text):
        char = match[0]
        if char in _CLOSER:
            stack.append((_CLOSER[char], match.start()))
            waiting[_CLOSER[char]] += 1
            continue
        if not waiting[char]:
            continue  # closes nothing that is open
        while stack[-1][0] != char:  # inner brackets never closed
            waiting[stack.pop()[0]] -= 1
        _, start = stack.pop()
        waiting[char] -= 1
        while spans and spans[-1][0] > start:  # pairs inside this one
            spans.pop()
        spans.append((start, match.end()))
    return spans


# --------------------------------------------------------------------------------------------
# Authors, dates and ratings
# --------------------------------------------------------------------------------------------

_RATING_LABEL_RE = re.compile(r"\brating\s*:?", re.IGNORECASE)
# Only ever searched in the text after "Rating:" (or in "#D3" tokens), so a bare "D3" is safe.
RATING_D_RE = re.compile(r"(?:#[ ]?D|\bD|\bdifficulty\s*:?)[ ]?(\d{1,3})\b", re.IGNORECASE)
RATING_Q_RE = re.compile(r"(?:#[ ]?Q|\bQ|\bquality\s*:?)[ ]?(\d{1,3})\b", re.IGNORECASE)
_RATING_TOKEN_RE = re.compile(r"#[ ]?[DQ][ ]?\d{1,3}\b", re.IGNORECASE)


def looks_like_author_line(paragraph: str) -> bool:
    """An author/rating line without its "Case Author(s):" heading.

    It needs a rating, or a date and a name with a degree: "Paget disease, MS" alone is a
    title with an unlucky abbreviation, not an author.
    """
    if "\n" in paragraph or len(paragraph) > MAX_FIELD_CHARS:
        return False
    if _RATING_LABEL_RE.search(paragraph) or _RATING_TOKEN_RE.search(paragraph):
        return True
    found, span = find_date(paragraph)
    if found is None:
        return False
    authors, _ = split_authors(paragraph[: span[0]] + " " + paragraph[span[1] :])
    return any(author.credentials for author in authors)


def split_off_rating(line: str) -> tuple[str, str | None]:
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


def find_date(text: str) -> tuple[date | str | None, tuple[int, int]]:
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


def split_authors(text: str) -> tuple[list[LegacyAuthor], str]:
    """Authors from "Ed Grishaw, M.D. and Henry Royal, M.D.".

    Commas, ";", "&" and "and" all split chunks; a chunk made only of degrees belongs to
    the author before it, which is why the comma before "M.D." is no author separator.
    Returns the authors and any credentials that came before the first name.
    """
    authors: list[LegacyAuthor] = []
    stray: list[str] = []
    for chunk in split_outside_brackets(text, _AUTHOR_SEPARATOR_RE):
        tokens = [token for token in chunk.split() if any(c.isalnum() for c in token)]
        if not any(c.isalnum() for c in chunk) or _credential_key(chunk) == "ET AL":
            continue
        if not any(c.isalpha() for c in chunk):
            stray.append(chunk.strip())  # a number where a name should be
            continue
        # "M.D. (Radiology, Nuclear Medicine)": a note in brackets goes with the degrees.
        outside = [t for t in _outside_brackets(chunk).split() if any(c.isalnum() for c in t)]
        if outside and all(_is_credential(t) for t in outside):
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
MAX_ACTIVITY = Decimal(100_000)
ACTIVITY_STEP = Decimal("0.001")
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


def parse_doses(paragraphs: list[str]) -> tuple[list[LegacyRadiopharmaceutical], list[str]]:
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
                is_dose = len(piece) <= MAX_FIELD_CHARS and _is_dose_like(piece)
                if chunks and chunks[-1][1] and not is_dose:
                    chunks[-1] = (f"{chunks[-1][0]} {piece}", True)
                else:
                    chunks.append((piece, is_dose))
    doses: list[LegacyRadiopharmaceutical] = []
    left: list[str] = []
    for chunk, is_dose in chunks:
        if is_dose and len(chunk) <= MAX_FIELD_CHARS:
            doses.append(_parse_dose(chunk))
        else:
            left.append(chunk)
    return doses, left


def _split_dose_line(line: str) -> list[str]:
    if len(line) > MAX_FIELD_CHARS:
        return [line]
    spans: list[tuple[int, int]] = []
    start = 0
    for separator in separators_outside_brackets(line, _DOSE_SEPARATOR_RE):
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


def split_references(paragraphs: list[str]) -> list[str]:
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
    if first is None or len(line) > MAX_FIELD_CHARS * 10:
        return [line]
    template = "[{}]" if first[2] else "({})" if first[1] else "{})"
    pieces: list[str] = []
    start, number = 0, 2
    while (found := line.find(" " + template.format(number) + " ", start)) != -1:
        pieces.append(line[start:found].strip())
        start, number = found + 1, number + 1
    pieces.append(line[start:].strip())
    return pieces


def reference(text: str) -> LegacyReference:
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


LIST_MARK_RE = re.compile(r"^(?:[-*•·][ ]+|\(?\d{1,3}[.)](?!\d)[ ]*|\[\d{1,3}\][ ]*|[a-z]\)[ ]+)")
_LIST_CONJUNCTION_RE = re.compile(r"^(?:and|or)[ ]+", re.IGNORECASE)
# A differential with semicolons keeps the commas inside its items ("gout; CPPD, chronic").
_SEMICOLON_RE = re.compile(";")
_COMMA_RE = re.compile(",")
# "ACR codes: 4.5. Keywords: gout" on one line: the inner label separates, it is no keyword.
CODE_LABEL_RE = re.compile(r"\b(?:acr[ ]+codes?|key[ ]?words?)[ ]*:", re.IGNORECASE)
CODE_SEPARATOR_RE = re.compile(r"[,;\n]")
CODE_SHAPE_RE = re.compile(r"\d[\d.]{0,20}")


def split_list(paragraph: str) -> list[str]:
    """Items of a differential written as a comma/";" list, one per line, or numbered."""
    lines = paragraph.split("\n")
    if len(lines) == 1 or any(line.endswith((",", ";")) for line in lines[:-1]):
        # One logical line: a list written across a line break still splits on punctuation.
        joined = " ".join(LIST_MARK_RE.sub("", line, count=1) for line in lines)
        items = split_outside_brackets(joined, _SEMICOLON_RE)
        if len(items) == 1:
            items = split_outside_brackets(joined, _COMMA_RE)
    else:
        items = lines
    cleaned = []
    for item in items:
        item = LIST_MARK_RE.sub("", item.strip(), count=1).strip()
        item = _LIST_CONJUNCTION_RE.sub("", item).rstrip(" .")
        if item:
            cleaned.append(item)
    return cleaned


_TOPIC_FIELDS_RE = re.compile(r"\(\s*(?:anatomic\s+)?field\s*:", re.IGNORECASE)
_TOPIC_CATEGORY_RE = re.compile(r"\bcategory\s*:", re.IGNORECASE)


def parse_topic(line: str, warn: Callable[[str], None]) -> LegacyTopic:
    rest = TOPIC_RE.sub("", line, count=1).strip()
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
    if category_name and category_digit is None and not is_any_category(category_name):
        # "Category: General" is a topic for the whole field: blank, and rightly so.
        warn(f"category {category_name!r} is not in the ACR index; left blank")
    return LegacyTopic(title, field_digit, category_digit, field_name, category_name)
