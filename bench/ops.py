"""Benchmark the operations endpoints and backups.

/readyz must stay cheap (budget: p95 < 50 ms, a load balancer asks every few seconds):
timed with its probes remembered (the usual case) and with every probe run afresh.
/metrics is timed too (a scrape every 15 s; it adds up every web process's files and
queries the database). Then the demo library is backed up and restored into an empty
install, and both are timed.

Runs in a fresh data directory under bench/out/ (SQLite), in this process (Django's test
client, no network), with the demo library loaded.

Usage: .venv/bin/python bench/ops.py [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's lightbox, whatever pip installed
sys.path.insert(0, str(ROOT / "bench"))

from ingest import fresh_install  # noqa: E402  (bench/ingest.py)

READY_BUDGET_MS = 50.0


def timed(client, url: str, n: int, before=None) -> list[float]:
    times = []
    for _ in range(n):
        if before:
            before()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return times


def report(label: str, times: list[float]) -> float:
    p95 = statistics.quantiles(times, n=20)[-1]
    print(f"  {label:<38} p50 {statistics.median(times):6.2f} ms   p95 {p95:6.2f} ms")
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    data_dir = fresh_install("ops", tasks="immediate")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings

    from lightbox.ops import readiness

    (data_dir / "static").mkdir()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)  # its tasks run at once (LIGHTBOX_TASKS=immediate)
    # From here on the queue is django-tasks-db's table, as `make run` has it, so that
    # the queue probe is the real query.
    override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    ).enable()
    client = Client(HTTP_HOST="localhost")
    print(f"{args.requests} requests each (Django test client, in process):")
    p95 = report("/readyz (probes remembered)", timed(client, "/readyz", args.requests))
    report(
        "/readyz (every probe afresh)", timed(client, "/readyz", args.requests, readiness.forget)
    )
    report("/healthz", timed(client, "/healthz", args.requests))
    report("/metrics", timed(client, "/metrics", args.requests // 3))
    print(
        f"Budget /readyz p95 < {READY_BUDGET_MS:.0f} ms: "
        + ("PASS" if p95 < READY_BUDGET_MS else "FAIL")
    )

    archive = data_dir.parent / "ops-backup.tar"
    archive.unlink(missing_ok=True)
    env = {**os.environ}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "backup", str(archive), "-v0"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    backed_up = time.perf_counter() - start
    size = archive.stat().st_size
    target = data_dir.parent / "ops-restored"
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive), "-v0"],
        cwd=ROOT, env={**env, "LIGHTBOX_DATA_DIR": str(target)}, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    restored = time.perf_counter() - start
    mb = size / 1e6
    print(
        f"Backup of the demo library ({mb:.1f} MB): {backed_up:.1f} s; "
        f"restore into an empty install: {restored:.1f} s"
    )
    print("  (each includes ~1 s of starting Django)")


if __name__ == "__main__":
    main()
