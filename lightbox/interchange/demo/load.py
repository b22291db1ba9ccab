"""Read the demo library from the files beside this module: the cases, the topic pages, the
series and the authors.

Django-free: the standard library only. The files are

``library.toml``
    the copyright line, the series (``[[series]]``: prefix, name, description) and the
    authors (``[authors.<key>]``: name, credentials), fictional and obviously so.
``cases/*.md``
    one case per file, read in file-name order, which is the order the cases are created
    and so numbered in (hence the ``01-`` prefixes).
``topics/*.md``
    one topic page per file, in file-name order.

A ``.md`` file is TOML front matter between two ``+++`` lines, for the structured fields,
then a Markdown body of ``## `` sections, one per text field: the section names are the
keys of :data:`CASE_SECTIONS` and :data:`TOPIC_SECTIONS`, each present once, in any order.
Within a section the lines of a paragraph are joined by spaces (Markdown would join them
anyway; joining them here keeps search snippets and plain-text exports free of hard line
breaks), except in a paragraph with a line that starts with ``- `` or ``1. ``, whose lines
are kept. The list sections (differential, references) are Markdown lists instead: an item
starts with ``- `` and its wrapped lines are indented. ``docs/demo.md`` says how to add a case.

The library is read once, on first use of :data:`AUTHORS`, :data:`COPYRIGHT`,
:data:`SERIES`, :data:`TOPICS` or :data:`CASES` (or :func:`library`), not on import, so that
``load_demo`` can report a bad file in one line. A file that cannot be read, or that says
something the library cannot hold (an unknown key, a missing section, an author or series
no one defined), raises :class:`DemoContentError`, whose message is one line naming the
file.

Examples
--------
>>> cases = library().cases
>>> len(cases), cases[0].series, cases[0].authors[0]
(10, 'bs', ('A. Demo', 'M.D.'))
>>> print(cases[0].diagnosis)
Normal bone scan with degenerative uptake in the knees and shoulders
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = [
    "AUTHORS",
    "CASES",
    "CASE_SECTIONS",
    "COPYRIGHT",
    "DemoCase",
    "DemoContentError",
    "DemoDose",
    "DemoImage",
    "DemoLibrary",
    "DemoSeries",
    "DemoTopic",
    "FOLDER",
    "SERIES",
    "TOPICS",
    "TOPIC_SECTIONS",
    "library",
    "read_library",
]

FOLDER = Path(__file__).resolve().parent


class DemoContentError(ValueError):
    """A demo file that cannot be read: the message is one line, the file and what is wrong."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {' '.join(problem.split())}")
        self.path = path


@dataclass(frozen=True)
class DemoSeries:
    prefix: str
    name: str
    description: str


@dataclass(frozen=True)
class DemoTopic:
    title: str
    anatomic_field: str
    category: str
    discussion: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class DemoDose:
    agent: str
    activity: str
    unit: str
    route: str = "i.v."
    time_to_imaging: str = ""


@dataclass(frozen=True)
class DemoImage:
    """One image of a case: a DICOM series, uploaded and shown like an author's.

    ``series`` names the series in :data:`lightbox.interchange.demo.dicom.BUILDERS`.
    ``caption`` is read before the answer (the view only); ``answer_caption`` after it.
    """

    series: str
    caption: str
    answer_caption: str
    is_main: bool = False


@dataclass(frozen=True)
class DemoCase:
    series: str
    title: str
    case_date: dt.date
    difficulty: int
    quality: int
    modality: str
    exam: str
    # None and "" only for the assembled CT stack, which is not one person.
    patient_age: int | None
    patient_sex: str
    brief_history: str
    full_history: str
    findings: str
    diagnosis: str
    discussion: str
    followup: str
    differential: tuple[str, ...]
    references: tuple[str, ...]
    acr_codes: tuple[str, ...]
    keywords: tuple[str, ...]
    authors: tuple[tuple[str, str], ...]
    images: tuple[DemoImage, ...]
    radiopharmaceuticals: tuple[DemoDose, ...] = ()
    visibility: str = "public"


@dataclass(frozen=True)
class DemoLibrary:
    copyright: str
    authors: dict[str, tuple[str, str]]
    series: tuple[DemoSeries, ...]
    topics: tuple[DemoTopic, ...]
    cases: tuple[DemoCase, ...]


# The body sections of a case and of a topic page, and the field each fills.
CASE_SECTIONS = {
    "Brief history": "brief_history",
    "Full history": "full_history",
    "Findings": "findings",
    "Diagnosis": "diagnosis",
    "Differential diagnosis": "differential",
    "Discussion": "discussion",
    "Follow-up": "followup",
    "References": "references",
}
TOPIC_SECTIONS = {"Discussion": "discussion", "References": "references"}

CASE_KEYS = (
    "series", "title", "case_date", "difficulty", "quality", "modality", "exam",
    "patient_age", "patient_sex", "visibility", "acr_codes", "keywords", "authors",
    "radiopharmaceuticals", "images",
)  # fmt: skip
TOPIC_KEYS = ("title", "anatomic_field", "category")

# What to call a TOML value in an error message.
KINDS: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a decimal number",
    bool: "true or false",
    dt.date: "a date (2024-02-12)",
    dt.datetime: "a date with a time",
    dt.time: "a time",
    list: "an array",
    dict: "a table",
}

HEADING_RE = re.compile(r"#{1,6}(?:\s|$)")
Table = dict[str, Any]


class _Bad(Exception):
    """What is wrong with the file being read; :class:`DemoContentError` adds its name."""


# -- the library --------------------------------------------------------------------------


def read_library(folder: Path = FOLDER) -> DemoLibrary:
    """Read ``library.toml``, ``topics/*.md`` and ``cases/*.md`` under ``folder``.

    Raises
    ------
    DemoContentError
        For the first file that cannot be read, naming it.
    """
    library_file = folder / "library.toml"
    with _naming(library_file):
        table = _toml(_text(library_file))
        _only(table, ("copyright", "authors", "series"), "")
        copyright_line = _one(table, "copyright", str, "")
        authors = {}
        for key, person in _tables_by_key(table, "authors").items():
            _only(person, ("name", "credentials"), f"authors.{key}")
            name = _one(person, "name", str, f"authors.{key}")
            authors[key] = (name, _one(person, "credentials", str, f"authors.{key}"))
        rows = []
        for where, row in _tables(table, "series", ""):
            _only(row, ("prefix", "name", "description"), where)
            rows.append(
                DemoSeries(
                    prefix=_one(row, "prefix", str, where),
                    name=_one(row, "name", str, where),
                    description=_one(row, "description", str, where),
                )
            )
    series = tuple(rows)
    topics = tuple(_topic(path) for path in _markdown_files(folder / "topics"))
    cases = tuple(_case(path, authors, series) for path in _markdown_files(folder / "cases"))
    return DemoLibrary(copyright_line, authors, series, topics, cases)


def _markdown_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.md"))
    if not files:
        raise DemoContentError(folder, "no .md files in this folder")
    return files


def _topic(path: Path) -> DemoTopic:
    with _naming(path):
        meta, text = _document(path, TOPIC_SECTIONS)
        _only(meta, TOPIC_KEYS, "")
        return DemoTopic(
            title=_one(meta, "title", str, ""),
            anatomic_field=_one(meta, "anatomic_field", str, ""),
            category=_one(meta, "category", str, ""),
            discussion=_prose(text["discussion"]),
            references=_items(text["references"]),
        )


def _case(
    path: Path, authors: dict[str, tuple[str, str]], series: tuple[DemoSeries, ...]
) -> DemoCase:
    with _naming(path):
        meta, text = _document(path, CASE_SECTIONS)
        _only(meta, CASE_KEYS, "")
        prefix = _one(meta, "series", str, "")
        if prefix not in {s.prefix for s in series}:
            raise _Bad(f"series {prefix!r} is not a [[series]] prefix in library.toml")
        credited = []
        for key in _strings(meta, "authors", ""):
            if key not in authors:
                raise _Bad(f"author {key!r} is not one of the [authors] in library.toml")
            credited.append(authors[key])
        images = tuple(_image(row, where) for where, row in _tables(meta, "images", ""))
        if sum(image.is_main for image in images) != 1:
            raise _Bad("exactly one of the [[images]] must have is_main = true")
        return DemoCase(
            series=prefix,
            title=_one(meta, "title", str, ""),
            case_date=_one(meta, "case_date", dt.date, ""),
            difficulty=_one(meta, "difficulty", int, ""),
            quality=_one(meta, "quality", int, ""),
            modality=_one(meta, "modality", str, ""),
            exam=_one(meta, "exam", str, ""),
            patient_age=_one(meta, "patient_age", int, "") if "patient_age" in meta else None,
            patient_sex=_one(meta, "patient_sex", str, "") if "patient_sex" in meta else "",
            brief_history=_prose(text["brief_history"]),
            full_history=_prose(text["full_history"]),
            findings=_prose(text["findings"]),
            diagnosis=_prose(text["diagnosis"]),
            discussion=_prose(text["discussion"]),
            followup=_prose(text["followup"]),
            differential=_items(text["differential"]),
            references=_items(text["references"]),
            acr_codes=_strings(meta, "acr_codes", ""),
            keywords=_strings(meta, "keywords", ""),
            authors=tuple(credited),
            images=images,
            radiopharmaceuticals=tuple(
                _dose(row, where)
                for where, row in _tables(meta, "radiopharmaceuticals", "", optional=True)
            ),
            visibility=_one(meta, "visibility", str, "") if "visibility" in meta else "public",
        )


def _image(row: Table, where: str) -> DemoImage:
    _only(row, ("series", "caption", "answer_caption", "is_main"), where)
    return DemoImage(
        series=_one(row, "series", str, where),
        caption=_one(row, "caption", str, where),
        answer_caption=_one(row, "answer_caption", str, where),
        is_main=_one(row, "is_main", bool, where) if "is_main" in row else False,
    )


def _dose(row: Table, where: str) -> DemoDose:
    _only(row, ("agent", "activity", "unit", "route", "time_to_imaging"), where)
    activity = _one(row, "activity", str, where)
    try:
        Decimal(activity)
    except InvalidOperation:
        raise _Bad(f"{where}.activity {activity!r} is not a number") from None
    return DemoDose(
        agent=_one(row, "agent", str, where),
        activity=activity,
        unit=_one(row, "unit", str, where),
        route=_one(row, "route", str, where) if "route" in row else "i.v.",
        time_to_imaging=(
            _one(row, "time_to_imaging", str, where) if "time_to_imaging" in row else ""
        ),
    )


# -- one file -----------------------------------------------------------------------------


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Turn a :class:`_Bad` raised inside the block into a :class:`DemoContentError`."""
    try:
        yield
    except _Bad as e:
        raise DemoContentError(path, str(e)) from None


def _text(path: Path) -> str:
    try:
        # A byte-order mark, which some editors write, is not part of the text.
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise _Bad(f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise _Bad(f"cannot be read ({e.strerror})") from None


def _toml(text: str) -> Table:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _Bad(f"not valid TOML: {e}") from None


def _document(
    path: Path, sections: dict[str, str]
) -> tuple[Table, dict[str, list[tuple[int, str]]]]:
    """The front matter of a ``.md`` file, and the numbered lines of each body section,
    by field name."""
    lines = _text(path).split("\n")
    if lines[0].strip() != "+++":
        raise _Bad("line 1 must be '+++', opening the TOML front matter")
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == "+++"), None)
    if end is None:
        raise _Bad("the front matter opened on line 1 is not closed by a '+++' line")
    # One newline first, so that TOML's line numbers are the file's.
    meta = _toml("\n" + "\n".join(lines[1:end]))
    found: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for number, line in enumerate(lines[end + 1 :], start=end + 2):
        if line.startswith("## "):
            name = line[3:].strip()
            if name not in sections:
                raise _Bad(
                    f"line {number}: unknown section '## {name}' (the sections are "
                    + ", ".join(f"'## {s}'" for s in sections)
                    + ")"
                )
            if sections[name] in found:
                raise _Bad(f"line {number}: a second '## {name}' section")
            current = found[sections[name]] = []
        elif HEADING_RE.match(line):
            raise _Bad(f"line {number}: only '## ' headings, one per field, are allowed")
        elif current is not None:
            current.append((number, line))
        elif line.strip():
            raise _Bad(f"line {number}: text before the first '## ' section")
    if missing := [name for name, key in sections.items() if key not in found]:
        raise _Bad("missing section(s): " + ", ".join(f"'## {name}'" for name in missing))
    for name, key in sections.items():
        if not any(line.strip() for _, line in found[key]):
            raise _Bad(f"section '## {name}' is empty")
    return meta, found


def _prose(lines: list[tuple[int, str]]) -> str:
    paragraphs: list[list[str]] = [[]]
    for _, line in lines:
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(
        "\n".join(para) if any(line.startswith(("- ", "1. ")) for line in para) else " ".join(para)
        for para in paragraphs
        if para
    )


def _items(lines: list[tuple[int, str]]) -> tuple[str, ...]:
    items: list[list[str]] = []
    for number, line in lines:
        if line.startswith("- "):
            items.append([line[2:].strip()])
        elif line.strip() and line[0].isspace() and items:
            items[-1].append(line.strip())
        elif line.strip():
            raise _Bad(
                f"line {number}: a list item starts with '- ' (and its wrapped lines are indented)"
            )
    return tuple(" ".join(item) for item in items)


# -- front matter values ------------------------------------------------------------------


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    return KINDS.get(type(value), type(value).__name__)


def _one[T](table: Table, key: str, kind: type[T], where: str) -> T:
    """The value of ``key``, which must be there and of exactly the TOML type ``kind``
    (TOML's booleans are not integers here, nor its date-times dates)."""
    if key not in table:
        raise _Bad(f"{_name(where, key)} is missing")
    value = table[key]
    if not isinstance(value, kind) or type(value) is not kind:
        raise _Bad(f"{_name(where, key)} must be {KINDS[kind]}, not {_kind(value)}")
    return value


def _strings(table: Table, key: str, where: str) -> tuple[str, ...]:
    values: list[object] = _one(table, key, list, where)
    for number, value in enumerate(values):
        if type(value) is not str:
            raise _Bad(f"{_name(where, key)}[{number}] must be a string, not {_kind(value)}")
    return tuple(str(value) for value in values)


def _tables(
    table: Table, key: str, where: str, *, optional: bool = False
) -> list[tuple[str, Table]]:
    """An array of tables (``[[images]]``), each with the name errors call it by."""
    if optional and key not in table:
        return []
    rows: list[object] = _one(table, key, list, where)
    if not rows:
        raise _Bad(f"{_name(where, key)} is empty")
    named = []
    for number, row in enumerate(rows, start=1):
        name = f"{_name(where, key)}[{number}]"
        if not isinstance(row, dict):
            raise _Bad(f"{name} must be a table, not {_kind(row)}")
        named.append((name, row))
    return named


def _tables_by_key(table: Table, key: str) -> dict[str, Table]:
    """A table of tables (``[authors.demo]``, ``[authors.tech]``)."""
    tables: Table = _one(table, key, dict, "")
    for name, row in tables.items():
        if not isinstance(row, dict):
            raise _Bad(f"{key}.{name} must be a table, not {_kind(row)}")
    return tables


def _only(table: Table, keys: Iterable[str], where: str) -> None:
    known = tuple(keys)
    if unknown := [key for key in table if key not in known]:
        raise _Bad(f"unknown key {_name(where, unknown[0])!r} (the keys are {', '.join(known)})")


@functools.cache
def library() -> DemoLibrary:
    """The demo library as shipped, read on first use."""
    return read_library()


# Declared for type checkers; the values come from __getattr__, on first use.
AUTHORS: dict[str, tuple[str, str]]
COPYRIGHT: str
SERIES: tuple[DemoSeries, ...]
TOPICS: tuple[DemoTopic, ...]
CASES: tuple[DemoCase, ...]


def __getattr__(name: str) -> Any:
    if name in ("AUTHORS", "COPYRIGHT", "SERIES", "TOPICS", "CASES"):
        return getattr(library(), name.lower())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
