"""Load test: 64 readers while two 500-slice CT uploads ingest, against ``manage.py serve``.

A fresh install (bench/out/load; SQLite, or the PostgreSQL database ``--database-url``
names, created if missing and emptied if not) gets a library of synthetic cases
(bench/synthetic.py) and one small DICOM series for the viewer, then ``manage.py serve``
starts on loopback exactly as ``make run`` starts it (web server and task worker). For at
least ``--seconds``, and until both uploads are processed:

- ``--readers`` concurrent readers (64) ask for case pages, search pages, the API's case
  list and case detail, and the viewer's metadata of a DICOM series, one after another;
- two authors each upload a series of ``--slices`` (500) synthetic CT slices through the
  upload API with a token, in parts of 200 files as a script or the web page sends them,
  and wait for the task worker to de-identify and store them.

Prints the requests, the error rate (must be 0), p50/p95/p99/max per kind of request,
the throughput, how long each ingest took, and the count of "database is locked", 5xx
answers and tracebacks in the server's log (all must be 0); exits 1 on any error.

The readers are one asyncio process (aiohttp), so that on 2 cores the load generator does
not starve the server: its own CPU time is printed beside the server's.

Usage:  .venv/bin/python bench/load.py [--seconds 60] [--readers 64] [--slices 500]
        .venv/bin/python bench/load.py --database-url postgres://postgres@127.0.0.1:5432/lightbox_load
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from case_page import _cpu_seconds  # noqa: E402  (bench/case_page.py)
from ingest import free_port, fresh_install, make_slices  # noqa: E402  (bench/ingest.py)

PART = 200  # files per request: LIGHTBOX_MAX_FILES_PER_REQUEST's default
KINDS = ("case page", "search page", "API case list", "API case detail", "viewer metadata")
SEARCH_WORDS = (
    "fracture",
    "metastases",
    "uptake",
    "pneumonia",
    "follow up",
    "lymphoma",
    "thyroid",
    "osteomyelitis",
    "abscess",
    "renal",
)


@dataclass
class Tally:
    """What the readers saw: latencies (ms) by kind, and every failure."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)


def _database(url: str) -> None:
    """Create the bench's PostgreSQL database, or empty it if it exists."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            print(f"Emptying the benchmark's database {name} …")
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _static_is_stale() -> bool:
    """Whether a static file changed since the kept collection was made (collecting them
    all again compresses the viewer's bundle: a minute and more of CPU)."""
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    made = manifest.stat().st_mtime
    sources = [Path(d[1] if isinstance(d, tuple) else d) for d in settings.STATICFILES_DIRS]
    return any(p.stat().st_mtime > made for d in sources for p in d.rglob("*") if p.is_file())


def _prepare(cases: int, folder: Path) -> dict[str, Any]:
    """Migrate, collect static files, fill the library, make the uploaders and their cases,
    and ingest a small DICOM series for the viewer (with the task worker, as a user
    would). Returns what the readers and uploaders need."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if _static_is_stale():
        print("Collecting static files …")
        call_command("collectstatic", interactive=False, verbosity=0)
    from synthetic import generate
    from tqdm import tqdm

    from lightbox.api.models import ApiToken
    from lightbox.cases.models import Case, CaseAuthor
    from lightbox.imaging.models import Image, Upload
    from lightbox.imaging.uploads import receive
    from lightbox.search import index
    from lightbox.test import make_case, make_series, make_user

    generate(cases)
    with tqdm(total=cases, desc="Indexing", unit="case") as bar:
        index.rebuild(progress=bar.update)
    series = make_series("ct", "Computed tomography")
    authors = [make_user(name, role="author") for name in ("ada", "ben")]
    targets = []
    for author in authors:
        case = make_case(series, title=f"Load test upload by {author.username}", created_by=author)
        CaseAuthor.objects.create(case=case, order=0, name=author.username, user=author)
        targets.append(case.number)
    reader = make_user("reader")
    viewer_case = make_case(series, title="Load test viewer series")
    (folder / "viewer").mkdir()
    paths = make_slices(folder / "viewer", 20)
    files = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed just below
    upload = receive(viewer_case, authors[0], files)
    for f in files:
        f.close()
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "worker", "--no-reload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while Upload.objects.get(pk=upload.pk).state not in ("done", "failed"):
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    image = Image.objects.filter(case=viewer_case).exclude(series=None).first()
    if image is None:
        sys.exit("The viewer's DICOM series was not ingested: see the worker's log.")
    numbers = list(Case.objects.filter(visibility="public").values_list("number", flat=True))
    return {
        "numbers": numbers,
        "targets": targets,
        "upload_tokens": [ApiToken.issue(a, "load", "write")[1] for a in authors],
        "read_token": ApiToken.issue(reader, "load", "read")[1],
        "manifest": f"/cases/{viewer_case.number}/images/{image.pk}/manifest.json",
    }


def _paths(setup: dict[str, Any], rng: random.Random) -> itertools.cycle[tuple[str, str]]:
    """An endless, shuffled round of (kind, path) over every kind of request."""
    rounds = []
    for _ in range(500):
        number = rng.choice(setup["numbers"])
        rounds += [
            ("case page", f"/cases/{number}/"),
            ("search page", f"/search/?q={rng.choice(SEARCH_WORDS).replace(' ', '+')}"),
            ("API case list", f"/api/v1/cases?page={rng.randint(1, 20)}"),
            ("API case detail", f"/api/v1/cases/{number}"),
            ("viewer metadata", setup["manifest"]),
        ]
    rng.shuffle(rounds)
    return itertools.cycle(rounds)


async def _reader(
    session: Any, base: str, paths: Any, token: str, tally: Tally, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        kind, path = next(paths)
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        start = time.perf_counter()
        try:
            async with session.get(base + path, headers=headers) as response:
                await response.read()
                status = response.status
        except Exception as e:  # a refused or dropped connection is an error to count
            tally.errors[f"{kind}: {type(e).__name__}"] += 1
            continue
        tally.latencies[kind].append((time.perf_counter() - start) * 1000)
        if status != 200:
            tally.errors[f"{kind}: HTTP {status}"] += 1


async def _upload(
    session: Any, base: str, number: str, token: str, paths: list[Path], tally: Tally
) -> tuple[float, str]:
    """Send one series in parts and wait for it to be processed: (seconds, final state)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    url = f"{base}/api/v1/cases/{number}/uploads?open=true"
    async with session.post(url, headers=headers) as response:
        opened = await response.json()
        if response.status != 201:
            tally.errors[f"upload: HTTP {response.status} {opened}"] += 1
            return time.perf_counter() - start, "refused"
    upload = opened["id"]
    for first in range(0, len(paths), PART):
        form = aiohttp.FormData()
        for path in paths[first : first + PART]:
            form.add_field(
                "files", path.read_bytes(), filename=path.name, content_type="application/dicom"
            )
        async with session.post(
            f"{base}/api/v1/uploads/{upload}/files", data=form, headers=headers
        ) as response:
            if response.status != 200:
                tally.errors[f"upload part: HTTP {response.status} {await response.text()}"] += 1
                return time.perf_counter() - start, "refused"
    async with session.post(f"{base}/api/v1/uploads/{upload}/finish", headers=headers) as r:
        if r.status != 202:
            tally.errors[f"upload finish: HTTP {r.status} {await r.text()}"] += 1
            return time.perf_counter() - start, "refused"
    while True:
        await asyncio.sleep(0.5)
        async with session.get(f"{base}/api/v1/uploads/{upload}", headers=headers) as r:
            state = await r.json()
        if state["state"] in ("done", "failed"):
            if state["state"] != "done" or state["failed"]:
                tally.errors[f"upload {upload}: {state['state']}, {state['failed']} failed"] += 1
            return time.perf_counter() - start, f"{state['state']} ({state['processed']} files)"


async def _run(
    base: str, setup: dict[str, Any], series: list[list[Path]], readers: int, seconds: float
) -> tuple[Tally, list[tuple[float, str]], float]:
    import aiohttp

    tally, stop = Tally(), asyncio.Event()
    paths = _paths(setup, random.Random(15))
    connector = aiohttp.TCPConnector(limit=readers + len(series))
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        reading = [
            asyncio.create_task(_reader(session, base, paths, setup["read_token"], tally, stop))
            for _ in range(readers)
        ]
        ingests = await asyncio.gather(
            *(
                _upload(session, base, number, token, files, tally)
                for number, token, files in zip(
                    setup["targets"], setup["upload_tokens"], series, strict=True
                )
            )
        )
        await asyncio.sleep(max(0.0, seconds - (time.perf_counter() - start)))
        stop.set()
        await asyncio.gather(*reading)
        return tally, ingests, time.perf_counter() - start


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _log_problems(log: str) -> dict[str, int]:
    return {
        '"database is locked"': log.count("database is locked"),
        "5xx answers": len(re.findall(r'HTTP/1\.[01]" 5\d\d ', log)),
        "tracebacks": log.count("Traceback (most recent call last)"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="read for at least this long")
    parser.add_argument("--readers", type=int, default=64)
    parser.add_argument("--slices", type=int, default=500, help="slices in each of 2 uploads")
    parser.add_argument("--cases", type=int, default=2000, help="synthetic cases in the library")
    parser.add_argument("--database-url", help="PostgreSQL (emptied); default SQLite")
    args = parser.parse_args()

    data_dir = fresh_install("load")
    # Static files are collected once, beside it, and kept: the next run adds what changed.
    static = ROOT / "bench" / "out" / "load-static"
    static.mkdir(exist_ok=True)
    (data_dir / "static").symlink_to(static)
    if args.database_url:
        _database(args.database_url)
        os.environ["DATABASE_URL"] = args.database_url
    backend = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        setup = _prepare(args.cases, folder)
        print(f"Making 2 × {args.slices} synthetic CT slices (512×512, 16-bit) …")
        series = []
        for i in range(2):
            (folder / f"upload{i}").mkdir()
            series.append(make_slices(folder / f"upload{i}", args.slices))
        from django.conf import settings

        port = free_port()
        log_path = data_dir / "serve.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(port)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                sys.exit(f"serve did not answer: see {log_path}")
            time.sleep(3)  # the worker's pool starts
            print(
                f"\n{backend}: {args.readers} readers for >= {args.seconds:.0f} s while 2 × "
                f"{args.slices} slices are uploaded and ingested (serve: "
                f"{settings.WEB_WORKERS} web processes × {settings.WEB_THREADS} threads, "
                "1 task worker) …"
            )
            # What start-up logged is not counted: a health probe that timed out while the
            # server booted is logged by gunicorn as a 500 (a request its client gave up on).
            log_start = log_path.stat().st_size
            client_before = resource.getrusage(resource.RUSAGE_SELF)
            server_before = _cpu_seconds(server.pid)
            tally, ingests, elapsed = asyncio.run(
                _run(base, setup, series, args.readers, args.seconds)
            )
            client_after = resource.getrusage(resource.RUSAGE_SELF)
            server_cpu = _cpu_seconds(server.pid) - server_before
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    client_cpu = (client_after.ru_utime - client_before.ru_utime) + (
        client_after.ru_stime - client_before.ru_stime
    )
    with open(log_path, errors="replace") as log:
        log.seek(log_start)
        problems = _log_problems(log.read())
    _report(backend, tally, ingests, elapsed, args.slices, (client_cpu, server_cpu), problems)
    if _failed(tally, problems):
        print(f"FAIL (server log: {log_path})")
        sys.exit(1)
    print("PASS: no error, no 5xx, no lock error, no traceback")


def _failed(tally: Tally, problems: dict[str, int]) -> bool:
    return bool(sum(tally.errors.values()) or any(problems.values()))


def _report(
    backend: str,
    tally: Tally,
    ingests: list[tuple[float, str]],
    elapsed: float,
    slices: int,
    cpu: tuple[float, float],
    problems: dict[str, int],
) -> None:
    total = sum(len(v) for v in tally.latencies.values())
    errors = sum(tally.errors.values())
    print(
        f"\n{backend}: {total:,} requests in {elapsed:.1f} s = {total / elapsed:,.0f} req/s; "
        f"errors {errors} ({100 * errors / max(1, total + errors):.2f} %)"
    )
    print(f"  {'kind':<17}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in KINDS:
        ordered = sorted(tally.latencies.get(kind, [])) or [float("nan")]
        print(
            f"  {kind:<17}{len(tally.latencies.get(kind, [])):>9,}"
            + "".join(f"{_percentile(ordered, q):>9.1f}" for q in (0.5, 0.95, 0.99))
            + f"{ordered[-1]:>9.1f}"
        )
    for i, (seconds, state) in enumerate(ingests, 1):
        print(
            f"  upload {i}: {slices} slices sent and ingested in {seconds:.1f} s "
            f"({slices / seconds:.0f} slices/s), {state}"
        )
    client_cpu, server_cpu = cpu
    print(
        f"  CPU: load generator {client_cpu:.1f} s ({100 * client_cpu / elapsed:.0f} % of a "
        f"core), server {server_cpu:.1f} s ({100 * server_cpu / elapsed:.0f} % of a core)"
    )
    print("  server log: " + ", ".join(f"{k} {v}" for k, v in problems.items()))
    for error, count in tally.errors.most_common(10):
        print(f"  error × {count}: {error}")


if __name__ == "__main__":
    main()
