"""lightbox.search.text is a library: it imports no Django and no Lightbox app, and the
examples in its docstrings run. Plain pytest, no database."""

import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import lightbox.search.text as text

ROOT = Path(__file__).resolve().parents[3]
MODULES = [text.__name__] + [
    f"{text.__name__}.{module.name}" for module in pkgutil.iter_modules(text.__path__)
]


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_in_the_docstrings_run(name: str) -> None:
    failed, attempted = doctest.testmod(importlib.import_module(name))
    assert attempted > 0 and failed == 0


def test_it_imports_neither_django_nor_a_lightbox_app() -> None:
    # A fresh interpreter: this one has Django and every app loaded already.
    code = (
        "import sys\n"
        "import lightbox.search.text\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'django'\n"
        "             or (m.startswith('lightbox.')\n"
        "                 and m not in ('lightbox.search', 'lightbox.search.text')\n"
        "                 and not m.startswith('lightbox.search.text.'))))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert found.stdout.strip() == "[]"
