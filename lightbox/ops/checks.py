"""System checks for self-hosters: run by `manage.py check` and at every start."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

# Decoders pydicom needs for the common compressed transfer syntaxes.
CODECS = {
    "pylibjpeg": "JPEG decoding framework",
    "libjpeg": "JPEG baseline/extended/lossless (pylibjpeg-libjpeg)",
    "openjpeg": "JPEG 2000 (pylibjpeg-openjpeg)",
    "rle": "RLE Lossless (pylibjpeg-rle)",
    "jpeg_ls": "JPEG-LS (pyjpegls)",
}


@register(Tags.compatibility)
def check_data_dir(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for name in ("DATA_DIR", "MEDIA_ROOT"):
        path = getattr(settings, name)
        with contextlib.suppress(OSError):  # an unwritable directory is reported below
            path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK):
            errors.append(
                Error(
                    f"{name} ({path}) is not writable by this user.",
                    hint="Fix its owner or permissions, or point LIGHTBOX_DATA_DIR elsewhere.",
                    id="lightbox.E001",
                )
            )
    return errors


@register(Tags.compatibility)
def check_codecs(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    return [
        Warning(
            f"The {module} module is missing: DICOM files using {label} cannot be decoded.",
            hint="Reinstall Lightbox's dependencies (make setup).",
            id="lightbox.W001",
        )
        for module, label in CODECS.items()
        if importlib.util.find_spec(module) is None
    ]


@register(Tags.security, deploy=True)
def check_production(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.DEBUG:
        errors.append(
            Error(
                "LIGHTBOX_DEBUG is on: tracebacks and settings would be shown to visitors.",
                hint="Unset LIGHTBOX_DEBUG in production.",
                id="lightbox.E002",
            )
        )
    if not settings.HTTPS:
        errors.append(
            Error(
                "LIGHTBOX_HTTPS is off: sessions and passwords would cross the network in clear.",
                hint="Serve Lightbox behind HTTPS and set LIGHTBOX_HTTPS=true.",
                id="lightbox.E003",
            )
        )
    return errors
