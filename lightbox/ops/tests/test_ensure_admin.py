import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_it_creates_one_administrator_and_prints_the_password_once():
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    match = re.search(r"user: (\S+)\s+password: (\S+)", out.getvalue())
    assert match
    user = User.objects.get(username=match[1])
    assert user.is_superuser and user.check_password(match[2])
    again = StringIO()
    call_command("ensure_admin", stdout=again)
    assert "exists already" in again.getvalue()
    assert match[2] not in again.getvalue()
    assert User.objects.filter(is_superuser=True).count() == 1


def test_it_says_where_to_sign_in():
    out = StringIO()
    call_command("ensure_admin", "--url", "http://127.0.0.1:8000/", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert re.search(r"user: admin\s+password: \S+", lines[0])
    assert (
        lines[-1] == "Once Lightbox is running, sign in at http://127.0.0.1:8000/accounts/login/"
    )
    again = StringIO()
    call_command("ensure_admin", "--url", "http://127.0.0.1:8000", stdout=again)
    assert "Sign in at http://127.0.0.1:8000/accounts/login/" in again.getvalue()
