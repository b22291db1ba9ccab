"""Benchmark answer grading (lightbox/learning/grading.py): accuracy, and speed at scale.

Prints
  - the labelled grading set's accuracy (lightbox/learning/tests/grading_set.toml, graded
    against its own lexicon: the shipped common diagnoses and every text of its cases),
    with the confusion of expected and given outcomes and the rows it gets wrong;
  - false accepts: answers labelled incorrect that were graded correct or misspelt, and
    among them the dangerous near misses (pneumothorax for hemothorax, ...);
  - a lexicon of --lexicon (100,000) known diagnoses: its build time and memory. The
    diagnoses are plausible author-written strings made from the shipped diagnoses, the
    set's cases and Lightbox's own labelled similar-cases set (bench/data), with
    qualifiers, sites, stages, causes, complications and what the case is not;
  - grading time against that lexicon, each answer graded once, cold (p50/p95/max): the
    labelled set's answers, and synthetic answers to synthetic cases (the name alone,
    misspelt, abbreviated, another diagnosis), which meet crowded names ("metastases");
  - the labelled set's accuracy and false accepts against the large lexicon too;
  - the held-out set's accuracy and false accepts (lightbox/learning/tests/
    grading_holdout.toml, written after the grader: its header says what its figure means).
Budgets (2 cores): accuracy >= 95 %, no near-miss false accept (with either lexicon, and
in the held-out set),
grading p95 <= 20 ms at 100,000 known diagnoses. Exits with status 1 if one fails.
Needs no database: grading is Django-free.

Usage:  .venv/bin/python bench/grading.py [--lexicon 100000] [--synthetic 2000]
        .venv/bin/python bench/grading.py --misses      # list every row graded wrong
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if not sys.stderr.isatty():  # a log file: a progress line every 15 s, not every 0.1 s
    os.environ.setdefault("TQDM_MININTERVAL", "15")
from tqdm import tqdm  # noqa: E402

from lightbox.learning import grading  # noqa: E402
from lightbox.learning.grading import Lexicon, Outcome  # noqa: E402
from lightbox.learning.tests import labelled  # noqa: E402

BUDGET_ACCURACY = 0.95
BUDGET_NEAR_MISS_ACCEPTS = 0
BUDGET_P95_MS = 20.0
SEED = 1996
EVAL_FILE = ROOT / "bench" / "data" / "similar_eval.json"

QUALIFIERS = ["", "", "", "Left ", "Right ", "Bilateral ", "Acute ", "Chronic ", "Subacute ",
              "Early ", "Multifocal ", "Solitary ", "Atypical ", "Recurrent ", "Severe ",
              "Incidental ", "Primary ", "Secondary ", "Large ", "Small "]  # fmt: skip
SITES = ["", "", "", " of the distal femur", " of the proximal tibia", " of the left kidney",
         " of the right kidney", " at T11", " at L4", " at C5-C6", ", right upper lobe",
         ", left lower lobe", " of the liver", " of the pelvis", " of the skull",
         " of the humeral head", " of the calcaneus", " of the sacrum", " of the mandible",
         " of the thyroid", " of the pancreatic head", " in the posterior fossa",
         " of the frontal lobe", " of the scaphoid", " of the fibula", " of the rib",
         " of the spleen", " of the adrenal gland", " of the bladder",
         " of the breast"]  # fmt: skip
CLAUSES = ["", "", "", ", stage II", ", stage IV", ", grade 3", " (biopsy-proven)",
           " (not {})", " with {}", " secondary to {}", " after {}", " mimicking {}",
           " in a patient with {}", ": {}", " complicated by {}", " — *{}* excluded",
           ", FDG-avid", " on bone scintigraphy", " (MIBG-avid)",
           ". Follow-up advised."]  # fmt: skip
BRITISH = [("hemo", "haemo"), ("hema", "haema"), ("edema", "oedema"), ("tumor", "tumour"),
           ("goiter", "goitre"), ("esophag", "oesophag"), ("leukemia", "leukaemia")]  # fmt: skip


def _entities() -> list[str]:
    """Diagnosis names to build from: the shipped ones, the set's, and the similar-cases
    set's diagnoses and differentials (Lightbox's own labelled data)."""
    names = list(grading._base_diagnoses()) + list(dict.fromkeys(labelled.known_texts()))
    if EVAL_FILE.exists():
        for case in json.loads(EVAL_FILE.read_text()):
            names.append(case["diagnosis"])
            names.extend(case["differential"])
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


def _synthetic(rng: random.Random, entities: list[str]) -> Iterator[str]:
    """Endless plausible diagnosis strings, as different authors write them."""
    while True:
        text = rng.choice(QUALIFIERS) + rng.choice(entities) + rng.choice(SITES)
        text += rng.choice(CLAUSES).format(rng.choice(entities).lower())
        if rng.random() < 0.3:
            old, new = rng.choice(BRITISH)
            text = text.replace(old, new)
        if rng.random() < 0.1:
            text = text.upper() if rng.random() < 0.3 else f"**{text}**"
        yield text


def _build(target: int, rng: random.Random, entities: list[str]) -> tuple[Lexicon, float]:
    """A lexicon of the set's texts and synthetic diagnoses, ``target`` distinct in all."""
    lexicon = Lexicon()
    lexicon.update(labelled.known_texts())
    start = time.perf_counter()
    made = _synthetic(rng, entities)
    with tqdm(total=target, desc="lexicon", unit=" dx", file=sys.stderr) as bar:
        bar.update(len(lexicon))
        while len(lexicon) < target:
            before = len(lexicon)
            lexicon.update(next(made) for _ in range(min(5000, target - before)))
            bar.update(len(lexicon) - before)
    return lexicon, time.perf_counter() - start


def _misspell(rng: random.Random, word: str) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 1)
    how = rng.randrange(3)
    if how == 0:
        return word[:i] + word[i + 1 :]
    if how == 1:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _synthetic_rows(
    rng: random.Random, entities: list[str], count: int
) -> list[tuple[str, str, str]]:
    """(kind, answer, diagnosis): answers a learner might type to synthetic cases."""
    rows = []
    made = _synthetic(rng, entities)
    abbreviations = list(grading._vocabulary().abbreviations)
    for _ in range(count):
        diagnosis = next(made)
        entity = rng.choice([e for e in entities if e.lower() in diagnosis.lower()] or entities)
        kind = rng.choice(["name", "misspelt", "other", "abbreviation", "long"])
        if kind == "name":
            answer = entity
        elif kind == "misspelt":
            answer = " ".join(_misspell(rng, w) for w in entity.split())
        elif kind == "other":
            answer = rng.choice(entities)
        elif kind == "abbreviation":
            answer = rng.choice(abbreviations).upper()
        else:
            answer = f"{rng.choice(QUALIFIERS)}{entity} or {rng.choice(entities)}"
        rows.append((kind, answer, diagnosis))
    return rows


def _accuracy(lexicon: Lexicon, rows: tuple[labelled.Row, ...]) -> dict:
    graded = [(row, row.grade(lexicon)) for row in rows]
    wrong = [(r, v) for r, v in graded if v.outcome != r.expected]
    accepts = [
        (r, v)
        for r, v in graded
        if r.expected is Outcome.INCORRECT and labelled.is_accept(v.outcome)
    ]
    return {
        "rows": len(rows),
        "near": sum(r.near_miss for r in rows),
        "accuracy": 1 - len(wrong) / len(rows),
        "wrong": wrong,
        "false_accepts": accepts,
        "near_accepts": [(r, v) for r, v in accepts if r.near_miss],
        "confusion": Counter((r.expected.value, v.outcome.value) for r, v in graded),
    }


def _stats(ms: list[float]) -> tuple[float, float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))], ms[-1]


def _print_accuracy(title: str, acc: dict, *, misses: bool) -> None:
    print(f"\n{title}: {acc['rows']:,} answers ({acc['near']} near misses)")
    print(f"  accuracy {acc['accuracy']:.1%}; false accepts {len(acc['false_accepts'])}, "
          f"of near misses {len(acc['near_accepts'])}")  # fmt: skip
    outcomes = [o.value for o in Outcome]
    print(f"  {'expected \\ given':<18}" + "".join(f"{o:>11}" for o in outcomes))
    for e in outcomes:
        print(f"  {e:<18}" + "".join(f"{acc['confusion'][(e, g)]:>11}" for g in outcomes))
    for r, v in acc["false_accepts"]:
        print(f"  FALSE ACCEPT {r.answer!r} for {r.diagnosis!r}: {v}")
    if misses:
        for r, v in acc["wrong"]:
            print(
                f"  {r.answer!r:42} {r.diagnosis[:48]!r:50} {r.expected.value:>9} -> "
                f"{v.outcome.value:<9} {v.similarity:5.1f} {v.rival!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lexicon", type=int, default=100_000, help="known diagnoses")
    parser.add_argument("--synthetic", type=int, default=2000, help="synthetic answers timed")
    parser.add_argument("--misses", action="store_true", help="list every row graded wrong")
    args = parser.parse_args()
    rng = random.Random(SEED)

    start = time.perf_counter()
    own = labelled.lexicon()
    small = _accuracy(own, labelled.rows())
    print(f"labelled set graded in {time.perf_counter() - start:.1f} s (caches cold)")
    _print_accuracy("Labelled set, its own lexicon", small, misses=args.misses)
    held = _accuracy(own, labelled.holdout_rows())
    _print_accuracy("Held-out set (see its header)", held, misses=args.misses)

    entities = _entities()
    lexicon, build_s = _build(args.lexicon, rng, entities)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nLexicon: {len(lexicon):,} known diagnoses from {len(entities):,} names, "
          f"built in {build_s:.1f} s ({build_s / len(lexicon) * 1e6:.0f} us each); "
          f"process peak memory {rss:,.0f} MB")  # fmt: skip

    timings: dict[str, list[float]] = {}
    for kind, answer, diagnosis, extra in [
        ("set", r.answer, r.diagnosis, (r.accepted, r.differential)) for r in labelled.rows()
    ] + [(k, a, d, ((), ())) for k, a, d in _synthetic_rows(rng, entities, args.synthetic)]:
        t = time.perf_counter()
        grading.grade(answer, diagnosis, accepted=extra[0], differential=extra[1], lexicon=lexicon)
        timings.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    every = [ms for values in timings.values() for ms in values]
    print(f"\nGrading against {len(lexicon):,} known diagnoses, each answer once (ms):")
    print(f"  {'answers':<14}{'n':>7}{'p50':>9}{'p95':>9}{'max':>9}")
    for kind, values in [*timings.items(), ("all", every)]:
        p50, p95, worst = _stats(values)
        print(f"  {kind:<14}{len(values):>7}{p50:>9.2f}{p95:>9.2f}{worst:>9.2f}")
    print(f"  machine load (1 min): {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    large = _accuracy(lexicon, labelled.rows())
    _print_accuracy(f"Labelled set, the {len(lexicon):,}-diagnosis lexicon", large, misses=False)

    p50, p95, worst = _stats(every)
    budgets = [
        ("set accuracy", f"{small['accuracy']:.1%}", f">= {BUDGET_ACCURACY:.0%}",
         small["accuracy"] >= BUDGET_ACCURACY),
        ("near-miss false accepts", f"{len(small['near_accepts'])}",
         f"<= {BUDGET_NEAR_MISS_ACCEPTS}", len(small["near_accepts"]) <= BUDGET_NEAR_MISS_ACCEPTS),
        ("  ... with 100k lexicon", f"{len(large['near_accepts'])}",
         f"<= {BUDGET_NEAR_MISS_ACCEPTS}", len(large["near_accepts"]) <= BUDGET_NEAR_MISS_ACCEPTS),
        ("  ... of the held-out set", f"{len(held['near_accepts'])}",
         f"<= {BUDGET_NEAR_MISS_ACCEPTS}", len(held["near_accepts"]) <= BUDGET_NEAR_MISS_ACCEPTS),
        ("grading p95", f"{p95:.2f} ms", f"<= {BUDGET_P95_MS:g} ms", p95 <= BUDGET_P95_MS),
    ]  # fmt: skip
    print(f"\nSummary: {len(lexicon):,} known diagnoses, {os.cpu_count()} CPUs")
    print(f"  grading p50 {p50:.2f} ms, max {worst:.2f} ms (no budget)")
    print(f"  set accuracy with the large lexicon {large['accuracy']:.1%} (no budget)")
    print(f"  held-out set accuracy {held['accuracy']:.1%} (no budget; see its header)")
    print(f"  {'budget':<26} {'measured':>10}  {'limit':<10} result")
    for name, value, limit, ok in budgets:
        print(f"  {name:<26} {value:>10}  {limit:<10} {'PASS' if ok else 'FAIL'}")
    if not all(ok for *_, ok in budgets):
        sys.exit(1)


if __name__ == "__main__":
    main()
