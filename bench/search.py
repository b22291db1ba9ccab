"""Benchmark search and similar cases on a teaching file of 100,000 cases (issue 5).

Prints
  - the time to index every case (FTS + entries), in cases/s;
  - bulk embedding throughput through ``lightbox.search.tasks.embed`` on a sample of
    cases with distinct texts (the model is loaded first and its load time shown apart);
  - the time of the first search, which loads the in-memory store, and of the first
    "did you mean", which loads the index vocabulary;
  - search latency (``lightbox.search.engine.search``, in process) for a mixed set of
    queries built from the generated text (rare, medium and common words, prefixes,
    phrases, AND, OR, NOT, fielded queries, acr:/modality: filters, facet choices, the
    empty query with facets, sorts and deep pages, misspellings), timed over several
    rounds as an anonymous reader and as a signed-in learner: p50/p95/max overall and per
    kind, and the 10 slowest queries;
  - the first search after a case changed (--after-edit of them), when each process
    reads the changed entry and rebuilds what it derived from the entries;
  - "similar cases" latency: ``like_case`` for random cases and ``like_text`` for pasted
    findings paragraphs (with the time of embedding the paragraph alone);
  - where the time of a search goes (mean ms per phase, per kind of query) and a cProfile
    of the slowest queries; the machine's load during each timed phase.
Budgets (2 cores): search p50 <= 5 ms, p95 <= 20 ms, no search over 150 ms (after an
edit either);
like_case p95 <= 50 ms; bulk embedding >= 30 cases/s. Both backends must meet them.

Each backend runs in a process of its own, SQLite first, then PostgreSQL, on the same
generated library and the same queries (the first run writes the query set, the second
reads it); each prints its full report, and then both are shown side by side, with the
number of cases each found for every query (they must be the same). Exits with status 1
if a budget fails on either backend, or if they found different cases.

Usage:  .venv/bin/python bench/search.py [--cases 100000] [--rounds 5]
        .venv/bin/python bench/search.py --cases 5000 --backends postgresql \\
            --database-url postgres://postgres@127.0.0.1:5432/lightbox_bench_search
The filled databases are kept and reused by the next run (--fresh starts over): SQLite's
in bench/out/search-<cases>/ (git-ignored; or --data-dir), PostgreSQL's in the database
named by --database-url (or BENCH_DATABASE_URL; by default lightbox_bench_search_<cases>
on the local server, created if missing), with its media in bench/out/search-pg-<name>/.
The development database named by DATABASE_URL is never used.

Only a sample of cases (--embed-sample) is embedded by the model: embedding 100,000
cases takes half an hour or more. Every other case gets the vector of a sampled case
with the same embedding text if there is one, else of a sampled case with the same
diagnosis, else of a sampled case taken in turn; its ``embedded_text`` is left empty,
so that ``manage.py reindex`` would compute its real vector. What matters here is that
similar cases are timed against 100,000 real-shaped vectors in memory.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import json
import os
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

if not sys.stderr.isatty():  # a log file: a progress line every 15 s, not every 0.1 s
    os.environ.setdefault("TQDM_MININTERVAL", "15")
from tqdm import tqdm  # noqa: E402

BUDGET_SEARCH_P50_MS = 5.0
BUDGET_SEARCH_P95_MS = 20.0
BUDGET_SEARCH_MAX_MS = 150.0
BUDGET_SIMILAR_P95_MS = 50.0
BUDGET_EMBED_PER_S = 30.0
BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
#: The bench's PostgreSQL database unless --database-url (or BENCH_DATABASE_URL) names one.
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/lightbox_bench_search_{cases}"
SEED = 2024
_STOP_WORDS = (
    "a an and are as at be but by for from has have he her his in into is it its no not of "
    "on or she than that the their there these this to was were which with without"
)
STOP = frozenset(_STOP_WORDS.split())


# -- setup --------------------------------------------------------------------------------


def _create_pg_database(url: str, fresh: bool) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist (drop it
    first with ``fresh``)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    conninfo = {
        "dbname": "postgres",
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        name = cfg["NAME"]
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created PostgreSQL database {name}.")


def _setup(data_dir: Path, database_url: str, fresh: bool) -> None:
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["LIGHTBOX_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)  # never the developer's own database
    if database_url:
        _create_pg_database(database_url, fresh)
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _cpu_ticks() -> dict[int, tuple[int, str]]:
    """pid → (user + system clock ticks so far, command line), from /proc."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(entry.name)] = (int(fields[11]) + int(fields[12]), cmd.strip() or stat.split()[1])
    return out


def _busy() -> str:
    """The 1-minute load average, and the other processes using the CPUs most over the
    last second (a busy machine makes every figure worse: the budgets assume 2 otherwise
    idle cores)."""
    load = os.getloadavg()[0]
    try:
        before = _cpu_ticks()
        time.sleep(1.0)
        after = _cpu_ticks()
        tick = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return f"load {load:.2f}"
    use = sorted(
        (
            ((ticks - before[pid][0]) * 100 / tick, cmd)
            for pid, (ticks, cmd) in after.items()
            if pid in before and pid != os.getpid()
        ),
        reverse=True,
    )
    others = [f"{cmd[:60]} ({pct:.0f}%)" for pct, cmd in use[:3] if pct >= 20]
    return f"load {load:.2f}" + (f"; others busy: {'; '.join(others)}" if others else "")


@contextmanager
def _unbounded() -> Iterator[None]:
    """Lift the search time limit (for the benchmark's own reads of the vocabulary)."""
    from django.conf import settings

    saved = settings.LIGHTBOX_SEARCH_TIME_LIMIT_MS
    settings.LIGHTBOX_SEARCH_TIME_LIMIT_MS = 600_000
    try:
        yield
    finally:
        settings.LIGHTBOX_SEARCH_TIME_LIMIT_MS = saved


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), _percentile(values, 0.95), max(values)


# -- data -----------------------------------------------------------------------------------


def _fill(cases: int) -> dict[str, float]:
    """Generate the missing cases and (re)build the index if it is incomplete."""
    from synthetic import generate

    from lightbox.cases.models import Case
    from lightbox.search import index
    from lightbox.search.models import Audience, Entry

    out: dict[str, float] = {}
    have = Case.objects.count()
    if have > cases:
        sys.exit(
            f"The bench database already holds {have:,} cases, more than --cases {cases:,}: "
            "use --fresh, another --data-dir or another database."
        )
    if have < cases:
        print(f"Generating {cases - have:,} synthetic cases …")
        start = time.perf_counter()
        generate(cases - have, seed=SEED + have)
        out["generate_s"] = time.perf_counter() - start
        print(f"  {out['generate_s']:.0f} s, {(cases - have) / out['generate_s']:,.0f} cases/s")
    entries = Entry.objects.exclude(audience=Audience.GONE).count()
    if entries != cases or _fts_rows() != cases:
        print(f"Indexing {cases:,} cases (index.rebuild) …")
        start = time.perf_counter()
        with tqdm(total=cases, desc="Indexing", unit="case") as bar:
            index.rebuild(progress=bar.update)
        out["index_s"] = time.perf_counter() - start
        out["index_per_s"] = cases / out["index_s"]
        print(f"  {out['index_s']:.1f} s, {out['index_per_s']:,.0f} cases/s")
    else:
        print(f"Reusing the generated and indexed library of {cases:,} cases.")
    _analyze()
    return out


def _analyze() -> None:
    """PostgreSQL: fresh planner statistics, as autovacuum would keep them (it may be
    off on a bench server)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute("SHOW autovacuum")
        autovacuum = cur.fetchone()[0]
        start = time.perf_counter()
        cur.execute("ANALYZE")
    print(f"  ANALYZE: {time.perf_counter() - start:.1f} s (autovacuum is {autovacuum})")


def _fts_rows() -> int:
    from django.db import connection

    from lightbox.search.backends import backend

    try:
        with connection.cursor() as cur:
            table = backend().TABLE  # type: ignore[attr-defined]
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            return int(cur.fetchone()[0])
    except Exception:  # noqa: BLE001 - no table yet
        return -1


def _embedding_texts() -> dict[int, tuple[str, str]]:
    """Case id → (embedding text, diagnosis) for every case."""
    from lightbox.cases.models import Case
    from lightbox.search.tasks import embedding_text

    rows = Case.objects.values_list("pk", "title", "diagnosis", "findings", "brief_history")
    return {
        pk: (embedding_text(title, dx, findings, history), dx)
        for pk, title, dx, findings, history in tqdm(
            rows.iterator(chunk_size=5000), total=Case.objects.count(), desc="Reading texts",
            unit="case", leave=False,
        )
    }  # fmt: skip


def _embeddings(sample_size: int, rng: random.Random) -> dict[str, Any]:
    """Time tasks.embed on a sample of distinct texts, then give every other case a
    vector (see the module docstring)."""
    from django.db import connection, transaction

    from lightbox.search import tasks
    from lightbox.search.models import Entry, Generation
    from lightbox.search.text import embeddings

    out: dict[str, Any] = {}
    texts = _embedding_texts()
    by_text: dict[str, list[int]] = defaultdict(list)
    for pk, (text, _) in texts.items():
        by_text[text].append(pk)
    out["distinct_texts"] = len(by_text)
    # One case per diagnosis first (so that most cases find a donor of their diagnosis),
    # then random distinct texts up to the sample size.
    distinct = [ids[0] for ids in by_text.values()]
    rng.shuffle(distinct)
    per_dx: dict[str, int] = {}
    for pk in distinct:
        per_dx.setdefault(texts[pk][1], pk)
    sample = list(per_dx.values())[:sample_size]
    first = set(sample)
    sample += [pk for pk in distinct if pk not in first][: max(0, sample_size - len(sample))]
    chosen = set(sample)

    start = time.perf_counter()
    embeddings.embed(["warm up the model"])
    out["model_load_s"] = time.perf_counter() - start
    Entry.objects.filter(case_id__in=sample).update(embedded_text="")
    start = time.perf_counter()
    with tqdm(total=len(sample), desc="Embedding (tasks.embed)", unit="case") as bar:
        done = tasks.embed(sample, progress=bar.update)
    elapsed = time.perf_counter() - start
    out["embedded"] = done
    out["embed_s"] = elapsed
    out["embed_per_s"] = done / elapsed

    # Donor vectors for every other case.
    vectors = {
        pk: bytes(v)
        for pk, v in Entry.objects.filter(case_id__in=sample).values_list("case_id", "vector")
    }
    donor_of_text = {texts[pk][0]: pk for pk in sample}
    donors_of_dx: dict[str, list[int]] = defaultdict(list)
    for pk in sample:
        donors_of_dx[texts[pk][1]].append(pk)
    counts = {"same text": 0, "same diagnosis": 0, "in turn": 0}
    updates = []
    turn = 0
    for pk, (text, dx) in texts.items():
        if pk in chosen:
            continue
        if (donor := donor_of_text.get(text)) is not None:
            counts["same text"] += 1
        elif donors := donors_of_dx.get(dx):
            donor = donors[pk % len(donors)]
            counts["same diagnosis"] += 1
        else:
            donor = sample[turn % len(sample)]
            turn += 1
            counts["in turn"] += 1
        updates.append((vectors[donor], pk))
    out["filled"] = counts
    table = connection.ops.quote_name(Entry._meta.db_table)
    with transaction.atomic():
        seq = Generation.next_seq()  # so that every process's store reads them again
        with connection.cursor() as cur:
            step = 5000
            for i in tqdm(range(0, len(updates), step), desc="Storing vectors", unit="batch"):
                cur.executemany(
                    f"UPDATE {table} SET vector = %s, embedded_text = '', seq = {seq} "  # noqa: S608
                    "WHERE case_id = %s",
                    updates[i : i + step],
                )
    out["vectors_in_memory"] = Entry.objects.exclude(vector=None).count()
    return out


# -- queries --------------------------------------------------------------------------------


@dataclass
class Query:
    kind: str
    text: str = ""
    selected: dict[str, list[str]] = field(default_factory=dict)
    sort: str = ""
    page: int = 1

    def label(self) -> str:
        parts = [repr(self.text) if self.text else "''"]
        if self.selected:
            parts.append(" ".join(f"{k}={'|'.join(v)}" for k, v in self.selected.items()))
        if self.sort:
            parts.append(f"sort={self.sort}")
        if self.page > 1:
            parts.append(f"page={self.page}")
        return " ".join(parts)


def _typo(rng: random.Random, word: str, vocabulary: dict[str, int]) -> str | None:
    for _ in range(20):
        i = rng.randrange(1, len(word) - 1)
        how = rng.randrange(3)
        if how == 0:
            w = word[:i] + word[i + 1 :]
        elif how == 1:
            w = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
        else:
            w = word[:i] + rng.choice("aeioulnrst") + word[i + 1 :]
        if w != word and w not in vocabulary:
            return w
    return None


def _queries(rng: random.Random, count: int) -> tuple[list[Query], dict[str, int]]:
    """A mixed query set built from the library's own vocabulary and text."""
    from synthetic import FIRST, LAST, source_words

    from lightbox.cases.models import Case
    from lightbox.search import store
    from lightbox.search import text as q
    from lightbox.search.backends import backend

    start = time.perf_counter()
    with _unbounded():
        vocabulary = backend().vocabulary()
    vocab_s = time.perf_counter() - start
    real = source_words()
    words = {
        w: n
        for w, n in vocabulary.items()
        if w.isalpha() and len(w) >= 4 and w not in STOP and w in real
    }
    total = Case.objects.count()

    def pick(low: float, high: float, k: int) -> list[str]:
        pool = sorted(w for w, n in words.items() if low <= n <= high)
        return rng.sample(pool, min(k, len(pool)))

    rare = pick(1, 5, 15)  # the rarest real words, then rare ones (<= 0.05% of cases)
    rare += pick(6, max(10, 0.0005 * total), 30 - len(rare))
    medium = pick(max(0.001 * total, 11), 0.03 * total, 30)  # above the rare ones
    common = pick(0.1 * total, total, 25)
    queries: list[Query] = []
    queries += [Query("rare word", w) for w in rare]
    queries += [Query("medium word", w) for w in medium[:20]]
    queries += [Query("common word", w) for w in common[:20]]
    for w in common[:8] + medium[20:28] + rare[:6] + rng.sample(sorted(words), 6):
        k = rng.randint(3, min(5, len(w) - 1)) if len(w) > 3 else 2
        queries.append(Query("prefix", f"{w[:k]}*"))

    # Phrases and AND of words from real cases' text.
    ids = list(Case.objects.values_list("pk", flat=True))
    sample = Case.objects.filter(pk__in=rng.sample(ids, 200)).values_list(
        "findings", "brief_history", "diagnosis"
    )
    texts = [(q.tokenize(f), q.tokenize(h), d) for f, h, d in sample]
    for tokens, _, _ in texts[:25]:
        n = rng.choice([2, 2, 3])
        starts = [i for i in range(len(tokens) - n + 1) if tokens[i] not in STOP]
        if starts:
            i = rng.choice(starts)
            queries.append(Query("phrase", '"' + " ".join(tokens[i : i + n]) + '"'))
    for tokens, history, _ in texts[25:50]:
        pool = [
            t
            for t in dict.fromkeys(tokens + history)
            if t.isalpha() and len(t) > 3 and t not in STOP
        ]
        if len(pool) >= 2:
            queries.append(Query("AND words", " ".join(rng.sample(pool, rng.choice([2, 2, 3])))))
    for i in range(20):
        a = (rare + medium)[i % len(rare + medium)]
        b = (common if i % 2 else medium)[i % 10]
        queries.append(Query("OR", f"{a} OR {b}"))
    for i in range(10):
        a, b = common[i % len(common)], medium[(i + 3) % len(medium)]
        queries.append(Query("NOT", f"{a} -{b}" if i % 2 else f"{a} NOT {b}"))

    # Fielded queries.
    diagnoses = [d for _, _, d in texts]
    for d in diagnoses[:8]:
        pool = [t for t in q.tokenize(d) if t.isalpha() and len(t) > 3 and t not in STOP]
        if pool:
            queries.append(Query("fielded", f"diagnosis:{rng.choice(pool)}"))
    for tokens, _, _ in texts[50:56]:
        starts = [i for i in range(len(tokens) - 1) if tokens[i] not in STOP]
        if starts:
            i = rng.choice(starts)
            queries.append(Query("fielded", f'findings:"{tokens[i]} {tokens[i + 1]}"'))
    queries += [
        Query("fielded", "agent:MDP"),
        Query("fielded", 'agent:"Tc-99m MAA"'),
        Query("fielded", "agent:FDG uptake"),
        Query("fielded", f"author:{rng.choice(LAST)}"),
        Query("fielded", f'author:"{rng.choice(FIRST)} {rng.choice(LAST)}"'),
        Query("fielded", f"author:{rng.choice(FIRST)} {rng.choice(medium)}"),
        Query("fielded", f"history:{rng.choice(medium)}"),
        Query("fielded", f"history:{rng.choice(common)}"),
        Query("fielded", f"title:{rng.choice(medium)}"),
        Query("fielded", f"discussion:{rng.choice(common)}"),
        Query("fielded", f"keyword:{rng.choice(medium)}"),
        Query("fielded", "diagnosis:(paget OR fibrous)"),
        Query("fielded", f"diagnosis:{rng.choice(medium)[:4]}*"),
        Query("fielded", "caption:image"),
        Query("fielded", "topic:synthetic"),
    ]
    queries += [
        Query("filter", "acr:4*"),
        Query("filter", "acr:41.*"),
        Query("filter", "acr:41.37"),
        Query("filter", "modality:NM"),
        Query("filter", f"{rng.choice(common)} modality:NM"),
        Query("filter", f"{rng.choice(medium)} acr:4*"),
        Query("filter", f"{rng.choice(common)} acr:7* modality:CT"),
        Query("filter", f"{rng.choice(common)} NOT modality:CR"),
        Query("filter", f"{rng.choice(rare)} modality:MR"),
        Query("filter", "uptake acr:4* modality:NM"),
        Query("filter", "acr:6* -modality:PT"),
        Query("filter", f"{rng.choice(medium)} acr:76*"),
    ]

    # Facet choices, with and without text.
    st = store.get()
    values = {name: sorted(v for v in st.values[name] if v) for name in store.FACETS}

    def facets() -> dict[str, list[str]]:
        names = ["modality", "year", "field", "author", "agents", "difficulty", "age", "sex"]
        kinds = rng.sample(names, rng.choice([1, 2, 2, 3]))
        chosen = {}
        for name in kinds:
            if values[name]:
                key = {"agents": "agent", "authors": "author"}.get(name, name)
                chosen[key] = rng.sample(values[name], rng.choice([1, 1, 2]))
        return chosen

    values["author"] = values["authors"]
    for i in range(20):
        word = (common + medium)[i % (len(common) + len(medium))] if i % 4 else ""
        queries.append(Query("text + facets", word or rng.choice(rare), facets()))
    year = rng.choice(values["year"])
    queries.append(
        Query("text + facets", rng.choice(common), {"modality": ["NM"], "year": [year]})
    )
    for _ in range(15):
        queries.append(Query("empty + facets", "", facets()))
    queries.append(Query("empty + facets", "", {"modality": ["NM", "PT"]}))
    queries.append(Query("empty (browse)", ""))
    queries.append(Query("empty (browse)", "", sort="number"))

    # Sorts and deep pages.
    for sort in ("newest", "oldest", "number", "difficulty", "quality"):
        queries.append(Query("sort/page", rng.choice(common), sort=sort))
    queries.append(Query("sort/page", rng.choice(common), page=40))
    queries.append(Query("sort/page", "", page=400))
    queries.append(Query("sort/page", rng.choice(medium), sort="number", page=5))

    # Misspellings ("did you mean").
    for w in rng.sample([w for w in medium + common if len(w) >= 6], 12):
        if typo := _typo(rng, w, vocabulary):
            queries.append(Query("misspelt", typo))
    if typo := _typo(rng, rng.choice(medium), vocabulary):
        queries.append(Query("misspelt", f"{rng.choice(common)} {typo}"))

    while len(queries) < count:  # top up with AND of common and rare words
        queries.append(Query("AND words", f"{rng.choice(common)} {rng.choice(rare + medium)}"))
    info = {
        "vocabulary": len(vocabulary),
        "vocabulary_s": vocab_s,
        "rare_max_df": int(max(10, 0.0005 * total)),
        "medium_df": (int(max(0.001 * total, 11)), int(0.03 * total)),
        "common_min_df": int(0.1 * total),
        "df_min": min(words.values()),
        "df_max": max(words.values()),
        "words_df_1_3": sum(1 for n in words.values() if n <= 3),
        "words_df_over_10pct": sum(1 for n in words.values() if n > 0.1 * total),
    }
    return queries, info  # type: ignore[return-value]


# -- timing ---------------------------------------------------------------------------------


@dataclass
class Timed:
    query: Query
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this thread's CPU time
    first: float = 0.0
    total: int = 0
    suggestion: str = ""
    corrected: str = ""  # the correction searched at once, for a query finding nothing
    error: str = ""
    timed_out: int = 0
    raised: list[str] = field(default_factory=list)
    by_user: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def _users() -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import AnonymousUser

    user_model = get_user_model()
    learner, _ = user_model.objects.get_or_create(username="bench-learner")
    return {"anonymous": AnonymousUser(), "learner": learner}


def _fresh(user: Any) -> Any:
    """The user as a request would have it (nothing cached on the object)."""
    if not user.is_authenticated:
        return user
    return type(user).objects.get(pk=user.pk)


def _run(engine: Any, user: Any, x: Query) -> Any:
    return engine.search(user, x.text, x.selected, x.sort, x.page)


def _fill_copy() -> dict[str, float] | None:
    """On PostgreSQL, bring this machine's copy of the index up to date before timing
    (a web process does it in a thread while PostgreSQL answers): searches are timed on
    the copy, as a running install has it."""
    from django.db import connection

    from lightbox.search.mirror import mirror

    copy = mirror()
    if connection.vendor != "postgresql" or copy is None:
        return None
    copied = 0

    def progress(n: int) -> None:
        nonlocal copied
        copied += n
        bar.update(n)

    start = time.perf_counter()
    with tqdm(desc="Filling the index's local copy", unit="case") as bar:
        copy.fill(progress)
    return {"cases": copied, "fill_s": time.perf_counter() - start}


def _first_search() -> dict[str, float]:
    """The first search of the process loads the store; the first "did you mean" the
    index vocabulary."""
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser

    from lightbox.search import engine, store, suggest
    from lightbox.search.backends import SearchTimeout

    warm: dict[str, float] = {}
    start = time.perf_counter()
    engine.search(AnonymousUser(), "")
    warm["first_search_s"] = time.perf_counter() - start
    warm["store_size"] = store.get().size
    suggest.forget()
    start = time.perf_counter()
    try:
        suggest.vocabulary(store.get().seq)
    except SearchTimeout:
        # Reading the vocabulary runs under the per-query time limit; on a large or busy
        # library it can exceed it, and then "did you mean" and similar cases fail.
        warm["vocabulary_timeout_s"] = time.perf_counter() - start
        print(
            "  WARNING: loading the did-you-mean vocabulary hit the search time limit "
            f"({settings.LIGHTBOX_SEARCH_TIME_LIMIT_MS} ms) and raised SearchTimeout; "
            "loading it without the limit so that the benchmark can go on."
        )
        with _unbounded():
            start = time.perf_counter()
            suggest.vocabulary(store.get().seq)
    warm["vocabulary_s"] = time.perf_counter() - start
    return warm


def _forget_results() -> None:
    """Empty the backend's cache of recent results, where it has one (PostgreSQL)."""
    from lightbox.search.backends import backend

    if (results := getattr(backend(), "results", None)) is not None:
        results.clear()


def _time_repeated(queries: list[Query]) -> list[float]:
    """Each query asked twice in a row by the same reader, the second timed: what a
    result kept by the backend (PostgreSQL) saves when readers repeat a search."""
    from lightbox.search import engine

    user = _users()["learner"]
    times = []
    for q in tqdm(queries, desc="Repeated searches", unit="query"):
        _forget_results()
        _run(engine, _fresh(user), q)
        start = time.perf_counter()
        _run(engine, _fresh(user), q)
        times.append((time.perf_counter() - start) * 1000)
    return times


def _time_search(queries: list[Query], rounds: int, seed: int) -> list[Timed]:
    from lightbox.search import engine

    users = _users()
    timed = [Timed(x) for x in queries]
    for t in tqdm(timed, desc="Search warm-up (each query once)", unit="query"):
        start = time.perf_counter()
        try:
            res = _run(engine, _fresh(users["learner"]), t.query)
        except Exception as e:  # noqa: BLE001 - search must never raise: report it
            t.raised.append(f"{type(e).__name__}: {e}")
            continue
        finally:
            t.first = (time.perf_counter() - start) * 1000
        t.total = res.total
        t.error = res.error
        t.suggestion = res.suggestion.text if res.suggestion else ""
        t.corrected = res.described if res.corrected else ""
    rng = random.Random(seed)
    order = [(t, name) for t in timed for name in users]
    with tqdm(total=rounds * len(order), desc="Search timing", unit="search") as bar:
        for _ in range(rounds):
            rng.shuffle(order)
            for t, name in order:
                user = _fresh(users[name])
                # Every timed search is a new query: PostgreSQL's per-process result
                # cache (kept until the index changes) would otherwise answer the
                # repeated rounds from memory. Repeated queries are timed apart.
                _forget_results()
                start, cpu = time.perf_counter(), time.thread_time()
                try:
                    res = _run(engine, user, t.query)
                    t.timed_out += res.timed_out
                except Exception as e:  # noqa: BLE001 - search must never raise: report it
                    t.raised.append(f"{type(e).__name__}: {e}")
                t.times.append((time.perf_counter() - start) * 1000)
                t.cpu.append((time.thread_time() - cpu) * 1000)
                t.by_user[name].append(t.times[-1])
                bar.update()
    return timed


def _time_after_edit(queries: list[Query], count: int, seed: int) -> list[float]:
    """The first search after a case changed: each process then reads the changed entry
    and rebuilds what it derived from the entries (facet bitmaps, code index, number
    order). A case is re-indexed (as an edit would) before each timed search."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import transaction

    from lightbox.search import engine, index, store

    rng = random.Random(seed)
    st = store.get()
    ids = st.case_ids[: st.size].tolist()
    out = []
    for _ in tqdm(range(count), desc="Search after an edit", unit="search"):
        with transaction.atomic():
            index.index_cases([rng.choice(ids)])
        query = rng.choice(queries)
        start = time.perf_counter()
        engine.search(AnonymousUser(), query.text, query.selected, query.sort, query.page)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _time_similar(n_cases: int, n_texts: int, seed: int) -> dict[str, Any]:
    import json

    from lightbox.cases.models import Case, Visibility
    from lightbox.search import similar
    from lightbox.search.text import embeddings
    from lightbox.search.text.abbreviations import expand

    users = _users()
    rng = random.Random(seed)
    ids = list(Case.objects.filter(visibility=Visibility.PUBLIC).values_list("pk", flat=True))
    cases = list(Case.objects.filter(pk__in=rng.sample(ids, min(n_cases, len(ids)))))
    rng.shuffle(cases)
    similar.like_case(cases[0], users["anonymous"])  # builds the store's item indexes
    out: dict[str, Any] = {
        "like_case": [],
        "like_case_cpu": [],
        "like_case_by_user": defaultdict(list),
        "raised": [],
    }
    empty = 0
    for case in tqdm(cases, desc="like_case", unit="case"):
        for name, user in users.items():
            user = _fresh(user)
            start, cpu = time.perf_counter(), time.process_time()
            try:
                found = similar.like_case(case, user)
            except Exception as e:  # noqa: BLE001 - report and go on
                out["raised"].append(f"like_case {case.number}: {type(e).__name__}: {e}")
                found = []
            ms = (time.perf_counter() - start) * 1000
            out["like_case_cpu"].append((time.process_time() - cpu) * 1000)
            out["like_case"].append(ms)
            out["like_case_by_user"][name].append(ms)
            empty += not found
    out["like_case_empty"] = empty
    written = json.loads((ROOT / "bench" / "data" / "similar_eval.json").read_text())
    paragraphs = [f"{c['brief_history']} {c['findings']}" for c in rng.sample(written, n_texts)]
    similar.like_text(paragraphs[0], users["anonymous"])
    out["like_text"], out["embed_one"] = [], []
    for text in tqdm(paragraphs, desc="like_text", unit="text"):
        start = time.perf_counter()
        try:
            similar.like_text(text, _fresh(users["learner"]))
        except Exception as e:  # noqa: BLE001 - report and go on
            out["raised"].append(f"like_text: {type(e).__name__}: {e}")
        out["like_text"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        embeddings.embed_one(expand(text))
        out["embed_one"].append((time.perf_counter() - start) * 1000)
    return out


class _Phases:
    """Exclusive time spent in each phase of engine.search, by wrapping its parts."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.stack: list[list[float]] = []
        self.patched: list[tuple[Any, str, Any]] = []

    def wrap(self, owner: Any, attr: str, phase: str) -> None:
        original = getattr(owner, attr)
        phases = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]  # start, time spent in wrapped callees
            phases.stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                phases.stack.pop()
                elapsed = time.perf_counter() - frame[0]
                phases.spent[phase] += elapsed - frame[1]
                if phases.stack:
                    phases.stack[-1][1] += elapsed

        self.patched.append((owner, attr, original))
        setattr(owner, attr, timed)

    def __enter__(self) -> _Phases:
        from lightbox.search import backends, engine, store

        self.wrap(engine, "search", "other (parse, glue)")
        self.wrap(store, "get", "store.get (seq check)")
        self.wrap(store.Store, "visible", "visible mask")
        for cls in (backends.SqliteBackend, backends.PostgresBackend):
            self.wrap(cls, "match", "backend match")
        self.wrap(engine._Run, "__init__", "run (filters, rows)")
        self.wrap(engine._Run, "chosen", "facet masks")
        self.wrap(engine, "_facets", "facet counts")
        self.wrap(engine, "_sorted_rows", "sort")
        self.wrap(engine, "_suggest", "did you mean")
        self.wrap(engine, "load_cases", "load page cases")
        self.wrap(engine, "_snippet", "snippets")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attr, original in reversed(self.patched):
            setattr(owner, attr, original)


def _breakdown(timed: list[Timed], rounds: int = 2) -> dict[str, dict[str, float]]:
    """Mean ms per search in each phase, per kind of query (learner)."""
    from lightbox.search import engine

    learner = _users()["learner"]
    out: dict[str, dict[str, float]] = {}
    kinds = list(dict.fromkeys(t.query.kind for t in timed))
    for kind in tqdm(kinds, desc="Phase breakdown", unit="kind"):
        group = [t for t in timed if t.query.kind == kind]
        with _Phases() as phases:
            for _ in range(rounds):
                for t in group:
                    _run(engine, _fresh(learner), t.query)
        n = rounds * len(group)
        out[kind] = {phase: 1000 * v / n for phase, v in phases.spent.items()}
    return out


def _profile(timed: list[Timed], top: int) -> str:
    """cProfile of engine.search over the slowest queries (learner, 3 times each)."""
    from lightbox.search import engine

    learner = _users()["learner"]
    slow = sorted(timed, key=lambda t: -statistics.median(t.times))[:top]
    profiler = cProfile.Profile()
    profiler.enable()
    for t in slow:
        for _ in range(3):
            _run(engine, _fresh(learner), t.query)
    profiler.disable()
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(35)
    return buffer.getvalue()


# -- report ---------------------------------------------------------------------------------


def _line(label: str, values: list[float], extra: str = "") -> str:
    p50, p95, worst = _stats(values)
    return f"  {label:<26} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   max {worst:7.2f} ms{extra}"


def _options() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each query and user")
    parser.add_argument("--queries", type=int, default=250, help="at least this many queries")
    parser.add_argument(
        "--embed-sample", type=int, default=1000, help="cases embedded by the model (>= 500)"
    )
    parser.add_argument(
        "--after-edit", type=int, default=30, help="searches timed right after an edit"
    )
    parser.add_argument("--similar-cases", type=int, default=250)
    parser.add_argument("--similar-texts", type=int, default=60)
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="which of sqlite and postgresql to run, in this order (default: both)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="the PostgreSQL database for the bench (default: "
        f"{DEFAULT_PG.format(cases='<cases>')})",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="SQLite's (default: bench/out/search-<cases>)"
    )
    # Set by main() for the run of one backend, in a process of its own.
    parser.add_argument("--only", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--query-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument(
        "--reindex", action="store_true", help="rebuild the index even if complete"
    )
    parser.add_argument(
        "--profile", type=int, default=10, help="profile the N slowest queries (0: no)"
    )
    return parser


def _data_dir(args: argparse.Namespace, url: str) -> Path:
    if url:
        name = re.sub(r"\W+", "-", url.rsplit("/", 1)[-1])
        return ROOT / "bench" / "out" / f"search-pg-{name}"
    return args.data_dir or ROOT / "bench" / "out" / f"search-{args.cases}"


def _index_kind() -> str:
    from django.db import connection

    from lightbox.search.backends import PostgresBackend
    from lightbox.search.mirror import mirror

    if connection.vendor != "postgresql":
        return "FTS5"
    own = "RUM" if PostgresBackend().uses_rum() else "GIN (no RUM)"
    if mirror() is None:
        return own
    return f"a local FTS5 copy (PostgreSQL's own: {own}, for a copy behind)"


def _run_one(args: argparse.Namespace) -> None:
    url = args.database_url if args.only == "postgresql" else ""
    data_dir = _data_dir(args, url)
    args.embed_sample = max(500, args.embed_sample)

    _setup(data_dir, url, args.fresh)
    from django.db import connection

    from lightbox.search.models import Entry

    vendor = connection.vendor
    print(f"Database: {vendor} ({connection.settings_dict['NAME']}); {os.cpu_count()} CPUs")
    if args.reindex:
        Entry.objects.all().delete()
    built = _fill(args.cases)
    rng = random.Random(SEED)
    loads = {"embedding": _busy()}
    print(f"\nBulk embedding: {args.embed_sample:,} cases with distinct texts, tasks.embed …")
    print(f"  ({loads['embedding']})")
    emb = _embeddings(args.embed_sample, rng)
    print(
        f"  model load {emb['model_load_s']:.1f} s; {emb['embedded']:,} cases in "
        f"{emb['embed_s']:.1f} s = {emb['embed_per_s']:.1f} cases/s"
    )
    f = emb["filled"]
    print(
        f"  {emb['distinct_texts']:,} distinct embedding texts among {args.cases:,} cases. The "
        f"other {sum(f.values()):,} cases got a sampled case's real vector: {f['same text']:,} "
        f"of the same text, {f['same diagnosis']:,} of the same diagnosis, {f['in turn']:,} "
        f"taken in turn. {emb['vectors_in_memory']:,} vectors in all."
    )

    if copied := _fill_copy():
        print(
            f"\nThis machine's copy of the index (SQLite FTS5, lightbox.search.mirror): "
            f"{copied['cases']:,} cases copied in {copied['fill_s']:.1f} s"
        )
    warm = _first_search()
    if args.query_file and args.query_file.exists():  # the other backend's, as they are
        saved = json.loads(args.query_file.read_text())
        queries, info = [Query(**x) for x in saved["queries"]], saved["info"]
    else:
        queries, info = _queries(rng, args.queries)
        if args.query_file:
            saved = {"queries": [dataclasses.asdict(x) for x in queries], "info": info}
            args.query_file.write_text(json.dumps(saved))
    kinds = sorted({x.kind for x in queries}, key=[x.kind for x in queries].index)
    print(
        f"\nQuery set: {len(queries)} queries from an index vocabulary of {info['vocabulary']:,} "
        f"words (read in {info['vocabulary_s']:.2f} s). Real words' document frequency runs "
        f"from {info['df_min']} to {info['df_max']:,}: {info['words_df_1_3']:,} words in 1-3 "
        f"cases, {info['words_df_over_10pct']:,} in over 10%.\n"
        f"  rare: df <= {info['rare_max_df']}; medium: df {info['medium_df'][0]:,}-"
        f"{info['medium_df'][1]:,}; common: df >= {info['common_min_df']:,}"
    )
    print("  " + ", ".join(f"{k} {sum(x.kind == k for x in queries)}" for k in kinds))

    loads["search"] = _busy()
    timed = _time_search(queries, args.rounds, SEED)
    loads["search, after"] = _busy()
    print(
        f"\nFirst search (loads the store of {warm['store_size']:,} entries): "
        f"{warm['first_search_s'] * 1000:,.0f} ms; did-you-mean vocabulary load: "
        f"{warm['vocabulary_s'] * 1000:,.0f} ms"
        + (
            " (the first attempt hit the time limit after "
            f"{warm['vocabulary_timeout_s'] * 1000:,.0f} ms and raised SearchTimeout)"
            if "vocabulary_timeout_s" in warm
            else ""
        )
    )
    firsts = [t.first for t in timed]
    print(_line("first run of each query", firsts))
    print(_line("a query repeated at once (kept results)", _time_repeated(queries)))
    every = [ms for t in timed for ms in t.times]
    print(
        f"\nSearch, {len(queries)} queries x {args.rounds} rounds x 2 users "
        f"= {len(every):,} searches:"
    )
    print(_line("all", every))
    print(_line("all, CPU time (thread)", [ms for t in timed for ms in t.cpu]))
    for name in ("anonymous", "learner"):
        print(_line(f"  as {name}", [ms for t in timed for ms in t.by_user[name]]))
    for k in kinds:
        group = [t for t in timed if t.query.kind == k]
        matches = statistics.median([t.total for t in group])
        extra = f"   ({len(group)}, median {matches:,.0f} found)"
        print(_line(k, [ms for t in group for ms in t.times], extra))
    errors = [t for t in timed if t.error]
    misspelt = [t for t in timed if t.query.kind == "misspelt"]
    suggested = sum(bool(t.suggestion) for t in misspelt)
    corrected = sum(bool(t.corrected) for t in misspelt)
    timeouts = sum(t.timed_out for t in timed)
    print(
        f"  misspelt queries: {corrected} of {len(misspelt)} searched corrected at once, "
        f'{suggested} got a "did you mean"'
    )
    if errors or timeouts:
        shown = ", ".join(t.query.text for t in errors[:5])
        print(f"  errors: {len(errors)} queries ({shown}); timed out: {timeouts}")
    raised = [(t.query.label(), r) for t in timed for r in t.raised]
    if raised:
        print(f"  RAISED an exception: {len(raised)} searches, e.g. {raised[0]}")
    print("\nSlowest 10 queries (by max; median, max, first run; cases found):")
    for t in sorted(timed, key=lambda t: -max(t.times))[:10]:
        print(
            f"  {statistics.median(t.times):7.2f} {max(t.times):7.2f} {t.first:7.2f} ms  "
            f"{t.total:>7,}  [{t.query.kind}] {t.query.label()}"
        )

    after_edit = _time_after_edit(queries, args.after_edit, SEED)
    print(_line(f"\nFirst search after an edit ({len(after_edit)})", after_edit))

    print("\nSimilar cases …")
    loads["similar"] = _busy()
    sim = _time_similar(args.similar_cases, args.similar_texts, SEED)
    print(
        _line(
            f"like_case ({len(sim['like_case_by_user']['learner'])} cases x 2)", sim["like_case"]
        )
    )
    for name, values in sim["like_case_by_user"].items():
        print(_line(f"  as {name}", values))
    print(_line("  CPU time (process)", sim["like_case_cpu"]))
    print(_line(f"like_text ({len(sim['like_text'])} texts)", sim["like_text"]))
    print(_line("  of which embed_one", sim["embed_one"]))
    if sim["raised"]:
        print(f"  RAISED an exception: {len(sim['raised'])} calls, e.g. {sim['raised'][0]}")

    print("\nWhere the time goes: mean ms per search, by phase (exclusive), learner:")
    table = _breakdown(timed)
    phases = list(dict.fromkeys(p for row in table.values() for p in row))
    phases.sort(key=lambda p: -sum(row.get(p, 0.0) for row in table.values()))
    short = {p: p.split(" (")[0][:11] for p in phases}
    print(f"  {'kind':<16}" + "".join(f"{short[p]:>12}" for p in phases) + f"{'total':>9}")
    for kind, row in table.items():
        cells = "".join(f"{row.get(p, 0.0):12.2f}" for p in phases)
        print(f"  {kind:<16}{cells}{sum(row.values()):9.2f}")

    if args.profile:
        print(f"\ncProfile of engine.search, the {args.profile} slowest queries x 3:")
        print(_profile(timed, args.profile))

    p50, p95, worst = _stats(every)
    sim95 = _stats(sim["like_case"])[1]
    rate = emb["embed_per_s"]
    budgets = [
        ("search p50", f"{p50:.2f} ms", f"<= {BUDGET_SEARCH_P50_MS:g} ms",
         p50 <= BUDGET_SEARCH_P50_MS),
        ("search p95", f"{p95:.2f} ms", f"<= {BUDGET_SEARCH_P95_MS:g} ms",
         p95 <= BUDGET_SEARCH_P95_MS),
        ("search max (every run)", f"{worst:.2f} ms", f"<= {BUDGET_SEARCH_MAX_MS:g} ms",
         worst <= BUDGET_SEARCH_MAX_MS and not timeouts),
        ("search max after an edit", f"{max(after_edit):.2f} ms",
         f"<= {BUDGET_SEARCH_MAX_MS:g} ms", max(after_edit) <= BUDGET_SEARCH_MAX_MS),
        ("like_case p95", f"{sim95:.2f} ms", f"<= {BUDGET_SIMILAR_P95_MS:g} ms",
         sim95 <= BUDGET_SIMILAR_P95_MS),
        ("bulk embedding", f"{rate:.1f} cases/s", f">= {BUDGET_EMBED_PER_S:g} cases/s",
         rate >= BUDGET_EMBED_PER_S),
    ]  # fmt: skip
    print(f"\nSummary: {args.cases:,} cases on {vendor}, {os.cpu_count()} CPUs")
    if "index_per_s" in built:
        print(f"  index rebuild: {built['index_s']:.1f} s, {built['index_per_s']:,.0f} cases/s")
    print(f"  first search (store load): {warm['first_search_s'] * 1000:,.0f} ms")
    for phase, load in loads.items():
        print(f"  machine during {phase}: {load}")
    t50, t95, _ = _stats(sim["like_text"])
    print(f"  like_text: p50 {t50:.1f} ms, p95 {t95:.1f} ms (no budget)")
    print(f"  {'budget':<24} {'measured':>16}  {'limit':<18} result")
    for name, value, limit, ok in budgets:
        print(f"  {name:<24} {value:>16}  {limit:<18} {'PASS' if ok else 'FAIL'}")
    if args.report:
        kinds_stats = {
            k: _stats([ms for t in timed if t.query.kind == k for ms in t.times]) for k in kinds
        }
        report = {
            "vendor": vendor,
            "index": _index_kind(),
            "budgets": budgets,
            "first": _stats(firsts),
            "kinds": kinds_stats,
            "like_text": [t50, t95],
            "totals": {t.query.label(): t.total for t in timed},
        }
        args.report.write_text(json.dumps(report))
    if not all(ok for *_, ok in budgets):
        sys.exit(1)


def main() -> None:
    """Each backend in a process of its own (Django holds one default database per
    process), on the same generated library, with the same queries (the first run
    writes them, the second reads them); then both side by side."""
    args = _options().parse_args()
    if args.only:
        _run_one(args)
        return
    chosen = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not chosen or set(chosen) - set(BACKENDS):
        sys.exit(f"--backends takes sqlite and/or postgresql, not {args.backends!r}")
    url = args.database_url or DEFAULT_PG.format(cases=args.cases)
    reports: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        queries = Path(tmp) / "queries.json"
        for name in chosen:
            print(f"\n{'=' * 30} {BACKENDS[name]} {'=' * 30}", flush=True)
            report = Path(tmp) / f"{name}.json"
            argv = [*sys.argv[1:], "--only", name, "--report", str(report)]
            argv += ["--query-file", str(queries), "--database-url", url]
            done = subprocess.run([sys.executable, __file__, *argv], check=False)
            if report.exists():
                reports[name] = json.loads(report.read_text())
            if done.returncode != 0:
                failed.append(BACKENDS[name])
    _side_by_side(args, reports)
    different = _differences(reports)
    if failed or len(reports) < len(chosen) or different:
        sys.exit(1)


def _side_by_side(args: argparse.Namespace, reports: dict[str, dict[str, Any]]) -> None:
    if not reports:
        return
    names = list(reports)
    width = 24
    head = "".join(f"{BACKENDS[n] + ' (' + reports[n]['index'] + ')':>{width}}" for n in names)
    print(f"\n{'=' * 30} side by side, {args.cases:,} cases {'=' * 30}")
    print(f"  {'budget':<24} {'limit':<16}{head}")
    first = reports[names[0]]["budgets"]
    for i, (budget, _, limit, _) in enumerate(first):
        cells = ""
        for n in names:
            _, value, _, ok = reports[n]["budgets"][i]
            cells += f"{value + (' PASS' if ok else ' FAIL'):>{width}}"
        print(f"  {budget:<24} {limit:<16}{cells}")
    print(f"\n  {'search p50 / p95 (ms)':<41}" + "".join(f"{'':>{width}}" for _ in names))
    kinds = list(reports[names[0]]["kinds"])
    for kind in ["(first run of each query)", *kinds]:
        cells = ""
        for n in names:
            r = reports[n]
            p50, p95, _ = r["first"] if kind.startswith("(") else r["kinds"].get(kind, (0, 0, 0))
            cells += f"{f'{p50:.2f} / {p95:.2f}':>{width}}"
        print(f"  {kind:<41}{cells}")


def _differences(reports: dict[str, dict[str, Any]]) -> bool:
    """Whether the backends found different numbers of cases for a query (they must find
    the same cases); prints them."""
    if len(reports) < 2:
        return False
    totals = [r["totals"] for r in reports.values()]
    differ = [q for q in totals[0] if any(t.get(q) != totals[0][q] for t in totals[1:])]
    print(
        f"\n  Cases found per query: {len(totals[0]) - len(differ)} of {len(totals[0])} "
        "queries the same on every backend"
    )
    for q in differ[:10]:
        print(f"    DIFFERENT {q}: " + ", ".join(str(t.get(q)) for t in totals))
    return bool(differ)


if __name__ == "__main__":
    main()
