"""Tests for the legacy teaching-file page parser (pure unit tests, no database).

The real 1996 page bs068 is read from the shared data folder next to the repository, never
copied into it; variant pages are derived from it at runtime or written here from scratch.
"""

from __future__ import annotations

import dataclasses
import doctest
import html
import os
import re
import textwrap
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lightbox.interchange.legacy import (
    MAX_BYTES,
    LegacyAuthor,
    LegacyCase,
    LegacyParseError,
    LegacyTopic,
    parse_legacy,
)
from lightbox.interchange.legacy import parse as legacy

REPO = Path(__file__).resolve().parents[3]
BS068 = REPO.parent / "shared" / "data" / "legacy" / "bs068.txt"

# The headings of bs068, in page order; used to cut the page into sections for variants.
BS068_HEADINGS = re.compile(
    r"^(?=Diagnosis:|Brief history:|Images:|Full history:|Radiopharmaceutical:|Findings:"
    r"|Discussion:|References:|Followup:|Differential Diagnosis List|ACR Codes and Keywords:)",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def bs068() -> str:
    if not BS068.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{BS068} is missing")
        pytest.skip(f"{BS068} is not available")
    return BS068.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bs068_case(bs068: str) -> LegacyCase:
    return parse_legacy(bs068)


def text_page(*paragraphs: str) -> str:
    """A small page written for a test: paragraphs separated by blank lines."""
    return "\n\n".join(paragraphs) + "\n"


def between(text: str, start: str, end: str) -> str:
    """The page text between two headings, as the parser should return it."""
    return text.split(start, 1)[1].split(end, 1)[0].strip()


def bs068_sections(text: str) -> tuple[str, list[str]]:
    """(the author line, the sections) of bs068, each section with its heading."""
    head, *sections = BS068_HEADINGS.split(text)
    return head.strip(), [section.strip() for section in sections]


# --------------------------------------------------------------------------------------------
# The real page
# --------------------------------------------------------------------------------------------


def test_it_reads_every_field_of_bs068(bs068: str, bs068_case: LegacyCase) -> None:
    case = bs068_case
    assert case.number == "bs068"
    assert case.title == ""
    assert case.authors == [
        LegacyAuthor("Ed Grishaw", "M.D."),
        LegacyAuthor("Henry Royal", "M.D."),
    ]
    assert case.case_date == date(1996, 10, 23)
    assert (case.difficulty, case.quality) == (3, 4)
    assert case.diagnosis == "Soft tissue calcinosis secondary to lupus erythematosus."
    assert case.brief_history == "44-year old woman with systemic lupus erythematosus"
    assert case.full_history == (
        "44-year old woman with systemic lupus erythematosus and calcinosis cutis universalis."
    )
    assert case.images == ["Anterior and posterior whole body scintigrams"]
    assert case.main_image == "bs"

    [dose] = case.radiopharmaceuticals
    assert (dose.agent, dose.activity, dose.unit, dose.route) == (
        "Tc-99m MDP",
        Decimal("21.6"),
        "mCi",
        "i.v.",
    )
    assert dose.time_to_imaging == ""
    assert dose.text == "21.6 mCi Tc-99m MDP i.v."

    assert case.findings == between(bs068, "Findings:", "Discussion:")
    assert len(case.findings.split("\n\n")) == 2
    assert case.findings.startswith("Anterior and posterior whole body scintigrams demonstrate")
    assert case.findings.endswith("glomerulonephritits")
    assert case.discussion == between(bs068, "Discussion:", "References:")
    assert len(case.discussion.split("\n\n")) == 3
    assert case.discussion.startswith("Calcinosis cutis in systemic lupus erythematosus")
    assert case.discussion.endswith("remains to be proven.")

    assert [r.text.split(",")[0] for r in case.references] == ["Cuzins", "Rothe", "Weinberger"]
    assert case.references[0].text.endswith("(In press).")
    assert case.references[1].text.endswith("1060-1063, 1990.")
    assert all(r.pmid == r.doi == "" for r in case.references)

    assert case.followup == (
        "To control the dystrophic calcification, the patient will be placed on probenecid."
    )
    assert case.differential == [
        "Dermatomyositis",
        "polymyositis",
        "electrical burns",
        "idiopathic calcinosis universalis",
        "scleroderma",
        "mixed connective tissue disease",
    ]
    assert case.acr_codes == []
    assert case.keywords == []
    assert case.topic == LegacyTopic(
        title="Bone Scintigraphy",
        field="4",
        category="5",
        field_name="Skeletal System",
        category_name="Metabolic, endocrine, toxic",
    )
    assert case.copyright == "Copyright by Wash U MO"
    assert case.unparsed == ""
    assert case.warnings == []


def test_it_reads_bytes_and_str_alike(bs068: str, bs068_case: LegacyCase) -> None:
    assert parse_legacy(bs068.encode("utf-8")) == bs068_case
    assert parse_legacy(bs068.encode("cp1252")) == bs068_case


def test_it_does_not_duplicate_the_diagnosis_printed_twice(bs068_case: LegacyCase) -> None:
    assert bs068_case.diagnosis.count("Soft tissue calcinosis") == 1
    assert "Soft tissue calcinosis" not in bs068_case.unparsed


def to_1996_html(text: str) -> str:
    """bs068 as the HTML a 1996 CGI script might have printed it from."""
    body = []
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip()
        escaped = html.escape(paragraph)
        heading_only = re.fullmatch(r"[A-Z][A-Za-z ()]{0,30}:", paragraph)
        heading_and_text = re.fullmatch(r"([A-Z][A-Za-z ()]{0,30}):\s(.*)", paragraph, re.DOTALL)
        if not paragraph:
            continue
        if paragraph == "Search for similar cases.":
            body.append(f'<P><A HREF="/cgi-bin/search?case=bs068">{escaped}</A>')
        elif paragraph.startswith("Copyright"):
            body.append(f"<HR><FONT SIZE=-1>{escaped}</FONT><BR>")
        elif heading_only or paragraph == "Differential Diagnosis List":
            body.append(f"<H3>{escaped}</H3>")
        elif heading_and_text:
            label, rest = heading_and_text.groups()
            wrapped = textwrap.fill(html.escape(rest), 70)  # source lines wrap; HTML does not
            body.append(f"<P><B>{html.escape(label)}:</B> {wrapped}</P>")
        else:
            body.append(f"<P>\n{textwrap.fill(escaped, 70)}\n</P>")
    return (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<HTML><HEAD>\n'
        "<TITLE>Teaching file case bs068</TITLE>\n"
        "<STYLE>H3 { color: navy }</STYLE>\n</HEAD>\n"
        '<BODY BGCOLOR="#FFFFFF">\n<!-- generated by tfcase.cgi -->\n'
        + "\n".join(body)
        + "\n</BODY></HTML>\n"
    )


def test_it_reads_bs068_rendered_as_html_the_same_as_the_text(
    bs068: str, bs068_case: LegacyCase
) -> None:
    markup = to_1996_html(bs068)
    assert "<H3>Findings:</H3>" in markup and "<A HREF=" in markup
    assert parse_legacy(markup) == bs068_case
    assert parse_legacy(markup.encode("cp1252")) == bs068_case


# --------------------------------------------------------------------------------------------
# Variants of the real page
# --------------------------------------------------------------------------------------------

LAYOUT_VARIANTS: dict[str, Callable[[str], str]] = {
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "cr": lambda text: text.replace("\n", "\r"),
    "bom": lambda text: "\ufeff" + text,
    "tabs and trailing spaces": lambda text: text.replace("\n", " \t\n").replace(": ", ":\t"),
    "extra blank lines": lambda text: text.replace("\n\n", "\n\n\n\n"),
    "leading and trailing whitespace": lambda text: "\n\n   \n" + text + "\n\n  \n\n",
    "indented lines": lambda text: text.replace("\n", "\n   "),
    "upper-case headings": lambda text: re.sub(
        r"^(Diagnosis|Brief history|Full history|Findings|Discussion|Followup):",
        lambda m: m[0].upper(),
        text,
        flags=re.MULTILINE,
    ),
    "headings without colon": lambda text: re.sub(
        r"^(Brief history|Images|Full history|Radiopharmaceutical|Findings|Discussion|Followup):$",
        r"\1",
        text,
        flags=re.MULTILINE,
    ),
    "text on the heading line": lambda text: re.sub(
        r"^(Brief history|Full history|Radiopharmaceutical|Findings|Discussion|Followup):\n\n",
        r"\1: ",
        text,
        flags=re.MULTILINE,
    ),
}


@pytest.mark.parametrize("variant", LAYOUT_VARIANTS)
def test_it_reads_bs068_whatever_the_layout(
    variant: str, bs068: str, bs068_case: LegacyCase
) -> None:
    changed = LAYOUT_VARIANTS[variant](bs068)
    assert changed != bs068
    assert parse_legacy(changed) == bs068_case
    assert parse_legacy(changed.encode("utf-8")) == bs068_case


def test_it_reads_sections_in_any_order(bs068: str, bs068_case: LegacyCase) -> None:
    author_line, sections = bs068_sections(bs068)
    assert len(sections) == 12  # the diagnosis is printed twice
    reordered = text_page(author_line, *reversed(sections))
    assert parse_legacy(reordered) == bs068_case


def test_it_reads_a_page_without_the_author_and_rating_line(
    bs068: str, bs068_case: LegacyCase
) -> None:
    _, sections = bs068_sections(bs068)
    case = parse_legacy(text_page(*sections))
    assert case.authors == []
    assert case.case_date is None
    assert case.difficulty is None and case.quality is None
    assert case.unparsed == "" and case.warnings == []
    assert case.diagnosis == bs068_case.diagnosis
    assert case.references == bs068_case.references


def test_it_reads_a_page_with_sections_missing(bs068: str, bs068_case: LegacyCase) -> None:
    author_line, sections = bs068_sections(bs068)
    kept = [s for s in sections if not s.startswith(("Images:", "References:", "Findings:"))]
    case = parse_legacy(text_page(author_line, *kept))
    assert case.images == [] and case.references == [] and case.findings == ""
    assert case.main_image == ""  # its "View main image" line went with the images section
    assert case.discussion == bs068_case.discussion
    assert case.unparsed == "" and case.warnings == []


def test_it_reads_the_author_line_without_its_heading(bs068: str) -> None:
    case = parse_legacy(bs068.replace("Case Author(s): ", "", 1))
    assert [a.name for a in case.authors] == ["Ed Grishaw", "Henry Royal"]
    assert case.case_date == date(1996, 10, 23)
    assert case.unparsed == ""


# --------------------------------------------------------------------------------------------
# Headings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Diagnosis", "diagnosis"),
        ("Final diagnosis", "diagnosis"),
        ("Impression", "diagnosis"),
        ("DIAGNOSIS", "diagnosis"),
        ("Brief history", "brief_history"),
        ("History", "brief_history"),
        ("Clinical history", "brief_history"),
        ("Full history", "full_history"),
        ("Findings", "findings"),
        ("Imaging findings", "findings"),
        ("discussion", "discussion"),
        ("Teaching points", "discussion"),
        ("Followup", "followup"),
        ("Follow-up", "followup"),
        ("Follow up", "followup"),
        ("Title", "title"),
    ],
)
def test_it_knows_heading_synonyms_for_prose(heading: str, field: str) -> None:
    for layout in (f"{heading}: Some text here.", f"{heading}:\n\nSome text here."):
        case = parse_legacy(text_page(layout))
        assert getattr(case, field) == "Some text here.", layout
        assert case.unparsed == ""


@pytest.mark.parametrize(
    "heading",
    ["Differential Diagnosis List", "Differential diagnosis", "DDx", "Differential diagnoses"],
)
def test_it_knows_heading_synonyms_for_the_differential(heading: str) -> None:
    assert parse_legacy(text_page(heading, "Gout, pseudogout")).differential == [
        "Gout",
        "pseudogout",
    ]
    assert parse_legacy(text_page(f"{heading}: Gout")).differential == ["Gout"]


@pytest.mark.parametrize(
    "heading", ["Radiopharmaceutical", "Radiopharmaceuticals", "Radiopharmaceutical(s)"]
)
def test_it_knows_heading_synonyms_for_radiopharmaceuticals(heading: str) -> None:
    case = parse_legacy(text_page(f"{heading}:", "20 mCi Tc-99m MDP IV"))
    assert [d.agent for d in case.radiopharmaceuticals] == ["Tc-99m MDP"]


@pytest.mark.parametrize(
    "heading", ["ACR Codes and Keywords", "ACR code(s)", "ACR codes", "Keywords", "Key words"]
)
def test_it_knows_heading_synonyms_for_codes_and_keywords(heading: str) -> None:
    case = parse_legacy(text_page(f"{heading}: 4.5, calcinosis"))
    assert (case.acr_codes, case.keywords) == (["4.5"], ["calcinosis"])


def test_a_bare_history_is_the_full_history_when_the_page_has_a_brief_one() -> None:
    case = parse_legacy(text_page("Brief history: Hip pain.", "History: Hip pain for two years."))
    assert case.brief_history == "Hip pain."
    assert case.full_history == "Hip pain for two years."


def test_it_keeps_a_repeated_section_with_different_text_and_warns() -> None:
    # Marked as headings by the HTML, both are sections; in plain text the second would be
    # a line of the findings (see test_legacy_headings.py).
    case = parse_legacy(
        "<p><b>Diagnosis:</b> Gout.</p><p><b>Findings:</b> Uptake.</p>"
        "<p><b>Diagnosis:</b> Tophaceous gout.</p>"
    )
    assert case.diagnosis == "Gout.\n\nTophaceous gout."
    assert any("Diagnosis" in w and "different text" in w for w in case.warnings)


def test_it_keeps_paragraph_breaks_and_strips_trailing_spaces() -> None:
    case = parse_legacy("Findings:   \n\nFirst line  \nsecond line\n\n\n\nNext paragraph.  \n")
    assert case.findings == "First line\nsecond line\n\nNext paragraph."


def test_a_word_that_starts_a_line_is_no_heading_without_colon_or_line_end() -> None:
    case = parse_legacy(text_page("Discussion:", "History of trauma is common.", "Findings vary."))
    assert case.discussion == "History of trauma is common.\n\nFindings vary."
    assert case.brief_history == "" and case.findings == ""


# --------------------------------------------------------------------------------------------
# Unplaced text
# --------------------------------------------------------------------------------------------


def test_it_keeps_text_before_the_first_heading_in_unparsed() -> None:
    case = parse_legacy(text_page("A stray title line", "Diagnosis: Gout."))
    assert case.diagnosis == "Gout."
    assert case.unparsed == "A stray title line"
    assert any("before the first section heading" in w for w in case.warnings)


def test_it_keeps_text_after_the_navigation_lines_in_unparsed() -> None:
    case = parse_legacy(
        text_page("Diagnosis: Gout.", "Search for similar cases.", "Page last built by hand.")
    )
    assert case.diagnosis == "Gout."
    assert case.unparsed == "Page last built by hand."
    assert len(case.warnings) == 1 and "Search for similar cases." in case.warnings[0]


def test_it_drops_navigation_lines_without_a_trace() -> None:
    navigation = [
        "Full history/Diagnosis is available below",
        "View main image(xr) in a separate image viewer",
        "Search for similar cases.",
        "Edit this case",
        "Add comments about this case",
        "Return to the Teaching File home page.",
    ]
    case = parse_legacy(text_page("Diagnosis: Gout.", *navigation))
    assert case.unparsed == "" and case.warnings == []
    assert case.main_image == "xr"


def test_an_unknown_section_after_a_list_goes_to_unparsed() -> None:
    case = parse_legacy(text_page("DDx: Gout, pseudogout", "Technique:", "Pinhole views."))
    assert case.differential == ["Gout", "pseudogout"]
    assert case.unparsed == "Technique:\n\nPinhole views."
    assert case.warnings


def test_extra_text_under_a_one_line_field_goes_to_unparsed() -> None:
    case = parse_legacy(text_page("Case number: BS101", "Scanned from the paper copy."))
    assert case.number == "bs101"
    assert case.unparsed == "Scanned from the paper copy."
    assert case.warnings


# --------------------------------------------------------------------------------------------
# Authors, dates, ratings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Ed Grishaw, M.D. and Henry Royal, M.D.",
            [("Ed Grishaw", "M.D."), ("Henry Royal", "M.D.")],
        ),
        ("Ann Lee MD & Bo Chan DO", [("Ann Lee", "MD"), ("Bo Chan", "DO")]),
        (
            "Ann Lee, M.D., Ph.D., Bo Chan, FRCR",
            [("Ann Lee", "M.D., Ph.D."), ("Bo Chan", "FRCR")],
        ),
        (
            "Ann Lee, RT(N), CNMT and Bo Chan, D.O.",
            [("Ann Lee", "RT(N), CNMT"), ("Bo Chan", "D.O.")],
        ),
        ("Ann Lee, Bo Chan and Cy Dunn", [("Ann Lee", ""), ("Bo Chan", ""), ("Cy Dunn", "")]),
        ("Yi Ma, M.D.", [("Yi Ma", "M.D.")]),
        ("John Smith, Jr., M.D.", [("John Smith, Jr.", "M.D.")]),
        ("Alexandra Andrews, MD", [("Alexandra Andrews", "MD")]),
    ],
)
def test_it_splits_authors_with_credentials(line: str, expected: list[tuple[str, str]]) -> None:
    case = parse_legacy(text_page(f"Case Author(s): {line}", "Diagnosis: Gout."))
    assert [(a.name, a.credentials) for a in case.authors] == expected
    assert case.unparsed == ""


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("10/23/96", date(1996, 10, 23)),
        ("10/23/1996", date(1996, 10, 23)),
        ("1996-10-23", date(1996, 10, 23)),
        ("23 Oct 1996", date(1996, 10, 23)),
        ("October 23, 1996", date(1996, 10, 23)),
        ("3/4/05", date(2005, 3, 4)),
        ("1/2/29", date(2029, 1, 2)),
        ("1/2/30", date(1930, 1, 2)),
    ],
)
def test_it_reads_the_case_date(written: str, expected: date) -> None:
    case = parse_legacy(text_page(f"Case Author(s): Ann Lee, M.D. , {written} . Rating: #D1, #Q2"))
    assert case.case_date == expected
    assert case.authors == [LegacyAuthor("Ann Lee", "M.D.")]
    assert (case.difficulty, case.quality) == (1, 2)
    assert case.warnings == []


def test_it_reads_a_date_heading() -> None:
    assert parse_legacy(text_page("Date: 5/6/97", "Diagnosis: Gout.")).case_date == date(
        1997, 5, 6
    )


def test_an_impossible_date_is_left_out_with_a_warning() -> None:
    case = parse_legacy(text_page("Case Author(s): Ann Lee, M.D. , 2/30/96"))
    assert case.case_date is None
    assert case.authors == [LegacyAuthor("Ann Lee", "M.D.")]
    assert any("2/30/96" in w for w in case.warnings)


def test_a_rating_out_of_range_is_left_out_with_a_warning() -> None:
    case = parse_legacy(text_page("Case Author(s): Ann Lee, M.D. . Rating: #D7, #Q4"))
    assert (case.difficulty, case.quality) == (None, 4)
    assert any("D7" in w for w in case.warnings)


def test_it_reads_a_rating_without_hashes_and_a_date_after_it() -> None:
    case = parse_legacy(text_page("Case Author(s): Ann Lee, M.D. . Rating: D2 Q3, 10/23/96"))
    assert case.authors == [LegacyAuthor("Ann Lee", "M.D.")]
    assert (case.difficulty, case.quality, case.case_date) == (2, 3, date(1996, 10, 23))


def test_a_title_with_a_degree_like_word_is_not_taken_for_authors() -> None:
    case = parse_legacy(text_page("Paget disease, MS", "Diagnosis: Paget disease."))
    assert case.authors == []
    assert case.unparsed == "Paget disease, MS"


def test_it_reads_a_wrapped_author_line_and_a_rating_on_its_own_line() -> None:
    case = parse_legacy(
        "Case Author(s): Ann Lee, M.D. and\nBo Chan, DO , 1/2/97 .\nRating: #D2, #Q5\n"
        "Diagnosis\nGout\n"
    )
    assert case.authors == [LegacyAuthor("Ann Lee", "M.D."), LegacyAuthor("Bo Chan", "DO")]
    assert (case.case_date, case.difficulty, case.quality) == (date(1997, 1, 2), 2, 5)
    assert case.diagnosis == "Gout"


def test_it_reads_a_rating_heading() -> None:
    case = parse_legacy(text_page("Rating: #D2, #Q5", "Diagnosis: Gout."))
    assert (case.difficulty, case.quality) == (2, 5)


# --------------------------------------------------------------------------------------------
# Radiopharmaceuticals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "agent", "activity", "unit", "route", "time_to_imaging"),
    [
        ("21.6 mCi Tc-99m MDP i.v.", "Tc-99m MDP", "21.6", "mCi", "i.v.", ""),
        ("740 MBq Tc-99m MDP IV", "Tc-99m MDP", "740", "MBq", "IV", ""),
        ("Tc-99m MDP, 20 mCi, IV", "Tc-99m MDP", "20", "mCi", "IV", ""),
        (
            "10 mCi F-18 FDG intravenous, imaged at 60 min",
            "F-18 FDG",
            "10",
            "mCi",
            "intravenous",
            "60 minutes",
        ),
        ("5 mCi I-131 sodium iodide orally", "I-131 sodium iodide", "5", "mCi", "orally", ""),
        (
            "6 MCI In-111 pentetreotide i.v., imaged 24 hours after injection",
            "In-111 pentetreotide",
            "6",
            "mCi",
            "i.v.",
            "24 hours",
        ),
        ("3 millicuries Tl-201 chloride IV", "Tl-201 chloride", "3", "mCi", "IV", ""),
        ("Ga-67 citrate 5 mci iv at 48 h", "Ga-67 citrate", "5", "mCi", "iv", "48 hours"),
        ("25 mCi Tc-99m sestamibi i.v.", "Tc-99m sestamibi", "25", "mCi", "i.v.", ""),
        ("99mTc-MDP 800 mbq i.v.", "99mTc-MDP", "800", "MBq", "i.v.", ""),
        ("Xe-133 gas 10 mCi inhaled", "Xe-133 gas", "10", "mCi", "inhaled", ""),
        ("0.5 mCi In-111 DTPA intrathecal", "In-111 DTPA", "0.5", "mCi", "intrathecal", ""),
        (
            "1 mCi Tc-99m sulfur colloid subcutaneous",
            "Tc-99m sulfur colloid",
            "1",
            "mCi",
            "subcutaneous",
            "",
        ),
        (
            "0.5 mCi Tc-99m sulfur colloid intradermal",
            "Tc-99m sulfur colloid",
            "0.5",
            "mCi",
            "intradermal",
            "",
        ),
        ("200 uCi I-123 sodium iodide p.o.", "I-123 sodium iodide", "0.2", "mCi", "p.o.", ""),
        ("500 µCi I-131 oral", "I-131", "0.5", "mCi", "oral", ""),
        ("1.1 GBq Tc-99m MDP IV", "Tc-99m MDP", "1100", "MBq", "IV", ""),
        ("Tc-99m MAA", "Tc-99m MAA", None, "", "", ""),
    ],
)
def test_it_reads_a_radiopharmaceutical_dose(
    line: str,
    agent: str,
    activity: str | None,
    unit: str,
    route: str,
    time_to_imaging: str,
) -> None:
    case = parse_legacy(text_page("Radiopharmaceutical:", line))
    [dose] = case.radiopharmaceuticals
    assert dose.agent == agent
    assert dose.activity == (Decimal(activity) if activity else None)
    assert (dose.unit, dose.route, dose.time_to_imaging) == (unit, route, time_to_imaging)
    assert dose.text == line
    assert case.unparsed == "" and case.warnings == []


@pytest.mark.parametrize(
    "text",
    [
        "10 mCi Tc-99m MDP i.v. and 5 mCi Ga-67 citrate i.v.",
        "10 mCi Tc-99m MDP i.v.; 5 mCi Ga-67 citrate i.v.",
        "10 mCi Tc-99m MDP i.v.\n5 mCi Ga-67 citrate i.v.",
        "10 mCi Tc-99m MDP i.v.\n\n5 mCi Ga-67 citrate i.v.",
    ],
)
def test_it_reads_several_radiopharmaceuticals(text: str) -> None:
    doses = parse_legacy(text_page("Radiopharmaceuticals:", text)).radiopharmaceuticals
    assert [(d.agent, d.activity) for d in doses] == [
        ("Tc-99m MDP", Decimal(10)),
        ("Ga-67 citrate", Decimal(5)),
    ]
    assert doses[1].text == "5 mCi Ga-67 citrate i.v."


def test_it_rounds_an_activity_to_three_decimals_and_blanks_an_absurd_one() -> None:
    case = parse_legacy(text_page("Radiopharmaceuticals:", "1.5 uCi I-125 IV", "9999 GBq Tc-99m"))
    small, absurd = case.radiopharmaceuticals
    assert (small.activity, small.unit) == (Decimal("0.002"), "mCi")
    assert (absurd.activity, absurd.unit, absurd.agent) == (None, "", "Tc-99m")
    assert len(case.warnings) == 2


def test_a_line_about_timing_belongs_to_the_dose_before_it() -> None:
    case = parse_legacy(text_page("Radiopharmaceutical:", "4 mCi Tl-201 IV\nimaged at 4 h"))
    [dose] = case.radiopharmaceuticals
    assert (dose.agent, dose.time_to_imaging) == ("Tl-201", "4 hours")


def test_and_inside_one_agent_does_not_split_it() -> None:
    case = parse_legacy(text_page("Radiopharmaceutical: 20 mCi Tc-99m RBC (in vivo and in vitro)"))
    assert [d.agent for d in case.radiopharmaceuticals] == ["Tc-99m RBC"]


def test_a_radiopharmaceutical_section_saying_none_is_empty() -> None:
    case = parse_legacy(text_page("Radiopharmaceutical: None", "Diagnosis: Gout."))
    assert case.radiopharmaceuticals == [] and case.unparsed == ""


def test_text_that_is_no_dose_goes_to_unparsed() -> None:
    case = parse_legacy(text_page("Radiopharmaceutical:", "Given by the evening technologist"))
    assert case.radiopharmaceuticals == []
    assert case.unparsed == "Given by the evening technologist"
    assert case.warnings


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------

REFERENCE_FORMS = {
    "1)": "References: 1) Alpha A. Bone. JNM 1990.\n\n2) Beta B. Joint. Radiology 1991.",
    "1.": "References:\n\n1. Alpha A. Bone. JNM 1990.\n2. Beta B. Joint. Radiology 1991.",
    "[1]": "References\n[1] Alpha A. Bone. JNM 1990.\n[2] Beta B. Joint. Radiology 1991.",
    "paragraphs": "References:\n\nAlpha A. Bone. JNM 1990.\n\nBeta B. Joint. Radiology 1991.",
    "same line": "References: 1) Alpha A. Bone. JNM 1990. 2) Beta B. Joint. Radiology 1991.",
}


@pytest.mark.parametrize("form", REFERENCE_FORMS)
def test_it_splits_references_in_any_numbering(form: str) -> None:
    case = parse_legacy(text_page("Diagnosis: Gout.", REFERENCE_FORMS[form], "Followup: None."))
    assert [r.text for r in case.references] == [
        "Alpha A. Bone. JNM 1990.",
        "Beta B. Joint. Radiology 1991.",
    ]
    assert case.followup == "None."


def test_it_joins_a_reference_wrapped_over_two_lines() -> None:
    case = parse_legacy(text_page("References:", "1) Alpha A. A long title\nthat wraps. 1990."))
    assert [r.text for r in case.references] == ["Alpha A. A long title that wraps. 1990."]


def test_it_extracts_pmid_and_doi() -> None:
    case = parse_legacy(
        text_page(
            "References:",
            "1) Alpha A. Bone. J Nucl Med 1990;31:1-5. PMID: 2313122 doi:10.1000/jnm.31.1.",
            "2) Beta B. Joint. https://doi.org/10.1148/radiology.180.2.1 (accessed).",
            "3) Gamma C. No identifiers. 1979.",
        )
    )
    assert [(r.pmid, r.doi) for r in case.references] == [
        ("2313122", "10.1000/jnm.31.1"),
        ("", "10.1148/radiology.180.2.1"),
        ("", ""),
    ]


def test_ref_lines_inside_the_discussion_stay_in_the_discussion() -> None:
    discussion = (
        "Paget disease is common in the elderly.\n"
        "Ref: Alpha A. Bone. J Nucl Med 1990.\n\n"
        "Reference: Beta B. Joint. Radiology 1991.\n\n"
        "Later text about the same disease; see references for more."
    )
    case = parse_legacy(text_page("Discussion:", discussion, "References:", "1) Gamma C. 1979."))
    assert case.discussion == discussion
    assert [r.text for r in case.references] == ["Gamma C. 1979."]


def test_the_topic_line_does_not_start_the_references() -> None:
    case = parse_legacy(
        text_page(
            "Findings: Uptake.",
            "References and General Discussion of Lung Scintigraphy "
            "(Anatomic field:Lung, Mediastinum, and Pleura, Category:Effect of Trauma)",
        )
    )
    assert case.references == []
    assert case.topic == LegacyTopic(
        "Lung Scintigraphy", "6", "4", "Lung, Mediastinum, and Pleura", "Effect of Trauma"
    )


def test_an_unknown_topic_field_is_left_blank_with_a_warning() -> None:
    case = parse_legacy(
        text_page(
            "Findings: Uptake.",
            "References and General Discussion of Odd Scans (Anatomic field:Elbow, Category:Odd)",
        )
    )
    assert case.topic is not None
    assert (case.topic.title, case.topic.field, case.topic.category) == ("Odd Scans", None, None)
    assert len(case.warnings) == 2


# --------------------------------------------------------------------------------------------
# Differential, codes, keywords, images
# --------------------------------------------------------------------------------------------

DIFFERENTIAL_FORMS = {
    "commas": "Gout, pseudogout, septic arthritis.",
    "commas over two lines": "Gout, pseudogout,\nseptic arthritis",
    "one per line": "Gout\npseudogout\nseptic arthritis",
    "numbered": "1. Gout\n2. pseudogout\n3. septic arthritis",
    "numbered with brackets": "1) Gout\n2) pseudogout\n3) septic arthritis",
    "bulleted": "- Gout\n- pseudogout\n- septic arthritis",
    "semicolons": "Gout; pseudogout; septic arthritis",
    "or": "Gout, pseudogout, or septic arthritis",
    "paragraphs": "Gout\n\npseudogout\n\nseptic arthritis",
}


@pytest.mark.parametrize("form", DIFFERENTIAL_FORMS)
def test_it_splits_the_differential_in_any_list_form(form: str) -> None:
    case = parse_legacy(text_page("Differential Diagnosis List", DIFFERENTIAL_FORMS[form]))
    assert case.differential == ["Gout", "pseudogout", "septic arthritis"]
    assert case.unparsed == ""


def test_semicolons_keep_commas_inside_differential_items() -> None:
    case = parse_legacy(text_page("DDx: Metastases, osteoblastic; Paget disease"))
    assert case.differential == ["Metastases, osteoblastic", "Paget disease"]


def test_it_separates_acr_codes_from_keywords() -> None:
    case = parse_legacy(text_page("ACR Codes and Keywords: 642.3212, 4.5; calcinosis, lupus"))
    assert case.acr_codes == ["642.3212", "4.5"]
    assert case.keywords == ["calcinosis", "lupus"]
    assert case.unparsed == "" and case.warnings == []


def test_a_keywords_label_inside_the_codes_line_is_no_keyword() -> None:
    case = parse_legacy(text_page("ACR codes: 45.21. Keywords: gout, tophi"))
    assert (case.acr_codes, case.keywords) == (["45.21"], ["gout", "tophi"])


def test_an_invalid_acr_code_goes_to_unparsed_with_a_warning() -> None:
    case = parse_legacy(text_page("ACR codes: 4.5.6, 642.3212"))
    assert case.acr_codes == ["642.3212"]
    assert case.unparsed == "4.5.6"
    assert any("ACR" in w for w in case.warnings)


def test_it_reads_image_captions_in_order() -> None:
    case = parse_legacy(text_page("Images:", "Anterior view", "Posterior view\nSPECT slices"))
    assert case.images == ["Anterior view", "Posterior view", "SPECT slices"]
    numbered = parse_legacy(text_page("Images:", "1. 3D rendering\n2) Axial slice"))
    assert numbered.images == ["3D rendering", "Axial slice"]


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def test_html_breaks_lists_entities_and_pre_come_out_as_text() -> None:
    markup = (
        "<html><head><title>Findings: not this</title></head><body>"
        "<h2>Findings</h2><p>First&nbsp;line<br>second &amp; last line</p>"
        "<p>Caf&eacute; au lait &#233;t&#xE9;</p>"
        "<b>Differential diagnosis:</b><ul><li>Gout</li><li>Pseudogout</li></ul>"
        "<h3>Discussion</h3><pre>kept\n  as is</pre>"
        "</body></html>"
    )
    case = parse_legacy(markup)
    assert case.findings == "First line\nsecond & last line\n\nCafé au lait été"
    assert case.differential == ["Gout", "Pseudogout"]
    assert case.discussion == "kept\nas is"


def test_hostile_html_comes_out_as_plain_text_without_scripts() -> None:
    markup = (
        "<html><head><script>alert('head')</script></head>"
        "<body onload=\"alert('body')\"><h3>Findings:</h3>"
        "<p>Uptake <script type='text/javascript'>alert('inline')</script>in"
        " <img src=x onerror=\"alert('img')\">bone<style>p { color: red }</style>.</p>"
        "<p><a href=\"javascript:alert('link')\">Search for similar cases.</a></p>"
        "<iframe src='http://evil.example'>frame</iframe>"
        "<!-- <script>alert('comment')</script> -->"
        "</body></html>"
    )
    case = parse_legacy(markup)
    assert case.findings == "Uptake in bone."
    everything = repr(dataclasses.asdict(case))
    for word in ("alert", "javascript", "onerror", "onload", "color", "frame", "evil"):
        assert word not in everything


def test_a_text_page_with_angle_brackets_is_not_taken_for_html() -> None:
    case = parse_legacy(text_page("Findings: Lesion <5 mm, SUV >2.", "Diagnosis: Benign."))
    assert case.findings == "Lesion <5 mm, SUV >2."


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        ("", "empty file"),
        (b"  \r\n\t\n ", "empty file"),
        ("\ufeff \n", "empty file"),
        (b"\xef\xbb\xbf\n\n", "empty file"),
        (b"Diagnosis: gout\x00\x00", "binary file, not a teaching-file page"),
        (bytes(range(1, 9)) * 50 + b"Diagnosis: gout", "binary file, not a teaching-file page"),
        ("Diagnosis:\x01\x02\x03\x04\x05 x", "binary file, not a teaching-file page"),
        (
            b"It was a bright cold day in April, and the clocks were striking thirteen.",
            "not a teaching-file case page: no case sections found",
        ),
        (
            b'{\n  "diagnosis": "gout",\n  "findings": "uptake"\n}\n',
            "not a teaching-file case page: no case sections found",
        ),
        (
            "<html><body><p>Hello</p></body></html>",
            "not a teaching-file case page: no case sections found",
        ),
    ],
)
def test_it_refuses_bad_input_with_a_one_line_message(data: bytes | str, message: str) -> None:
    with pytest.raises(LegacyParseError) as raised:
        parse_legacy(data)
    assert str(raised.value) == message
    assert "\n" not in str(raised.value)


def test_it_refuses_a_file_over_the_size_limit_before_decoding() -> None:
    data = b"Diagnosis: " + b"\xff" * MAX_BYTES
    with pytest.raises(LegacyParseError, match=r"^file too large: 5242891 bytes \(limit 5 MiB\)$"):
        parse_legacy(data)
    with pytest.raises(LegacyParseError, match="file too large"):
        parse_legacy("Diagnosis: " + "x" * MAX_BYTES)


def test_it_falls_back_to_windows_1252() -> None:
    case = parse_legacy(b"Diagnosis: caf\xe9 au lait \x93spots\x94 \x96 benign")
    assert case.diagnosis == "café au lait “spots” – benign"


def test_it_refuses_tag_soup() -> None:
    with pytest.raises(LegacyParseError, match="too much markup"):
        parse_legacy("<html><p>Findings: x</p>" + "<br>" * 200_000)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(LegacyParseError, ValueError)


# --------------------------------------------------------------------------------------------
# Pathological input: everything must stay linear
# --------------------------------------------------------------------------------------------

PATHOLOGICAL = {
    "4 MB line of words": ("a " * (2 * 1024 * 1024), LegacyParseError),
    "4 MB discussion line": ("Discussion: " + "a " * (2 * 1024 * 1024), None),
    "100k blank lines": ("Diagnosis: Gout." + "\n" * 100_000 + "Findings: Uptake.", None),
    "only blank lines": ("\n" * 100_000, LegacyParseError),
    "4 MB of spaces after a heading": (
        "Findings" + " " * (4 * 1024 * 1024) + "x",
        LegacyParseError,
    ),
    "long dose line": ("Radiopharmaceutical: " + "1 mCi Tc-99m and " * 200_000, None),
    "long author line": ("Case Author(s): " + "Ed Lee, M.D. and " * 200_000, None),
    "long differential": ("DDx: " + "gout, " * 500_000, None),
    "long references": ("References: " + "1) A. 2) B. " * 300_000, None),
    "unclosed html tags": ("<html><p>Findings: x</p>" + "<a b='" * 90_000, None),
    "unclosed html comment": ("<html><p>Findings: x</p><!--" + "a" * 4_000_000, None),
    "html tag name": ("<html><p>Findings: x</p><" + "a" * 4_000_000, None),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_input_returns_or_raises_quickly(name: str) -> None:
    data, error = PATHOLOGICAL[name]
    started = time.perf_counter()
    if error is None:
        assert isinstance(parse_legacy(data), LegacyCase)
    else:
        with pytest.raises(error):
            parse_legacy(data)
    assert time.perf_counter() - started < 10


# --------------------------------------------------------------------------------------------
# The module itself
# --------------------------------------------------------------------------------------------


def test_the_public_api_is_what_other_modules_import() -> None:
    assert legacy.__all__ == [
        "LegacyCase",
        "LegacyAuthor",
        "LegacyRadiopharmaceutical",
        "LegacyReference",
        "LegacyTopic",
        "LegacyParseError",
        "parse_legacy",
        "MAX_BYTES",
    ]
    assert MAX_BYTES == 5 * 1024 * 1024
    assert [f.name for f in dataclasses.fields(LegacyCase)] == [
        "number",
        "title",
        "authors",
        "case_date",
        "difficulty",
        "quality",
        "diagnosis",
        "brief_history",
        "full_history",
        "findings",
        "discussion",
        "followup",
        "images",
        "main_image",
        "radiopharmaceuticals",
        "references",
        "differential",
        "acr_codes",
        "keywords",
        "topic",
        "copyright",
        "unparsed",
        "warnings",
    ]


def test_the_module_docstring_example_holds() -> None:
    failed, attempted = doctest.testmod(legacy)
    assert attempted > 0 and failed == 0
