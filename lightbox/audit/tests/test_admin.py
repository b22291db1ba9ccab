"""The audit log in the Django admin: readable by administrators, never changed there."""

import pytest
from django.contrib.auth.models import User

from lightbox.audit.log import record
from lightbox.audit.models import Action, AuditEntry
from lightbox.test import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(people):
    return record(Action.EDIT, actor=people["alice"], target_type="case", target_id="bs068")


def test_an_administrator_can_read_entries_in_the_admin(client, entry):
    client.force_login(User.objects.create_superuser("auditor", "", PASSWORD))
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200


def test_nobody_can_add_change_or_delete_entries_in_the_admin(client, entry):
    client.force_login(User.objects.create_superuser("auditor", "", PASSWORD))
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    response = client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"summary": "x"})
    assert response.status_code == 403
    response = client.post(
        "/admin/audit/auditentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_staff_who_are_not_administrators_cannot_see_the_log_in_the_admin(client, entry):
    client.force_login(User.objects.create_user("stella", password=PASSWORD, is_staff=True))
    assert client.get("/admin/audit/auditentry/").status_code == 403
