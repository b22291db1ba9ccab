"""`record()`: every changed save is a revision, numbered 1, 2, 3…; unchanged saves are not."""

import pytest

from lightbox.history.models import AppendOnly, Revision
from lightbox.history.revisions import for_object, latest, record
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def test_the_first_save_is_always_recorded(case, people):
    rev = record(case, user=people["alice"], kind="created")
    assert rev is not None
    assert (rev.number, rev.kind, rev.target_type, rev.target_id) == (
        1,
        "created",
        "case",
        case.pk,
    )
    assert rev.user == people["alice"] and rev.user_name == "Alice"
    assert rev.changed == []
    assert rev.snapshot["findings"] == case.findings


def test_an_unchanged_save_records_nothing(case):
    record(case, kind="created")
    case.save()
    assert record(case, message="nothing new") is None
    assert for_object(case).count() == 1


def test_numbers_follow_each_other_and_list_newest_first(case, people):
    record(case, kind="created")
    for n in range(3):
        case.findings = f"Version {n}"
        case.save()
        record(case, user=people["erin"])
    assert [r.number for r in for_object(case)] == [4, 3, 2, 1]
    assert latest(case).snapshot["findings"] == "Version 2"
    assert latest(case).changed == ["findings"]


def test_numbers_are_per_object(case):
    other = make_case(title="Another")
    record(case, kind="created")
    assert record(other, kind="created").number == 1


def test_a_first_record_after_an_edit_is_recorded_as_created(case, people):
    case.findings = "Edited before history began."
    case.save()
    rev = record(case, user=people["alice"], kind="edited", message="Edited")
    assert (rev.number, rev.kind) == (1, "created")


def test_it_records_the_saved_state_not_unsaved_changes(case):
    case.findings = "Typed but never saved"
    rev = record(case, kind="created")
    assert rev.snapshot["findings"] != "Typed but never saved"


def test_it_records_children_changes(case):
    record(case, kind="created")
    case.authors.filter(order=1).update(credentials="Ph.D.")
    rev = record(case)
    assert rev.changed == ["authors"]


def test_topics_have_their_own_history(topic, people):
    assert record(topic, user=people["erin"], kind="created").number == 1
    topic.discussion = "New text."
    topic.save()
    rev = record(topic, user=people["erin"])
    assert (rev.number, rev.changed, rev.target_type) == (2, ["discussion"], "topic")


def test_revisions_are_never_edited_or_deleted(case):
    rev = record(case, kind="created")
    rev.message = "rewritten"
    with pytest.raises(AppendOnly):
        rev.save()
    with pytest.raises(AppendOnly):
        rev.delete()
    with pytest.raises(AppendOnly):
        Revision.objects.filter(pk=rev.pk).delete()
    with pytest.raises(AppendOnly):
        Revision.objects.filter(pk=rev.pk).update(message="x")


def test_a_deleted_account_keeps_its_name_in_the_log(case, people):
    rev = record(case, user=people["alice"], kind="created")
    people["alice"].delete()
    rev.refresh_from_db()
    assert rev.user is None and rev.user_name == "Alice"


def test_an_unsaved_object_has_no_revision(db):
    from lightbox.cases.models import Case

    with pytest.raises(ValueError, match="Save"):
        record(Case())


def test_a_number_taken_meanwhile_is_retried(case, monkeypatch):
    from lightbox.history import revisions

    record(case, kind="created")
    case.findings = "Second"
    case.save()
    record(case)
    stale = revisions.latest(case).__class__.objects.get(target_id=case.pk, number=1)
    calls = []
    real_latest = revisions.latest

    def latest_once_stale(obj):
        calls.append(obj)
        return stale if len(calls) == 1 else real_latest(obj)

    monkeypatch.setattr(revisions, "latest", latest_once_stale)
    case.findings = "Third"
    case.save()
    assert record(case).number == 3
    assert len(calls) == 2
