"""Lightbox: a self-hosted teaching file for radiology and nuclear medicine."""

import sys

if sys.version_info < (3, 12):  # noqa: UP036 - the point is a clear message on old Pythons
    raise SystemExit(
        "Lightbox needs Python 3.12 or newer (3.13 recommended; see .python-version); "
        f"this is Python {sys.version.split()[0]}. Run `make run`, which creates a suitable "
        ".venv, or select Python 3.13 with pyenv."
    )
