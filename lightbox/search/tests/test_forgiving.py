"""Search that forgives, on the real database (SQLite FTS5, and PostgreSQL in the second
pass): every form of a word (plurals, possessives, British spellings, stems), the form
typed ranked first; abbreviations in each meaning; a search finding nothing corrected or
relaxed, and said so; ``literal`` searching as typed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from lightbox.search.engine import search
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

ANON = AnonymousUser()

OTHERS = [
    ("Stress fracture", "Linear uptake along the tibial shaft.", "Runner with shin pain."),
    ("Renal cyst", "Simple cyst of the left kidney.", "Incidental finding."),
    ("Pneumonia", "Consolidation in the right lower lobe.", "Fever and cough."),
    ("Fibrous dysplasia", "Ground-glass expansion of the rib.", "Painless swelling."),
]


def _case(diagnosis: str, findings: str = "Uptake.", history: str = "Pain.", **extra):
    fields = {
        "title": diagnosis, "diagnosis": diagnosis, "findings": findings,
        "brief_history": history, "full_history": history, "discussion": "A teaching point.",
        "differential": ["Other"], "keywords": ["misc"],
    }  # fmt: skip
    return make_case(**(fields | extra))


def numbers(results) -> list[str]:
    return [h.number for h in results.hits]


@pytest.fixture
def others():
    """Unrelated cases, so that word statistics are like a real library's."""
    return [_case(dx, f, h) for dx, f, h in OTHERS]


# -- every form of a word --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Wilms tumor", "wilms tumour"),
        ("Pulmonary oedema", "edema"),
        ("Pulmonary edema", "oedema"),
        ("Intracranial haemorrhage", "hemorrhage"),
        ("Oesophageal carcinoma", "esophageal"),
        ("Anaemia of chronic disease", "anemia"),
        ("Paediatric fracture", "pediatric"),
        ("Crohn's disease", "crohn disease"),
        ("Crohns disease", "crohn's"),
        ("Non-Hodgkin's Lymphoma", "non-hodgkin lymphoma"),
        ("Hodgkin lymphoma", "hodgkins"),
        ("Bone metastases", "metastasis"),
        ("Multiple pulmonary emboli", "embolus"),
        ("Dislocated shoulder", "dislocation"),
        ("Localised collection", "localized"),
        ("Centre of the lesion", "center"),
        ("Rhabdomyolysis after a marathon", "marathons"),
    ],
)
def test_a_word_finds_every_form_of_it(others, written, typed):
    case = _case(written)
    results = search(ANON, typed)
    assert numbers(results) == [case.number], (written, typed)
    assert not results.corrected and not results.relaxed


def test_the_form_typed_ranks_above_other_forms(others):
    plural = _case("Lung metastases", history="Known sarcoma.")
    single = _case("Lung metastasis", history="Known sarcoma.")
    assert numbers(search(ANON, "metastases")) == [plural.number, single.number]
    assert numbers(search(ANON, "metastasis")) == [single.number, plural.number]


def test_a_spelling_ranks_as_the_word_itself(others):
    """British and American spellings are one word: neither ranks above the other."""
    british = _case("Pulmonary oedema", history="Breathless.")
    american = _case("Pulmonary edema", history="Breathless.")
    for typed in ("oedema", "edema"):
        hits = search(ANON, typed).hits
        assert {h.number for h in hits} == {british.number, american.number}
        assert hits[0].score == hits[1].score, typed


def test_phrases_and_fields_find_every_form_too(others):
    case = _case("Non-Hodgkin's lymphoma", findings="Bulky nodes in both axillae.")
    assert numbers(search(ANON, '"non hodgkin lymphoma"')) == [case.number]
    assert numbers(search(ANON, "diagnosis:hodgkin")) == [case.number]
    assert numbers(search(ANON, 'findings:"bulky node"')) == [case.number]
    # A NOT leaves out every form of its word.
    assert case.number not in numbers(search(ANON, "lymphoma NOT node"))


def test_every_form_found_is_highlighted(others):
    _case("Wilms tumor", findings="A large tumor of the left kidney; the tumours are bilateral.")
    snippet = search(ANON, "tumour").hits[0].snippet
    assert "<mark>tumor</mark>" in snippet and "<mark>tumours</mark>" in snippet


def test_a_key_is_not_offered_as_a_word(others):
    """The keys the index stores beside the words are never a suggestion or a completion."""
    _case("Haemorrhagic cyst")
    results = search(ANON, "hemorrhagik", literal=True)
    assert results.suggestion is not None
    assert "zq" not in results.suggestion.text


# -- abbreviations -------------------------------------------------------------------------------


def test_an_ambiguous_abbreviation_searches_each_meaning(client, others):
    sclerosis = _case("Multiple sclerosis", findings="Periventricular white matter lesions.")
    stenosis = _case("Mitral stenosis", findings="Enlarged left atrium.")
    results = search(ANON, "MS")
    assert set(numbers(results)) == {sclerosis.number, stenosis.number}
    assert set(results.expanded["ms"]) >= {"multiple sclerosis", "mitral stenosis"}
    page = client.get("/search/", {"q": "MS"}).content.decode()
    assert "MS as “multiple sclerosis” or “mitral stenosis”" in page
    assert 'href="?q=MS&amp;literal=1">Search only for MS as written</a>' in page
    literal = search(ANON, "MS", literal=True)
    assert literal.total == 0 and literal.expanded == {}


def test_an_abbreviation_that_is_a_word_counts_only_in_capitals(others):
    spondylitis = _case("Ankylosing spondylitis", findings="Bamboo spine.")
    assert search(ANON, "AS").expanded.keys() == {"as"}
    assert spondylitis.number in numbers(search(ANON, "AS"))
    assert search(ANON, "as").expanded == {}


def test_abbreviations_reach_the_findings(others):
    case = _case("Small bowel obstruction", findings="Dilated loops with air-fluid levels.")
    lobe = _case("Left lower lobe collapse", findings="Triangular opacity behind the heart.")
    assert numbers(search(ANON, "SBO")) == [case.number]
    assert numbers(search(ANON, "LLL collapse")) == [lobe.number]


# -- no dead ends --------------------------------------------------------------------------------


def test_a_misspelling_shows_the_corrected_results_at_once(client, others):
    case = _case("Chance fracture", findings="Horizontal fracture through the L1 vertebra.")
    results = search(ANON, "chance fracure")
    assert numbers(results) == [case.number]
    assert results.corrected == "chance AND fracure"
    page = client.get("/search/", {"q": "chance fracure"}).content.decode()
    assert "Showing results for <strong>chance AND fracture</strong>" in page
    assert 'href="?q=chance+fracure&amp;literal=1">Search instead for chance AND fracure' in page
    api = client.get("/api/v1/search", {"q": "chance fracure"}).json()
    assert api["corrected_from"] == "chance AND fracure" and api["query"] == "chance AND fracture"
    assert api["total"] == 1 and api["relaxed"] is False


def test_when_no_case_has_every_word_the_cases_with_most_come_first(client, others):
    both = _case("Osteoid osteoma", findings="Nidus in the femoral neck with sclerosis.")
    one = _case("Femoral neck fracture", findings="Lucent line.")
    results = search(ANON, "nidus femoral zebra")
    assert results.relaxed and numbers(results)[0] == both.number
    assert one.number in numbers(results)
    page = client.get("/search/", {"q": "nidus femoral zebra"}).content.decode()
    assert "No case has all of these words: showing the cases with most of them" in page
    assert client.get("/api/v1/search", {"q": "nidus femoral zebra"}).json()["relaxed"] is True
    # Searched as typed, nothing is relaxed; nothing at all matches "zebra unicorn".
    assert search(ANON, "nidus femoral zebra", literal=True).total == 0
    assert search(ANON, "zebra unicorn").total == 0


def test_a_relaxed_search_keeps_its_nots_and_filters(others):
    kept = _case("Osteoid osteoma", findings="Nidus in the femur.", modality="CT")
    _case("Osteoid osteoma", findings="Nidus in the tibia.", modality="NM")
    _case("Femoral nidus", findings="Nidus in the femur.", modality="CT", keywords=["skip"])
    results = search(ANON, "nidus femur zebra -skip modality:CT")
    assert results.relaxed and numbers(results) == [kept.number]


def test_a_correction_and_a_relaxation_together(others):
    case = _case("Chance fracture", findings="Horizontal fracture through L1.")
    results = search(ANON, "chance fracure zebra")
    assert results.relaxed and results.corrected == "chance AND fracure AND zebra"
    assert numbers(results)[0] == case.number


def test_an_abbreviation_written_with_a_hyphen(others):
    case = _case("Transthyretin amyloid cardiomyopathy", findings="Grade 3 myocardial uptake.")
    results = search(ANON, "ATTR-CM")
    assert numbers(results) == [case.number]
    assert results.expanded == {"attr-cm": ("transthyretin amyloid cardiomyopathy",)}
    # In quotes it is the phrase as typed.
    assert search(ANON, '"ATTR-CM"').expanded == {}


def test_a_relaxed_search_takes_prefixes_and_leaves_out_a_common_word(others, monkeypatch):
    """A word in more cases than are ranked ("uptake": every case here) is not searched on
    its own while a rarer word is: the cases holding only it would say little."""
    monkeypatch.setattr("lightbox.search.engine.RANK_ALL", 3)
    nidus = _case("Osteoid osteoma", findings="Nidus in the femur with uptake.")
    prefix = _case("Rhabdomyolysis", findings="Muscle uptake.")
    results = search(ANON, "rhabdo* nidus uptake zebra")
    assert results.relaxed
    assert set(numbers(results)) == {nidus.number, prefix.number}


def test_a_form_indexed_since_the_vocabulary_was_read_is_found(others):
    """Which forms a word has is read from the index's vocabulary, refreshed at most once a
    minute: until then every word is asked for by its key, so no new form is missed."""
    first = _case("Giant cell tumour", history="Knee pain.")
    assert numbers(search(ANON, "tumour")) == [first.number]  # the vocabulary: "tumour"
    second = _case("Brown tumours", history="Renal failure.")
    assert set(numbers(search(ANON, "tumour"))) == {first.number, second.number}


def test_a_synonym_or_an_eponym_finds_the_name_it_stands_for(client, others):
    """From grading's table (terms.toml): a run of words that is a known synonym of two
    words or more, or an eponym, also finds the name."""
    paget = _case("Paget disease of the skull", findings="Thickened calvarium.")
    results = search(ANON, "osteitis deformans")
    assert numbers(results) == [paget.number]
    assert results.synonyms == {"osteitis deformans": "paget"}
    page = client.get("/search/", {"q": "osteitis deformans"}).content.decode()
    assert "Also searched: “osteitis deformans” as “paget”." in page
    goitre = _case("Toxic multinodular goitre", findings="Several hot nodules.")
    assert numbers(search(ANON, "plummer")) == [goitre.number]
    api = client.get("/api/v1/search", {"q": "plummer"}).json()
    assert api["synonyms"] == {"plummer": "toxic multinodular goitre"}
    # As typed, no name is searched.
    assert search(ANON, "osteitis deformans", literal=True).synonyms == {}
