"""Measure how well the search box finds the right cases for what residents type.

The queries are bench/data/relevance_queries.toml (ours: diagnoses as written, head
terms, abbreviations, misspellings, British spellings, finding phrases, eponyms), over
the cases of bench/data/similar_eval.json (ours too; see bench/data/README.md), loaded
published and public into a throwaway SQLite database and indexed. A case is relevant to
a query when its label is one of the query's labels.

Methods
  Lightbox    the search page's search (lightbox.search.engine.search) as a visitor:
              every form of a word, abbreviations in each meaning, a search finding
              nothing corrected or relaxed, BM25 with field weights
  BM25        plain Okapi BM25 (rank-bm25, k1 1.5, b 0.75) over the same texts of each
              case (title, diagnosis, findings, histories, discussion, differential,
              radiopharmaceutical), cut into words the same way (tokenize), any word
              matching: no forms, no abbreviations, no correction, no field weights

Metrics, per kind and overall (means over the queries)
  MRR@10     1 / rank of the first relevant case in the first 10 (0 when none)
  nDCG@10    binary gains, the ideal being every relevant case first
  R@10       share of the query's relevant cases in the first 10
  zero       share of queries that found no case at all

Budgets (the issue's): Lightbox ahead of BM25 on every kind (nDCG@10 and MRR@10), and
Lightbox's zero-result rate at most 2 %. The script exits 1 when one fails.

Usage:  .venv/bin/python bench/relevance.py [--worst 15] [--data-dir DIR]
--worst lists that many queries where Lightbox did worst (relevant cases missed).
Deterministic: fixed data, ties broken by case id.
"""

from __future__ import annotations

import argparse
import atexit
import math
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from similar_quality import DATA, _load, _setup  # noqa: E402  (bench/ is on the path)

K = 10
BUDGET_ZERO = 0.02
KINDS = ("diagnosis", "head", "abbreviation", "misspelling", "british", "finding", "eponym")


@dataclass
class Query:
    text: str
    kind: str
    labels: frozenset[str]


@dataclass
class Scores:
    mrr: float
    ndcg: float
    recall: float
    zero: bool


def _queries() -> list[Query]:
    data = tomllib.loads((DATA / "relevance_queries.toml").read_text(encoding="utf-8"))
    return [Query(q["text"], q["kind"], frozenset(q["labels"])) for q in data["query"]]


def score(ranked: Sequence[str], total: int, relevant: set[str]) -> Scores:
    """The metrics of one ranking (case ids, best first) against the relevant ids."""
    top = list(ranked[:K])
    hits = [i for i, case in enumerate(top) if case in relevant]
    mrr = 1 / (hits[0] + 1) if hits else 0.0
    dcg = sum(1 / math.log2(i + 2) for i in hits)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return Scores(mrr, dcg / ideal if ideal else 0.0, len(hits) / len(relevant), total == 0)


def _document(case: dict[str, Any]) -> str:
    return " ".join(
        [case["diagnosis"], case["findings"], case["brief_history"], case["discussion"],
         *case["differential"], case.get("agent", "")]
    )  # fmt: skip


class Baseline:
    """Plain BM25 over the cases' texts: a case is found by any word of the query."""

    def __init__(self, cases: list[dict[str, Any]]) -> None:
        from rank_bm25 import BM25Okapi

        from lightbox.search.text.words import tokenize

        self.tokenize = tokenize
        self.ids = [c["id"] for c in cases]
        docs = [tokenize(_document(c)) for c in cases]
        self.words = [set(d) for d in docs]
        self.bm25 = BM25Okapi(docs, k1=1.5, b=0.75)

    def search(self, text: str) -> tuple[list[str], int]:
        words = self.tokenize(text)
        scores = np.asarray(self.bm25.get_scores(words), dtype=np.float64)
        found = [i for i, have in enumerate(self.words) if have.intersection(words)]
        order = sorted(found, key=lambda i: (-scores[i], i))
        return [self.ids[i] for i in order], len(found)


def _table(rows: dict[str, dict[str, list[Scores]]], counts: dict[str, int]) -> list[str]:
    head = f"{'kind':<13} {'n':>4}  " + "  ".join(
        f"{m:>7}" for m in ("MRR@10", "nDCG@10", "R@10", "zero") for _ in (0, 1)
    )
    sub = f"{'':<13} {'':>4}  " + "  ".join(f"{w:>7}" for _ in range(4) for w in ("LB", "BM25"))
    out = [head, sub]
    for kind, by in rows.items():
        cells = []
        for metric in ("mrr", "ndcg", "recall", "zero"):
            for method in ("lightbox", "bm25"):
                values = [float(getattr(s, metric)) for s in by[method]]
                mean = sum(values) / len(values)
                cells.append(f"{mean * 100:6.1f}%" if metric == "zero" else f"{mean:7.3f}")
        out.append(f"{kind:<13} {counts[kind]:>4}  " + "  ".join(cells))
    return out


def _mean(values: list[Scores], metric: str) -> float:
    return sum(float(getattr(s, metric)) for s in values) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worst", type=int, default=15, help="worst queries to list")
    parser.add_argument("--data-dir", type=Path, help="make the database here")
    parser.add_argument("--list", metavar="KIND", help="list every query of this kind")
    args = parser.parse_args()
    if args.data_dir:
        shutil.rmtree(args.data_dir, ignore_errors=True)
        args.data_dir.mkdir(parents=True)
        data_dir = args.data_dir
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="lightbox-relevance-"))
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    _setup(data_dir)

    import json

    from django.contrib.auth.models import AnonymousUser
    from tqdm import tqdm

    from lightbox.search import engine, index, store, suggest

    cases = json.loads((DATA / "similar_eval.json").read_text())
    label_of = {c["id"]: c["label"] for c in cases}
    pks = _load(cases)
    id_of = {pk: case_id for case_id, pk in pks.items()}
    with tqdm(total=len(pks), desc="index", unit="case") as bar:
        index.rebuild(progress=bar.update)
    store.reset()
    suggest.forget()
    suggest.vocabulary(store.get().seq)
    queries = _queries()
    unknown = {label for q in queries for label in q.labels} - set(label_of.values())
    if unknown:
        sys.exit(f"relevance_queries.toml names labels no case has: {sorted(unknown)}")
    baseline = Baseline(cases)
    from lightbox.cases.models import Case

    number_of = dict(Case.objects.values_list("number", "pk"))
    user = AnonymousUser()
    rows: dict[str, dict[str, list[Scores]]] = {
        kind: {"lightbox": [], "bm25": []} for kind in (*KINDS, "all")
    }
    misses: list[tuple[float, Query, list[str]]] = []
    times = []
    for query in tqdm(queries, desc="queries", unit="query"):
        relevant = {i for i, label in label_of.items() if label in query.labels}
        start = time.perf_counter()
        res = engine.search(user, query.text, per_page=K, thumbnails=False)
        times.append(time.perf_counter() - start)
        ranked = [id_of[number_of[h.number]] for h in res.hits]
        ours = score(ranked, res.total, relevant)
        theirs = score(*baseline.search(query.text), relevant)
        for kind in (query.kind, "all"):
            rows.setdefault(kind, {"lightbox": [], "bm25": []})
            rows[kind]["lightbox"].append(ours)
            rows[kind]["bm25"].append(theirs)
        misses.append((ours.ndcg, query, [label_of[i] for i in ranked[:3]]))
        if args.list in (query.kind, "all"):
            print(f"{query.kind:<12} {query.text!r}: MRR LB {ours.mrr:.2f} BM25 {theirs.mrr:.2f}, "
                  f"nDCG LB {ours.ndcg:.2f} BM25 {theirs.ndcg:.2f}; LB found {res.total} "
                  f"({res.complete} with every word)")  # fmt: skip
    counts = {kind: len(by["lightbox"]) for kind, by in rows.items()}
    rows = {kind: by for kind, by in rows.items() if counts[kind]}

    print(f"\n{len(queries)} queries, {len(cases)} cases; Lightbox (LB) against plain BM25\n")
    print("\n".join(_table(rows, counts)))
    print(f"\nLightbox search time: median {np.median(times) * 1000:.1f} ms per query")
    print(f"\nLightbox's worst {args.worst} queries (nDCG@10; labels of its first 3 results):")
    for ndcg, query, top in sorted(misses, key=lambda m: (m[0], m[1].text))[: args.worst]:
        wanted = ", ".join(sorted(query.labels))
        print(f"  {ndcg:.2f}  {query.kind:<12} {query.text!r} (wants {wanted}): {top or '-'}")

    failures = []
    print("\nBudgets")
    for kind, by in rows.items():
        for metric in ("ndcg", "mrr"):
            ours, theirs = _mean(by["lightbox"], metric), _mean(by["bm25"], metric)
            ok = ours > theirs
            failures += [] if ok else [f"{kind} {metric}"]
            print(f"  {kind:<13} {metric:<5} Lightbox {ours:.3f} > BM25 {theirs:.3f}: "
                  f"{'ok' if ok else 'FAIL'}")  # fmt: skip
    with_relevant = rows["all"]["lightbox"]
    zero = _mean(with_relevant, "zero")
    ok = zero <= BUDGET_ZERO
    failures += [] if ok else ["zero-result rate"]
    verdict = "ok" if ok else "FAIL"
    print(f"  zero-result rate {zero * 100:.1f}% <= {BUDGET_ZERO * 100:g}%: {verdict}")
    if failures:
        print(f"\nFAIL: {', '.join(failures)}")
        sys.exit(1)
    print("\nAll budgets met.")


if __name__ == "__main__":
    main()
