"""Time every text processor on hostile input, at 100 KB and at 1 MB (issue 11).

For each pathological pattern of ``lightbox/lib/tests/hostile.py`` (runs of "[", "*",
"> ", nested lists, tables, tag soup, unclosed links, one long line, ...) prints the
seconds each of these takes on it: the Markdown renderer (every section, topic, comment
and preview), the word diff of the revision pages (the text against a copy changed at
both ends), search snippets, the identifier scan, the search-query parser and the legacy
page parser; then the ratio of the 1 MB time to the 100 KB time. Linear work gives a
ratio near 10 (a quadratic one near 100). Budget (2 cores): every processor takes at most
10 s on 1 MB of any pattern; the script exits with status 1 if one does not.

Usage: .venv/bin/python bench/hostile_text.py [--sizes 100000 1000000] [--only PATTERN]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
# The settings want a data directory; nothing is written to it here.
os.environ.setdefault("LIGHTBOX_DATA_DIR", str(ROOT / "bench" / "out" / "hostile_text"))

import django  # noqa: E402

django.setup()

from lightbox.deid import scan  # noqa: E402
from lightbox.history.revisions import word_diff  # noqa: E402
from lightbox.interchange.legacy import LegacyParseError, parse_legacy  # noqa: E402
from lightbox.lib.markdown import render  # noqa: E402
from lightbox.lib.tests.hostile import hostile_texts  # noqa: E402
from lightbox.search.text import query, snippets  # noqa: E402

BUDGET = 10.0  # seconds for 1 MB of any pattern, for each processor


def _parse_query(text: str) -> None:
    with contextlib.suppress(query.QuerySyntaxError):  # refusing it is handling it
        query.parse(text)


def _parse_legacy(text: str) -> None:
    with contextlib.suppress(LegacyParseError):
        parse_legacy(text.encode())


PROCESSORS: dict[str, Callable[[str], object]] = {
    "markdown": render,
    "diff": lambda t: word_diff(t, "changed " + t[: len(t) // 2] + " and " + t[::-1]),
    "snippet": lambda t: snippets.best([t], ["lesion", "a", "x"], ["les"]),
    "scan": scan,
    "query": _parse_query,
    "legacy": _parse_legacy,
}


def _time(fn: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    fn(text)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--only", help="one pattern, by name")
    args = parser.parse_args()
    names = [args.only] if args.only else list(hostile_texts(100))
    small, large = min(args.sizes), max(args.sizes)
    header = f"{'pattern':34}" + "".join(f"{p:>16}" for p in PROCESSORS)
    print(f"seconds at {small:,} / {large:,} characters (ratio)\n{header}", flush=True)
    worst = 0.0
    for name in names:
        cells = []
        for fn in PROCESSORS.values():
            times = {size: _time(fn, hostile_texts(size)[name]) for size in args.sizes}
            worst = max(worst, times[large])
            ratio = times[large] / max(times[small], 1e-4)
            cells.append(f"{times[small]:5.2f}/{times[large]:5.2f} ({ratio:3.0f})")
        print(f"{name:34}" + "".join(f"{c:>16}" for c in cells), flush=True)
    verdict = "within" if worst <= BUDGET else "OVER"
    print(
        f"\nslowest at {large:,} characters: {worst:.2f} s ({verdict} the {BUDGET:.0f} s budget)"
    )
    return 0 if worst <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
