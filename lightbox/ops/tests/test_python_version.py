"""An old Python gets a clear message, not a traceback from deep inside Django."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _as_python_311(code: str) -> subprocess.CompletedProcess[str]:
    pretend = "import sys; sys.version_info = (3, 11, 7, 'final', 0); "
    return subprocess.run(
        [sys.executable, "-c", pretend + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_importing_lightbox_on_python_3_11_says_what_to_do():
    result = _as_python_311("import lightbox")
    assert result.returncode != 0
    assert "Lightbox needs Python 3.12 or newer" in result.stderr
    assert "Traceback" not in result.stderr


def test_manage_py_on_python_3_11_says_what_to_do():
    result = _as_python_311("import runpy; runpy.run_path('manage.py', run_name='__main__')")
    assert result.returncode != 0
    assert "Lightbox needs Python 3.12 or newer" in result.stderr
