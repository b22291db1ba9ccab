"""A parsed search compiled for the database: SQLite FTS5 and PostgreSQL full text.

Django-free. :func:`compile_query` renders a :class:`~lightbox.search.text.query.Query`
as an FTS5 ``MATCH`` expression and as a string for PostgreSQL's ``to_tsquery``, and
pulls out its ``acr:`` and ``modality:`` filters for the caller's columns. The caller
maps fields to index columns (FTS5) and to tsvector weights or tags (PostgreSQL);
:func:`compile_for` does so for Lightbox's index, where every text field of the search
language is a column of the same name (:data:`FIELD_COLUMNS`) and PostgreSQL stores each
field's words a second time behind its tag (:data:`TAGS`).

A query from :func:`~lightbox.search.text.query.parse` always compiles to valid syntax:
every FTS5 word is a quoted string, and only lexemes of ``a-z`` and ``0-9`` reach
PostgreSQL. Compiling fails only on a mistake in the caller's column or weight mappings.

Examples
--------
>>> from lightbox.search.text.query import parse
>>> q = parse('diagnosis:Pagét bone scan -"superscan pattern" modality:nm')
>>> c = compile_query(q, {"diagnosis": ["diagnosis"]}, weights={"diagnosis": "A"})
>>> print(c.fts5)
(diagnosis:"paget" AND "bone" AND "scan") NOT "superscan pattern"
>>> print(c.tsquery)
paget:A & bone & scan & !(superscan <-> pattern)
>>> c.filters
[Filter(field='modality', value='NM', prefix=False, negated=False)]
>>> print(compile_for(parse("diagnosis:paget")).tsquery)
zqdiagnosiszzqzpaget
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from lightbox.search.text.forms import keyed
from lightbox.search.text.query import (
    FIELDS,
    FILTER_FIELDS,
    And,
    Field,
    Filter,
    Node,
    Not,
    Phrase,
    Query,
    Term,
    split_filters,
    with_keys,
)

__all__ = ["FIELD_COLUMNS", "TAGS", "CompiledQuery", "compile_for", "compile_query"]

#: A text field of the search language → the index columns it searches (Lightbox's
#: index has one column per text field, named after it).
FIELD_COLUMNS: Final[Mapping[str, list[str]]] = {
    name: [name] for name in FIELDS if name not in FILTER_FIELDS
}
#: PostgreSQL: each field's words are stored a second time with this tag in front, so
#: that ``diagnosis:paget`` is exact in one tsvector (see :func:`compile_query`'s ``tags``).
TAGS: Final[Mapping[str, str]] = {name: f"zq{name}z" for name in FIELD_COLUMNS}


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A query ready for the database.

    ``fts5`` is for ``… WHERE t MATCH ?``; ``tsquery`` for
    ``… @@ to_tsquery('english', %s)``. Both are None when the query is only filters.
    ``tsquery`` is also None when no word of the query can be written for PostgreSQL
    (only lexemes of a–z and 0–9 are: ``ελληνικά`` has an FTS5 query but no tsquery);
    a PostgreSQL backend should then find nothing if ``fts5`` is not None.
    ``filters`` are the ``acr:`` and ``modality:`` conditions, ANDed with the text.
    """

    fts5: str | None
    tsquery: str | None
    filters: list[Filter]


# --- FTS5 ------------------------------------------------------------------------------------
#
# FTS5's NOT is binary ("a NOT b"), so each node compiles to a set or to the complement of
# one: (negative, expression). A AND NOT B is "A NOT B"; x OR NOT y is everything except
# "y NOT x". A Query checks on construction that it is not a complement as a whole.

_BAREWORD_RE = re.compile(r"[A-Za-z0-9_]+")


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts5_column(name: str) -> str:
    if _BAREWORD_RE.fullmatch(name) and name not in ("AND", "OR", "NOT", "NEAR"):
        return name
    return _fts5_string(name)


def _fts5_columns(name: str, columns: Mapping[str, Sequence[str]]) -> str:
    cols = columns.get(name)
    if not cols or isinstance(cols, str):
        raise ValueError(f"no FTS5 columns given for the field {name!r}: need a list of names")
    if len(cols) == 1:
        return _fts5_column(cols[0])
    return "{" + " ".join(map(_fts5_column, cols)) + "}"


def _paren(compiled: tuple[str, bool]) -> str:
    text, atomic = compiled
    return text if atomic else f"({text})"


def _join(op: str, parts: list[tuple[str, bool]]) -> tuple[str, bool]:
    if len(parts) == 1:
        return parts[0]
    return f" {op} ".join(map(_paren, parts)), False


def _fts5(node: Node, columns: Mapping[str, Sequence[str]]) -> tuple[bool, str, bool]:
    """(negative, expression, atomic) for ``node``."""
    if isinstance(node, Term):
        return False, _fts5_string(node.word) + ("*" if node.prefix else ""), True
    if isinstance(node, Phrase):
        return False, _fts5_string(" ".join(node.words)) + ("*" if node.prefix else ""), True
    if isinstance(node, Field):
        negative, text, atomic = _fts5(node.child, columns)
        return negative, f"{_fts5_columns(node.name, columns)}:{_paren((text, atomic))}", True
    if isinstance(node, Not):
        negative, text, atomic = _fts5(node.child, columns)
        return not negative, text, atomic
    if isinstance(node, Filter):  # split_filters keeps filters out of the text
        raise ValueError(f"{node.field}: is a filter, not text")
    parts = [_fts5(child, columns) for child in node.children]
    wanted = [(text, atomic) for negative, text, atomic in parts if not negative]
    unwanted = [(text, atomic) for negative, text, atomic in parts if negative]
    if isinstance(node, And):
        if not wanted:  # NOT a AND NOT b: everything except (a OR b)
            return True, *_join("OR", unwanted)
        if not unwanted:
            return False, *_join("AND", wanted)
        keep, drop = _join("AND", wanted), _join("OR", unwanted)
        return False, f"{_paren(keep)} NOT {_paren(drop)}", False
    if not unwanted:
        return False, *_join("OR", wanted)
    if not wanted:  # NOT a OR NOT b: everything except (a AND b)
        return True, *_join("AND", unwanted)
    # a OR NOT b: everything except (b NOT a)
    drop, keep = _join("AND", unwanted), _join("OR", wanted)
    return True, f"{_paren(drop)} NOT {_paren(keep)}", False


# --- PostgreSQL ------------------------------------------------------------------------------

_LEXEME_RE = re.compile(r"[a-z0-9]+")
_WEIGHTS = frozenset("ABCD")


def _weight(name: str, weights: Mapping[str, str] | None) -> str:
    if weights is None:
        return ""
    letters = weights.get(name)
    if letters is None:
        raise ValueError(f"no tsvector weight given for the field {name!r}")
    letters = letters.upper()
    if not set(letters) <= _WEIGHTS:
        raise ValueError(f"tsvector weights for {name!r} must be letters A to D, not {letters!r}")
    return "".join(sorted(set(letters)))


def _tag(name: str, tags: Mapping[str, str]) -> str:
    tag = tags.get(name)
    if tag is None or not _LEXEME_RE.fullmatch(tag):
        raise ValueError(f"no lexeme tag (letters a-z, digits) given for the field {name!r}")
    return tag


def _lexeme(word: str, prefix: bool, weight: str) -> str:
    if prefix or weight:
        return f"{word}:{'*' if prefix else ''}{weight}"
    return word


def _tsquery(
    node: Node,
    weights: Mapping[str, str] | None,
    weight: str = "",
    tags: Mapping[str, str] | None = None,
    tag: str = "",
) -> tuple[bool, str, bool] | None:
    """(negative, expression, atomic) for ``node``, or None if nothing can be written."""
    if isinstance(node, Term):
        if not _LEXEME_RE.fullmatch(node.word):
            return None
        return False, _lexeme(tag + node.word, node.prefix, weight), True
    if isinstance(node, Phrase):
        # Words PostgreSQL cannot take are skipped, and the distance between the words
        # either side of them grows to match: "a <2> b".
        out: list[str] = []
        gap = 1
        for i, word in enumerate(node.words):
            if not _LEXEME_RE.fullmatch(word):
                gap += 1 if out else 0
                continue
            if out:
                out.append("<->" if gap == 1 else f"<{gap}>")
            out.append(_lexeme(tag + word, node.prefix and i == len(node.words) - 1, weight))
            gap = 1
        if not out:
            return None
        return False, " ".join(out), len(out) == 1
    if isinstance(node, Field):
        if tags is not None:
            return _tsquery(node.child, weights, weight, tags, _tag(node.name, tags))
        return _tsquery(node.child, weights, _weight(node.name, weights))
    if isinstance(node, Not):
        inner = _tsquery(node.child, weights, weight, tags, tag)
        if inner is None:
            return None
        return not inner[0], "!" + _paren(inner[1:]), True
    if isinstance(node, Filter):
        raise ValueError(f"{node.field}: is a filter, not text")
    parts = [
        p
        for p in (_tsquery(c, weights, weight, tags, tag) for c in node.children)
        if p is not None
    ]
    if not parts:
        return None
    negatives = [negative for negative, _, _ in parts]
    text, atomic = _join("&" if isinstance(node, And) else "|", [p[1:] for p in parts])
    negative = all(negatives) if isinstance(node, And) else any(negatives)
    return negative, text, atomic


def compile_query(
    query: Query,
    columns: Mapping[str, Sequence[str]],
    weights: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> CompiledQuery:
    """Compile a query for SQLite FTS5 and for PostgreSQL, and pull out its filters.

    Parameters
    ----------
    query
        From :func:`~lightbox.search.text.query.parse`.
    columns
        Text field name → the FTS5 columns it searches, e.g.
        ``{"history": ["brief_history", "full_history"]}``. Needed for every text field
        the query uses.
    weights
        Text field name → tsvector weight letters (``"A"`` to ``"D"``, or several, e.g.
        ``"AB"``; ``""`` for no restriction), since PostgreSQL cannot search one column
        of a tsvector. None leaves fields unrestricted in the tsquery.
    tags
        Text field name → a prefix (letters and digits) put before every word searched
        in that field, for an index that also stores each field's words with its tag
        (``diagnosis:paget`` becomes ``zqdxzpaget``): exact field searches in a single
        tsvector. Given, it replaces ``weights`` for fields.

    Returns
    -------
    CompiledQuery

    Raises
    ------
    ValueError
        When a field the query uses has no entry in ``columns`` (or in ``weights``, if
        given), or its weights are not letters A to D: a mistake in the caller, not in
        what the user typed.

    Examples
    --------
    >>> from lightbox.search.text.query import parse
    >>> cols = {"history": ["brief_history", "full_history"], "agent": ["agent"]}
    >>> c = compile_query(parse('history:(pain OR fever) agent:"Tc-99m MDP" -acr:4*'), cols)
    >>> print(c.fts5)
    {brief_history full_history}:("pain" OR "fever") AND agent:"tc 99m mdp"
    >>> print(c.tsquery)
    (pain | fever) & (tc <-> 99m <-> mdp)
    >>> c.filters
    [Filter(field='acr', value='4', prefix=True, negated=True)]
    >>> compile_query(parse("modality:NM"), cols)
    CompiledQuery(fts5=None, tsquery=None, filters=[Filter(field='modality', value='NM', \
prefix=False, negated=False)])
    """
    text, filters = split_filters(query.root)
    if text is None:
        return CompiledQuery(None, None, filters)
    _, fts5, _ = _fts5(text, columns)
    pg = _tsquery(text, weights, tags=tags)
    tsquery = None if pg is None or pg[0] else pg[1]
    return CompiledQuery(fts5, tsquery, filters)


def compile_for(
    query: Query, forms: Callable[[str], Sequence[str]] | None = None
) -> CompiledQuery:
    """``query`` compiled for Lightbox's index (:data:`FIELD_COLUMNS`, :data:`TAGS`),
    where each column holds its words and then their keys (:mod:`~lightbox.search.text.forms`):
    every word and phrase also finds the other forms of it. ``forms`` gives the indexed
    forms of a word, when known (see :func:`~lightbox.search.text.query.with_keys`).

    >>> from lightbox.search.text.query import parse
    >>> print(compile_for(parse('"crohns disease"')).fts5)
    "zqzcrohn zqzdiseas"
    """
    return compile_query(with_keys(query, keyed, forms), FIELD_COLUMNS, tags=TAGS)
