"""Markdown renders in time linear in the text, whatever the text holds.

A megabyte of each pathological pattern is rendered in a child process that must finish
within ``TIMEOUT`` seconds. The slowest takes a few seconds; a quadratic renderer would
take hours (Python-Markdown needed 21 s for 10,000 "["), so the limit can neither be met
by luck nor missed because the machine is busy. Timings are printed by
``bench/hostile_text.py``, not asserted here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lightbox.lib import markdown
from lightbox.lib.markdown import render
from lightbox.lib.tests.hostile import hostile_texts

REPO = Path(__file__).resolve().parents[3]
SIZE = 1_000_000
TIMEOUT = 60

CHILD = """
import sys
from lightbox.lib.markdown import render
from lightbox.lib.tests.hostile import hostile_texts

html = render(hostile_texts(int(sys.argv[1]))[sys.argv[2]])
print(len(html))
"""


def run_child(code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter; fail the test if it takes over TIMEOUT s."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {TIMEOUT} s: not linear in the length of the text")
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", hostile_texts(1000))
def test_it_renders_a_megabyte_of_each_pathological_pattern(name):
    # The HTML grows linearly too (a table row of "x|y" is 33 characters of HTML).
    assert 0 < int(run_child(CHILD, str(SIZE), name)) <= 20 * SIZE


def test_it_keeps_the_text_nested_deeper_than_the_limit():
    html = render("> " * (markdown.MAX_DEPTH + 20) + "deep down")
    assert "deep down" in html
    assert html.count("<blockquote>") == markdown.MAX_DEPTH
    assert html.count("</blockquote>") == markdown.MAX_DEPTH


def test_it_keeps_lists_and_tables_nested_within_the_limit_as_they_are():
    text = "1. one\n   - two\n     > three\n\n| a | b |\n|---|---|\n| c | d |"
    html = render(text)
    assert "<ol>\n<li>one\n<ul>\n<li>two\n<blockquote>\n<p>three</p>" in html
    assert "<td>c</td>" in html and "<th>a</th>" in html


def test_it_leaves_typed_html_out_and_keeps_its_words():
    html = render('Uptake in the <b onclick="x()">left</b> femur <img src=x onerror=y()>')
    assert html == "<p>Uptake in the left femur </p>\n"


def test_it_shows_a_list_numbered_from_where_it_starts():
    assert render("3. third\n4. fourth").startswith('<ol start="3">')


def test_it_needs_a_space_after_the_hashes_of_a_heading():
    assert render("#D3, #Q4") == "<p>#D3, #Q4</p>\n"
    assert render("### Technique") == "<h3>Technique</h3>\n"


def test_it_drops_links_that_are_not_web_or_mail():
    html = render("[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.org)")
    assert "javascript" not in html and "data:" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">c</a>' in html


def test_it_replaces_a_lone_surrogate_instead_of_failing():
    assert render("lone \ud800 surrogate") == "<p>lone \ufffd surrogate</p>\n"


def test_it_keeps_only_a_few_long_texts_in_its_cache():
    markdown._cached.cache_clear()
    for n in range(20):
        render(str(n) * (markdown.CACHED_LENGTH + 1))
    render("short")
    assert markdown._cached.cache_info().currsize == 1
    assert markdown._cached_long.cache_info().currsize == 8


MARKUP_CHILD = """
import sys
from lightbox.lib.markdown import markup_removed
from lightbox.lib.tests.hostile import hostile_texts

print(len(markup_removed(hostile_texts(int(sys.argv[1]))[sys.argv[2]])))
"""


@pytest.mark.parametrize("name", hostile_texts(1000))
def test_markup_is_removed_from_a_megabyte_of_each_pathological_pattern(name):
    # Snippets are made from the text without Markdown's marks: linear in it too.
    # (A pattern's text is a little over SIZE: at most the text's length comes back.)
    assert 0 <= int(run_child(MARKUP_CHILD, str(SIZE), name)) <= len(hostile_texts(SIZE)[name])


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("A *malignant* lesion, **not** __benign__.", "A malignant lesion, not benign."),
        ("# Findings\n> quoted\n- item\n3) third", "Findings\nquoted\nitem\nthird"),
        ("See [Paget's](https://x.org/a_b) and ![bone](x.png).", "See Paget's and bone."),
        (
            "snake_case, 2*3 and * alone stay; `C5` loses its ticks",
            "snake_case, 2*3 and * alone stay; C5 loses its ticks",
        ),
        ("| a | b |\n|---|---|\n***\ntext", "  a   b  \n --- --- \n\ntext"),
    ],
)
def test_markup_removed_keeps_the_words(text, plain):
    assert markdown.markup_removed(text) == plain
