"""Grading accepts a synonym of the diagnosis: a term of a code (RadLex, SNOMED CT) that
names it, whether the case carries the code or only the codes table has it."""

from __future__ import annotations

import pytest

from lightbox.cases.models import CaseCode, Code, CodeSynonym
from lightbox.learning.attempts import synonym_groups
from lightbox.learning.models import Attempt, Outcome
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

DIAGNOSIS = "Melorheostosis of the left femur"


def code(rid: str, meaning: str, *synonyms: str) -> Code:
    row = Code.objects.create(system="RADLEX", code=rid, meaning=meaning, source="RadLex test")
    for term in synonyms:
        CodeSynonym.objects.create(code=row, term=term)
    return row


def answer(client, case, text: str) -> Attempt:
    response = client.post(f"/cases/{case.number}/answer/", {"diagnosis": text, "confidence": "2"})
    assert response.status_code == 302
    return Attempt.objects.filter(case=case).latest("pk")


@pytest.fixture
def melorheostosis() -> Code:
    return code("RID90011", "melorheostosis", "Leri disease", "flowing hyperostosis")


def test_a_synonym_of_a_code_of_the_case_is_correct(client, people, melorheostosis):
    case = make_case(diagnosis=DIAGNOSIS)
    CaseCode.objects.create(case=case, code=melorheostosis)
    client.force_login(people["bob"])
    attempt = answer(client, case, "Leri disease")
    assert (attempt.outcome, attempt.matched) == (Outcome.CORRECT, "Leri disease")


def test_a_synonym_from_the_table_is_correct_for_an_uncoded_case(client, people, melorheostosis):
    """Once RadLex is imported, every case whose diagnosis is a RadLex term gains its
    synonyms, coded or not."""
    case = make_case(diagnosis=f"**{DIAGNOSIS}** (incidental)")
    client.force_login(people["bob"])
    assert answer(client, case, "flowing hyperostosis").outcome == Outcome.CORRECT
    # It takes the diagnosis's side: the right femur is another case.
    assert answer(client, case, "right Leri disease").outcome == Outcome.INCORRECT


def test_the_terms_of_a_code_that_does_not_name_the_diagnosis_are_not_answers(
    client, people, melorheostosis
):
    femur = code("RID90020", "femur", "thigh bone")
    case = make_case(diagnosis=DIAGNOSIS)
    CaseCode.objects.create(case=case, code=femur)
    client.force_login(people["bob"])
    assert answer(client, case, "thigh bone").outcome == Outcome.INCORRECT
    # Without the code that names it, a synonym is no answer either.
    other = make_case(diagnosis="Osteoid osteoma")
    assert answer(client, other, "Leri disease").outcome == Outcome.INCORRECT


def test_a_synonym_in_the_differential_counts_as_the_diagnosis(client, people, melorheostosis):
    case = make_case(diagnosis=DIAGNOSIS)
    client.force_login(people["bob"])
    response = client.post(
        f"/cases/{case.number}/answer/",
        {"diagnosis": "osteoma", "ddx1": "Leri disease", "confidence": "2"},
    )
    assert response.status_code == 302
    attempt = Attempt.objects.get(case=case)
    assert attempt.outcome == Outcome.PARTIAL and attempt.differential_hits == [[0, "dx"]]


def test_the_groups_hold_the_case_codes_and_the_table_codes_naming_the_diagnosis(
    melorheostosis,
):
    femur = code("RID90020", "femur", "thigh bone")
    code("RID90012", "osteoid osteoma")
    case = make_case(diagnosis="Melorheostosis, left femur")
    CaseCode.objects.create(case=case, code=femur)
    # The case's own codes first, then the table's whose terms are words of the
    # diagnosis, the longest first; grading then keeps those that name it.
    code("RID90013", "left femur")
    assert synonym_groups(case) == [
        ("femur", "thigh bone"),
        ("left femur",),
        ("melorheostosis", "Leri disease", "flowing hyperostosis"),
    ]
