"""`manage.py check` warns when WeasyPrint's system libraries are missing (lightbox.W401)."""

from __future__ import annotations

import sys

import pytest
from django.core.management import call_command

from lightbox.interchange.pdf import checks


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux library names")
def test_it_is_quiet_when_the_libraries_load():
    assert checks.check_pdf_libraries() == []


def test_it_names_the_missing_package(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setitem(checks.LIBRARIES, "libnot-installed-pango.so.0", "libpango-1.0-0")
    (warning,) = checks.check_pdf_libraries()
    assert warning.id == "lightbox.W401"
    assert "libpango-1.0-0" in warning.msg and "apt-get install libpango-1.0-0" in warning.hint


def test_manage_py_check_runs_it(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setitem(checks.LIBRARIES, "libnot-installed-pango.so.0", "libpango-1.0-0")
    call_command("check", tags=["compatibility"])
    assert "lightbox.W401" in capsys.readouterr().err
