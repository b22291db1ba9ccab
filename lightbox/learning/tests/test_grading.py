"""Answer grading (lightbox/learning/grading.py): the labelled set, and each rule."""

from __future__ import annotations

import doctest
import re
import time
import tomllib
from collections import Counter
from dataclasses import FrozenInstanceError

import pytest

from lightbox.learning import grading
from lightbox.learning.grading import Lexicon, Outcome, Verdict, grade, normalise, variants
from lightbox.learning.tests import labelled

ACCEPTED = (Outcome.CORRECT, Outcome.SPELLING)


@pytest.fixture(scope="module")
def set_lexicon() -> Lexicon:
    return labelled.lexicon()


@pytest.fixture(scope="module")
def graded(set_lexicon: Lexicon) -> list[tuple[labelled.Row, Verdict]]:
    return [(row, row.grade(set_lexicon)) for row in labelled.rows()]


# -- the labelled set ------------------------------------------------------------------------


def test_the_set_is_large_and_covers_every_outcome() -> None:
    rows = labelled.rows()
    assert len(rows) >= 400
    assert sum(r.near_miss for r in rows) >= 100
    assert set(Counter(r.expected for r in rows)) == set(Outcome)
    assert len({r.diagnosis for r in rows}) >= 80


def test_it_grades_at_least_95_percent_of_the_set_as_a_teacher_would(graded) -> None:
    wrong = [
        (r.answer, r.diagnosis, r.expected, v.outcome)
        for r, v in graded
        if v.outcome != r.expected
    ]
    accuracy = 1 - len(wrong) / len(graded)
    assert accuracy >= 0.95, f"{accuracy:.1%}; first misses: {wrong[:10]}"


def test_it_never_accepts_an_answer_labelled_incorrect(graded) -> None:
    false_accepts = [
        (r.answer, r.diagnosis, v)
        for r, v in graded
        if r.expected is Outcome.INCORRECT and v.outcome in ACCEPTED
    ]
    assert false_accepts == []


def test_it_never_accepts_an_incorrect_answer_of_the_held_out_set(set_lexicon: Lexicon) -> None:
    rows = labelled.holdout_rows()
    assert len(rows) >= 150 and sum(r.near_miss for r in rows) >= 25
    false_accepts = [
        (r.answer, r.diagnosis)
        for r in rows
        if r.expected is Outcome.INCORRECT and r.grade(set_lexicon).outcome in ACCEPTED
    ]
    assert false_accepts == []


def test_it_never_accepts_a_dangerous_near_miss_even_without_a_lexicon() -> None:
    """With only the shipped common diagnoses as rivals, near misses stay refused."""
    false_accepts = [
        (r.answer, r.diagnosis)
        for r in (*labelled.rows(), *labelled.holdout_rows())
        if r.near_miss
        and grade(r.answer, r.diagnosis, accepted=r.accepted, differential=r.differential).outcome
        in ACCEPTED
    ]
    assert false_accepts == []


# -- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    ["Paget's disease of bone", "Pagets disease of bone", "PAGET’S  bone", "Pagét bones"],
)
def test_normalise_folds_case_accents_possessives_and_plurals(variant: str) -> None:
    assert normalise(variant) == "paget bone"


def test_normalise_makes_metastases_mets_and_metastasis_one_word() -> None:
    assert {normalise(w) for w in ("metastases", "Metastasis", "mets", "METS")} == {"metastasis"}


def test_normalise_makes_british_spelling_american() -> None:
    assert normalise("Haemorrhagic oesophageal tumours") == "hemorrhagic esophageal tumor"
    assert normalise("goitre") == normalise("goiter")
    assert normalise("organising pneumonia") == normalise("organizing pneumonia")


def test_normalise_drops_markdown_links_tags_and_filler() -> None:
    text = "**The** _[Paget](https://example.org/paget)_ <b>disease</b> of `bone`"
    assert normalise(text) == "paget bone"


def test_normalise_joins_prefixes_and_reads_classifiers() -> None:
    assert normalise("Non-Hodgkin lymphoma, stage IV") == "nonhodgkin lymphoma stage:4"
    assert normalise("non small cell") == normalise("nonsmall cell")
    assert normalise("de Quervain") == "dequervain"


def test_normalise_is_capped() -> None:
    assert len(normalise("pneumothorax " * 10_000)) <= grading.MAX_LENGTH
    assert normalise("") == normalise("!!! ... ???") == normalise("🫁🦴") == ""


def test_word_order_does_not_matter() -> None:
    assert grade("fracture of the scaphoid", "Scaphoid fracture").outcome is Outcome.CORRECT
    assert grade("lymphoma hodgkin", "Hodgkin lymphoma").outcome is Outcome.CORRECT


# -- abbreviations and synonyms ------------------------------------------------------------


def test_abbreviations_expand_on_both_sides() -> None:
    assert grade("AVN", "Avascular necrosis of the femoral head").outcome is Outcome.CORRECT
    assert grade("avascular necrosis", "AVN, left hip").outcome is Outcome.CORRECT
    assert grade("HCC", "HCC").outcome is Outcome.CORRECT


def test_an_ambiguous_abbreviation_is_right_for_any_of_its_meanings() -> None:
    assert sorted(variants("AML")) == ["acute myeloid leukemia", "angiomyolipoma"]
    assert grade("AML", "Renal angiomyolipoma").outcome is Outcome.CORRECT
    assert grade("AML", "Acute myeloid leukaemia").outcome is Outcome.CORRECT
    assert grade("AML", "Renal cell carcinoma").outcome is Outcome.INCORRECT


def test_an_abbreviation_that_is_a_word_counts_only_in_capitals_or_alone() -> None:
    assert grade("AS", "Ankylosing spondylitis").outcome is Outcome.CORRECT
    assert grade("as", "Ankylosing spondylitis").outcome is Outcome.CORRECT  # the whole answer
    assert normalise("fracture as seen") == "fracture seen"


def test_synonyms_and_eponyms_name_the_same_diagnosis() -> None:
    assert grade("Legg-Calve-Perthes", "Perthes disease").outcome is Outcome.CORRECT
    assert grade("Plummer's disease", "Toxic multinodular goitre").outcome is Outcome.CORRECT
    assert grade("Hodgkin's", "Hodgkin lymphoma").outcome is Outcome.CORRECT
    # An eponym stands for its disease only alone: Meckel diverticulitis is another one.
    assert grade("Meckel's diverticulitis", "Meckel diverticulum").outcome is not Outcome.CORRECT


def test_the_abbreviation_table_is_well_formed() -> None:
    data = tomllib.loads(grading.ABBREVIATIONS_FILE.read_text(encoding="utf-8"))
    meanings = data["meanings"]
    for key, values in meanings.items():
        # Capitals and digits; one written with a hyphen as it is typed ("Tc-PYP").
        assert re.fullmatch(r"[A-Z][A-Z0-9]*|[A-Z][A-Za-z0-9]*(-[A-Za-z0-9]+)+", key), key
        assert values and len(values) == len(set(values)), key
        for meaning in values:
            assert re.fullmatch(r"[a-z0-9]+( [a-z0-9]+)*", meaning), (key, meaning)
    assert set(data["caps_only"]) <= set(meanings)
    assert len(meanings) >= 100


def test_synonyms_are_stable() -> None:
    """A canonical name is not itself a synonym of something else (no chains)."""
    v = grading._vocabulary()
    for canonical in set(v.synonyms.values()):
        words, _ = grading._replace(list(canonical), v.synonyms, v.synonym_span, {}, v.known, {})
        assert tuple(words) == canonical


def test_no_word_is_both_a_site_and_a_qualifier() -> None:
    v = grading._vocabulary()
    assert not v.sites & set(v.qualifier_group)


# -- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "diagnosis"),
    [
        ("hemothorax", "Pneumothorax"),
        ("pneumothorax", "Haemothorax"),
        ("hypothyroidism", "Hyperthyroidism"),
        ("Graves disease", "Toxic multinodular goiter"),
        ("osteosarcoma", "Chondrosarcoma"),
        ("nephroblastoma", "Neuroblastoma"),
        ("osteoporosis", "Osteopetrosis"),
        ("right SCFE", "Slipped capital femoral epiphysis, left"),
        ("chronic cholecystitis", "Acute cholecystitis"),
        ("non-Hodgkin lymphoma", "Hodgkin lymphoma"),
        ("type B dissection", "Type A aortic dissection"),
        ("epidural haematoma", "Subdural haematoma"),
        ("adrenal adenoma", "Parathyroid adenoma"),
        ("ossifying fibroma", "Non-ossifying fibroma"),
    ],
)
def test_a_near_miss_is_never_accepted(answer: str, diagnosis: str) -> None:
    for lexicon in (None, Lexicon(base=False)):
        assert grade(answer, diagnosis, lexicon=lexicon).outcome not in ACCEPTED


def test_misspellings_are_accepted_as_spelling() -> None:
    for answer in ("pnemothorax", "pneumothroax", "pnuemothorax"):
        v = grade(answer, "Pneumothorax")
        assert v.outcome is Outcome.SPELLING and 85 <= v.similarity < 100


def test_an_answer_closer_to_another_known_diagnosis_is_refused_with_that_rival() -> None:
    lexicon = Lexicon(["Arteritis"], base=False)
    assert grade("arthritis", "Arteritis", lexicon=lexicon).outcome is Outcome.SPELLING
    lexicon.add("Arthritis")
    v = grade("arthritis", "Arteritis", lexicon=lexicon)
    assert (v.outcome, v.rival, v.matched) == (Outcome.INCORRECT, "Arthritis", "")


def test_a_known_diagnosis_that_is_the_case_diagnosis_in_other_words_is_no_rival() -> None:
    lexicon = Lexicon(["Paget disease", "Appendicitis", "Osteonecrosis of the hip"])
    assert grade("Paget", "Paget's disease of bone", lexicon=lexicon).outcome is Outcome.CORRECT
    assert grade("appendicitis", "Acute appendicitis", lexicon=lexicon).outcome is Outcome.CORRECT
    v = grade("AVN", "Avascular necrosis of the left femoral head", lexicon=lexicon)
    assert v.outcome is Outcome.CORRECT


def test_a_differential_item_is_partial() -> None:
    v = grade("TMNG", "Graves disease", differential=["Toxic multinodular goitre", "Thyroiditis"])
    assert (v.outcome, v.matched) == (Outcome.PARTIAL, "Toxic multinodular goitre")


def test_an_accepted_answer_is_correct_but_keeps_the_diagnosis_side() -> None:
    diagnosis, accepted = "Avascular necrosis of the left femoral head", ["Osteonecrosis"]
    v = grade("osteonecrosis", diagnosis, accepted=accepted)
    assert (v.outcome, v.matched) == (Outcome.CORRECT, diagnosis)
    assert grade("right osteonecrosis", diagnosis, accepted=accepted).outcome is Outcome.INCORRECT


def test_qualifiers_may_be_left_out_but_never_contradicted() -> None:
    assert grade("pneumothorax", "Right pneumothorax").outcome is Outcome.CORRECT
    assert grade("left pneumothorax", "Right pneumothorax").outcome is Outcome.INCORRECT
    assert grade("osteomyelitis", "Osteomyelitis of the calcaneus").outcome is Outcome.CORRECT


def test_a_broader_or_narrower_term_is_left_to_the_reader() -> None:
    assert grade("lymphoma", "Hodgkin lymphoma").outcome is Outcome.UNSURE
    assert grade("pneumothorax", "Tension pneumothorax").outcome is Outcome.UNSURE
    assert grade("hyperthyroidism", "Graves disease").outcome is Outcome.UNSURE
    assert grade("Hodgkin lymphoma", "Lymphoma").outcome is Outcome.UNSURE


def test_a_generic_answer_is_incorrect() -> None:
    for answer in ("fracture", "tumour", "cancer", "mass", "left"):
        assert grade(answer, "Scaphoid fracture").outcome is Outcome.INCORRECT


def test_the_core_of_a_long_diagnosis_is_enough_and_its_cause_alone_is_not() -> None:
    diagnosis = (
        "Hypertrophic pulmonary osteoarthropathy, secondary to squamous cell carcinoma "
        "of the *lung*."
    )
    assert grade("HPOA", diagnosis).outcome is Outcome.CORRECT
    assert grade("hypertrophic osteoarthropathy", diagnosis).outcome is Outcome.CORRECT
    assert grade("HPOA due to lung cancer", diagnosis).outcome is Outcome.CORRECT
    assert grade("lung cancer", diagnosis).outcome is Outcome.INCORRECT
    assert grade("squamous cell carcinoma of the lung", diagnosis).outcome is Outcome.UNSURE


def test_what_a_diagnosis_says_the_case_is_not_never_makes_an_answer_right() -> None:
    diagnosis = "Paget's disease of T11 (not a metastasis)"
    assert grade("Paget's disease", diagnosis).outcome is Outcome.CORRECT
    assert grade("metastasis", diagnosis).outcome is Outcome.INCORRECT
    diagnosis = "Perirenal brown fat mimicking an adrenal metastasis"
    assert grade("adrenal metastasis", diagnosis).outcome is Outcome.INCORRECT


def test_an_empty_answer_is_incorrect_with_similarity_zero() -> None:
    for answer in ("", "   ", "\n", "...", "the of a", "🫁"):
        assert grade(answer, "Pneumothorax") == Verdict(Outcome.INCORRECT, "", 0.0, "")


def test_hostile_input_is_graded_in_bounded_time() -> None:
    hostile = [
        "a" * 1_000_000,
        "pneumothorax " * 80_000,
        "\x00\x1b\x7f" * 300_000 + "pneumothorax",
        "🫁💥" * 500_000,
        "(" * 500_000 + ")" * 500_000,
        "AS MS PE AML HD UC SPN OM ICH AIP " * 30_000,
        "![" * 300_000,
    ]
    grade("warm up", "Pneumothorax")
    for text in hostile:
        start = time.perf_counter()
        grade(text, "Pneumothorax")
        grade("pneumothorax", text, accepted=[text], differential=[text, text])
        Lexicon([text], base=False)
        normalise(text)
        assert time.perf_counter() - start < 1.0, text[:20]


def test_a_verdict_cannot_be_changed() -> None:
    v = grade("pneumothorax", "Pneumothorax")
    with pytest.raises(FrozenInstanceError):
        v.outcome = Outcome.INCORRECT  # type: ignore[misc]


# -- the lexicon ----------------------------------------------------------------------------


def test_the_lexicon_counts_distinct_diagnoses_after_normalisation() -> None:
    lexicon = Lexicon(base=False)
    lexicon.add("Paget's disease")
    lexicon.update(["Pagets disease", "PAGET DISEASE", "Paget disease of bone", "", "  "])
    assert len(lexicon) == 2
    assert "paget's disease" in lexicon and "Osteoporosis" not in lexicon
    assert len(Lexicon()) >= 300  # the shipped common diagnoses


def test_the_lexicon_finds_rivals_among_many_diagnoses() -> None:
    lexicon = Lexicon(f"Diagnosis number {i} of the knee" for i in range(5000))
    lexicon.add("Hemothorax")
    assert grade("hemothorax", "Pneumothorax", lexicon=lexicon).rival == "Hemothorax"


def test_the_module_examples_run() -> None:
    assert doctest.testmod(grading).failed == 0
