"""System checks for where stored files live (``LIGHTBOX_STORAGE``).

With ``s3`` a missing bucket, a wrong endpoint or refused credentials would otherwise show
up as the first upload failing; here ``manage.py check`` (run before every command that
serves or works) says so in one line.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import storages

from lightbox.lib.s3 import BucketUnreachable, S3MediaStorage, check_bucket


@register(Tags.compatibility)
def check_bucket_reachable(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.STORAGE != "s3":
        return []
    storage = storages["default"]
    if not isinstance(storage, S3MediaStorage):
        return []
    try:
        check_bucket(storage)
    except BucketUnreachable as e:
        return [
            Error(
                f"LIGHTBOX_STORAGE=s3, but {e}.",
                hint=(
                    "Create the bucket, or correct LIGHTBOX_S3_BUCKET, LIGHTBOX_S3_ENDPOINT_URL "
                    "and the credentials (docs/configuration.md)."
                ),
                id="lightbox.E301",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_bucket_encrypted(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    endpoint = settings.S3_OPTIONS.get("endpoint_url") if settings.STORAGE == "s3" else None
    if not endpoint or urlsplit(endpoint).scheme != "http" or _loopback(endpoint):
        return []
    return [
        CheckWarning(
            f"LIGHTBOX_S3_ENDPOINT_URL ({endpoint}) is plain HTTP: images and credentials "
            "cross the network unencrypted.",
            hint="Use the store's https:// address.",
            id="lightbox.W301",
        )
    ]


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
