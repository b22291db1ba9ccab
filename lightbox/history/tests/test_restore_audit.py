"""Restoring a revision is audited."""

import pytest

from lightbox.audit.models import AuditEntry
from lightbox.history.revisions import record
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def test_a_restore_is_audited(client, people):
    case = make_case(created_by=people["alice"], findings="First.")
    record(case, user=people["alice"])
    case.findings = "Second."
    case.save()
    record(case, user=people["alice"])
    client.force_login(people["alice"])
    client.post(f"/cases/{case.number}/history/1/restore/")
    entry = AuditEntry.objects.get(action="revision_restore")
    assert entry.actor == people["alice"] and entry.data["restored"] == 1
