"""The index entries, held in memory as arrays, for facets, filters, sorting and similar
cases in a few milliseconds over 100,000 cases.

Each process keeps one :class:`Store`. Before every search it asks the database for the
newest ``seq`` (one indexed lookup) and reads only the entries written since; a
published, retired or re-classified case is therefore seen by every process at its next
search. Nothing here decides who may see a case on its own: the arrays hold each entry's
:class:`~lightbox.search.models.Audience`, and :meth:`Store.visible` applies the same rule
as :func:`lightbox.cases.access.visible_cases_q`, which the page's cases are loaded
through again.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.db import connection

from lightbox.lib import schema
from lightbox.search.models import Audience, Entry

__all__ = ["FACETS", "MULTI", "Found", "Store", "get"]

#: Facets with one value per case, and with several (agents, authors).
SINGLE = ("field", "category", "modality", "series", "difficulty", "quality", "year", "age", "sex")
MULTI = ("agents", "authors")
FACETS = SINGLE + MULTI
DIM = 384
#: Facets with more values than this are counted row by row, never by bitmaps.
BITMAP_VALUES = 64


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seq = -1
        self.size = 0
        self.capacity = 0
        self.case_ids = np.zeros(0, np.int64)
        self.row_of = np.full(1, -1, np.int64)  # case id → row
        self.audience = np.zeros(0, np.int8)
        self.published = np.zeros(0, np.float64)
        self.topic = np.zeros(0, np.int64)
        self.numbers: list[str] = []
        # Each signed-in reader's own cases (created or authored), as rows: read once per
        # state of the index. A case's authors and creator are indexed with it, so any
        # change to them writes its entry and the next refresh forgets these.
        self.own: dict[Any, np.ndarray] = {}
        self.values: dict[str, list[str]] = {name: [] for name in FACETS}
        self.codes_of: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        self.single: dict[str, np.ndarray] = {name: np.zeros(0, np.int32) for name in SINGLE}
        # Many-valued facets: each row's value codes + 1, padded with 0 (none).
        self.multi: dict[str, np.ndarray] = {name: np.zeros((0, 1), np.int32) for name in MULTI}
        self._padded: dict[str, np.ndarray] = {}
        self._bits: dict[str, np.ndarray] = {}
        self._totals: dict[str, np.ndarray] = {}
        self.acr: list[list[str]] = []
        self.differential: list[frozenset[str]] = []
        self.keywords: list[frozenset[str]] = []
        self._inverted: dict[str, dict[str, np.ndarray]] = {}
        self._number_rank: np.ndarray | None = None
        self.vectors = np.zeros((0, DIM), np.float32)
        self.has_vector = np.zeros(0, bool)

    # -- keeping up -------------------------------------------------------------------

    def refresh(self) -> None:
        newest = _newest_seq()
        if newest == self.seq:
            return
        with self.lock:
            if newest == self.seq:
                return
            if newest < self.seq:  # the table was emptied (tests, a restored backup)
                self.__init__()  # type: ignore[misc]
            rows = Entry.objects.filter(seq__gt=self.seq).order_by("seq").values_list(*_COLUMNS)
            for row in rows.iterator(chunk_size=2000):
                self._apply(dict(zip(_COLUMNS, row, strict=True)))
            self._padded.clear()
            self._bits.clear()
            self._totals.clear()
            self._inverted.clear()
            self._number_rank = None
            self.own.clear()
            self.seq = newest

    def _grow(self, case_id: int) -> int:
        if case_id >= len(self.row_of):
            extended = np.full(max(case_id + 1, 2 * len(self.row_of)), -1, np.int64)
            extended[: len(self.row_of)] = self.row_of
            self.row_of = extended
        row = int(self.row_of[case_id])
        if row >= 0:
            return row
        if self.size == self.capacity:
            self.capacity = max(1024, 2 * self.capacity)
            n = self.capacity
            self.case_ids = np.resize(self.case_ids, n)
            self.audience = np.resize(self.audience, n)
            self.published = np.resize(self.published, n)
            self.topic = np.resize(self.topic, n)
            for name in SINGLE:
                self.single[name] = np.resize(self.single[name], n)
            for name in MULTI:
                grown = np.zeros((n, self.multi[name].shape[1]), np.int32)
                grown[: self.size] = self.multi[name][: self.size]
                self.multi[name] = grown
            vectors = np.zeros((n, DIM), np.float32)
            vectors[: self.size] = self.vectors[: self.size]
            self.vectors = vectors
            self.has_vector = np.resize(self.has_vector, n)
        row = self.size
        self.size += 1
        self.row_of[case_id] = row
        self.case_ids[row] = case_id
        self.numbers.append("")
        for name in MULTI:
            self.multi[name][row] = 0
        self.acr.append([])
        self.differential.append(frozenset())
        self.keywords.append(frozenset())
        self.has_vector[row] = False
        return row

    def _code(self, facet: str, value: Any) -> int:
        if value in (None, ""):
            return -1
        value = str(value)
        codes = self.codes_of[facet]
        if value not in codes:
            codes[value] = len(self.values[facet])
            self.values[facet].append(value)
        return codes[value]

    def _apply(self, e: dict[str, Any]) -> None:
        row = self._grow(e["case_id"])
        self.audience[row] = e["audience"]
        self.published[row] = e["published"].timestamp() if e["published"] else 0.0
        self.topic[row] = e["topic_id"] or 0
        self.numbers[row] = e["number"]
        for name in SINGLE:
            self.single[name][row] = self._code(name, e[name])
        for name in MULTI:
            codes = [self._code(name, v) + 1 for v in e[name] if v]
            table = self.multi[name]
            if len(codes) > table.shape[1]:  # more values than any row before: widen
                table = self.multi[name] = np.pad(
                    table, ((0, 0), (0, len(codes) - table.shape[1]))
                )
            table[row] = 0
            table[row, : len(codes)] = codes
        self.acr[row] = list(e["acr_codes"])
        self.differential[row] = frozenset(e["differential"])
        self.keywords[row] = frozenset(e["keywords"])
        vector = e["vector"]
        if vector is not None and len(vector) == DIM * 4:
            self.vectors[row] = np.frombuffer(bytes(vector), "<f4")
            self.has_vector[row] = True
        else:
            self.has_vector[row] = False

    # -- reading ----------------------------------------------------------------------

    def rows(self, case_ids: np.ndarray) -> np.ndarray:
        """Rows of these case ids (-1 for ids the store does not hold)."""
        inside = case_ids < len(self.row_of)
        out = np.full(len(case_ids), -1, np.int64)
        out[inside] = self.row_of[case_ids[inside]]
        return out

    def visible(self, user: Any) -> np.ndarray:
        """A mask of the rows ``user`` may see (see access.visible_cases_q)."""
        from lightbox.accounts.roles import is_editor
        from lightbox.cases.access import own_case_ids

        audience = self.audience[: self.size]
        if is_editor(user):
            return audience != Audience.GONE
        level = Audience.INSTITUTION if user.is_authenticated else Audience.PUBLIC
        mask = audience <= level
        if user.is_authenticated:
            rows = self.own.get(user.pk)
            if rows is None:
                own = own_case_ids(user)
                rows = self.rows(np.fromiter(own, np.int64, len(own)))
                rows = self.own[user.pk] = rows[rows >= 0]
            mask[rows] = audience[rows] != Audience.GONE
        return mask

    def facet_mask(self, facet: str, values: Iterable[str]) -> np.ndarray:
        """Rows having any of ``values`` for ``facet``."""
        chosen = [self.codes_of[facet][v] for v in values if v in self.codes_of[facet]]
        if len(self.values[facet]) <= BITMAP_VALUES:  # OR the values' bitmaps: 100,000 rows
            bits = np.bitwise_or.reduce(self.bitmaps(facet)[chosen], axis=0)  # in 0.03 ms
            unpacked = np.unpackbits(bits.view(np.uint8), bitorder="little")
            return unpacked[: self.size].view(bool)
        wanted = np.zeros(len(self.values[facet]) + 1, bool)  # by value code + 1
        wanted[[code + 1 for code in chosen]] = True
        codes = self.padded(facet)
        mask = wanted[codes[:, 0]]
        for column in range(1, codes.shape[1]):
            mask |= wanted[codes[:, column]]
        return mask

    def counts(self, facet: str, found: Found) -> np.ndarray:
        """How many of the rows ``found`` have each value of ``facet``.

        Whichever way touches the least memory: AND the rows' bits with a bitmap of each
        value and count the ones (many rows, few values: 0.2 ms for all single-valued
        facets at 100,000 cases); or look up the value of each row found, or of each row
        not found when those are fewer, and subtract from the library's totals."""
        n = len(self.values[facet])
        codes = self.padded(facet)  # value code + 1, 0 for none
        width = codes.shape[1]
        inside = len(found.rows)
        outside = self.size - inside
        if n <= BITMAP_VALUES and n * _words(self.size) < min(inside, outside) * width:
            return np.bitwise_count(self.bitmaps(facet) & found.bits).sum(axis=1, dtype=np.int64)
        if inside <= outside:
            return np.bincount(codes[found.rows].ravel(), minlength=n + 1)[1:]
        left_out = np.bincount(codes[found.outside].ravel(), minlength=n + 1)[1:]
        return self.totals(facet) - left_out

    def totals(self, facet: str) -> np.ndarray:
        """How many rows of the whole store have each value of ``facet``."""
        if facet not in self._totals:
            n = len(self.values[facet])
            self._totals[facet] = np.bincount(self.padded(facet).ravel(), minlength=n + 1)[1:]
        return self._totals[facet]

    def padded(self, facet: str) -> np.ndarray:
        """Each row's value codes + 1 (0: none), one column per value a row can have."""
        if facet in MULTI:
            return self.multi[facet][: self.size]
        if facet not in self._padded:
            self._padded[facet] = (self.single[facet][: self.size] + 1).reshape(-1, 1)
        return self._padded[facet]

    def values_of(self, facet: str, row: int) -> list[str]:
        """The values of a many-valued facet for one row."""
        return [self.values[facet][code - 1] for code in self.multi[facet][row] if code]

    def bitmaps(self, facet: str) -> np.ndarray:
        """One bitmap of the rows per value of ``facet``, as (values, words) uint64."""
        if facet not in self._bits:
            codes = self.padded(facet)
            rows, column = np.nonzero(codes)
            values = codes[rows, column].astype(np.int64) - 1
            bits = np.zeros((len(self.values[facet]), _words(self.size)), np.uint64)
            np.bitwise_or.at(
                bits,
                (values, rows >> 6),
                np.left_shift(np.uint64(1), (rows & 63).astype(np.uint64)),
            )
            self._bits[facet] = bits
        return self._bits[facet]

    def item_index(self, name: str) -> dict[str, np.ndarray]:
        """Item → the rows holding it, for ``acr``, ``differential`` or ``keywords``."""
        if name not in self._inverted:
            index: dict[str, list[int]] = defaultdict(list)
            for row, items in enumerate(getattr(self, name)):
                for item in set(items):
                    index[item].append(row)
            self._inverted[name] = {k: np.array(v, np.int64) for k, v in index.items()}
        return self._inverted[name]

    def acr_index(self) -> dict[str, np.ndarray]:
        return self.item_index("acr")

    def acr_mask(self, value: str, prefix: bool) -> np.ndarray:
        mask = np.zeros(self.size, bool)
        for code, rows in self.acr_index().items():
            if code == value or (prefix and code.startswith(value)):
                mask[rows] = True
        return mask

    def number_rank(self) -> np.ndarray:
        """Each row's position when sorted by case number (series, then sequence)."""
        if self._number_rank is None:
            order = sorted(range(self.size), key=self.numbers.__getitem__)
            rank = np.empty(self.size, np.int64)
            rank[order] = np.arange(self.size)
            self._number_rank = rank
        return self._number_rank


_COLUMNS = (
    "case_id", "audience", "published", "topic_id", "number", *FACETS,
    "acr_codes", "differential", "keywords", "vector",
)  # fmt: skip


def _words(rows: int) -> int:
    """64-bit words in a bitmap of ``rows`` rows."""
    return (rows + 63) // 64


class Found:
    """A set of rows, as a mask, with its row numbers and its bitmap made once, when
    first asked for."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self._rows: np.ndarray | None = None
        self._outside: np.ndarray | None = None
        self._bits: np.ndarray | None = None

    @property
    def rows(self) -> np.ndarray:
        if self._rows is None:
            self._rows = np.flatnonzero(self.mask)
        return self._rows

    @property
    def outside(self) -> np.ndarray:
        """The rows not in the set."""
        if self._outside is None:
            self._outside = np.flatnonzero(~self.mask)
        return self._outside

    @property
    def bits(self) -> np.ndarray:
        if self._bits is None:
            padded = np.zeros(_words(len(self.mask)) * 64, bool)
            padded[: len(self.mask)] = self.mask
            self._bits = np.packbits(padded, bitorder="little").view("<u8").astype(np.uint64)
        return self._bits


def _newest_seq() -> int:
    """The highest ``seq`` written: one look at the end of an index, in plain SQL (the
    ORM would take longer to build the query than the database to answer it)."""
    table = connection.ops.quote_name(Entry._meta.db_table)
    column = connection.ops.quote_name(schema.column(Entry, "seq"))
    with connection.cursor() as cur:
        cur.execute(f"SELECT MAX({column}) FROM {table}")  # noqa: S608 (the model's names)
        return int(cur.fetchone()[0] or 0)


_STORE = Store()


def get() -> Store:
    """This process's store, brought up to date."""
    _STORE.refresh()
    return _STORE


def reset() -> None:
    """Forget everything (tests switch databases under the process)."""
    global _STORE
    _STORE = Store()


def warm_up() -> None:
    """Load the entries (and the vocabulary for "did you mean") in a background thread,
    so that a web process's first search does not wait for them."""
    from django.db import DatabaseError

    def run() -> None:
        from lightbox.search import suggest

        try:
            suggest.vocabulary(get().seq)
        except DatabaseError:  # not migrated yet: the first search will load it
            pass
        finally:
            connection.close()

    threading.Thread(target=run, name="search-warm-up", daemon=True).start()
