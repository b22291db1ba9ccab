"""Lists split outside brackets: a parenthesis keeps its commas and semicolons."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lightbox.interchange.legacy import LegacyAuthor, parse_legacy


def text_page(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


@pytest.mark.parametrize(
    ("written", "items"),
    [
        (
            "Metastatic carcinoma (breast, kidney, lung, thyroid), myeloma, lymphoma.",
            ["Metastatic carcinoma (breast, kidney, lung, thyroid)", "myeloma", "lymphoma"],
        ),
        (
            "Infection [osteomyelitis, septic arthritis]; fracture (stress; insufficiency)",
            ["Infection [osteomyelitis, septic arthritis]", "fracture (stress; insufficiency)"],
        ),
        (
            "Sarcoidosis (pulmonary {hilar, mediastinal}, osseous), lymphoma, and tuberculosis",
            ["Sarcoidosis (pulmonary {hilar, mediastinal}, osseous)", "lymphoma", "tuberculosis"],
        ),
        (
            "Paget disease, fibrous dysplasia (McCune-Albright,\npolyostotic), metastases",
            ["Paget disease", "fibrous dysplasia (McCune-Albright, polyostotic)", "metastases"],
        ),
        # A bracket that is never closed is a typing slip: it protects nothing.
        (
            "Gout (tophaceous, pseudogout, septic arthritis",
            ["Gout (tophaceous", "pseudogout", "septic arthritis"],
        ),
        ("Gout), pseudogout", ["Gout)", "pseudogout"]),
    ],
)
def test_it_splits_the_differential_outside_brackets(written: str, items: list[str]) -> None:
    case = parse_legacy(text_page("Differential Diagnosis List", written))
    assert case.differential == items
    assert case.unparsed == "" and case.warnings == []


def test_a_numbered_differential_keeps_its_bracketed_commas() -> None:
    case = parse_legacy(
        text_page("DIFFERENTIAL DIAGNOSIS\n1. Metastases (breast, lung)\n2. Myeloma")
    )
    assert case.differential == ["Metastases (breast, lung)", "Myeloma"]


def test_keywords_split_outside_brackets() -> None:
    case = parse_legacy(text_page("Keywords: 4.5, calcinosis (cutis, universalis), lupus"))
    assert case.acr_codes == ["4.5"]
    assert case.keywords == ["calcinosis (cutis, universalis)", "lupus"]


def test_a_dose_with_its_activity_in_two_units_in_brackets_is_one_dose() -> None:
    case = parse_legacy(text_page("Radiopharmaceutical: Tc-99m MDP (20 mCi; 740 MBq) i.v."))
    [dose] = case.radiopharmaceuticals
    assert (dose.agent, dose.activity, dose.unit) == ("Tc-99m MDP", Decimal(20), "mCi")


def test_an_authors_bracketed_note_stays_with_the_author() -> None:
    case = parse_legacy(
        text_page(
            "Case Author(s): Ed Lee, M.D. (Radiology, Nuclear Medicine) and Ann Roe, M.D.",
            "Diagnosis: Gout.",
        )
    )
    assert case.authors == [
        LegacyAuthor("Ed Lee", "M.D. (Radiology, Nuclear Medicine)"),
        LegacyAuthor("Ann Roe", "M.D."),
    ]
