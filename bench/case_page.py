"""Benchmark the case page on a teaching file of 100,000 cases.

Prints
  - the case page's time in process (Django's test client, no network): p50 and p95 over
    random cases, for the first read since the case changed ("first": renders and stores
    the page, which the task worker normally does right after a save) and for every read
    after that ("stored");
  - its throughput over HTTP: the web server exactly as `manage.py serve` runs it
    (lightbox/ops/webserver.py; LIGHTBOX_WEB_WORKERS processes, 2 by default), wrk with 8
    connections, requesting random case pages.
Budgets (2 cores): p50 <= 5 ms and >= 600 req/s.

Usage:  .venv/bin/python bench/case_page.py [--cases 100000] [--seconds 20]
The filled database is kept in bench/out/ (git-ignored) and reused by the next run.
wrk comes from Debian (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BUDGET_P50_MS = 5.0
BUDGET_RPS = 600


def _setup(data_dir: Path) -> None:
    os.environ["LIGHTBOX_DATA_DIR"] = str(data_dir)
    # SQLite in the data directory, or BENCH_DATABASE_URL (e.g. a PostgreSQL database).
    os.environ.pop("DATABASE_URL", None)
    if url := os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _in_process(numbers: list[str]) -> dict[str, tuple[float, float]]:
    from django.test import Client

    from lightbox.cases.models import RenderedPage

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(f"/cases/{numbers[0]}/")  # import and template-load everything once
    RenderedPage.objects.filter(case__number__in=numbers).delete()
    results = {}
    for label, suffix in (("unknown", ""), ("known", "known/")):
        # "first": the first read since the case changed renders and stores the page (what
        # the task worker does after a save); "stored": every read after that.
        for temperature in ("first", "stored"):
            timings = []
            for number in numbers:
                start = time.perf_counter()
                response = client.get(f"/cases/{number}/{suffix}")
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (number, response.status_code)
            results[f"{label} {temperature}"] = (
                statistics.median(timings),
                _percentile(timings, 0.95),
            )
    return results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and every process below it."""
    parents, used = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = int(fields[11]) + int(fields[12])
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(used.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


def _http(numbers: list[str], seconds: int, data_dir: Path) -> tuple[float, str, float]:
    """Requests per second, the latency line, and the server's CPU milliseconds per
    request (steadier than requests per second on a machine shared with other work)."""
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    from django.conf import settings

    from lightbox.lib import lifeline
    from lightbox.ops import webserver

    port = _free_port()
    env = {**os.environ, "LIGHTBOX_DATA_DIR": str(data_dir)}
    # What `serve` runs, less its access log.
    argv = webserver.command("127.0.0.1", port, settings.WEB_WORKERS, access_log=False)
    server = subprocess.Popen(argv, cwd=ROOT, env=env, preexec_fn=lifeline.preexec())
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        with tempfile.TemporaryDirectory() as tmp:
            paths = Path(tmp) / "paths.txt"
            paths.write_text("".join(f"/cases/{n}/\n" for n in numbers))
            script = Path(tmp) / "random.lua"
            script.write_text(
                "local paths = {}\n"
                f'for line in io.lines("{paths}") do paths[#paths + 1] = line end\n'
                "request = function()\n"
                '  return wrk.format("GET", paths[math.random(#paths)])\n'
                "end\n"
            )
            run = [wrk, "-t2", "-c8", "--latency", "-s", str(script)]
            # Warm-up: every web process loads code and templates, fills its page caches.
            subprocess.run([*run, "-d5s", base], check=True, capture_output=True)
            cpu_before = _cpu_seconds(server.pid)
            out = subprocess.run(
                [*run, f"-d{seconds}s", base], check=True, capture_output=True, text=True
            ).stdout
        cpu = _cpu_seconds(server.pid) - cpu_before
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        done = re.search(r"(\d+) requests in", out)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            sys.exit(f"wrk saw {errors[1]} error responses:\n{out}")
        latency = " ".join(
            f"{m[0]} {m[1]}" for m in re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.MULTILINE)
        )
        per_request = 1000 * cpu / int(done[1]) if done and int(done[1]) else 0.0
        return float(match[1]) if match else 0.0, latency, per_request
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2000, help="random cases to time")
    parser.add_argument("--seconds", type=int, default=20, help="length of the HTTP run")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "out" / "case_page")
    args = parser.parse_args()

    args.data_dir.mkdir(parents=True, exist_ok=True)
    _setup(args.data_dir)
    from synthetic import generate

    from lightbox.cases.models import Case

    have = Case.objects.count()
    if have < args.cases:
        print(f"Filling the database with {args.cases - have:,} synthetic cases …")
        generate(args.cases - have)
    total = Case.objects.count()
    rng = random.Random(7)
    ids = list(Case.objects.filter(visibility="public").values_list("number", flat=True))
    numbers = rng.sample(ids, min(args.sample, len(ids)))

    print(f"\nCase page on a library of {total:,} cases, {len(numbers):,} random cases:")
    timings = _in_process(numbers)
    for label, (p50, p95) in timings.items():
        print(f"  render {label:<13} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    from django.conf import settings

    rps, latency, cpu_ms = _http(numbers, args.seconds, args.data_dir)
    server = f"{settings.WEB_WORKERS} processes x {settings.WEB_THREADS} threads"
    print(
        f"  HTTP (serve's web server, {server}; wrk 8 connections, {args.seconds} s): "
        f"{rps:,.0f} req/s"
    )
    print(f"  HTTP latency: {latency}; server CPU per request {cpu_ms:.2f} ms")
    p50 = timings["unknown stored"][0]
    print(
        f"\nBudget: case page p50 <= {BUDGET_P50_MS} ms (page stored, as after a save): "
        f"{p50:.2f} ms {'PASS' if p50 <= BUDGET_P50_MS else 'FAIL'}"
    )
    print(
        f"Budget: >= {BUDGET_RPS} req/s over HTTP: {rps:,.0f} "
        f"{'PASS' if rps >= BUDGET_RPS else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
