"""The system check for PDF export: WeasyPrint's system libraries are installed.

Loading them is cheap; importing WeasyPrint (which loads them too) takes a second, which
no start-up should pay, so the check loads the libraries by their Linux names and stops
there. Elsewhere (macOS, Windows) the names differ, and the check says nothing.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from django.core.checks import Tags, Warning, register

__all__ = ["LIBRARIES", "check_pdf_libraries"]

#: What WeasyPrint loads (weasyprint/text/ffi.py), by the names Debian installs them
#: under, with the package that has each.
LIBRARIES = {
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libpango-1.0.so.0": "libpango-1.0-0",
    "libpangoft2-1.0.so.0": "libpangoft2-1.0-0",
    "libharfbuzz.so.0": "libharfbuzz0b",
    "libfontconfig.so.1": "libfontconfig1",
}


def missing_libraries() -> list[str]:
    """The Debian packages of the libraries that cannot be loaded here."""
    missing = []
    for name, package in LIBRARIES.items():
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(package)
    return missing


@register(Tags.compatibility)
def check_pdf_libraries(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    if not sys.platform.startswith("linux"):
        return []
    missing = missing_libraries()
    if not missing:
        return []
    return [
        Warning(
            f"PDF export cannot work: WeasyPrint's libraries are missing ({', '.join(missing)}).",
            hint=f"apt-get install {' '.join(missing)} (see docs/interchange.md).",
            id="lightbox.W401",
        )
    ]
