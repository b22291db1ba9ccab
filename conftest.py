"""Test-wide set-up: an isolated data directory, examples in docstrings run as tests, and
no skipping under CI=true (with or without pytest-xdist's workers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CI = os.environ.get("CI") == "true"

# Not imported for their examples (--doctest-modules imports every module under lightbox/;
# these have none): importing them sets up a web process, whose warm-up threads read the
# database behind the tests' backs (lightbox/tests/test_asgi.py imports them with that turned off).
collect_ignore = ["lightbox/wsgi.py", "lightbox/asgi.py"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test writes its files under its own tmp_path; static files come straight from
    the source tree (no collectstatic manifest needed)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    settings.STAGING_DIR = tmp_path / "media" / ".staging"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.hookimpl(tryfirst=True)  # before pytest-django sorts the tests by database use
def pytest_collection_modifyitems(items):
    """An example may save things, as a test does: each doctest runs in a transaction on
    the test database, rolled back afterwards (pytest-django gives doctests none)."""
    for item in items:
        if isinstance(item, pytest.DoctestItem):
            item.add_marker(pytest.mark.django_db)


def _skip_is_failure(report) -> None:
    if CI and report.skipped:
        # Under CI nothing may skip: a missing browser or database is a failure.
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is a failure: {reason}"


# Both run where the test or module runs: in the worker under pytest-xdist, which sends
# the controller the report as it was left here.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _skip_is_failure(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _skip_is_failure(outcome.get_result())


def pytest_sessionfinish(session, exitstatus):
    """The last word, in the process that reports (the controller under pytest-xdist,
    which has every worker's reports): under CI=true, whatever was counted as skipped
    however it got there fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if CI and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if CI and (skipped := terminalreporter.stats.get("skipped")):
        terminalreporter.write_line(
            f"CI=true: {len(skipped)} skipped, which is a failure", red=True, bold=True
        )


@pytest.fixture(autouse=True)
def _fresh_search_state():
    """Each test starts with this process's in-memory search entries forgotten: test
    transactions roll back, and the next test's entries reuse their numbers."""
    from lightbox.learning import lexicon
    from lightbox.search import store, suggest

    store.reset()
    suggest.forget()
    lexicon.reset()


@pytest.fixture
def people(db):
    """The personas: alice (author), bob (learner), charlie (another author), erin
    (editor), root (administrator)."""
    from lightbox.test import personas

    return personas()


CHROMIUM = "/usr/bin/chromium"
OUTPUT_DIR = Path(__file__).resolve().parent / "test-output"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous, so Django's async guard must stand aside.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir():
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture(scope="session")
def bs068_path() -> Path:
    """The real 1996 page, read from ../shared (never copied into the repository)."""
    path = Path(__file__).resolve().parent.parent / "shared" / "data" / "legacy" / "bs068.txt"
    if not path.exists():
        pytest.skip(f"{path} is not available (it lives in ../shared beside the repository)")
    return path
