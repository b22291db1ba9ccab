"""Benchmark receiving DICOM from a PACS: C-STORE to `manage.py dicom_receiver`, then
de-identification by the task worker, beside Orthanc's own C-STORE intake.

Makes synthetic 512×512 16-bit CT slices with planted identifiers, starts the real
receiver and the real task worker (as `manage.py serve` does, each its own process), and
sends the series with `storescu` semantics — one association, one C-STORE per file —
using DCMTK's storescu when installed (`apt-get install dcmtk`), else a pynetdicom SCU.
The same files are sent the same way to Debian's Orthanc (`apt-get install orthanc`) on
loopback in the same run, for comparison. Prints:

- instances/s received (the C-STORE intake alone: every instance acknowledged);
- instances/s received and de-identified (until the worker has stored every instance):
  the budget is >= 100/s on loopback;
- Orthanc's C-STORE intake in instances/s, and the ratio of ours to it.

Afterwards it checks that no planted identifier reached storage.

Usage: .venv/bin/python bench/dicom_receive.py [--slices 500]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import PLANTED, free_port, fresh_install, make_slices  # noqa: E402  (bench/ingest.py: the same CT)

BUDGET = 100.0
AE_TITLE = "LIGHTBOX"
CALLING = "BENCH_SCU"


def _wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds:.0f} s")


def send(paths: list[Path], port: int, called: str) -> float:
    """C-STORE every file in one association; returns the seconds it took."""
    storescu = shutil.which("storescu")
    start = time.perf_counter()
    if storescu:
        subprocess.run(
            [storescu, "-aet", CALLING, "-aec", called, "127.0.0.1", str(port), *map(str, paths)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start
    from pydicom import dcmread
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian
    from pynetdicom import AE

    ae = AE(ae_title=CALLING)
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    if not assoc.is_established:
        raise SystemExit(f"{called} refused the association")
    assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    failed = sum(assoc.send_c_store(dcmread(p)).Status != 0 for p in paths)
    assoc.release()
    if failed:
        raise SystemExit(f"{failed} instance(s) not stored by {called}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, default=500)
    args = parser.parse_args()

    data_dir = fresh_install("dicom_receive")
    port = free_port()
    os.environ["LIGHTBOX_DICOM_PORT"] = str(port)
    os.environ["LIGHTBOX_DICOM_AE_TITLE"] = AE_TITLE
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from lightbox.imaging.models import Instance, Upload
    from lightbox.interchange.pacs import orthanc

    scu = "DCMTK storescu" if shutil.which("storescu") else "a pynetdicom SCU"
    with tempfile.TemporaryDirectory() as tmp:
        print(f"Making {args.slices:,} synthetic CT slices (512×512, 16-bit) …")
        paths = make_slices(Path(tmp), args.slices)
        env = os.environ.copy()
        quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL}
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "worker", "--no-reload", "--interval", "0.05"],
            stderr=subprocess.DEVNULL,
            **quiet,
        )
        receiver = subprocess.Popen(
            [sys.executable, "-m", "django", "dicom_receiver"], stderr=subprocess.DEVNULL, **quiet
        )
        try:
            _wait_for_port(port)
            time.sleep(2)  # the worker imports Django and starts its pool
            print(f"Sending them with {scu}, one association, to Lightbox …")
            start = time.perf_counter()
            sent = send(paths, port, AE_TITLE)
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                uploads = Upload.objects.exclude(received_from="")
                if (
                    uploads.exists()
                    and not uploads.exclude(state__in=["done", "failed"]).exists()
                    and Instance.objects.count() >= args.slices
                ):
                    break
                time.sleep(0.05)
            done = time.perf_counter() - start
        finally:
            for process in (receiver, worker):
                process.terminate()
            for process in (receiver, worker):
                process.wait(timeout=30)
        stored = Instance.objects.count()
        failed = sum(u.files.filter(state="failed").count() for u in Upload.objects.all())
        received_rate = args.slices / sent
        deid_rate = stored / done
        print(f"  {stored:,} instances stored, {failed} failed")
        print(f"Received: {received_rate:.0f} instances/s ({args.slices:,} in {sent:.1f} s)")
        print(
            f"Received and de-identified: {deid_rate:.0f} instances/s ({stored:,} in {done:.1f} s)"
        )
        print(f"Budget: >= {BUDGET:.0f}/s: {'PASS' if deid_rate >= BUDGET else 'FAIL'}")
        leaks = [
            p
            for p in (data_dir / "media").rglob("*")
            if p.is_file() and PLANTED.encode() in p.read_bytes()
        ]
        print(f"Planted patient name found in {len(leaks)} stored file(s)")

        if orthanc.binary() is None:
            print("Orthanc: not installed (apt-get install -y orthanc to compare)")
            return
        dicom_port = free_port()
        with orthanc.Orthanc(Path(tmp) / "orthanc", free_port(), dicom_port, {}) as pacs:
            _wait_for_port(dicom_port)
            print(f"Sending them with {scu}, one association, to Orthanc …")
            seconds = send(paths, dicom_port, pacs.aet)
            count = len(pacs.get("/instances"))
        rate = count / seconds
        print(
            f"Orthanc C-STORE intake (loopback, no de-identification): {rate:.0f} instances/s "
            f"({count:,} in {seconds:.1f} s)"
        )
        print(
            f"Lightbox / Orthanc: received {received_rate / rate:.2f}, "
            f"received and de-identified {deid_rate / rate:.2f}"
        )


if __name__ == "__main__":
    main()
