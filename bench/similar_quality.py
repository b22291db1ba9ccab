"""Measure how well "similar cases" ranks cases that share a diagnosis.

Leave-one-out on the labelled set bench/data/similar_eval.json (see bench/data/README.md):
every case is loaded, published and public, into a throwaway SQLite database, indexed and
embedded; then each case in turn is the query and the other cases are ranked. Two cases
are relevant to each other when they have the same ``label``.

Methods
  Lightbox text      like_text(history + findings): the "paste findings" page
  plain BM25         FTS5 bm25 over the same index, an OR of every non-stop word of the
                     same text: no abbreviation expansion, no correction, no semantics
  lexical only       like_text with LIGHTBOX_SIMILAR_WEIGHTS semantic = 0
  semantic only      like_text with LIGHTBOX_SIMILAR_WEIGHTS lexical = 0
  Lightbox case      like_case(case): uses the query case's OWN diagnosis, differential,
                     ACR code, modality and agent, so it is not comparable with the rows
                     above (it knows the answer); reported apart.

Metrics (means over all queries; the query case is never in its own ranking)
  R@k    hit rate: share of queries with at least one relevant case in the top k
  S@k    strict recall: share of the query's 3 or 4 relevant cases in the top k
  MRR    mean of 1 / rank of the first relevant case (0 when none in the first --limit)
  grp    share of top-1 errors whose case is in the query's hard-negative group
  ms/q   mean time per query

Leave-one-out, held out: for its own query, a case is deleted from the full-text index
and from the vocabulary that picks distinctive words and corrects misspellings (in a
transaction rolled back afterwards), so the query is new text, as on the "paste
findings" page. This matters: like_text scales lexical scores by the best match, and a
query left in the index is its own best match, which shrinks every other lexical score
(and a misspelling in the query, being in the vocabulary, is never corrected).
--in-index only drops the query case from its results. like_case always runs on the
indexed case, as on the case's "similar" page.

Usage:  .venv/bin/python bench/similar_quality.py [--with-diagnosis] [--in-index]
        [--sweep] [--limit 50] [--data-dir DIR]
--sweep adds sensitivity tables (weights, SEMANTIC_FLOOR, COMMON, LEXICAL_WORDS, each
component, rank fusion), recomputed from the real _lexical() and the stored embeddings.
The database is made in a temporary directory and removed at exit, unless --data-dir.
Deterministic: fixed data, no sampling, ties broken by case id.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "data"
KS = (1, 5, 10)


# --- Setting up -------------------------------------------------------------------------


def _setup(data_dir: Path) -> None:
    os.environ["LIGHTBOX_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)  # always a SQLite file of our own
    os.environ["LIGHTBOX_TASKS"] = "db"  # embeddings are computed below, not on commit
    os.environ["DJANGO_SETTINGS_MODULE"] = "lightbox.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _groups() -> dict[str, set[str]]:
    """Label → the other labels in any of its hard-negative groups (README table)."""
    text = (DATA / "README.md").read_text()
    table = text.split("| group | labels |", 1)[1].split("\n\n", 1)[0]
    out: dict[str, set[str]] = defaultdict(set)
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or set(cells[0]) <= {"-"}:
            continue
        labels = [x.strip() for x in cells[1].split(",")]
        for label in labels:
            out[label].update(x for x in labels if x != label)
    return out


def _load(cases: list[dict[str, Any]]) -> dict[str, int]:
    """Create the eval cases as published public cases; eval id → case pk."""
    from lightbox.cases.models import Case, Radiopharmaceutical, Series, Status, Visibility
    from lightbox.search import index

    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    series: dict[str, Series] = {}
    sequence: Counter[str] = Counter()
    pks: dict[str, int] = {}
    with index.batch():
        for row in tqdm(cases, desc="cases", unit="case"):
            modality = row["modality"]
            if modality not in series:
                series[modality] = Series.objects.create(
                    prefix=modality.lower(), name=f"{modality} (similar-cases bench)"
                )
            sequence[modality] += 1
            case = Case.objects.create(
                series=series[modality],
                sequence=sequence[modality],
                title="",
                modality=modality,
                brief_history=row["brief_history"],
                findings=row["findings"],
                diagnosis=row["diagnosis"],
                discussion=row["discussion"],
                differential=list(row["differential"]),
                acr_codes=[row["acr_code"]] if row.get("acr_code") else [],
                status=Status.PUBLISHED,
                visibility=Visibility.PUBLIC,
                published_at=when,
            )
            agents = [a.strip() for a in row.get("agent", "").split(";") if a.strip()]
            for order, agent in enumerate(agents):
                Radiopharmaceutical.objects.create(case=case, order=order, agent=agent)
            pks[row["id"]] = case.pk
    return pks


def _index(ids: list[int]) -> None:
    from lightbox.search import index, store, suggest, tasks

    with tqdm(total=len(ids), desc="index", unit="case") as bar:
        index.rebuild(progress=bar.update)
    with tqdm(total=len(ids), desc="embed", unit="case") as bar:
        tasks.embed(ids, progress=bar.update)
    suggest.forget()
    store.reset()
    st = store.get()
    assert st.size == len(ids) and st.has_vector[: st.size].all(), "not every case embedded"


# --- Metrics ------------------------------------------------------------------------------


@dataclass
class Outcome:
    query: str
    label: str
    first: int | None  # 1-based rank of the first relevant case
    found: dict[int, float]  # k → share of relevant cases in the top k
    top1: str | None  # label of the first result


@dataclass
class Method:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def _outcome(query: str, label: str, ranked: Sequence[str], labels: dict[str, str]) -> Outcome:
    assert query not in ranked, f"{query} is in its own ranking"
    relevant = {i for i, lab in labels.items() if lab == label and i != query}
    hits = [n for n, i in enumerate(ranked, 1) if i in relevant]
    found = {k: sum(1 for n in hits if n <= k) / len(relevant) for k in KS}
    return Outcome(
        query, label, hits[0] if hits else None, found, labels[ranked[0]] if ranked else None
    )


def _summary(outcomes: list[Outcome], groups: dict[str, set[str]]) -> dict[str, float]:
    n = len(outcomes)
    out = {f"R@{k}": sum(o.first is not None and o.first <= k for o in outcomes) / n for k in KS}
    out |= {f"S@{k}": sum(o.found[k] for o in outcomes) / n for k in (5, 10)}
    out["MRR"] = sum(1 / o.first for o in outcomes if o.first) / n
    errors = [o for o in outcomes if o.first != 1]
    in_group = sum(1 for o in errors if o.top1 in groups.get(o.label, set()))
    out["errors"] = len(errors)
    out["grp"] = in_group / len(errors) if errors else 0.0
    return out


HEADER = (
    f"{'method':<34} "
    + " ".join(f"{h:>6}" for h in ("R@1", "R@5", "R@10", "MRR", "S@5", "S@10"))
    + f" {'err':>4} {'grp':>5}"
)


def _row(name: str, s: dict[str, float], extra: str = "") -> str:
    return (
        f"{name:<34} {s['R@1']:6.3f} {s['R@5']:6.3f} {s['R@10']:6.3f} {s['MRR']:6.3f} "
        f"{s['S@5']:6.3f} {s['S@10']:6.3f} {int(s['errors']):4d} {s['grp']:5.2f}{extra}"
    )


# --- The methods --------------------------------------------------------------------------


@contextmanager
def _held_out(pk: int, enabled: bool) -> Iterator[None]:
    """With ``enabled``, the case is not in the full-text index, nor in the vocabulary
    that picks distinctive words and corrects misspellings, inside the block: the query
    is then new text, as on the "paste findings" page. Rolled back afterwards."""
    if not enabled:
        yield
        return
    from django.db import connection, transaction

    from lightbox.search import store, suggest
    from lightbox.search.backends import backend

    search = backend()
    with connection.cursor() as cur:
        table = search.TABLE  # type: ignore[attr-defined]
        cur.execute(f"SELECT * FROM {table} WHERE rowid = %s", [pk])  # noqa: S608 (a constant)
        own = {w for column in cur.fetchone() or () if column for w in str(column).split()}
    suggest.vocabulary(store.get().seq)
    saved = suggest._cache
    reduced = dict(saved.words)
    for word in own & reduced.keys():
        if reduced[word] > 1:
            reduced[word] -= 1
        else:
            del reduced[word]
    gone = {w for w in own if w in saved.words and w not in reduced}
    forms = {k: [w for w in v if w not in gone] for k, v in saved.forms.items()}
    suggest._cache = dataclasses.replace(
        saved,
        words=reduced,
        choices=[w for w in saved.choices if w in reduced],
        ordered=sorted(reduced),
        forms={k: v for k, v in forms.items() if v},
    )
    try:
        with transaction.atomic():
            search.delete([pk])
            try:
                yield
            finally:
                transaction.set_rollback(True)
    finally:
        suggest._cache = saved


@contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    saved = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, saved)


@contextmanager
def _weights(**overrides: float) -> Iterator[None]:
    from django.conf import settings
    from django.test import override_settings

    current = getattr(settings, "LIGHTBOX_SIMILAR_WEIGHTS", {})
    with override_settings(LIGHTBOX_SIMILAR_WEIGHTS={**current, **overrides}):
        yield


def _bm25(text: str) -> list[int]:
    """Plain BM25: an OR of every non-stop word, best first (ties by case id)."""
    from lightbox.search import similar
    from lightbox.search import text as q
    from lightbox.search.backends import backend
    from lightbox.search.text.compiler import compile_for

    words = [w for w in dict.fromkeys(q.tokenize(text)) if w not in similar.STOP]
    if not words:
        return []
    root = q.Or(tuple(q.Term(w) for w in words)) if len(words) > 1 else q.Term(words[0])
    ids, scores = backend().match(compile_for(q.Query(root)))
    order = np.lexsort((ids, -scores.astype(np.float64)))
    return [int(i) for i in ids[order]]


def _query_text(row: dict[str, Any], with_diagnosis: bool) -> str:
    parts = [row["brief_history"], row["findings"]]
    if with_diagnosis:
        parts.append(row["diagnosis"])
    return "\n".join(p for p in parts if p)


def _run(
    name: str,
    cases: list[dict[str, Any]],
    pks: dict[str, int],
    labels: dict[str, str],
    rank: Callable[[dict[str, Any], int], list[int]],
) -> Method:
    ids = {pk: i for i, pk in pks.items()}
    method = Method(name)
    for row in tqdm(cases, desc=name, unit="query", leave=False):
        pk = pks[row["id"]]
        start = time.perf_counter()
        ranked = rank(row, pk)
        method.seconds.append(time.perf_counter() - start)
        ranked_ids = [ids[c] for c in ranked if c != pk]
        method.outcomes.append(_outcome(row["id"], row["label"], ranked_ids, labels))
    return method


# --- Sensitivity analysis (--sweep) -------------------------------------------------------


def _ranked_rows(scores: np.ndarray, self_row: int, case_ids: np.ndarray) -> np.ndarray:
    """Rows by score, best first, ties by case id; without the query and without rows
    scoring 0 (like similar._top)."""
    scores = scores.copy()
    scores[self_row] = 0.0
    rows = np.flatnonzero(scores > 0)
    return rows[np.lexsort((case_ids[rows], -scores[rows]))]


def _percentiles(values: np.ndarray) -> str:
    p = np.percentile(values, [5, 25, 50, 75, 95])
    return " ".join(f"{x:5.2f}" for x in p)


def _sweep(
    cases: list[dict[str, Any]],
    pks: dict[str, int],
    labels: dict[str, str],
    groups: dict[str, set[str]],
    args: argparse.Namespace,
) -> None:
    """like_text's two scores for every query, recomputed with the real _lexical() and
    the stored embeddings, then combined in other ways."""

    from lightbox.search import similar, store, suggest
    from lightbox.search import text as q
    from lightbox.search.backends import backend
    from lightbox.search.text import embeddings
    from lightbox.search.text.abbreviations import expand
    from lightbox.search.text.compiler import compile_for

    st = store.get()
    n = st.size
    case_ids = st.case_ids[:n].copy()
    row_of = {i: int(st.rows(np.array([pk]))[0]) for i, pk in pks.items()}
    id_of = {r: i for i, r in row_of.items()}
    vectors = st.vectors[:n].copy()
    texts = [_query_text(r, args.with_diagnosis) for r in cases]
    self_rows = [row_of[r["id"]] for r in cases]
    holdout = not args.in_index

    def lexical(desc: str, **patches: Any) -> np.ndarray:
        """_lexical() of every query, with module constants or functions replaced."""
        out = np.zeros((len(cases), n))
        with contextlib.ExitStack() as stack:
            for name, value in patches.items():
                module = suggest if name == "closest" else similar
                stack.enter_context(_patched(module, name, value))
            for j, (text, row) in enumerate(
                zip(tqdm(texts, desc=desc, leave=False), cases, strict=True)
            ):
                with _held_out(pks[row["id"]], holdout):
                    out[j] = similar._lexical(text, store.get())
        return out

    q_exp = embeddings.embed([expand(t) for t in texts])
    q_raw = embeddings.embed(texts)
    cos_exp = (q_exp @ vectors.T).astype(np.float64)
    cos_raw = (q_raw @ vectors.T).astype(np.float64)
    bm25 = np.zeros((len(cases), n))
    for j, text in enumerate(texts):
        words = [w for w in dict.fromkeys(q.tokenize(text)) if w not in similar.STOP]
        root = q.Or(tuple(q.Term(w) for w in words)) if len(words) > 1 else q.Term(words[0])
        with _held_out(pks[cases[j]["id"]], holdout):
            ids, found = backend().match(compile_for(q.Query(root)))
        if len(found) and found.max() > 0:
            bm25[j, st.rows(ids)] = found / found.max()

    def evaluate(scores: np.ndarray) -> dict[str, float]:
        outcomes = []
        for j, row in enumerate(cases):
            ranked = _ranked_rows(scores[j], self_rows[j], case_ids)[: args.limit]
            ranked_ids = [id_of[int(r)] for r in ranked]
            outcomes.append(_outcome(row["id"], row["label"], ranked_ids, labels))
        return _summary(outcomes, groups)

    def sem(cos: np.ndarray, floor: float) -> np.ndarray:
        return np.clip((cos - floor) / (1 - floor), 0, 1)

    def rrf(*parts: np.ndarray, k: float = 60.0) -> np.ndarray:
        total = np.zeros_like(parts[0])
        for part in parts:
            for j in range(len(part)):
                ranked = _ranked_rows(part[j], self_rows[j], case_ids)
                total[j, ranked] += 1.0 / (k + np.arange(1, len(ranked) + 1))
        return total

    w = similar.weights()
    wl, ws, floor = w["lexical"], w["semantic"], similar.SEMANTIC_FLOOR
    lex = lexical("lexical as set")

    def combined(lexical_scores: np.ndarray, cos: np.ndarray = cos_exp, f: float = floor) -> dict:
        return evaluate(wl * lexical_scores + ws * sem(cos, f))

    same = np.array([[labels[id_of[r]] == row["label"] for r in range(n)] for row in cases])
    other = ~same
    for j, r in enumerate(self_rows):
        same[j, r] = other[j, r] = False
    print("\nCosine of query and case embeddings, percentiles 5 25 50 75 95:")
    print(f"  same label       {_percentiles(cos_exp[same])}")
    print(f"  different label  {_percentiles(cos_exp[other])}")
    print(
        f"  share of different-label pairs below SEMANTIC_FLOOR {floor:g}: "
        f"{(cos_exp[other] < floor).mean():.3f}; lexical > 0 for "
        f"{(lex[other] > 0).mean():.3f} of them"
    )

    mode = "query held out of the index" if holdout else "query case left in the index"
    print(f"\nSensitivity of Lightbox text ({mode}; top {args.limit})")
    print(HEADER)
    print(_row(f"as set: {wl:g}*lex + {ws:g}*sem, floor {floor:g}", combined(lex)))
    print(
        f"-- weight of semantic per unit of lexical (as set: {ws / wl if wl else float('inf'):g})"
    )
    for ratio in (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0):
        print(_row(f"  semantic/lexical = {ratio:g}", evaluate(lex + ratio * sem(cos_exp, floor))))
    print("-- SEMANTIC_FLOOR")
    for f in (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5):
        print(_row(f"  floor {f:g}", combined(lex, f=f)))
    print("-- COMMON (lexical only / combined)")
    for common in (0.05, 0.1, 0.2, 0.3, 0.5, 1.0):
        values = lex if common == similar.COMMON else lexical(f"COMMON {common}", COMMON=common)
        print(_row(f"  COMMON {common:g}: lexical only", evaluate(values)))
        print(_row(f"  COMMON {common:g}: combined", combined(values)))
    print("-- LEXICAL_WORDS (combined)")
    for words in (12, 24, 48, 1000):
        values = (
            lex
            if words == similar.LEXICAL_WORDS
            else lexical(f"{words} words", LEXICAL_WORDS=words)
        )
        print(_row(f"  {words} words", combined(values)))
    print("-- components (lexical only / combined)")
    plain = lexical("no correction", closest=lambda word, seq: None)
    print(_row("  no misspelling correction: lex", evaluate(plain)))
    print(_row("  no misspelling correction: comb", combined(plain)))
    plain = lexical("no expansion", expand=lambda text: text)
    print(_row("  no abbreviation expansion: lex", evaluate(plain)))
    print(_row("  no abbreviation expansion: comb", combined(plain)))
    print(_row("  query embedded as typed: sem", evaluate(sem(cos_raw, floor))))
    print(_row("  query embedded as typed: comb", combined(lex, cos=cos_raw)))
    print(_row("  plain BM25 instead of lex: comb", combined(bm25)))
    # The cases' own vectors made other ways (the index stores what tasks.embedding_text
    # gives: diagnosis, findings, history, abbreviations expanded at the time of writing).
    rows = {r["id"]: r for r in cases}
    corpus = [rows[id_of[r]] for r in range(n)]
    typed = [
        "\n".join(x for x in (r["diagnosis"], r["findings"], r["brief_history"]) if x)
        for r in corpus
    ]
    no_dx = ["\n".join(x for x in (r["findings"], r["brief_history"]) if x) for r in corpus]
    for name, corpus_texts in (
        ("cases embedded as typed", typed),
        ("cases embedded expanded", [expand(t) for t in typed]),
        ("cases w/o diagnosis, expanded", [expand(t) for t in no_dx]),
    ):
        cos = (q_exp @ embeddings.embed(corpus_texts).T).astype(np.float64)
        print(_row(f"  {name}: sem", evaluate(sem(cos, floor))))
        print(_row(f"  {name}: comb", combined(lex, cos=cos)))
    print("-- rank fusion instead of weighted scores")
    print(_row("  RRF(lexical, semantic), k=60", evaluate(rrf(lex, cos_exp + 1.0))))
    print(_row("  RRF(plain BM25, semantic), k=60", evaluate(rrf(bm25, cos_exp + 1.0))))


# --- Main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--with-diagnosis", action="store_true", help="queries include the diagnosis"
    )
    parser.add_argument(
        "--in-index",
        action="store_true",
        help="leave the query case in the full-text index (only drop it from its results)",
    )
    parser.add_argument("--sweep", action="store_true", help="print sensitivity tables")
    parser.add_argument(
        "--limit", type=int, default=50, help="results per query (MRR counts to here)"
    )
    parser.add_argument("--worst", type=int, default=8, help="worst labels to list")
    parser.add_argument(
        "--data-dir", type=Path, help="make the database here (default: a temp dir)"
    )
    args = parser.parse_args()

    if args.data_dir:
        shutil.rmtree(args.data_dir, ignore_errors=True)
        args.data_dir.mkdir(parents=True)
        data_dir = args.data_dir
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="lightbox-similar-"))
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    _setup(data_dir)

    from django.contrib.auth.models import AnonymousUser

    from lightbox.cases.models import Case
    from lightbox.search import similar, store, suggest

    cases = json.loads((DATA / "similar_eval.json").read_text())
    labels = {r["id"]: r["label"] for r in cases}
    groups = _groups()
    pks = _load(cases)
    _index(sorted(pks.values()))
    suggest.vocabulary(store.get().seq)
    user = AnonymousUser()
    holdout = not args.in_index
    limit = args.limit + 1  # the query case may take one place

    def text_of(row: dict[str, Any]) -> str:
        return _query_text(row, args.with_diagnosis)

    def lightbox_text(row: dict[str, Any], pk: int) -> list[int]:
        with _held_out(pk, holdout):
            return [s.case_id for s in similar.like_text(text_of(row), user, limit=limit)]

    def lexical_only(row: dict[str, Any], pk: int) -> list[int]:
        with _weights(semantic=0.0):
            return lightbox_text(row, pk)

    def semantic_only(row: dict[str, Any], pk: int) -> list[int]:
        with _weights(lexical=0.0):
            return lightbox_text(row, pk)

    def plain_bm25(row: dict[str, Any], pk: int) -> list[int]:
        with _held_out(pk, holdout):
            return _bm25(text_of(row))[:limit]

    objects = {c.pk: c for c in Case.objects.all()}

    def lightbox_case(row: dict[str, Any], pk: int) -> list[int]:
        return [s.case_id for s in similar.like_case(objects[pk], user, limit=limit)]

    def case_no_acr(row: dict[str, Any], pk: int) -> list[int]:
        with _weights(acr_code=0.0, field_category=0.0, field=0.0):
            return lightbox_case(row, pk)

    # Load the model, the vocabulary and the store before timing anything.
    similar.like_text(text_of(cases[0]), user, limit=limit)

    query = "history + findings" + (" + diagnosis" if args.with_diagnosis else "")

    methods = [
        _run(f"Lightbox text ({query})", cases, pks, labels, lightbox_text),
        _run("plain BM25 (same text)", cases, pks, labels, plain_bm25),
        _run("lexical only (semantic=0)", cases, pks, labels, lexical_only),
        _run("semantic only (lexical=0)", cases, pks, labels, semantic_only),
    ]

    case_methods = [
        _run("Lightbox case (like_case)*", cases, pks, labels, lightbox_case),
        _run("  without ACR code weights*", cases, pks, labels, case_no_acr),
    ]

    print(
        f"\nSimilar cases, {DATA.name}/similar_eval.json: {len(cases)} queries, "
        f"{len(set(labels.values()))} labels, top {args.limit} per query; the query case is "
        + ("removed from its results only" if args.in_index else "held out of the index")
    )
    import hashlib

    from lightbox.search import tasks
    from lightbox.search.text import abbreviations, embeddings

    versions = ", ".join(
        f"{Path(m.__file__).name} {hashlib.sha256(Path(m.__file__).read_bytes()).hexdigest()[:8]}"
        for m in (similar, tasks, embeddings, abbreviations)
    )
    print(f"Code under test (sha256): {versions}")
    print(
        "R@k: share of queries with >= 1 relevant case in the top k (hit rate). "
        "S@k: share of relevant cases in the top k.\n"
        "err: top-1 errors; grp: share of them in the query's hard-negative group."
    )
    print(HEADER + f" {'ms/q':>6}")
    for m in [*methods, None, *case_methods]:
        if m is None:
            print(
                "* like_case: uses the query case's own diagnosis, differential, ACR code, "
                "modality and agent (not comparable with the rows above)"
            )
            continue
        ms = statistics.mean(m.seconds) * 1000
        print(_row(m.name, _summary(m.outcomes, groups), f" {ms:6.1f}"))

    text, bm25 = methods[0], methods[1]
    per_label: dict[str, list[Outcome]] = defaultdict(list)
    for o in text.outcomes:
        per_label[o.label].append(o)
    bm25_of = {o.query: o for o in bm25.outcomes}

    def rr(o: Outcome) -> float:
        return 1 / o.first if o.first else 0.0

    def label_mrr(items: list[Outcome]) -> float:
        return sum(rr(o) for o in items) / len(items)

    print("\nWorst labels for Lightbox text (by MRR), with plain BM25's MRR and top-1 confusions:")
    print(f"{'label':<34} {'n':>2} {'R@1':>5} {'MRR':>6} {'BM25':>6}  wrong top-1 labels")
    worst = sorted(per_label.items(), key=lambda kv: (label_mrr(kv[1]), kv[0]))[: args.worst]
    for label, items in worst:
        r1 = sum(o.first == 1 for o in items) / len(items)
        bm = label_mrr([bm25_of[o.query] for o in items])
        wrong = Counter(o.top1 for o in items if o.first != 1 and o.top1)
        confused = ", ".join(f"{lab} x{c}" for lab, c in wrong.most_common(3))
        print(
            f"{label:<34} {len(items):2d} {r1:5.2f} {label_mrr(items):6.3f} {bm:6.3f}  {confused}"
        )
    wins = sum(rr(o) > rr(bm25_of[o.query]) for o in text.outcomes)
    losses = sum(rr(o) < rr(bm25_of[o.query]) for o in text.outcomes)
    print(
        f"\nPer query against plain BM25, Lightbox text ranks the first relevant case higher "
        f"in {wins}, lower in {losses}, the same in {len(cases) - wins - losses}."
    )
    if args.sweep:
        _sweep(cases, pks, labels, groups, args)


if __name__ == "__main__":
    main()
