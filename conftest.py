"""Test-wide set-up: an isolated data directory, and no skipping under CI=true."""

from __future__ import annotations

import os

import pytest

CI = os.environ.get("CI") == "true"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files under its own tmp_path; static files come straight from
    the source tree (no collectstatic manifest needed)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped:
        # Under CI nothing may skip: a missing browser or database is a failure.
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is a failure: {reason}"


@pytest.fixture
def people(db):
    """The personas: alice (author), bob (learner), charlie (outsider), erin (editor)."""
    from lightbox.test import personas

    return personas()
