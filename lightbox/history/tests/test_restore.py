"""`restore()`: the old content comes back as a new revision; publication stays as it is."""

import pytest

from lightbox.history.revisions import for_object, record, restore

pytestmark = pytest.mark.django_db


def test_restoring_brings_back_the_old_content_as_a_new_revision(edited, people):
    first = for_object(edited).last()
    rev = restore(first, user=people["erin"])
    edited.refresh_from_db()
    assert edited.title == "Diffuse soft-tissue uptake"
    assert edited.findings == first.snapshot["findings"]
    assert (rev.number, rev.kind, rev.message) == (3, "restored", "Restored revision 1")
    assert rev.user_name == "Erin"
    assert rev.changed == ["title", "findings"]
    assert [r.number for r in for_object(edited)] == [3, 2, 1]


def test_restoring_keeps_status_and_visibility(edited, people):
    first = for_object(edited).last()
    edited.status, edited.visibility = "retired", "private"
    edited.save()
    record(edited, user=people["erin"], kind="status", message="Retired")
    restore(first, user=people["alice"])
    edited.refresh_from_db()
    assert (edited.status, edited.visibility) == ("retired", "private")
    assert edited.title == "Diffuse soft-tissue uptake"


def test_restoring_brings_back_authors_doses_and_captions(case, people):
    first = record(case, kind="created")
    case.authors.all().delete()
    case.radiopharmaceuticals.all().delete()
    case.images.update(caption="")
    record(case, user=people["alice"])
    restore(first, user=people["alice"])
    assert list(case.authors.values_list("name", flat=True)) == ["Ed Grishaw", "Henry Royal"]
    assert str(case.radiopharmaceuticals.get().activity_display) == "21.6 mCi (799.2 MBq)"
    assert list(case.images.values_list("caption", flat=True)) == [
        "Anterior whole body",
        "Posterior whole body",
    ]


def test_restoring_the_current_content_is_refused(edited, people):
    with pytest.raises(ValueError, match="already equals revision 2"):
        restore(for_object(edited).first(), user=people["alice"])
    assert for_object(edited).count() == 2


def test_changes_saved_without_a_revision_are_kept_before_restoring(edited, people):
    edited.diagnosis = "Saved outside the editor"
    edited.save()
    restore(for_object(edited).last(), user=people["alice"])
    kept = for_object(edited).get(number=3)
    assert kept.snapshot["diagnosis"] == "Saved outside the editor"
    assert (kept.kind, kept.user) == ("edited", None)
    assert for_object(edited).first().number == 4


def test_a_topic_restores_too(topic, people):
    first = record(topic, kind="created")
    topic.title, topic.discussion = "Renamed", "Rewritten"
    topic.save()
    record(topic, user=people["erin"])
    rev = restore(first, user=people["erin"])
    topic.refresh_from_db()
    assert (topic.title, topic.discussion) == (
        first.snapshot["title"],
        first.snapshot["discussion"],
    )
    assert rev.number == 3
