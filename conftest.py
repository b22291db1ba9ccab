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


# LIGHTBOX_TEST_STORAGE=s3: every test's stored files go to a bucket of its own on a moto
# server (a real S3 endpoint on loopback, one per pytest-xdist worker) instead of tmp_path.
S3 = os.environ.get("LIGHTBOX_TEST_STORAGE", "local") == "s3"
S3_PREFIX = "lightbox"  # stored under a prefix, as LIGHTBOX_S3_PREFIX allows


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A moto server started for this process on a free loopback port: its URL."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the moto server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_client(s3_endpoint):
    """A boto3 client of the moto server, made once (a client costs tens of milliseconds)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - any key will do for moto
    )


@pytest.fixture
def s3_bucket(request, monkeypatch):
    """A fresh bucket on the moto server, emptied and deleted after the test; the
    environment points at it too, for the processes a test starts."""
    import uuid

    endpoint = request.getfixturevalue("s3_endpoint")
    client = request.getfixturevalue("s3_client")
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=bucket)
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
        "location": S3_PREFIX,
    }
    for name, value in {
        "LIGHTBOX_STORAGE": "s3",
        "LIGHTBOX_S3_BUCKET": bucket,
        "LIGHTBOX_S3_ENDPOINT_URL": endpoint,
        "LIGHTBOX_S3_REGION": "us-east-1",
        "LIGHTBOX_S3_ACCESS_KEY_ID": "testing",
        "LIGHTBOX_S3_SECRET_ACCESS_KEY": "testing",
        "LIGHTBOX_S3_PREFIX": S3_PREFIX,
    }.items():
        monkeypatch.setenv(name, value)
    yield options
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        if keys := [{"Key": o["Key"]} for o in page.get("Contents", ())]:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    client.delete_bucket(Bucket=bucket)


def s3_storages(options: dict) -> dict:
    """The ``default`` and ``derived`` storages of settings.py's LIGHTBOX_STORAGE=s3."""
    return {
        "default": {"BACKEND": "lightbox.lib.s3.S3MediaStorage", "OPTIONS": options},
        "derived": {
            "BACKEND": "lightbox.lib.s3.S3MediaStorage",
            "OPTIONS": {**options, "file_overwrite": True},
        },
    }


@pytest.fixture(autouse=True)
def _media_in_tmp(request, settings, tmp_path):
    """Every test writes its files under its own tmp_path (or, with LIGHTBOX_TEST_STORAGE=s3,
    to a bucket of its own; a test marked ``local_storage`` keeps local files, being about
    the disk); static files come straight from the source tree (no collectstatic manifest
    needed)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    settings.STAGING_DIR = tmp_path / "media" / ".staging"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    stored = {}
    if S3 and request.node.get_closest_marker("local_storage") is None:
        settings.STORAGE = "s3"
        stored = s3_storages(request.getfixturevalue("s3_bucket"))
    settings.STORAGES = {
        **settings.STORAGES,
        **stored,
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
