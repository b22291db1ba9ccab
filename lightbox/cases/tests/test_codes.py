"""RadLex and SNOMED CT codes on a case: the table, the editor, the case page, the API, the
history and search."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from stdnum import verhoeff

from lightbox.cases.models import Case, CaseCode, Code, CodeSynonym
from lightbox.cases.tests.test_editor import edit_url, form_data
from lightbox.history import revisions
from lightbox.history.models import Revision
from lightbox.search.engine import search
from lightbox.test import make_case, text_of

pytestmark = pytest.mark.django_db

MI = "22298006"  # SNOMED CT: Myocardial infarction


@pytest.fixture
def paget() -> Code:
    """A RadLex code as import_radlex writes it (a made-up ID)."""
    code = Code.objects.create(
        system="RADLEX", code="RID90010", meaning="Paget disease of bone", source="RadLex test"
    )
    CodeSynonym.objects.create(code=code, term="osteitis deformans")
    return code


def coded(case: Case, *codes: Code) -> Case:
    for order, code in enumerate(codes):
        CaseCode.objects.create(case=case, code=code, order=order)
    return case


def numbers(query: str, **kwargs) -> list[str]:
    return [hit.number for hit in search(AnonymousUser(), query, **kwargs).hits]


def codes_of(case: Case) -> list[tuple[str, str, str]]:
    return [
        (c.code.system, c.code.code, c.code.meaning)
        for c in CaseCode.objects.filter(case=case).select_related("code")
    ]


# -- the table -------------------------------------------------------------------------------


def test_a_code_is_unique_in_its_system_and_keeps_the_key_of_its_term(paget):
    assert paget.key == "paget disease of bone"
    assert CodeSynonym.objects.get(code=paget).key == "osteitis deformans"
    assert str(paget) == "RadLex RID90010 Paget disease of bone"
    with pytest.raises(Exception, match="UNIQUE|unique"):
        Code.objects.create(system="RADLEX", code="RID90010", meaning="again", source="x")


@pytest.mark.parametrize(
    ("system", "code", "message"),
    [
        ("SCT", "22298007", "check digit is wrong"),
        ("SCT", "12345", "6 to 18 digits"),
        ("SCT", "022298006", "6 to 18 digits"),
        ("SCT", "abc", "6 to 18 digits"),
        ("RADLEX", "RID", "not a RadLex ID"),
        ("LN", "1234-5", "not a code system"),
    ],
)
def test_a_malformed_code_is_refused_with_one_line(system, code, message):
    with pytest.raises(ValidationError, match=message):
        Code(system=system, code=code, meaning="x", source="test").clean()


def test_a_snomed_description_identifier_is_not_a_concept():
    # Partition 01 (a description), with a check digit that holds.
    description = "7516890" + "01"
    description += verhoeff.calc_check_digit(description)
    with pytest.raises(ValidationError, match="not of a concept"):
        Code(system="SCT", code=description, meaning="x", source="test").clean()


def test_a_code_in_use_cannot_be_deleted(paget):
    coded(make_case(), paget)
    with pytest.raises(ProtectedError):
        paget.delete()


# -- the editor ----------------------------------------------------------------------------


def test_an_author_codes_a_case_in_the_editor(client, people, paget):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data.update(
        {
            "codes-TOTAL_FORMS": "3",
            "codes-0-code": "rid90010",  # known: its term comes from the table
            "codes-0-meaning": "",
            "codes-0-ORDER": "2",
            "codes-1-code": f" {MI} ",
            "codes-1-meaning": "Myocardial  infarction",
            "codes-1-ORDER": "1",
            "codes-2-code": "RID90010",  # twice: kept once
            "codes-2-meaning": "",
            "codes-2-ORDER": "3",
        }
    )
    response = client.post(edit_url(case), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert codes_of(case) == [
        ("SCT", MI, "Myocardial infarction"),
        ("RADLEX", "RID90010", "Paget disease of bone"),
    ]
    assert Code.objects.get(code=MI).typed_by_hand
    revision = revisions.latest(case)
    assert "codes" in revision.changed
    assert revision.snapshot["codes"][0] == {
        "system": "SCT", "code": MI, "meaning": "Myocardial infarction",
    }  # fmt: skip
    # The form shows them back, in order, with their terms.
    again = form_data(client, edit_url(case))
    assert (again["codes-0-code"], again["codes-0-meaning"]) == (MI, "Myocardial infarction")
    assert again["codes-1-code"] == "RID90010"


@pytest.mark.parametrize(
    ("code", "meaning", "error"),
    [
        ("22298007", "Myocardial infarction", "check digit is wrong"),
        (MI, "", "SNOMED CT 22298006 is not in the codes table yet: give its term."),
        ("RID77", "", "RadLex RID77 is not in the codes table yet"),
        ("C0027051", "x", "is not a code: give a RadLex ID"),
        ("RID5", "x" * 301, "at most 300 characters"),
    ],
)
def test_the_editor_refuses_a_bad_code_and_keeps_what_was_typed(
    client, people, code, meaning, error
):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data.update({"codes-TOTAL_FORMS": "1", "codes-0-code": code, "codes-0-meaning": meaning})
    data["findings"] = "Typed before the bad code."
    response = client.post(edit_url(case), data)
    page = response.content.decode()
    assert response.status_code == 200 and error in text_of(page)
    assert "Typed before the bad code." in page
    assert not CaseCode.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).findings != "Typed before the bad code."


def test_a_term_alone_finds_its_code_and_several_codes_are_listed(client, people, paget):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data.update(
        {"codes-TOTAL_FORMS": "1", "codes-0-code": "", "codes-0-meaning": "Osteitis deformans"}
    )
    assert client.post(edit_url(case), data).status_code == 302
    assert codes_of(case) == [("RADLEX", "RID90010", "Paget disease of bone")]

    Code.objects.create(system="SCT", code=MI, meaning="Osteitis deformans", source="x")
    data = form_data(client, edit_url(case))
    data.update(
        {"codes-1-code": "", "codes-1-meaning": "osteitis deformans", "codes-TOTAL_FORMS": "2"}
    )
    page = text_of(client.post(edit_url(case), data).content.decode())
    assert (
        "Several codes have this term; give one: RID90010 Paget disease of bone; "
        f"{MI} Osteitis deformans"
    ) in page
    data.update({"codes-1-meaning": "osteitis fibrosa"})
    page = text_of(client.post(edit_url(case), data).content.decode())
    assert "No code in the table has this term: give its code." in page


@pytest.mark.parametrize("source", [Code.EDITOR_SOURCE, Code.MIRC_SOURCE])
def test_a_term_typed_by_hand_can_be_corrected_but_a_vocabulary_term_cannot(
    client, people, paget, source
):
    # Typed in the editor, or in a MIRCdocument that was imported.
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    typed = Code.objects.create(
        system="SCT", code=MI, meaning="Myocardial infraction", source=source
    )
    other = coded(make_case(title="Another case"), typed)
    before = Case.objects.get(pk=other.pk).updated
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data.update(
        {
            "codes-TOTAL_FORMS": "2",
            "codes-0-code": MI,
            "codes-0-meaning": "Myocardial infarction",
            "codes-1-code": "RID90010",
            "codes-1-meaning": "Paget's",
        }
    )
    assert client.post(edit_url(case), data).status_code == 302
    assert Code.objects.get(code=MI).meaning == "Myocardial infarction"
    assert Code.objects.get(code="RID90010").meaning == "Paget disease of bone"
    # The other case showing the corrected term is re-rendered.
    assert Case.objects.get(pk=other.pk).updated > before


def test_removing_every_code_records_it(client, people, paget):
    case = coded(make_case(created_by=people["alice"], status="draft"), paget)
    revisions.record(case, user=people["alice"])
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data["codes-0-DELETE"] = "on"
    assert client.post(edit_url(case), data).status_code == 302
    assert codes_of(case) == []
    assert "codes" in revisions.latest(case).changed


# -- reading -------------------------------------------------------------------------------


def test_codes_are_the_answer_shown_only_after_reveal(client, paget):
    case = coded(make_case(), paget)
    unknown = client.get(f"/cases/{case.number}/").content.decode()
    assert "RID90010" not in unknown and "Paget disease of bone" not in unknown
    for url in (f"/cases/{case.number}/known/", f"/cases/{case.number}/print/"):
        page = text_of(client.get(url).content.decode())
        assert "RadLex RID90010 Paget disease of bone" in page, url


def test_the_api_gives_codes_with_synonyms_in_the_case_and_none_in_the_unknown(client, paget):
    typed = Code.objects.create(system="SCT", code=MI, meaning="Myocardial infarction", source="x")
    case = coded(make_case(), typed, paget)
    full = client.get(f"/api/v1/cases/{case.number}").json()
    assert full["codes"] == [
        {"system": "SCT", "code": MI, "meaning": "Myocardial infarction", "synonyms": []},
        {
            "system": "RADLEX",
            "code": "RID90010",
            "meaning": "Paget disease of bone",
            "synonyms": ["osteitis deformans"],
        },
    ]
    unknown = client.get(f"/api/v1/cases/{case.number}/unknown").content.decode()
    assert "codes" not in unknown and "RID90010" not in unknown


def test_a_changed_term_shows_on_the_stored_page(client, paget):
    case = coded(make_case(), paget)
    assert "Paget disease of bone" in client.get(f"/cases/{case.number}/known/").content.decode()
    paget.meaning = "Paget bone disease"
    paget.save()
    assert "Paget bone disease" in client.get(f"/cases/{case.number}/known/").content.decode()


# -- history -------------------------------------------------------------------------------


def test_a_restore_brings_the_codes_back_even_a_code_gone_from_the_table(people, paget):
    typed = Code.objects.create(system="SCT", code=MI, meaning="Myocardial infarction", source="x")
    case = coded(make_case(), typed, paget)
    first = revisions.record(case, user=people["alice"])
    CaseCode.objects.filter(case=case).delete()
    typed.delete()
    case.save()
    second = revisions.record(case, user=people["alice"])
    [change] = [d for d in revisions.diff(first, second) if d.key == "codes"]
    assert change.label == "RadLex and SNOMED CT codes"
    assert change.old == (
        "SNOMED CT 22298006 Myocardial infarction\nRadLex RID90010 Paget disease of bone"
    )
    assert change.new == ""
    revisions.restore(first, user=people["erin"])
    assert codes_of(case) == [
        ("SCT", MI, "Myocardial infarction"),
        ("RADLEX", "RID90010", "Paget disease of bone"),
    ]
    assert Code.objects.get(code=MI).source == "restored from a revision"


def test_a_case_without_codes_records_no_codes_key(people):
    """Revisions recorded before cases had codes still equal a fresh snapshot."""
    case = make_case()
    revisions.record(case, user=people["alice"])
    assert "codes" not in revisions.latest(case).snapshot
    assert revisions.record(case, user=people["alice"]) is None
    assert Revision.objects.filter(target_id=case.pk).count() == 1


# -- search --------------------------------------------------------------------------------


def test_search_finds_a_case_by_any_term_of_its_codes(paget):
    case = coded(make_case(diagnosis="Polyostotic disease", title="Enlarged pelvis"), paget)
    make_case(diagnosis="Fibrous dysplasia", title="Rib lesion")
    assert numbers('"osteitis deformans"') == [case.number]
    assert numbers("code:RID90010") == [case.number]
    assert numbers('code:"paget disease"') == [case.number]
    assert numbers("rid90010") == [case.number]


def test_a_code_added_or_a_synonym_added_later_is_searchable(paget):
    case = make_case(diagnosis="Polyostotic disease", title="Enlarged pelvis")
    assert numbers('"osteitis deformans"') == []
    coded(case, paget)
    assert numbers('"osteitis deformans"') == [case.number]
    CodeSynonym.objects.create(code=paget, term="Paget's disease")
    assert numbers('"pagets disease"') == [case.number]


def test_unknown_mode_finds_by_a_code_but_shows_nothing_of_it(paget):
    case = coded(make_case(brief_history="Bone pain."), paget)
    results = search(AnonymousUser(), '"osteitis deformans"', unknown=True)
    [hit] = results.hits
    assert hit.number == case.number
    assert "osteitis" not in hit.snippet and "Paget" not in hit.title
