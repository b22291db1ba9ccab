"""The diagnosis under any of the headings the old collections used, and a clear word when
a page has none."""

from __future__ import annotations

import pytest

from lightbox.interchange.legacy import parse_legacy


def text_page(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


HISTORY = "Brief history: 71-year old man with back pain."


@pytest.mark.parametrize(
    "layout",
    [
        "Case Diagnosis: Paget disease of the pelvis.",
        "CASE DIAGNOSIS\n\nPaget disease of the pelvis.",
        "Final Diagnosis: Paget disease of the pelvis.",
        "Diagnosis(es): Paget disease of the pelvis.",
        "Diagnoses: Paget disease of the pelvis.",
        "DIAGNOSIS - Paget disease of the pelvis.",
        "Diagnosis — Paget disease of the pelvis.",
        "Dx. Paget disease of the pelvis.",
        "Dx: Paget disease of the pelvis.",
        "Case Dx: Paget disease of the pelvis.",
        "Pathological diagnosis: Paget disease of the pelvis.",
    ],
)
def test_it_reads_the_diagnosis_under_its_variant_headings(layout: str) -> None:
    for page in (text_page(HISTORY, layout), text_page(layout, HISTORY)):
        case = parse_legacy(page)
        assert case.diagnosis == "Paget disease of the pelvis.", page
        assert case.brief_history == "71-year old man with back pain."
        assert case.unparsed == "" and case.warnings == []


def test_it_reads_a_bold_case_diagnosis_label_in_html() -> None:
    case = parse_legacy(
        "<p><b>History:</b> 71-year old man.<br><b>Case Diagnosis:</b> Paget disease.</p>"
    )
    assert (case.brief_history, case.diagnosis) == ("71-year old man.", "Paget disease.")


def test_a_dash_inside_a_word_after_a_heading_is_no_separator() -> None:
    case = parse_legacy(text_page("Discussion:", "Findings-based reporting is preferred."))
    assert case.discussion == "Findings-based reporting is preferred."
    assert case.findings == ""
