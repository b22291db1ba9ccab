"""The demo library's files: read as the loader needs them, or refused in one line that
names the file (pure unit tests, no database)."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import pytest

from lightbox.interchange.demo import load
from lightbox.interchange.demo.load import FOLDER, DemoContentError, read_library

GOOD = (FOLDER / "cases" / "08-brain-3d-t1.md").read_text(encoding="utf-8")


def _library(tmp_path: Path, case: str | bytes, *, library: str | None = None) -> Path:
    """A copy of the shipped library whose only case is ``case``."""
    shutil.copytree(FOLDER / "topics", tmp_path / "topics")
    shutil.copy(FOLDER / "library.toml", tmp_path / "library.toml")
    if library is not None:
        (tmp_path / "library.toml").write_text(library, encoding="utf-8")
    (tmp_path / "cases").mkdir()
    path = tmp_path / "cases" / "01-case.md"
    if isinstance(case, bytes):
        path.write_bytes(case)
    else:
        path.write_text(case, encoding="utf-8")
    return path


def _refused(folder: Path, bad: Path) -> str:
    with pytest.raises(DemoContentError) as caught:
        read_library(folder)
    message = str(caught.value)
    assert message.startswith(f"{bad}: "), message
    assert "\n" not in message and "\r" not in message, message
    assert caught.value.path == bad
    return message


def test_the_shipped_library_reads_whole():
    library = read_library()
    assert len(library.cases) == 10 and len(library.topics) == 3
    assert library.cases == load.CASES and library.topics == load.TOPICS
    assert [s.prefix for s in library.series] == ["bs", "ct", "mr", "cr"]
    assert all(case.authors for case in library.cases)
    # Read in file-name order, which is the order cases are numbered in.
    assert library.cases[0].series == "bs"


def test_the_module_docstring_example_holds():
    failed, attempted = doctest.testmod(load)
    assert attempted > 0 and failed == 0


def test_a_copy_of_a_good_case_reads_as_the_shipped_one(tmp_path):
    _library(tmp_path, GOOD)
    (case,) = read_library(tmp_path).cases
    assert case == next(c for c in load.CASES if c.series == "mr" and c.title == case.title)


def test_a_byte_order_mark_and_windows_line_ends_are_read(tmp_path):
    _library(tmp_path, b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    (case,) = read_library(tmp_path).cases
    assert "\r" not in case.discussion
    assert case == next(c for c in load.CASES if c.title == case.title)


HOSTILE = {
    "empty file": ("", "line 1 must be '+++'"),
    "no front matter": (GOOD.split("+++", 2)[2], "line 1 must be '+++'"),
    "front matter never closed": (
        GOOD.replace("+++", "", 2).replace("", "+++\n", 1),
        "not closed",
    ),
    "not TOML": (GOOD.replace('series = "mr"', 'series = "mr'), "not valid TOML"),
    "TOML error on its file line": (GOOD.replace("difficulty = 1", "difficulty ="), "line 5"),
    "unknown key": (GOOD.replace("difficulty = 1", "dificulty = 1"), "unknown key 'dificulty'"),
    "key with a line break": (
        GOOD.replace("difficulty = 1", 'difficulty = 1\n"a\\nb\\u001b[31m" = 2'),
        "unknown key",
    ),
    "missing key": (GOOD.replace("quality = 2\n", ""), "quality is missing"),
    "string for a number": (GOOD.replace("difficulty = 1", 'difficulty = "1"'), "an integer"),
    "boolean for a number": (GOOD.replace("difficulty = 1", "difficulty = true"), "not true"),
    "date and time for a date": (
        GOOD.replace("case_date = 2024-07-09", "case_date = 2024-07-09T10:00:00"),
        "case_date must be a date",
    ),
    "number in a list of strings": (
        GOOD.replace('acr_codes = ["1.1"]', "acr_codes = [1.1]"),
        "acr_codes[0] must be a string",
    ),
    "unknown author": (GOOD.replace('authors = ["sample", "demo"]', 'authors = ["x"]'), "'x'"),
    "unknown series": (GOOD.replace('series = "mr"', 'series = "zz"'), "'zz'"),
    "image with an unknown key": (GOOD.replace("\ncaption =", "\nlabel ="), "images[1].label"),
    "image without a caption": (
        GOOD.replace('\ncaption = "', "\n# "),
        "images[1].caption is missing",
    ),
    "no main image": (GOOD.replace("is_main = true", "is_main = false"), "is_main"),
    "images not an array": (GOOD.replace("[[images]]", "[images]"), "images must be an array"),
    "section misspelt": (GOOD.replace("## Findings", "## Findings:"), "'## Findings:'"),
    "section left out": (GOOD.replace("## Follow-up", "Follow-up"), "'## Follow-up'"),
    "unknown section": (GOOD.replace("## Discussion", "## Impression"), "'## Impression'"),
    "section twice": (GOOD + "\n## Diagnosis\n\nAgain\n", "a second '## Diagnosis'"),
    "empty section": (GOOD.replace("Normal brain MRI\n", "\n"), "'## Diagnosis' is empty"),
    "other heading": (GOOD.replace("## Findings\n", "## Findings\n\n# Title\n"), "only '## '"),
    "text before the sections": (
        GOOD.replace("+++\n\n## Brief", "+++\nHello\n## Brief"),
        "before",
    ),
    "list item without a dash": (
        GOOD.replace("- Normal brain\n", "* Normal brain\n"),
        "a list item starts with '- '",
    ),
    "not UTF-8": (GOOD.encode().replace(b"Normal brain MRI", b"Normal \xff MRI"), "not UTF-8"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_malformed_case_is_refused_in_one_line_that_names_the_file(tmp_path, name):
    text, says = HOSTILE[name]
    bad = _library(tmp_path, text)
    assert says in _refused(tmp_path, bad)


def test_a_malformed_library_file_is_refused_in_one_line_that_names_it(tmp_path):
    library = (FOLDER / "library.toml").read_text(encoding="utf-8")
    _library(tmp_path, GOOD, library=library.replace('credentials = "CNMT"', "credentials = 1"))
    assert "authors.tech.credentials must be a string" in _refused(
        tmp_path, tmp_path / "library.toml"
    )


def test_a_case_folder_without_cases_is_refused(tmp_path):
    _library(tmp_path, GOOD).unlink()
    assert "no .md files" in _refused(tmp_path, tmp_path / "cases")


def test_load_demo_reports_a_bad_demo_file_in_one_line_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from django.core.management import CommandError, call_command

    bad = _library(tmp_path, GOOD.replace("+++", "", 1))
    monkeypatch.setattr(load, "library", lambda: read_library(tmp_path))
    # The loader module reads the library as it is imported: import it afresh.
    monkeypatch.delitem(sys.modules, "lightbox.interchange.demo.save", raising=False)
    with pytest.raises(CommandError) as caught:
        call_command("load_demo")
    assert str(caught.value).startswith(f"{bad}: ")
    assert "\n" not in str(caught.value)
