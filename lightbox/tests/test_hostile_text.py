"""Every text a user can submit is handled in time linear in its length.

Each pathological pattern of :mod:`lightbox.lib.tests.hostile` goes through each place
that takes text from a user: the Markdown preview, a comment, the case editor (saved, then
the case page, the search results showing it and the revision comparison), the search box
and "paste your findings". Each place gets as much as it accepts: a megabyte where there
is no limit, the limit where there is one (the preview and a comment), and more than the
limit to see it refused at once.

A request must finish within ``TIMEOUT`` seconds, watched from another thread so that a
request that never ends fails the test rather than hanging the run. A linear
implementation takes a few seconds at most; a quadratic one takes hours at these sizes
(Python-Markdown needed 21 s for 10,000 "["; difflib minutes for two lines of 2,000
words). Timings are printed by ``bench/hostile_text.py``, never asserted.

The functions behind them (word diff, snippets, the identifier scan, the query parser,
the legacy parser) are fed a megabyte of each pattern in a child process, as
``lightbox/lib/tests/test_markdown_linear.py`` does for Markdown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from lightbox.cases.edit_views import MAX_PREVIEW
from lightbox.cases.models import Case
from lightbox.cases.tests.test_editor import form_data
from lightbox.comments.models import MAX_BODY
from lightbox.lib.tests.hostile import hostile_texts
from lightbox.search.similar import MAX_TEXT
from lightbox.test import make_case

# The requests run in another thread, with its own database connection: the data the
# test makes must be committed for it to see.
pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
MEGABYTE = 1_000_000
TIMEOUT = 120
PATTERNS = list(hostile_texts(1000))


def within(seconds: float, request: Callable[[], Any]) -> Any:
    """``request()``, run in another thread; the test fails if it is not done in time."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = request()
        except BaseException as e:  # re-raised in the test's thread
            outcome["error"] = e
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still running after {seconds} s: not linear in the length of the text")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def case(people) -> Case:
    return make_case(created_by=people["alice"])


@pytest.fixture
def draft(people) -> Case:
    """A draft: its text may hold what looks like an identifier (a published case's may
    not, see test_it_refuses_a_possible_identifier_in_a_published_case_with_a_message)."""
    return make_case(created_by=people["alice"], status="draft", visibility="private")


@pytest.fixture
def alice(people) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(people["alice"])
    return client


@pytest.mark.parametrize("name", PATTERNS)
def test_the_markdown_preview_renders_the_most_it_accepts(alice, name):
    text = hostile_texts(MAX_PREVIEW)[name][:MAX_PREVIEW]
    response = within(TIMEOUT, lambda: alice.post("/preview/markdown/", {"text": text}))
    assert response.status_code == 200
    assert "html" in response.json()
    too_long = within(TIMEOUT, lambda: alice.post("/preview/markdown/", {"text": text * 20}))
    assert too_long.status_code == 413


@pytest.mark.parametrize("name", PATTERNS)
def test_a_comment_of_the_most_it_accepts_is_posted_and_shown(alice, case, name):
    body = hostile_texts(MAX_BODY)[name].strip()[:MAX_BODY] or "x"
    url = f"/cases/{case.number}/comments/add/"
    posted = within(TIMEOUT, lambda: alice.post(url, {"body": body}))
    assert posted.status_code == 302
    assert case.comments.get().body == body.replace("\r\n", "\n").strip()
    page = within(TIMEOUT, lambda: alice.get(f"/cases/{case.number}/comments/"))
    assert page.status_code == 200
    refused = within(TIMEOUT, lambda: alice.post(url, {"body": body + "x" * MAX_BODY}))
    assert refused.status_code == 302 and case.comments.count() == 1


@pytest.mark.parametrize("name", PATTERNS)
def test_a_megabyte_saved_in_the_editor_is_shown_searched_and_compared(alice, draft, name):
    case = draft
    text = hostile_texts(MEGABYTE)[name]
    data = form_data(alice, f"/cases/{case.number}/edit/")
    data["findings"] = text
    saved = within(TIMEOUT, lambda: alice.post(f"/cases/{case.number}/edit/", data))
    assert saved.status_code == 302, saved.content[:2000]
    case.refresh_from_db()
    assert case.findings == text.replace("\r\n", "\n").strip()
    for url in (
        f"/cases/{case.number}/known/",
        f"/cases/{case.number}/history/compare/?a=1&b=2",
        "/search/?q=lesion+OR+x+OR+a",
    ):
        response = within(TIMEOUT, lambda url=url: alice.get(url))
        assert response.status_code == 200, url


@pytest.mark.parametrize("name", PATTERNS)
def test_the_search_box_and_pasted_findings_take_any_text(alice, case, name):
    text = hostile_texts(MEGABYTE)[name]
    for url in ("/search/", "/api/v1/search"):
        response = within(TIMEOUT, lambda url=url: alice.get(url, {"q": text}))
        assert response.status_code in (200, 400), url
    pasted = hostile_texts(MAX_TEXT)[name][:MAX_TEXT]
    response = within(TIMEOUT, lambda: alice.post("/search/similar/", {"text": pasted}))
    assert response.status_code in (200, 400)  # 400: nothing but spaces
    response = within(TIMEOUT, lambda: alice.post("/search/similar/", {"text": text}))
    assert response.status_code == 400


# -- the functions behind them, in a child process ----------------------------------------

CHILD = """
import sys

import django

django.setup()

from lightbox.deid import scan
from lightbox.history.revisions import word_diff
from lightbox.interchange.legacy import LegacyParseError, parse_legacy
from lightbox.lib.tests.hostile import hostile_texts
from lightbox.search.text import query, snippets

text = hostile_texts(int(sys.argv[1]))[sys.argv[2]]
# A long single line changed at both ends, so that nothing is shared at either end.
segments = word_diff(text, "changed " + text[: len(text) // 2] + " and " + text[::-1])
assert "".join(t for op, t in segments if op != "insert") == text
words = ["lesion", "a", "x", "b"]
snippets.best([text, text], words, ["les"])
snippets.snippet(text, words, ["x"])
scan(text)
try:
    query.parse(text)
except query.QuerySyntaxError:
    pass
try:
    parse_legacy(text.encode())
except LegacyParseError:
    pass
print("done")
"""


@pytest.mark.parametrize("name", PATTERNS)
def test_the_text_functions_take_a_megabyte_of_each_pattern(name):
    env = {**os.environ, "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "lightbox.settings"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(MEGABYTE), name],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {TIMEOUT} s: not linear in the length of the text")
    assert done.returncode == 0 and done.stdout == "done\n", done.stderr
