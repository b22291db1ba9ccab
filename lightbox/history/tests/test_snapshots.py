"""Snapshots: the whole editable state, and applying one gives it back."""

import datetime as dt
from decimal import Decimal

import pytest

from lightbox.history.snapshots import (
    apply_case_snapshot,
    apply_topic_snapshot,
    case_snapshot,
    topic_snapshot,
)
from lightbox.imaging.models import Image

pytestmark = pytest.mark.django_db


def test_a_case_snapshot_holds_every_editable_field(case):
    snap = case_snapshot(case)
    assert snap["case_date"] == "2024-03-14"
    assert snap["differential"] == ["Dermatomyositis", "Scleroderma", "Hypercalcaemia"]
    assert snap["status"] == "published" and snap["visibility"] == "public"
    assert snap["topic"] is None
    assert snap["authors"] == [
        {"name": "Ed Grishaw", "credentials": "M.D.", "user": None},
        {"name": "Henry Royal", "credentials": "M.D.", "user": None},
    ]
    assert snap["radiopharmaceuticals"] == [
        {
            "agent": "Tc-99m MDP",
            "activity": "21.6",
            "unit": "mCi",
            "route": "i.v.",
            "time_to_imaging": "",
        }
    ]
    assert [(i["caption"], i["order"], i["is_main"]) for i in snap["images"]] == [
        ("Anterior whole body", 0, True),
        ("Posterior whole body", 1, False),
    ]
    assert "number" not in snap and "series" not in snap


def test_applying_a_case_snapshot_to_itself_changes_nothing(case, topic, people):
    case.topic = topic
    case.save()
    case.authors.filter(order=0).update(user=people["alice"])
    before = case_snapshot(case)
    apply_case_snapshot(case, before)
    case.refresh_from_db()
    assert case_snapshot(case) == before
    assert case.radiopharmaceuticals.get().activity == Decimal("21.6")
    assert case.authors.first().user == people["alice"]


def test_applying_an_old_snapshot_brings_back_children_and_captions(case):
    old = case_snapshot(case)
    case.title = "Changed"
    case.case_date = dt.date(2001, 1, 1)
    case.save()
    case.authors.all().delete()
    case.radiopharmaceuticals.update(activity=Decimal("5"), unit="MBq")
    first, second = case.images.all()
    Image.objects.filter(pk=first.pk).update(is_main=False, caption="x", order=5)
    Image.objects.filter(pk=second.pk).update(is_main=True)
    apply_case_snapshot(case, old)
    case.refresh_from_db()
    assert case_snapshot(case) == old
    assert case.case_date == dt.date(2024, 3, 14)


def test_applying_keeps_status_and_visibility(case):
    old = case_snapshot(case)
    case.status, case.visibility = "draft", "private"
    case.save()
    apply_case_snapshot(case, old)
    case.refresh_from_db()
    assert (case.status, case.visibility) == ("draft", "private")


def test_images_that_are_gone_are_skipped(case):
    old = case_snapshot(case)
    case.images.filter(order=0).delete()
    case.images.update(caption="renamed")
    notes = apply_case_snapshot(case, old)
    assert notes == ["1 image(s) of that revision no longer exist and were skipped."]
    assert list(case.images.values_list("caption", flat=True)) == ["Posterior whole body"]


def test_a_topic_snapshot_round_trips(topic):
    before = topic_snapshot(topic)
    assert set(before) == {
        "title",
        "slug",
        "anatomic_field",
        "category",
        "discussion",
        "references",
    }
    topic.discussion, topic.references = "Other", []
    topic.save()
    assert apply_topic_snapshot(topic, before) == []
    topic.refresh_from_db()
    assert topic_snapshot(topic) == before
