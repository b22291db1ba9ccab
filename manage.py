#!/usr/bin/env python3
"""Django's command-line utility for Lightbox."""

import os
import sys


def main() -> None:
    if sys.version_info < (3, 12):  # noqa: UP036
        sys.exit(
            "Lightbox needs Python 3.12 or newer (3.13 recommended). "
            f"This is {sys.version.split()[0]}; run `make run`, which builds .venv."
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
