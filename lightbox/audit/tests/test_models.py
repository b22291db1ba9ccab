"""An audit entry can be added and read, never changed or removed."""

import pytest
from django.db import IntegrityError, transaction

from lightbox.audit.log import record
from lightbox.audit.models import Action, AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(people):
    return record(Action.EDIT, actor=people["alice"], target_type="case", target_id="bs068")


def test_saving_a_stored_entry_raises(entry):
    entry.summary = "Nothing happened"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).summary != "Nothing happened"


def test_deleting_an_entry_raises(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(summary="rewritten"),
        lambda qs: qs.delete(),
        lambda qs: qs.filter(action="edit").update(action="create"),
        lambda qs: qs.all().delete(),
        lambda qs: qs.bulk_update(list(qs.all()), ["summary"]),
    ],
)
def test_changing_entries_through_a_queryset_raises(entry, change):
    with pytest.raises(AppendOnlyError):
        change(AuditEntry.objects)
    assert AuditEntry.objects.get(pk=entry.pk).action == "edit"


def test_a_related_manager_cannot_change_entries_either(entry, people):
    with pytest.raises(AppendOnlyError):
        people["alice"].audit_entries.update(summary="rewritten")
    with pytest.raises(AppendOnlyError):
        people["alice"].audit_entries.all().delete()


def test_a_new_entry_given_a_stored_entrys_pk_does_not_overwrite_it(entry):
    impostor = AuditEntry(pk=entry.pk, action=Action.CREATE, summary="forged")
    with pytest.raises(IntegrityError), transaction.atomic():
        impostor.save()
    assert AuditEntry.objects.get(pk=entry.pk).summary == entry.summary


def test_an_entry_outlives_its_actors_account(entry, people):
    people["alice"].delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.actor is None
    assert entry.actor_name == "alice"


def test_entries_are_listed_newest_first(people):
    first = record(Action.CREATE, target_type="case", target_id="bs001")
    second = record(Action.PUBLISH, target_type="case", target_id="bs001")
    assert list(AuditEntry.objects.all()) == [second, first]
