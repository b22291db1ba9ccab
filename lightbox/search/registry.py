"""What each app makes searchable, and with what weight.

An app lists its contribution in its own ``search.py`` by calling :func:`register` with a
:class:`Source`: the index columns it fills, a function that collects their text for a
batch of case ids, and the models whose changes must re-index a case. The search app
builds one document per case from every source (see :mod:`lightbox.search.index`), so a
case is found by its captions, its radiopharmaceuticals and its topic as well as by its
own sections.

Weights are BM25 column weights for SQLite FTS5 and a letter (A highest … D lowest) for
PostgreSQL's ``ts_rank``; they are documented in ``docs/search.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db.models import Model

__all__ = ["Column", "Source", "autodiscover", "columns", "register", "sources"]


@dataclass(frozen=True)
class Column:
    """One index column: ``name`` is also the search field that looks in it
    (``diagnosis:paget``) when :mod:`lightbox.search.text.query` knows that field."""

    name: str
    weight: float
    letter: str  # PostgreSQL tsvector weight, "A" to "D"


type Collector = Callable[[Sequence[int]], Mapping[int, Mapping[str, str]]]
# Called with a row of the model it is filed under in ``Source.watch``: each entry takes
# its own model, which a mapping's one value type cannot say.
type CaseIds = Callable[[Any], Iterable[int]]


@dataclass(frozen=True)
class Source:
    """``collect(case_ids)`` → ``{case_id: {column: text}}`` for the ids it knows;
    ``watch`` maps a model to the ids of the cases a saved or deleted row belongs to."""

    name: str
    columns: tuple[Column, ...]
    collect: Collector
    watch: Mapping[type[Model], CaseIds] = field(default_factory=dict)


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    taken = {c.name for s in _SOURCES.values() if s.name != source.name for c in s.columns}
    if clash := taken & {c.name for c in source.columns}:
        raise ValueError(f"search columns registered twice: {sorted(clash)}")
    for column in source.columns:
        # Column names go into SQL as identifiers: letters and underscores only.
        if not column.name.isascii() or not column.name.replace("_", "").isalpha():
            raise ValueError(f"bad search column name {column.name!r}")
        if column.letter not in ("A", "B", "C", "D") or column.weight <= 0:
            raise ValueError(f"bad weight for search column {column.name!r}")
    _SOURCES[source.name] = source


def sources() -> list[Source]:
    return [_SOURCES[name] for name in sorted(_SOURCES)]


def columns() -> list[Column]:
    """Every registered column, in a stable order (the FTS5 table's)."""
    return [c for s in sources() for c in s.columns]


def autodiscover() -> None:
    """Import ``search.py`` of every installed app that has one."""
    for config in apps.get_app_configs():
        try:
            import_module(f"{config.name}.search")
        except ModuleNotFoundError as e:
            if e.name != f"{config.name}.search":
                raise
