"""python manage.py ensure_bucket — create the S3 bucket stored files go to, if missing.

For ``LIGHTBOX_STORAGE=s3``: run once when installing (compose.yaml's ``init`` service runs
it at every start, which does nothing once the bucket is there). The bucket is created
private; Lightbox serves its images itself, after its access checks.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError

from lightbox.lib.s3 import BucketUnreachable, S3MediaStorage, create_bucket


class Command(BaseCommand):
    help = "Create the S3 bucket for stored files (LIGHTBOX_STORAGE=s3) if it does not exist."
    # The system checks would stop this command for the very reason it exists (E301).
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.STORAGE != "s3":
            self.stdout.write("LIGHTBOX_STORAGE is local: stored files need no bucket.")
            return
        storage = storages["default"]
        if not isinstance(storage, S3MediaStorage):
            raise CommandError("the default storage is not Lightbox's S3 storage")
        try:
            made = create_bucket(storage)
        except BucketUnreachable as e:
            raise CommandError(str(e)) from None
        where = f"Bucket {storage.bucket_name!r}"
        self.stdout.write(f"{where} created." if made else f"{where} is there.")
