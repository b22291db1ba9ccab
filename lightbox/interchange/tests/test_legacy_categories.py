"""The topic line's anatomic field and category, printed in any of the ACR label variants."""

from __future__ import annotations

import doctest

import pytest

from lightbox.cases import acr
from lightbox.interchange.legacy import parse_legacy


def topic(field: str, category: str) -> str:
    return (
        "Diagnosis: Gout.\n\nReferences and General Discussion of Bone Scintigraphy "
        f"(Anatomic field:{field}, Category:{category})\n"
    )


@pytest.mark.parametrize(
    ("category", "digit"),
    [
        ("Neoplasm, neoplasm-like condition", "3"),
        ("Neoplasm, neoplastic-like condition", "3"),
        ("Neoplasms", "3"),
        ("NEOPLASM", "3"),
        ("Normal, technique, anomaly", "1"),
        ("Normal, technique, congenital anomalies", "1"),
        ("Inflammation,infection", "2"),
        ("Inflammation & infection", "2"),
        ("Effects of trauma", "4"),
        ("Metabolic,endocrine,toxic", "5"),
        ("Metabolic/endocrine", "5"),
        ("Other generalised systemic disorders", "6"),
    ],
)
def test_it_recognises_variants_of_the_acr_category_labels(category: str, digit: str) -> None:
    case = parse_legacy(topic("Skeletal System", category))
    assert case.topic is not None
    assert (case.topic.field, case.topic.category) == ("4", digit)
    assert case.topic.category_name == category
    assert case.warnings == []


def test_general_names_the_whole_field_not_an_unknown_category() -> None:
    case = parse_legacy(topic("Skeletal System", "General"))
    assert case.topic is not None
    assert (case.topic.field, case.topic.category) == ("4", None)
    assert case.warnings == []


def test_general_as_the_anatomic_field_is_field_zero() -> None:
    case = parse_legacy(topic("General", "Inflammation, infection"))
    assert case.topic is not None
    assert (case.topic.field, case.topic.category) == ("0", "2")
    assert case.warnings == []


@pytest.mark.parametrize("category", ["Neoplasm, infection", "Odd", "Bone, neoplasm"])
def test_a_label_that_names_no_one_category_is_still_reported(category: str) -> None:
    case = parse_legacy(topic("Skeletal System", category))
    assert case.topic is not None and case.topic.category is None
    assert case.warnings == [f"category {category!r} is not in the ACR index; left blank"]


def test_the_acr_module_examples_hold() -> None:
    failed, attempted = doctest.testmod(acr)
    assert attempted > 0 and failed == 0
