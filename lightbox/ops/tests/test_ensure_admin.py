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
