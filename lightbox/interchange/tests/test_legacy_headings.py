"""A heading is a heading only where a legacy page puts one; inside prose it stays prose.

The pages here are written for these tests, in the layouts the old collections used: the
1996 plain text of bs068 (read from ../shared, never copied), upper-case plain text, MIRC-era
HTML with <h3> headings, bold labels with <br> lines, and pages without blank lines.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import pytest

from lightbox.interchange.legacy import LegacyCase, parse_legacy


def text_page(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def fields(case: LegacyCase) -> dict[str, object]:
    return dataclasses.asdict(case)


# A page of our own, in the plain layout of the 1990s files.
PAGE = [
    "Case Author(s): Maria Okafor, M.D. , 3/14/97 . Rating: #D2, #Q4",
    "Diagnosis: Hypertrophic osteoarthropathy.",
    "Brief history:",
    "58-year old man with a smoking history and painful wrists.",
    "Findings:",
    "Symmetric linear cortical uptake along the radial and tibial shafts.",
    "Discussion:",
    "Periosteal new bone along the long bones is typical of the condition. The pattern is "
    "symmetric and spares the joints.",
    "Most cases accompany an intrathoracic tumour, and the uptake regresses after the "
    "tumour is removed.",
    "Differential Diagnosis List",
    "Shin splints, venous stasis, thyroid acropachy.",
    "Case number: bs201",
]
DISCUSSION = PAGE[7] + "\n\n" + PAGE[8]

# Known headings at the start of a line of prose, as real discussions have them.
PROSE_LINES = [
    "Diagnosis: rests on the combination of the history and the scan.",
    "Dx: is usually made without a biopsy in this setting.",
    "IMPRESSION: the referring team had suspected bilateral stress fractures.",
    "Findings: the scan demonstrated exactly this tram-track pattern.",
    "Clinical presentation: varies from none at all to painful clubbing.",
    "DIFFERENTIAL DIAGNOSIS: includes pachydermoperiostosis in a young patient.",
    "REFERENCES: are listed on the topic page.",
    "Brief history: of smoking is present in most of the patients.",
    "Radiopharmaceutical: uptake follows the periosteum, not the marrow.",
]


@pytest.fixture(scope="module")
def plain() -> LegacyCase:
    case = parse_legacy(text_page(*PAGE))
    assert case.discussion == DISCUSSION and case.warnings == []
    return case


@pytest.mark.parametrize("line", PROSE_LINES)
def test_it_keeps_a_heading_line_inside_a_running_paragraph_in_the_prose(
    line: str, plain: LegacyCase
) -> None:
    page = list(PAGE)
    page[7] += "\n" + line  # the next line of the discussion's first paragraph
    case = parse_legacy(text_page(*page))
    assert case.discussion == PAGE[7] + "\n" + line + "\n\n" + PAGE[8]
    assert fields(case) | {"discussion": ""} == fields(plain) | {"discussion": ""}


# Those of PROSE_LINES whose section the page has: a paragraph starting with one of them
# is a second heading for that section.
SECOND_HEADINGS = [line for line in PROSE_LINES if not line.startswith(("Cl", "RE", "Ra"))]


@pytest.mark.parametrize("line", SECOND_HEADINGS)
def test_it_keeps_a_second_heading_for_a_section_already_read_in_the_prose(
    line: str, plain: LegacyCase
) -> None:
    page = list(PAGE)
    page[8:8] = [line]  # a paragraph of its own in the discussion
    case = parse_legacy(text_page(*page))
    assert line in case.discussion.split("\n\n")
    assert case.unparsed == ""
    assert case.diagnosis == plain.diagnosis and case.findings == plain.findings
    assert not any("different text" in warning for warning in case.warnings)


def test_it_keeps_a_report_impression_pasted_into_the_findings_there() -> None:
    case = parse_legacy(
        text_page(
            "Diagnosis: Acute appendicitis.",
            "Findings:",
            "CT ABDOMEN WITH CONTRAST\nThe appendix measures 11 mm with periappendiceal "
            "stranding.\nIMPRESSION:\n1. Acute appendicitis without perforation.",
            "Case number: ct044",
        )
    )
    assert case.diagnosis == "Acute appendicitis."
    assert case.findings.endswith("IMPRESSION:\n1. Acute appendicitis without perforation.")


def test_a_heading_alone_on_its_line_still_opens_a_page_without_blank_lines() -> None:
    case = parse_legacy(
        "Brief history:\n44-year old woman with lupus\nImages:\nAnterior whole body\n"
        "Findings:\nSoft-tissue uptake in both thighs.\nDiagnosis:\nCalcinosis.\n"
        "Case number: bs300\n"
    )
    assert case.brief_history == "44-year old woman with lupus"
    assert case.images == ["Anterior whole body"]
    assert case.findings == "Soft-tissue uptake in both thighs."
    assert (case.diagnosis, case.number) == ("Calcinosis.", "bs300")
    assert case.unparsed == ""


def test_a_label_and_value_list_without_blank_lines_is_read_line_by_line() -> None:
    case = parse_legacy(
        "Case number: nm077\nHistory: 63 yo man with back pain.\n"
        "Findings: Focal uptake in L3.\nDiagnosis: Metastasis.\nDDx: Fracture, infection\n"
    )
    assert case.brief_history == "63 yo man with back pain."
    assert case.findings == "Focal uptake in L3."
    assert case.diagnosis == "Metastasis."
    assert case.differential == ["Fracture", "infection"]


def test_the_known_half_may_repeat_a_section_like_bs068_does(bs068_path: Path) -> None:
    text = bs068_path.read_text()
    case = parse_legacy(text)
    assert text.count("Diagnosis: Soft tissue calcinosis") == 2
    assert case.diagnosis == "Soft tissue calcinosis secondary to lupus erythematosus."
    # A different answer in the known half is kept too, and said so: the halves are the
    # page's structure, not prose.
    changed = parse_legacy(
        text.replace(
            "Full history/Diagnosis is available below\n\n\nDiagnosis: Soft tissue calcinosis",
            "Full history/Diagnosis is available below\n\n\nDiagnosis: Dystrophic calcinosis",
        )
    )
    assert changed.diagnosis.split("\n\n") == [
        "Soft tissue calcinosis secondary to lupus erythematosus.",
        "Dystrophic calcinosis secondary to lupus erythematosus.",
    ]
    assert any("different text" in warning for warning in changed.warnings)


def test_bs068_with_headings_in_its_discussion_still_reads_as_bs068(bs068_path: Path) -> None:
    text = bs068_path.read_text()
    original = parse_legacy(text)
    sentence = "Therapy of calcinosis is primarily medical."
    inline = text.replace(sentence, "Findings: the scan shows this well.\n" + sentence)
    block = text.replace(sentence, "Diagnosis: rests on the plain films.\n\n" + sentence)
    for variant in (inline, block):
        case = parse_legacy(variant)
        assert fields(case) | {"discussion": ""} == fields(original) | {"discussion": ""}
        assert case.discussion != original.discussion


def mirc_html(discussion_paragraphs: list[str]) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in discussion_paragraphs)
    return (
        "<html><head><title>Case ct012</title></head><body>\n"
        "<h2>Case number: ct012</h2>\n"
        "<h3>History</h3>\n<p>35-year old man after a fall from a ladder.</p>\n"
        "<h3>Findings</h3>\n<p>Comminuted fracture of the calcaneus.</p>\n"
        "<h3>Diagnosis</h3>\n<p>Intra-articular calcaneal fracture.</p>\n"
        f"<h3>Discussion</h3>\n{paragraphs}"
        "<h3>Differential Diagnosis</h3>\n<ul><li>Stress fracture</li><li>Osteomyelitis</li>"
        "</ul>\n</body></html>\n"
    )


def test_in_html_a_heading_word_in_a_discussion_paragraph_stays_prose() -> None:
    prose = [
        "Fractures of the calcaneus follow axial loading.",
        "Findings: the Boehler angle was reduced to 10 degrees on the lateral view.",
        "Diagnosis: is made on CT, which shows the joint involvement.",
    ]
    case = parse_legacy(mirc_html(prose))
    assert case.discussion == "\n\n".join(prose)
    assert case.findings == "Comminuted fracture of the calcaneus."
    assert case.diagnosis == "Intra-articular calcaneal fracture."
    assert case.differential == ["Stress fracture", "Osteomyelitis"]
    assert case.warnings == [] and case.unparsed == ""


def test_bold_labels_between_line_breaks_are_headings() -> None:
    case = parse_legacy(
        "<HTML><BODY><P><B>Case number:</B> nm120<BR>\n"
        "<B>History:</B> 12 year old boy with a limp<BR>\n"
        "<B>Findings:</B> Photopenic right femoral head<BR>\n"
        "<B>Case Diagnosis:</B> Legg-Calve-Perthes disease<BR>\n"
        "<B>DDx:</B> Septic arthritis; transient synovitis</P></BODY></HTML>"
    )
    assert case.number == "nm120"
    assert case.brief_history == "12 year old boy with a limp"
    assert case.findings == "Photopenic right femoral head"
    assert case.diagnosis == "Legg-Calve-Perthes disease"
    assert case.differential == ["Septic arthritis", "transient synovitis"]


def test_a_repeated_heading_in_the_same_half_of_a_plain_page_is_prose() -> None:
    case = parse_legacy(
        text_page("Diagnosis: Gout.", "Findings: Uptake.", "Diagnosis: Tophaceous gout.")
    )
    assert case.diagnosis == "Gout."
    assert case.findings == "Uptake.\n\nDiagnosis: Tophaceous gout."


def test_an_upper_case_page_with_a_stronger_heading_later_keeps_the_early_line_as_prose() -> None:
    case = parse_legacy(
        text_page(
            "CASE NUMBER\nmr015",
            "DISCUSSION\nDemyelination is typical.",
            "FINDINGS: are often subtle on the first study.",
            "FINDINGS\nPeriventricular ovoid lesions perpendicular to the ventricles.",
            "DIAGNOSIS\nMultiple sclerosis",
        )
    )
    assert case.findings == "Periventricular ovoid lesions perpendicular to the ventricles."
    assert case.discussion == (
        "Demyelination is typical.\n\nFINDINGS: are often subtle on the first study."
    )


def test_a_report_impression_paragraph_does_not_take_the_pages_own_diagnosis() -> None:
    case = parse_legacy(
        text_page(
            "History: 19-year old man with right lower quadrant pain.",
            "Findings: The appendix measures 11 mm with surrounding stranding.",
            "IMPRESSION: Acute appendicitis without perforation; no abscess.",
            "Diagnosis: Acute appendicitis.",
            "Discussion: Graded compression ultrasound is the first test in the young.",
        )
    )
    assert case.diagnosis == "Acute appendicitis."
    assert case.findings.endswith(
        "\n\nIMPRESSION: Acute appendicitis without perforation; no abscess."
    )


def test_a_synonym_paragraph_in_the_discussion_stays_there_beside_the_own_heading() -> None:
    case = parse_legacy(
        text_page(
            "Discussion:",
            "Clinical presentation: varies from none at all to painful clubbing.",
            "History:",
            "58-year old man with painful wrists.",
            "Findings: Tram-track uptake along the long bones.",
        )
    )
    assert case.brief_history == "58-year old man with painful wrists."
    assert case.discussion == "Clinical presentation: varies from none at all to painful clubbing."
    assert case.findings == "Tram-track uptake along the long bones."
