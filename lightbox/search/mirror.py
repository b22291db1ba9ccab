"""A copy of PostgreSQL's full-text index on each machine, searched with SQLite FTS5.

On PostgreSQL the full-text search was never the whole cost of a search: every matching
id is read through the table (0.2 µs a case: 12 ms for a word in 80,000 cases), each
``ts_rank`` reads its document (3–7 µs), and each statement is a round trip. At 100,000
cases that gave p50 9 ms and p95 25 ms where the budgets are 5 and 20 (docs/search.md).
FTS5 answers from its own lists, in the process.

So PostgreSQL keeps each case's column texts beside its documents (``search_text``,
compressed, written by :meth:`~lightbox.search.backends.PostgresBackend.replace`), and
each machine keeps a SQLite file holding the tables SQLite installs search
(:class:`~lightbox.search.backends.SqliteBackend`) filled from them. PostgreSQL stays
the truth: a search uses the copy only when the copy holds the index's generation the
search sees (:class:`~lightbox.search.models.Generation`: every write to the index takes
the next ``seq``, in commit order, and so do the entries it writes). When it does not,
the copy catches up by reading the entries written since its own generation (their
texts only where their digest changed: an embedding alone also renumbers an entry). That
is exact for what PostgreSQL has committed: writers take their numbers in commit order,
and the catch-up reads in one snapshot. Anything else is checked: what the copy took
inside a transaction (which may roll back) is held to the count of entries and two sums
over their ids and ``seq``, and a database whose tables were made anew or emptied (a
restore, ``flush``, ``reindex``: their files change) is compared case by case. A search applies at
most :data:`CATCH_UP` cases itself (a few milliseconds); more (a new machine, a reindex,
a restore), and a thread of the process fills the copy while PostgreSQL answers the
searches, exactly as without a copy.

One process of a machine brings the copy up to date at a time (a lock file); the others
search PostgreSQL meanwhile. The file is named after the database it copies, so one
machine can serve several. A damaged or unreadable copy is never an error for a reader:
the search goes to PostgreSQL, the warning goes to the log.

``LIGHTBOX_SEARCH_MIRROR=off`` turns the copy off (searches go to PostgreSQL as before).
"""

from __future__ import annotations

import fcntl
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

from lightbox.search import backends
from lightbox.search.backends import SqliteBackend, decode
from lightbox.search.models import Entry, Generation

__all__ = ["Mirror", "install", "mirror", "reset"]

logger = logging.getLogger(__name__)

#: At most this many changed cases are copied by the search that finds the copy behind
#: (about 1 ms per 100); more are copied by a thread while PostgreSQL answers.
CATCH_UP = 500
#: Cases copied per transaction of the copy when filling it.
CHUNK = 1000
#: A modulus for the check sum over (case id, seq): a prime below 2³¹.
PRIME = 2_147_483_629
TEXT_TABLE = "search_text"


class Mirror:
    """The copy of one PostgreSQL database's full-text index (see the module)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path: Path | None = None
        self.handler: ConnectionHandler | None = None
        self.search = SqliteBackend(self.db)
        self.filler: threading.Thread | None = None
        self.broken = False
        self._setup = threading.Lock()

    # The copy's SQLite database: one connection per thread, as Django's own.

    def db(self) -> BaseDatabaseWrapper:
        assert self.handler is not None
        return self.handler["default"]

    def _open(self) -> None:
        """Name the file after the database copied, and make the copy's tables."""
        if self.handler is not None:
            return
        with self._setup:
            if self.handler is not None:
                return
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT coalesce(host(inet_server_addr()), 'local'), "
                    "coalesce(inet_server_port(), 0), current_database(), "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
                host, port, name, oid = cur.fetchone()
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{host}-{port}-{name}-{oid}")
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{stem}.sqlite3"
            handler = ConnectionHandler(
                {
                    "default": {  # of its own handler: Django's databases know nothing of it
                        "ENGINE": "django.db.backends.sqlite3",
                        "NAME": str(path),
                        "OPTIONS": {
                            "timeout": 5,
                            # WAL: searches read while the copy is written. NORMAL: a
                            # power cut may lose the last writes, never the file (and
                            # the copy's generation goes back with them).
                            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
                        },
                    }
                }
            )
            self.path, self.handler = path, handler
            with self._locked() as got:
                if got:
                    self._create_tables()

    def _create_tables(self) -> None:
        cases = {row[1] for row in self._execute("PRAGMA table_info(mirror_case)")}
        # New, or made for other columns or by an older release: start again.
        if self.search.ensure_schema() or (cases and cases != {"case_id", "seq", "digest"}):
            self._execute("DROP TABLE IF EXISTS mirror_case")
            self._execute("DROP TABLE IF EXISTS mirror_state")
        # Each case copied: its entry's number, and the MD5 of its text as PostgreSQL
        # keeps it (NULL: no text).
        self._execute(
            "CREATE TABLE IF NOT EXISTS mirror_case (case_id INTEGER PRIMARY KEY, "
            "seq INTEGER NOT NULL, digest TEXT)"
        )
        columns = {row[1] for row in self._execute("PRAGMA table_info(mirror_state)")}
        if columns and columns != {"id", "seq", "xid", "ident", "dirty"}:  # an older copy's
            self._execute("DROP TABLE mirror_state")
        self._execute(
            "CREATE TABLE IF NOT EXISTS mirror_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "seq INTEGER NOT NULL, xid INTEGER NOT NULL, ident TEXT NOT NULL, "
            "dirty INTEGER NOT NULL)"
        )

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.db().cursor() as cur:
            cur.execute(sql, list(params))
            return cur.fetchall()

    @contextmanager
    def _locked(self, blocking: bool = False) -> Iterator[bool]:
        """The machine-wide right to write the copy (a lock file): yields whether it
        was had."""
        assert self.path is not None
        with open(self.path.with_suffix(".lock"), "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # What a search asks.

    def generation(self) -> tuple[int, int] | None:
        rows = self._execute("SELECT seq, xid FROM mirror_state")
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def ready(self, generation: tuple[int, int]) -> SqliteBackend | None:
        """The copy's search if the copy holds ``generation`` of the index, after
        catching up if that is quick; else None, and PostgreSQL answers."""
        if self.broken:
            return None
        try:
            self._open()
            if self.generation() == generation:
                return self.search
            if self.filler is not None and self.filler.is_alive():
                return None
            with self._locked() as got:
                if not got:  # another process is at it
                    return None
                if self._catch_up(CATCH_UP) is not None:
                    return self.search
            self._start_filling()
        except (DatabaseError, OSError) as e:
            self._failed(e)
        return None

    def _failed(self, error: Exception) -> None:
        """A copy that cannot be read or written is left alone for the life of this
        process (searches go to PostgreSQL); deleting the file makes a new one. An
        error of PostgreSQL's while catching up only sends this search there."""
        if isinstance(error, DatabaseError) and not isinstance(error.__cause__, sqlite3.Error):
            logger.warning("Catching up the search index's local copy failed: %s", error)
            return
        logger.warning(
            "The search index's local copy %s is not used (%s): searches go to "
            "PostgreSQL. Delete the file to have it made again.",
            self.path,
            error,
        )
        self.broken = True

    def fill(self, progress: Callable[[int], object] | None = None) -> tuple[int, int]:
        """Bring the copy up to date now, however far behind, waiting for another
        process that is at it; ``progress(n)`` after each chunk of ``n`` cases. The
        generation reached. (For benchmarks and deployments that want the copy ready
        before the first reader; a web process fills it in the background by itself.)"""
        self._open()
        with self._locked(blocking=True):
            reached = self._catch_up(None, progress)
        assert reached is not None
        return reached

    def _start_filling(self) -> None:
        self.filler = threading.Thread(target=self._fill, name="search-mirror", daemon=True)
        self.filler.start()

    def _fill(self) -> None:
        try:
            with self._locked(blocking=True):
                self._catch_up(None)
        except Exception as e:  # noqa: BLE001 (a thread: nobody else would see it)
            logger.warning("Filling the search index's local copy failed: %s", e)
        finally:
            self.db().close()
            close_old_connections()
            connection.close()

    # Catching up.

    def _catch_up(
        self, limit: int | None, progress: Callable[[int], object] | None = None
    ) -> tuple[int, int] | None:
        """Bring the copy to the index's generation now, copying at most ``limit``
        cases (None: all, in chunks); the generation reached, or None if more than
        ``limit`` would have to be copied (the copy is left as it was)."""
        dirty = connection.in_atomic_block
        with self._snapshot() as cur:
            target, ident = self._target(cur)
            rows = self._execute("SELECT seq, xid, ident, dirty FROM mirror_state")
            held = rows[0] if rows else None
            if held is not None and (held[0], held[1]) == target and held[2] == ident:
                return target
            # What was copied inside a transaction may have been rolled back since: the
            # copy is then checked against PostgreSQL's entries (so is anything copied
            # inside one). Outside, the entries written since are exactly what changed:
            # writers take their numbers in commit order (Generation), and the snapshot
            # sees every write up to the one it reads.
            check = dirty or bool(held and held[3])
            changed: np.ndarray | None = None
            if held is not None and held[2] == ident and held[0] <= target[0]:
                # One more than the limit tells "too many" without counting them all.
                cut = "" if limit is None else f" LIMIT {int(limit) + 1}"
                cur.execute(f"SELECT case_id FROM {_entry()} WHERE seq > %s{cut}", [held[0]])  # noqa: S608
                found = [r[0] for r in cur.fetchall()]
                if limit is None or len(found) <= limit:
                    changed = np.array(found, np.int64)
            state = (*target, ident, int(dirty))
            if changed is not None and not self._copy(cur, changed, state, limit, check=check):
                changed = None
            if changed is None:
                differing = self._differing(cur)
                if limit is not None and len(differing) > limit:
                    return None
                self._copy(cur, differing, state, limit, check=False, progress=progress)
            return target

    def _target(self, cur: Any) -> tuple[tuple[int, int], str]:
        """The index's generation, and what its tables are: the database, and the
        files of the entries, texts and generation tables, which a restore (tables made
        anew) or an emptying (TRUNCATE: ``flush``, ``reindex``) changes. The copy then
        compares itself case by case: the numbers may have started again."""
        generation = connection.ops.quote_name(Generation._meta.db_table)
        cur.execute(
            f"SELECT (SELECT seq FROM {generation}), "  # noqa: S608
            f"(SELECT xmin::text::bigint FROM {generation}), "
            "concat_ws(':', (SELECT oid FROM pg_database WHERE datname = current_database()), "
            "pg_relation_filenode(%s::regclass), pg_relation_filenode(%s::regclass), "
            "pg_relation_filenode(%s::regclass))",
            [Entry._meta.db_table, TEXT_TABLE, Generation._meta.db_table],
        )
        seq, xid, ident = cur.fetchone()
        return ((int(seq), int(xid)) if seq is not None else (0, 0)), str(ident)

    @contextmanager
    def _snapshot(self) -> Iterator[Any]:
        """A cursor whose statements all see one state of PostgreSQL (outside a
        caller's transaction; inside one, what that transaction sees, in a savepoint:
        an error leaves the caller's transaction usable)."""
        nested = connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cur:
            if not nested:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    def _copy(
        self,
        cur: Any,
        ids: np.ndarray,
        state: tuple[int, int, str, int],
        limit: int | None,
        *,
        check: bool,
        progress: Callable[[int], object] | None = None,
    ) -> bool:
        """Copy these cases' texts and ``seq`` (a case without an entry or a text is
        removed), then the generation; with ``check``, only if the copy then adds up
        to PostgreSQL's entries (else nothing is kept, and False)."""
        db = self.db()
        chunks = [ids] if limit is not None else np.array_split(ids, max(1, len(ids) // CHUNK))
        db.ensure_connection()
        for n, chunk in enumerate(chunks):
            last = n == len(chunks) - 1
            with db.cursor() as mine:
                mine.execute("BEGIN IMMEDIATE")
                try:
                    if n == 0:
                        mine.execute("DELETE FROM mirror_state")  # until the end
                    self._apply(cur, mine, chunk.tolist())
                    if last:
                        if check and self._sums(mine) != self._sums(cur, postgres=True):
                            mine.execute("ROLLBACK")
                            return False
                        mine.execute(
                            "INSERT INTO mirror_state (id, seq, xid, ident, dirty) "
                            "VALUES (1, %s, %s, %s, %s)",
                            list(state),
                        )
                    mine.execute("COMMIT")
                    if progress is not None:
                        progress(len(chunk))
                except BaseException:
                    mine.execute("ROLLBACK")
                    raise
        return True

    def _apply(self, cur: Any, mine: Any, ids: list[int]) -> None:
        """Copy these cases: their ``seq``, and their text where it changed (a case's
        number also changes when only its embedding did: the text is then not read)."""
        if not ids:
            return
        cur.execute(
            f"SELECT i.id, e.seq, md5(t.body) FROM unnest(%s::integer[]) AS i(id) "  # noqa: S608
            f"LEFT JOIN {_entry()} e ON e.case_id = i.id "
            f"LEFT JOIN {TEXT_TABLE} t ON t.case_id = i.id",
            [ids],
        )
        theirs = cur.fetchall()
        marks = ", ".join(["%s"] * len(ids))
        mine.execute(
            f"SELECT case_id, digest FROM mirror_case WHERE case_id IN ({marks})",  # noqa: S608
            ids,
        )
        ours = dict(mine.fetchall())
        gone = [i for i, _, digest in theirs if digest is None and i in ours]
        wanted = [i for i, _, digest in theirs if digest is not None and ours.get(i) != digest]
        docs: dict[int, dict[str, str]] = {}
        if wanted:
            cur.execute(
                f"SELECT case_id, body FROM {TEXT_TABLE} WHERE case_id = ANY(%s)",  # noqa: S608
                [wanted],
            )
            docs = {case_id: decode(body) or {} for case_id, body in cur.fetchall()}
        self.search.replace(docs)
        self.search.delete(gone)
        mine.execute(f"DELETE FROM mirror_case WHERE case_id IN ({marks})", ids)  # noqa: S608
        mine.executemany(
            "INSERT INTO mirror_case (case_id, seq, digest) VALUES (%s, %s, %s)",
            [(i, seq, digest) for i, seq, digest in theirs if seq is not None],
        )

    def _sums(self, cur: Any, *, postgres: bool = False) -> tuple[int, int, int]:
        """The count of entries, and two sums that any other set of (case id, seq)
        pairs is all but sure to miss."""
        table = _entry() if postgres else "mirror_case"
        cast = "::bigint" if postgres else ""
        cur.execute(
            f"SELECT count(*), coalesce(sum(seq), 0), "  # noqa: S608
            f"coalesce(sum((case_id{cast} * 1000003 + seq) % {PRIME}), 0) FROM {table}"
        )
        return tuple(int(x) for x in cur.fetchone())  # type: ignore[return-value]

    def _differing(self, cur: Any) -> np.ndarray:
        """The ids whose entry (or its absence) differs between PostgreSQL and the
        copy: compared whole, 12 bytes a case."""
        cur.execute(
            f"SELECT string_agg(int4send(case_id::integer) || int8send(seq), ''::bytea) "  # noqa: S608
            f"FROM {_entry()}"
        )
        theirs = np.frombuffer(cur.fetchone()[0] or b"", dtype=[("id", ">i4"), ("seq", ">i8")])
        with self.db().cursor() as mine:
            mine.execute("SELECT case_id, seq FROM mirror_case")
            ours = np.array(mine.fetchall(), np.int64).reshape(-1, 2)
        a = {(int(i), int(s)) for i, s in zip(theirs["id"], theirs["seq"], strict=True)}
        b = {(int(i), int(s)) for i, s in ours}
        return np.array(sorted({i for i, _ in a ^ b}), np.int64)


def _entry() -> str:
    return connection.ops.quote_name(Entry._meta.db_table)


_MIRROR: Mirror | None = None
_LOCK = threading.Lock()


def mirror() -> Mirror | None:
    """This process's copy, or None when ``LIGHTBOX_SEARCH_MIRROR`` is ``off``."""
    global _MIRROR
    where = settings.SEARCH_MIRROR
    if not where:
        return None
    with _LOCK:
        if _MIRROR is None or _MIRROR.directory != Path(where):
            _MIRROR = Mirror(Path(where))
        return _MIRROR


def install() -> None:
    """Let PostgresBackend search this machine's copy (SearchConfig.ready)."""
    backends.COPIES = mirror


def reset() -> None:
    """Forget this process's copy (tests that move the database or the setting)."""
    global _MIRROR
    with _LOCK:
        _MIRROR = None
