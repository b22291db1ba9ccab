"""`diff()`: changed fields with readable labels; long text as an inline word diff."""

import pytest

from lightbox.history import revisions
from lightbox.history.revisions import diff, for_object, record, word_diff
from lightbox.lib.tests.hostile import hostile_texts

pytestmark = pytest.mark.django_db


def test_it_lists_only_changed_fields_with_readable_labels(edited):
    new, old = for_object(edited)
    case = edited
    case.differential = ["Dermatomyositis"]
    case.save()
    case.authors.filter(order=1).delete()
    newest = record(case)
    labels = [d.label for d in diff(old, newest)]
    assert labels == ["Title", "Authors", "Findings", "Differential diagnosis"]
    authors = next(d for d in diff(new, newest) if d.key == "authors")
    assert authors.old == "Ed Grishaw, M.D.\nHenry Royal, M.D."
    assert authors.new == "Ed Grishaw, M.D."


def test_short_text_is_shown_before_and_after(edited):
    new, old = for_object(edited)
    title = diff(old, new)[0]
    assert (title.label, title.old, title.new) == (
        "Title",
        "Diffuse soft-tissue uptake",
        "Calcinosis",
    )
    assert not title.inline


def test_long_text_is_an_inline_word_diff(edited):
    new, old = for_object(edited)
    findings = next(d for d in diff(old, new) if d.key == "findings")
    assert findings.inline
    assert findings.segments[1:] == [
        ("insert", ", arms"),
        ("equal", " and "),
        ("delete", "arms"),
        ("insert", "the abdomen"),
        ("equal", "."),
    ]
    assert "".join(t for op, t in findings.segments if op != "insert") == findings.old
    assert "".join(t for op, t in findings.segments if op != "delete") == findings.new


def test_punctuation_is_a_word_of_its_own():
    assert word_diff("The lesion is small.", "A lesion was seen, small.") == [
        ("delete", "The"),
        ("insert", "A"),
        ("equal", " lesion "),
        ("delete", "is"),
        ("insert", "was seen,"),
        ("equal", " small."),
    ]


def test_word_diff_keeps_whitespace_and_merges_runs():
    assert word_diff("a b\nc", "a x\nc") == [
        ("equal", "a "),
        ("delete", "b"),
        ("insert", "x"),
        ("equal", "\nc"),
    ]


def test_codes_are_shown_by_their_names(case):
    record(case, kind="created")
    case.modality, case.patient_sex = "CT", "M"
    case.save()
    rev = record(case)
    old = for_object(case).last()
    texts = {d.key: (d.old, d.new) for d in diff(old, rev)}
    assert texts["modality"] == ("Nuclear medicine", "CT")
    assert texts["patient_sex"] == ("Female", "Male")


def test_revisions_of_two_objects_cannot_be_compared(case, topic):
    with pytest.raises(ValueError, match="same"):
        diff(record(case, kind="created"), record(topic, kind="created"))


def test_a_change_too_long_to_align_is_one_deletion_and_one_insertion(monkeypatch):
    monkeypatch.setattr(revisions, "MAX_ALIGNED", 10)
    assert word_diff("Intro. a b c d. End.", "Intro. w x y z. End.") == [
        ("equal", "Intro. "),
        ("delete", "a b c d"),
        ("insert", "w x y z"),
        ("equal", ". End."),
    ]


def test_an_edit_in_a_long_text_is_aligned_however_long_the_text(monkeypatch):
    monkeypatch.setattr(revisions, "MAX_ALIGNED", 10)
    before = "Uptake in the femur. " * 10_000
    after = before + "Also the tibia."
    assert word_diff(before, after) == [("equal", before), ("insert", "Also the tibia.")]


@pytest.mark.parametrize("name", list(hostile_texts(100)))
def test_every_character_of_both_texts_is_in_the_diff(name):
    old = hostile_texts(3000)[name]
    new = "changed " + old[: len(old) // 2] + " and " + old[::-1]
    segments = word_diff(old, new)
    assert "".join(t for op, t in segments if op != "insert") == old
    assert "".join(t for op, t in segments if op != "delete") == new
