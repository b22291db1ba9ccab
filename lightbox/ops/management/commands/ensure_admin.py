"""python manage.py ensure_admin — create the first administrator, once.

When no superuser exists, creates one (name from LIGHTBOX_ADMIN_USER, default "admin") with
a random password and prints both once. Afterwards it only says an administrator exists:
the password is stored nowhere but in the database, hashed.
"""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the first administrator account if there is none, and print its password."

    def handle(self, *args: object, **options: object) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator account exists already.")
            return
        username = os.environ.get("LIGHTBOX_ADMIN_USER", "admin")
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username, "", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created administrator account — user: {username}  password: {password}\n"
                "This password is shown only once: write it down, or change it with "
                f"`python manage.py changepassword {username}`."
            )
        )
