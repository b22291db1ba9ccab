"""python manage.py ensure_admin — create the first administrator, once.

When no superuser exists, creates one (name from LIGHTBOX_ADMIN_USER, default "admin") with
a random password and prints both once. Afterwards it only says an administrator exists:
the password is stored nowhere but in the database, hashed.
"""

from __future__ import annotations

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create the first administrator account if there is none, and print its password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="",
            help="where Lightbox will answer (e.g. http://127.0.0.1:8000/): printed with "
            "the account, as where to sign in",
        )

    def handle(self, *args: object, url: str = "", **options: object) -> None:
        User = get_user_model()
        sign_in = f"{url.rstrip('/')}/accounts/login/" if url else ""
        if User.objects.filter(is_superuser=True).exists():
            where = f" Sign in at {sign_in}" if sign_in else ""
            self.stdout.write(f"An administrator account exists already.{where}")
            return
        username = os.environ.get("LIGHTBOX_ADMIN_USER", "admin")
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username, "", password)
        lines = [
            "",
            f"Created administrator account — user: {username}  password: {password}",
            "This password is shown only once: write it down, or change it with "
            f"`python manage.py changepassword {username}`.",
        ]
        if sign_in:
            lines.append(f"Once Lightbox is running, sign in at {sign_in}")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
