"""The full-text half of the index: SQLite FTS5 (the default) or PostgreSQL full text.

Both store one document per case, the text of every registered column (see
:mod:`lightbox.search.registry`) cut into words by :func:`lightbox.search.text.tokenize`
and followed by the same words' keys (:mod:`lightbox.search.text.forms`: singular,
American, stemmed), so that both find exactly the same cases for a query; only the
scores differ (BM25 with column weights in SQLite, ``ts_rank`` with weight letters in
PostgreSQL). Neither database stems or drops stop words itself: the keys are made in
Python, the same for both, and the query asks for each word or its key.
A search arrives already compiled for both, by :func:`lightbox.search.text.compile_for`.

Every query runs under a hard time limit (:data:`TIME_LIMIT`): SQLite's progress handler
interrupts it, PostgreSQL's ``statement_timeout`` cancels it; either raises
:class:`SearchTimeout`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol

import numpy as np
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import DatabaseError

from lightbox.search.models import Generation
from lightbox.search.registry import Column, columns
from lightbox.search.text.compiler import TAGS, CompiledQuery
from lightbox.search.text.forms import MARK as KEY_MARK
from lightbox.search.text.forms import index_text
from lightbox.search.text.forms import version as forms_version

__all__ = ["Backend", "SearchTimeout", "backend"]


class SearchTimeout(Exception):
    """The query ran past the time limit and was stopped."""


#: At most this many cases are scored by BM25 for one search (see SqliteBackend.match):
#: about 1.5 ms at 100,000 cases, on two cores.
RANK_ALL = 1000
#: The columns whose matches are still scored when a query finds more than RANK_ALL.
TOP_COLUMNS = ("title", "diagnosis", "keyword", "code")

#: Reading the whole vocabulary is not a reader's query: it runs in the background (see
#: suggest.py) and may take longer.
VOCABULARY_TIME_LIMIT = 60.0


def time_limit() -> float:
    return settings.LIGHTBOX_SEARCH_TIME_LIMIT_MS / 1000


def words(text: str) -> str:
    """A column's text as the index stores it: its words, then their keys (see
    :mod:`lightbox.search.text.forms`)."""
    return index_text(text)


#: PostgreSQL refuses a tsvector over 1 MB, and short distinct words with their positions
#: take up to about 2.75 bytes of it per character of text: a case's document is cut to
#: this many characters, its weightiest parts first. Only a case of book length (or a
#: megabyte of hostile text, which was a 500 on saving) comes near it.
MAX_DOCUMENT_CHARS = 300_000


def _within(parts: list[str], budget: int) -> list[str]:
    """``parts`` cut, in order and at a word, so that together they fit ``budget``."""
    out = []
    for text in parts:
        if len(text) > budget:
            text = text[:budget].rpartition(" ")[0]
        budget -= len(text)
        out.append(text)
    return out


class Backend(Protocol):
    def ensure_schema(self) -> bool: ...
    def replace(self, docs: Mapping[int, Mapping[str, str]]) -> None: ...
    def delete(self, ids: Sequence[int]) -> None: ...
    def clear(self) -> None: ...
    def match(
        self, compiled: CompiledQuery, rank_all: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...
    def vocabulary(self) -> dict[str, int]: ...
    def filling(self) -> AbstractContextManager[None]: ...


def _signature(cols: Sequence[Column], extra: str) -> str:
    spec = ";".join(f"{c.name}:{c.weight}:{c.letter}" for c in cols) + extra
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def _schema_is_current(cur: Any, table: str, signature: str) -> bool:
    """Whether ``table`` was created for these registered columns (``search_schema``
    keeps the signature each full-text table was made with)."""
    cur.execute("CREATE TABLE IF NOT EXISTS search_schema (name TEXT PRIMARY KEY, signature TEXT)")
    cur.execute("SELECT signature FROM search_schema WHERE name = %s", [table])
    row = cur.fetchone()
    return bool(row and row[0] == signature)


def _record_schema(cur: Any, table: str, signature: str) -> None:
    cur.execute(
        "INSERT INTO search_schema (name, signature) VALUES (%s, %s) "
        "ON CONFLICT (name) DO UPDATE SET signature = EXCLUDED.signature",
        [table, signature],
    )


def _parse_ids(joined: str | None) -> np.ndarray:
    """Ids aggregated into one comma-separated string by the database (one value through
    the driver instead of one row per case)."""
    return np.fromstring(joined or "", dtype=np.int64, sep=",")


def _top_first(
    ids: np.ndarray, best_ids: np.ndarray, best_scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every id found (ascending), scored by the top columns' score where it has one,
    else 0. A NOT can hold in the top columns and fail in the others: ids not found in
    the whole text get no score."""
    inside = np.isin(best_ids, ids, assume_unique=True)
    scores = np.zeros(len(ids), np.float32)
    scores[np.searchsorted(ids, best_ids[inside])] = best_scores[inside]
    return ids, scores


def _ids_scores(rows: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    data = np.array(rows, dtype=np.float64)
    return data[:, 0].astype(np.int64), data[:, 1].astype(np.float32)


class SqliteBackend:
    """An FTS5 table ``search_fts`` with one column per registered column, rowid = case
    id, ranked by ``bm25()`` with the registered weights.

    A second table, ``search_fts_top``, has the same columns but holds only the text of
    :data:`TOP_COLUMNS` (the others are empty). It answers "which of these matches are
    in the title, diagnosis, keywords or codes" for a search finding too many to rank:
    a column filter on the first table reads every match (2.5 ms for a word in 80,000
    cases), the second table's lists hold only the top columns' words."""

    TABLE = "search_fts"
    TOP = "search_fts_top"
    VOCAB = "search_fts_vocab"
    OPTIONS = "tokenize='unicode61 remove_diacritics 0', prefix='2 3'"

    def __init__(self, db: Callable[[], BaseDatabaseWrapper] | None = None) -> None:
        # The database holding the tables: the default one, or the local copy of
        # PostgreSQL's index (lightbox.search.mirror), which gives its own.
        self.db = db or (lambda: connection)
        self.columns = columns()
        self.names = [c.name for c in self.columns]
        self.signature = _signature(
            self.columns, self.OPTIONS + self.TOP + str(TOP_COLUMNS) + forms_version()
        )
        self.weights = ", ".join(str(c.weight) for c in self.columns)

    def ensure_schema(self) -> bool:
        """Create the tables, or re-create them when the registered columns changed;
        True when they are new (and must be filled by a reindex)."""
        with self.db().cursor() as cur:
            if _schema_is_current(cur, self.TABLE, self.signature):
                return False
            cur.execute(f"DROP TABLE IF EXISTS {self.VOCAB}")
            for table in (self.TABLE, self.TOP):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
                cur.execute(
                    f"CREATE VIRTUAL TABLE {table} USING fts5("
                    f"{', '.join(self.names)}, {self.OPTIONS})"
                )
            cur.execute(f"CREATE VIRTUAL TABLE {self.VOCAB} USING fts5vocab({self.TABLE}, row)")
            _record_schema(cur, self.TABLE, self.signature)
        return True

    def replace(self, docs: Mapping[int, Mapping[str, str]]) -> None:
        if not docs:
            return
        self.delete(list(docs))
        marks = ", ".join(["%s"] * (len(self.names) + 1))
        rows: list[list[int | str]] = [
            [case_id, *(words(doc.get(name, "")) for name in self.names)]
            for case_id, doc in docs.items()
        ]
        top = [i + 1 for i, name in enumerate(self.names) if name in TOP_COLUMNS]
        top_rows: list[list[int | str]] = [
            [row[0], *(row[i] if i in top else "" for i in range(1, len(row)))] for row in rows
        ]
        with self.db().cursor() as cur:
            for table, values in ((self.TABLE, rows), (self.TOP, top_rows)):
                cur.executemany(
                    f"INSERT INTO {table} (rowid, {', '.join(self.names)}) VALUES ({marks})",
                    values,
                )

    def delete(self, ids: Sequence[int]) -> None:
        with self.db().cursor() as cur:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                marks = ", ".join(["%s"] * len(chunk))
                for table in (self.TABLE, self.TOP):
                    cur.execute(f"DELETE FROM {table} WHERE rowid IN ({marks})", chunk)

    def clear(self) -> None:
        with self.db().cursor() as cur:
            for table in (self.TABLE, self.TOP):
                cur.execute(f"DELETE FROM {table}")

    @contextmanager
    def _bounded(self, seconds: float | None = None) -> Iterator[None]:
        db = self.db()
        db.ensure_connection()
        raw = db.connection
        deadline = time.monotonic() + (seconds or time_limit())
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            yield
        except OperationalError as e:
            if "interrupt" in str(e):
                raise SearchTimeout from e
            raise
        finally:
            raw.set_progress_handler(None, 0)

    def match(
        self, compiled: CompiledQuery, rank_all: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every case matching the text of ``compiled``, with its score (higher is
        better).

        BM25 costs more than a microsecond per case found, so it is computed for at most
        ``rank_all`` cases (:data:`RANK_ALL` unless given). When more match (a common
        word: half the library), every case is still found and counted, but only those
        that match in the title, diagnosis, keywords or codes (:data:`TOP_COLUMNS`)
        are scored — and only if there are at most ``rank_all`` of them, else they all
        score 1; the others score 0 and are ordered by date.
        """
        assert compiled.fts5 is not None
        rank_all = RANK_ALL if rank_all is None else rank_all
        expression = compiled.fts5
        with self._bounded(), self.db().cursor() as cur:
            if self._at_most(cur, self.TABLE, expression, rank_all):
                return _ids_scores(self._scored(cur, self.TABLE, expression))
            ids = self._ids(cur, self.TABLE, expression)  # in rowid order
            if self._at_most(cur, self.TOP, expression, rank_all):
                best_ids, best_scores = _ids_scores(self._scored(cur, self.TOP, expression))
            else:
                best_ids = self._ids(cur, self.TOP, expression)
                best_scores = np.ones(len(best_ids), np.float32)
        return _top_first(ids, best_ids, best_scores)

    def _at_most(self, cur: Any, table: str, expression: str, limit: int) -> bool:
        """Whether at most ``limit`` rows match: counting stops at ``limit + 1``."""
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s "
            f"LIMIT {int(limit) + 1})",
            [expression],
        )
        return int(cur.fetchone()[0]) <= limit

    def _scored(self, cur: Any, table: str, expression: str) -> list[tuple[int, float]]:
        """(rowid, score) of every match: BM25 is computed for each row returned."""
        cur.execute(
            f"SELECT rowid, -bm25({table}, {self.weights}) FROM {table} WHERE {table} MATCH %s",
            [expression],
        )
        return cur.fetchall()  # type: ignore[no-any-return]

    def _ids(self, cur: Any, table: str, expression: str) -> np.ndarray:
        """Every matching rowid, ascending (FTS5 returns them in rowid order)."""
        cur.execute(
            f"SELECT group_concat(rowid) FROM {table} WHERE {table} MATCH %s", [expression]
        )
        return _parse_ids(cur.fetchone()[0])

    def filling(self) -> AbstractContextManager[None]:
        """Around filling new tables (nothing to do for FTS5)."""
        return nullcontext()

    def vocabulary(self) -> dict[str, int]:
        with self._bounded(VOCABULARY_TIME_LIMIT), self.db().cursor() as cur:
            cur.execute(f"SELECT term, doc FROM {self.VOCAB}")
            return dict(cur.fetchall())


#: The PostgreSQL extension whose index answers phrases from the index itself (tests
#: name one that does not exist to run the GIN fallback for real).
RUM_EXTENSION = "rum"
#: What the RUM index holds and phrase searches ask for: the document itself, as an
#: expression of it that no other search names, so that the planner takes GIN for every
#: search without a phrase (GIN's lists are a third of RUM's, and faster to read: a word
#: in 85,000 documents 3 ms against 8, a prefix 13 ms against 90) and RUM for phrases.
PHRASE_DOCUMENT = "document || ''::tsvector"
#: A phrase in a compiled tsquery: its words joined by <-> or <N>.
PHRASE_OPERATOR = re.compile(r"<(?:-|\d+)>")
#: Results kept per process by PostgresBackend, at most this many bytes (see _Results).
CACHE_BYTES = 32 * 1024 * 1024


def rum_status(cur: Any) -> tuple[bool, bool]:
    """(whether the server has the RUM extension's files, whether this database has
    the extension), for the system check and :meth:`PostgresBackend.ensure_schema`."""
    cur.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = %s), "
        "EXISTS (SELECT 1 FROM pg_extension WHERE extname = %s)",
        [RUM_EXTENSION, RUM_EXTENSION],
    )
    available, created = cur.fetchone()
    return bool(available), bool(created)


def _create_rum(cur: Any) -> bool:
    """Create the RUM extension if this database lacks it; False when the server has no
    such extension or the role may not create it (PostgreSQL says which in its log)."""
    available, created = rum_status(cur)
    if created or not available:
        return created
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the transaction usable
            cur.execute(f"CREATE EXTENSION IF NOT EXISTS {RUM_EXTENSION}")
    except DatabaseError:  # not a superuser (RUM is not a trusted extension)
        return False
    return True


class _Cached:
    """One result of :meth:`PostgresBackend.match`, kept small: the ids found as a
    bitmap over the id range (12.5 kB for any result at 100,000 cases) when that is
    smaller than the ids themselves, and only the scores that are not 0."""

    def __init__(self, ids: np.ndarray, scores: np.ndarray) -> None:
        self.count = len(ids)
        self.top = int(ids[-1]) + 1 if len(ids) else 0
        if self.top // 8 < 4 * self.count:
            mask = np.zeros(self.top, bool)
            mask[ids] = True
            self.ids = np.packbits(mask, bitorder="little")
            self.packed = True
        else:
            self.ids = ids.astype(np.int32)
            self.packed = False
        scored = np.flatnonzero(scores)
        self.scored = scored.astype(np.int32)
        self.scores = scores[scored].astype(np.float32)
        self.nbytes = self.ids.nbytes + self.scored.nbytes + self.scores.nbytes + 200

    def get(self) -> tuple[np.ndarray, np.ndarray]:
        if self.packed:
            mask = np.unpackbits(self.ids, count=self.top, bitorder="little")
            ids = np.flatnonzero(mask).astype(np.int64)
        else:
            ids = self.ids.astype(np.int64)
        scores = np.zeros(self.count, np.float32)
        scores[self.scored] = self.scores
        return ids, scores


class _Results:
    """What :meth:`PostgresBackend.match` found for recent queries, kept while the index
    does not change (least recently used first out, within :data:`CACHE_BYTES`).

    PostgreSQL reaches each case matched through its table (about 0.2 µs a case: 18 ms
    for a word in 90,000 cases), where FTS5 reads its own lists; the facets and the
    count need every case found, so a common word would cost that at every search.
    Each search reads the index's generation: the ``seq`` of
    :class:`~lightbox.search.models.Generation`, which every write to the index takes the
    next number of, in commit order, and the transaction that wrote it (``xmin``). Any
    change empties the cache, so a result is never older than the index. The
    transaction tells apart two states with the same number: a rolled-back write (its
    number is handed out again), an emptied or restored database.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.generation: tuple[int, int] | None = None
        self.items: OrderedDict[tuple[str, int], _Cached] = OrderedDict()
        self.nbytes = 0

    def clear(self) -> None:
        """Forget every result (the search benchmark times new queries this way)."""
        with self.lock:
            self.items.clear()
            self.nbytes = 0

    def get(
        self, generation: tuple[int, int], key: tuple[str, int]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        with self.lock:
            if generation != self.generation:
                self.items.clear()
                self.nbytes = 0
                self.generation = generation
                return None
            item = self.items.get(key)
            if item is None:
                return None
            self.items.move_to_end(key)
        return item.get()

    def put(
        self,
        generation: tuple[int, int],
        key: tuple[str, int],
        ids: np.ndarray,
        scores: np.ndarray,
    ) -> None:
        item = _Cached(ids, scores)
        with self.lock:
            if generation != self.generation or item.nbytes > self.limit:
                return
            if (old := self.items.pop(key, None)) is not None:
                self.nbytes -= old.nbytes
            self.items[key] = item
            self.nbytes += item.nbytes
            while self.nbytes > self.limit:
                _, dropped = self.items.popitem(last=False)
                self.nbytes -= dropped.nbytes


class PostgresBackend:
    """A table ``search_document`` (case id, tsvector). Each column's words get the
    column's weight letter, and are stored again with the field's tag for exact field
    searches; ranked by ``ts_rank`` (cover density is not used: it ignores weights of
    words far apart). A second table, ``search_document_top``, holds only the words of
    :data:`TOP_COLUMNS`, for searches finding too many cases to rank (as the second FTS5
    table does in SQLite).

    The first table has a GIN index, which finds words, and, when the ``rum`` extension
    can be created, a RUM index for phrases (see :data:`PHRASE_DOCUMENT`). A phrase
    needs the words' positions: GIN keeps none, so PostgreSQL reads every document
    holding all of a phrase's words to check (half a second for ``"follow up"`` at
    100,000 cases, 90,000 documents); RUM keeps them in the index (30 ms). But RUM's
    lists, positions and all, are slower to read for everything else. Without RUM, the
    system check ``lightbox.W201`` says so.
    What a search found stays in :class:`_Results` until the index changes."""

    TABLE = "search_document"
    TOP = "search_document_top"  # its own table, so that the first one's rows stay narrow
    RANK = "search_document_rank"
    TEXT = "search_text"  # each case's column texts, for the local copies (mirror.py)
    CONFIG = "simple"  # no stemming, no stop words: the same matches as FTS5

    def __init__(self) -> None:
        self.columns = columns()
        letters = {c.letter for c in self.columns}
        best = {
            letter: max(c.weight for c in self.columns if c.letter == letter) for letter in letters
        }
        top = max(best.values())
        # ts_rank's weights array is {D, C, B, A}.
        self.weights = "{" + ",".join(f"{best.get(x, 0.1) / top:.3f}" for x in "DCBA") + "}"
        self.results = _Results(CACHE_BYTES)
        self._phrases: tuple[tuple[int, int], bool] | None = None
        # Whether searches may use this machine's copy (tests of PostgreSQL's own
        # search turn it off).
        self.mirrored = True

    def signature(self, rum: bool) -> str:
        """The columns, and the index kind: a change re-creates and refills the tables."""
        kind = "gin+rum phrases" if rum else "gin"
        tables = self.TOP + self.RANK + self.TEXT
        extra = self.CONFIG + tables + str(TOP_COLUMNS) + kind + forms_version()
        return _signature(self.columns, extra)

    def ensure_schema(self) -> bool:
        """Create the tables (again, when the registered columns changed or RUM became
        available); True when they are new and must be filled by a reindex."""
        with connection.cursor() as cur:
            rum = _create_rum(cur)
            signature = self.signature(rum)
            if _schema_is_current(cur, self.TABLE, signature):
                return False
            for table in (self.TABLE, self.TOP, self.RANK, self.TEXT):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {self.TEXT} (case_id integer PRIMARY KEY, body bytea)")
            for table in (self.TABLE, self.TOP):
                cur.execute(
                    f"CREATE TABLE {table} (case_id integer PRIMARY KEY, document tsvector)"
                )
            self._create_rank_table(cur)
            self._create_indexes(cur, rum)
            _record_schema(cur, self.TABLE, signature)
        self.results = _Results(CACHE_BYTES)
        self._phrases = None
        return True

    def _create_rank_table(self, cur: Any) -> None:
        """The documents again, each kept whole in its table row (compressed, with lz4
        where the server has it) rather than out of line: ``ts_rank`` reads the
        documents it scores, and reading one stored out of line (three lookups of its
        parts) took 12 µs, 4 times longer. The first table stays narrow, for scans that
        find every case matching."""
        for compression in (" COMPRESSION lz4", ""):
            try:
                with transaction.atomic():  # a savepoint: a refusal leaves the rest usable
                    cur.execute(
                        f"CREATE TABLE {self.RANK} (case_id integer PRIMARY KEY, "
                        f"document tsvector{compression}) WITH (toast_tuple_target = 8160)"
                    )
                break
            except DatabaseError:  # a server built without lz4
                continue
        cur.execute(f"ALTER TABLE {self.RANK} ALTER COLUMN document SET STORAGE MAIN")

    def _create_indexes(self, cur: Any, rum: bool) -> None:
        # GIN finds words; RUM, on an expression only phrase searches use, finds phrases
        # from its index. A top-columns document is small enough for a phrase to be
        # checked in the table.
        cur.execute(f"CREATE INDEX {self.TABLE}_gin ON {self.TABLE} USING gin (document)")
        if rum:
            cur.execute(
                f"CREATE INDEX {self.TABLE}_phrase ON {self.TABLE} "
                f"USING rum (({PHRASE_DOCUMENT}) rum_tsvector_ops)"
            )
        cur.execute(f"CREATE INDEX {self.TOP}_gin ON {self.TOP} USING gin (document)")

    @contextmanager
    def filling(self) -> Iterator[None]:
        """Around filling the tables from scratch: when they are empty (new, or never
        filled), their indexes are made once, at the end (100,000 documents: RUM 13 s in
        one go, minutes a row at a time). Not when they hold documents: dropping an
        index locks its table, and searches would wait for the end of the refill. Used inside
        the refill's transaction: if the refill fails, its rollback brings the indexes
        back."""
        rum = self.uses_rum()
        with connection.cursor() as cur:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM {self.TABLE})")  # noqa: S608
            if cur.fetchone()[0]:
                yield
                return
            for name in (f"{self.TABLE}_gin", f"{self.TABLE}_phrase", f"{self.TOP}_gin"):
                cur.execute(f"DROP INDEX IF EXISTS {name}")
        yield
        with connection.cursor() as cur:
            self._create_indexes(cur, rum)

    def uses_rum(self) -> bool:
        """Whether the first table has its RUM index (for phrases)."""
        with connection.cursor() as cur:
            cur.execute(
                "SELECT am.amname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = to_regclass(%s) "
                "AND am.amname = %s",
                [self.TABLE, "rum"],
            )
            return cur.fetchone() is not None

    def _document(self, doc: Mapping[str, str], only: Sequence[str] = ()) -> list[str]:
        by_letter: dict[str, list[str]] = {x: [] for x in "ABCD"}
        for column in self.columns:
            text = words(doc.get(column.name, "")) if not only or column.name in only else ""
            if not text:
                continue
            by_letter[column.letter].append(text)
            if tag := TAGS.get(column.name):
                by_letter[column.letter].append(" ".join(tag + w for w in text.split()))
        # A gap word keeps a phrase from matching across two columns.
        return _within([" zqgapz ".join(by_letter[x]) for x in "ABCD"], MAX_DOCUMENT_CHARS)

    def replace(self, docs: Mapping[int, Mapping[str, str]]) -> None:
        if not docs:
            return
        vector = " || ".join(f"setweight(to_tsvector('{self.CONFIG}', %s), '{x}')" for x in "ABCD")
        with connection.cursor() as cur:
            for table, only in ((self.TABLE, ()), (self.TOP, TOP_COLUMNS)):
                cur.executemany(
                    f"INSERT INTO {table} (case_id, document) VALUES (%s, {vector}) "
                    "ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document",
                    [[case_id, *self._document(doc, only)] for case_id, doc in docs.items()],
                )
            cur.execute(
                f"INSERT INTO {self.RANK} (case_id, document) "
                f"SELECT case_id, document FROM {self.TABLE} WHERE case_id = ANY(%s) "
                "ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document",
                [list(docs)],
            )
            cur.executemany(
                f"INSERT INTO {self.TEXT} (case_id, body) VALUES (%s, %s) "
                "ON CONFLICT (case_id) DO UPDATE SET body = EXCLUDED.body",
                [[case_id, self._text(doc)] for case_id, doc in docs.items()],
            )

    def _text(self, doc: Mapping[str, str]) -> bytes:
        return encode({c.name: doc[c.name] for c in self.columns if doc.get(c.name)})

    def delete(self, ids: Sequence[int]) -> None:
        with connection.cursor() as cur:
            for table in (self.TABLE, self.RANK, self.TOP, self.TEXT):
                cur.execute(f"DELETE FROM {table} WHERE case_id = ANY(%s)", [list(ids)])

    def clear(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {self.TABLE}, {self.RANK}, {self.TOP}, {self.TEXT}")

    @contextmanager
    def _bounded(self, seconds: float | None = None, *, planner: bool = False) -> Iterator[None]:
        """A transaction whose statements stop after the time limit; with ``planner``,
        one that reads the documents through their indexes only (see :meth:`_match`).
        The settings are made in one statement (a search is a handful of round trips)."""
        settings = {"statement_timeout": str(int((seconds or time_limit()) * 1000))}
        if planner:
            settings |= {"enable_seqscan": "off", "enable_indexscan": "off"}
        names = list(settings)
        # SET LOCAL lasts until the end of the *outermost* transaction: inside a caller's
        # transaction (a test, a request made atomic), the settings would hold for every
        # later statement too. Then the old values are put back.
        nested = connection.in_atomic_block
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    "SELECT "
                    + ", ".join(f"current_setting('{name}')" for name in names)
                    + ", "
                    + ", ".join(f"set_config('{name}', %s, true)" for name in names),
                    [settings[name] for name in names],
                )
                before = cur.fetchone()[: len(names)]
                yield
                if nested:
                    cur.execute(
                        "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in names),
                        list(before),
                    )
        except DatabaseError as e:
            if "statement timeout" in str(e):
                raise SearchTimeout from e
            raise

    def _generation(self, cur: Any) -> tuple[int, int]:
        """The index's generation (see :class:`_Results`)."""
        table = connection.ops.quote_name(Generation._meta.db_table)
        cur.execute(f"SELECT seq, xmin::text::bigint FROM {table}")  # noqa: S608
        row = cur.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def match(
        self, compiled: CompiledQuery, rank_all: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`SqliteBackend.match`. Every matching id comes first, as one string
        (84,000 rows through the driver took longer than the search); ``ts_rank`` then
        scores at most ``rank_all`` of them, looked up by id. A result found since the
        index last changed is taken from :class:`_Results`."""
        if compiled.tsquery is None:  # words PostgreSQL cannot hold: nothing stored has them
            return _ids_scores([])
        rank_all = RANK_ALL if rank_all is None else rank_all
        key = (compiled.tsquery, rank_all)
        # The generation first, in a statement of its own: a result kept is then one
        # round trip, and what is read next is at least as new as the number it is
        # kept under.
        with connection.cursor() as cur:
            generation = self._generation(cur)
        if found := self.results.get(generation, key):
            return found
        if copy := self._copy(generation):
            found = copy.match(compiled, rank_all)
        else:
            phrases = self._phrase_index(generation)
            with self._bounded(planner=True), connection.cursor() as cur:
                found = self._match(cur, compiled.tsquery, rank_all, phrases)
        self.results.put(generation, key, *found)
        return found

    def _copy(self, generation: tuple[int, int]) -> SqliteBackend | None:
        """This machine's copy of the index, when it holds ``generation``
        (:mod:`lightbox.search.mirror`): it finds the same cases, ranked by BM25."""
        copy = COPIES() if self.mirrored and COPIES is not None else None
        return copy.ready(generation) if copy is not None else None

    def _phrase_index(self, generation: tuple[int, int]) -> bool:
        """Whether phrase searches may ask the RUM index, looked up again whenever the
        index's generation changes (a ``migrate`` that made the tables again with or
        without RUM writes the index anew)."""
        if self._phrases is None or self._phrases[0] != generation:
            self._phrases = (generation, self.uses_rum())
        return self._phrases[1]

    def _match(
        self, cur: Any, tsquery: str, rank_all: int, phrases: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        # (In a transaction that allows neither a table scan nor an index scan: the
        # documents are large and stored out of line, which makes the planner underrate
        # a scan of them: an index is always the better way in, and a bitmap scan of it;
        # RUM's index scan would read its lists in rank order, slower.)
        if phrases and PHRASE_OPERATOR.search(tsquery):
            ids = self._ids(cur, self.TABLE, tsquery, PHRASE_DOCUMENT)
        else:
            ids = self._ids(cur, self.TABLE, tsquery)
        if len(ids) <= rank_all:
            return _ids_scores(self._ranked(cur, self.RANK, ids, tsquery))
        best_ids = self._ids(cur, self.TOP, tsquery)
        best_ids = best_ids[np.isin(best_ids, ids, assume_unique=True)]  # rank only these
        if len(best_ids) <= rank_all:
            best_ids, best_scores = _ids_scores(self._ranked(cur, self.TOP, best_ids, tsquery))
        else:
            best_scores = np.ones(len(best_ids), np.float32)
        return _top_first(ids, best_ids, best_scores)

    def _ids(self, cur: Any, table: str, tsquery: str, document: str = "document") -> np.ndarray:
        """The ids of the cases matching in ``table``, ascending (sorted in numpy: an
        ORDER BY in the aggregate doubled its time)."""
        # Each id as its 4 bytes, all in one value: at 80,000 ids, 3 ms less than as
        # text on the server and 2 ms less to read here.
        cur.execute(
            f"SELECT string_agg(int4send(case_id), ''::bytea) FROM {table} "
            f"WHERE ({document}) @@ to_tsquery('{self.CONFIG}', %s)",
            [tsquery],
        )
        packed = cur.fetchone()[0]
        return np.sort(np.frombuffer(packed or b"", dtype=">i4").astype(np.int64))

    def _ranked(
        self, cur: Any, table: str, ids: np.ndarray, tsquery: str
    ) -> list[tuple[int, float]]:
        if len(ids) == 0:
            return []
        cur.execute(
            f"SELECT case_id, ts_rank(%s, document, to_tsquery('{self.CONFIG}', %s)) "
            f"FROM {table} WHERE case_id = ANY(%s) ORDER BY case_id",
            [self.weights, tsquery, ids.tolist()],
        )
        return cur.fetchall()  # type: ignore[no-any-return]

    def vocabulary(self) -> dict[str, int]:
        with connection.cursor() as cur:
            generation = self._generation(cur)
        if copy := self._copy(generation):
            return copy.vocabulary()
        with self._bounded(VOCABULARY_TIME_LIMIT), connection.cursor() as cur:
            cur.execute(
                f"SELECT word, ndoc FROM ts_stat('SELECT document FROM {self.TABLE}') "
                "WHERE word NOT LIKE 'zq%%' OR word LIKE %s",
                [KEY_MARK + "%"],
            )
            return dict(cur.fetchall())


def encode(doc: Mapping[str, str]) -> bytes:
    """A case's column texts as ``search_text`` keeps them (for the machines' copies)."""
    return zlib.compress(json.dumps(dict(doc), ensure_ascii=False).encode(), 1)


def decode(body: bytes | memoryview | None) -> dict[str, str] | None:
    if body is None:
        return None
    return json.loads(zlib.decompress(bytes(body)))  # type: ignore[no-any-return]


#: This machine's copy of the index, for PostgresBackend: set by
#: :mod:`lightbox.search.mirror` when the app starts (it builds on this module).
COPIES: Callable[[], Any] | None = None

_BACKENDS: dict[str, Backend] = {}


def backend() -> Backend:
    """The backend for the default database (SQLite or PostgreSQL)."""
    vendor = connection.vendor
    if vendor not in _BACKENDS:
        if vendor == "sqlite":
            _BACKENDS[vendor] = SqliteBackend()
        elif vendor == "postgresql":
            _BACKENDS[vendor] = PostgresBackend()
        else:
            raise RuntimeError(f"search supports SQLite and PostgreSQL, not {vendor}")
    return _BACKENDS[vendor]
