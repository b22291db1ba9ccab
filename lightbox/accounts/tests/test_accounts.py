"""Accounts: roles, profile, people and invitations, password change and reset."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from lightbox.accounts.models import Invitation, Profile, Role
from lightbox.accounts.roles import can_manage_people, is_editor, role_of
from lightbox.cases.access import can_create_case
from lightbox.test import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_every_account_gets_a_profile_and_a_superuser_is_an_administrator():
    plain = User.objects.create_user("dora", password=PASSWORD)
    root = User.objects.create_superuser("boss", "", PASSWORD)
    assert plain.profile.role == Role.LEARNER
    assert Profile.objects.get(user=root).role == Role.ADMIN
    assert role_of(root) == "admin"


@pytest.mark.parametrize(
    ("name", "role", "creates", "edits_all", "manages"),
    [
        ("bob", "learner", False, False, False),
        ("alice", "author", True, False, False),
        ("erin", "editor", True, True, False),
        ("root", "admin", True, True, True),
    ],
)
def test_roles_decide_permissions(people, name, role, creates, edits_all, manages):
    user = people[name]
    assert role_of(user) == role
    assert can_create_case(user) is creates
    assert is_editor(user) is edits_all
    assert can_manage_people(user) is manages


def test_anonymous_has_no_role():
    from django.contrib.auth.models import AnonymousUser

    assert role_of(AnonymousUser()) == "anonymous"
    assert not can_create_case(AnonymousUser())


def test_the_profile_page_saves_name_credentials_and_institution(client, people):
    assert client.get("/accounts/profile/").status_code == 302
    client.force_login(people["alice"])
    page = client.get("/accounts/profile/")
    assert page.status_code == 200 and "Author" in page.content.decode()
    response = client.post(
        "/accounts/profile/",
        {
            "first_name": "Alice",
            "last_name": "Moreau",
            "email": "alice@example.org",
            "credentials": "M.D.",
            "institution": "General Hospital",
        },
    )
    assert response.status_code == 302
    alice = User.objects.get(username="alice")
    assert (alice.last_name, alice.profile.credentials, alice.profile.institution) == (
        "Moreau",
        "M.D.",
        "General Hospital",
    )


@pytest.mark.parametrize(
    ("name", "status"), [("bob", 404), ("alice", 404), ("erin", 404), ("root", 200)]
)
def test_only_administrators_manage_people(client, people, name, status):
    client.force_login(people[name])
    assert client.get("/accounts/people/").status_code == status
    response = client.post(f"/accounts/people/{people['bob'].pk}/role/", {"role": "editor"})
    assert response.status_code == (302 if status == 200 else 404)
    assert role_of(User.objects.get(username="bob")) == ("editor" if status == 200 else "learner")


def test_a_role_change_is_audited(client, people):
    from lightbox.audit.models import AuditEntry

    client.force_login(people["root"])
    client.post(f"/accounts/people/{people['bob'].pk}/role/", {"role": "author"})
    entry = AuditEntry.objects.get(action="role_change")
    assert entry.actor == people["root"]
    assert entry.data["old"] == "learner" and entry.data["new"] == "author"


def test_a_bad_role_or_a_superuser_is_refused(client, people):
    client.force_login(people["root"])
    client.post(f"/accounts/people/{people['bob'].pk}/role/", {"role": "emperor"})
    assert role_of(User.objects.get(username="bob")) == "learner"
    client.post(f"/accounts/people/{people['root'].pk}/role/", {"role": "learner"})
    assert Profile.objects.get(user=people["root"]).role == Role.ADMIN


def test_role_changes_need_csrf(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["root"])
    response = client.post(f"/accounts/people/{people['bob'].pk}/role/", {"role": "editor"})
    assert response.status_code == 403


def _invite(client, people, email="new@example.org", role="author") -> str:
    client.force_login(people["root"])
    response = client.post("/accounts/people/", {"email": email, "role": role})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [email]
    return re.search(r"http://testserver(/accounts/join/\S+/)", message.body).group(1)


def test_an_invitation_makes_one_account_with_its_role(client, people):
    link = _invite(client, people)
    client.logout()
    assert "invited as <strong>Author</strong>" in client.get(link).content.decode()
    response = client.post(
        link,
        {
            "username": "newbie",
            "first_name": "New",
            "last_name": "Author",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.email == "new@example.org" and role_of(newbie) == "author"
    assert client.get("/accounts/profile/").status_code == 200  # signed in at once
    client.logout()
    assert client.get(link).status_code == 410  # used once


def test_an_expired_or_forged_invitation_is_refused(client, people):
    link = _invite(client, people)
    Invitation.objects.update(expires=timezone.now() - dt.timedelta(minutes=1))
    client.logout()
    assert client.get(link).status_code == 410
    assert client.get("/accounts/join/forged-token/").status_code == 404


def test_invitation_errors_are_shown_next_to_the_field(client, people):
    client.force_login(people["root"])
    response = client.post("/accounts/people/", {"email": "not an address", "role": "author"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not Invitation.objects.exists()


def test_password_change_and_reset(client):
    user = make_user("dora", "learner")
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase 7",
            "new_password2": "another long passphrase 7",
        },
    )
    assert response.status_code == 302
    client.logout()
    assert client.login(username="dora", password="another long passphrase 7")
    client.logout()
    client.post("/accounts/password_reset/", {"email": "dora@example.org"})
    [message] = mail.outbox
    assert message.subject == "Password reset for Lightbox Teaching File"
    assert 'the Lightbox Teaching File account "dora"' in message.body
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "third long passphrase 9", "new_password2": "third long passphrase 9"},
    )
    assert response.status_code == 302
    assert client.login(username="dora", password="third long passphrase 9")


def test_the_sign_in_and_out_pages_carry_the_site_name_not_the_host(client, people):
    page = client.get("/accounts/login/").content.decode()
    assert "Lightbox Teaching File</a>" in page and "testserver</a>" not in page
    client.force_login(people["bob"])
    page = client.post("/accounts/logout/").content.decode()
    assert "Lightbox Teaching File</a>" in page
