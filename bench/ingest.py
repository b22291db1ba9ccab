"""Benchmark DICOM ingest: de-identification, grouping, thumbnails and storage.

Makes 1,000 synthetic 512×512 16-bit CT slices with planted identifiers, then pushes them
through the real pipeline: the files are quarantined as an upload would be, the processing
task is enqueued, and `manage.py worker` (the real task worker, started beforehand as
`make run` does, with its pool of limited child processes) processes them. Prints slices
per second; the budget is >= 150 on 2 cores. Afterwards it checks that no planted
identifier reached storage.

When Debian's Orthanc is installed (apt-get install -y orthanc) the same files are also
stored in an Orthanc on loopback over REST, and the ratio is printed.

Usage: .venv/bin/python bench/ingest.py [--slices 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET = 150.0
PLANTED = "ZZBENCHPATIENT^PLANTED"


def make_slices(folder: Path, count: int) -> list[Path]:
    """A CT series: a water phantom with noise, identifiers planted in every slice."""
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:512, :512]
    phantom = np.where((yy - 256) ** 2 + (xx - 256) ** 2 < 200**2, 1024, 24).astype(np.int16)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    paths = []
    for i in range(count):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientName, ds.PatientID = PLANTED, "ZZBENCHID0001"
        ds.PatientBirthDate, ds.StudyDate, ds.AcquisitionDate = "19600101", "20240301", "20240301"
        ds.InstitutionName, ds.AccessionNumber = "ZZBENCH HOSPITAL", "ZZBENCHACC"
        ds.ReferringPhysicianName, ds.StudyID = "ZZBENCH^DOCTOR", "1"
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "CT", 2, i + 1
        ds.ImagePositionPatient = [-250.0, -250.0, float(i)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.98, 0.98], 1.0
        ds.Rows = ds.Columns = 512
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.WindowCenter, ds.WindowWidth = 40, 400
        noise = rng.normal(0, 20, (512, 512)).astype(np.int16)
        ds.PixelData = (phantom + noise).tobytes()
        path = folder / f"IM{i:05d}.dcm"
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        paths.append(path)
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def orthanc_seconds(paths: list[Path]) -> float | None:
    """Store the files in a throwaway Orthanc on loopback; None when Orthanc is absent."""
    binary = shutil.which("Orthanc")
    if not binary:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = Path(tmp) / "orthanc.json"
        config.write_text(
            json.dumps(
                {
                    "StorageDirectory": f"{tmp}/db",
                    "IndexDirectory": f"{tmp}/db",
                    "HttpPort": port,
                    "DicomServerEnabled": False,
                    "RemoteAccessAllowed": False,
                    "AuthenticationEnabled": False,
                    "Plugins": [],
                }
            )
        )
        server = subprocess.Popen(
            [binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/system", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.2)
            start = time.perf_counter()
            for path in paths:
                request = urllib.request.Request(
                    f"{base}/instances", data=path.read_bytes(), method="POST"
                )
                urllib.request.urlopen(request, timeout=30).read()
            return time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(timeout=20)


def fresh_install(name: str, tasks: str = "db") -> Path:
    """An empty data directory under bench/out/ for this run, with SQLite and the
    ``tasks`` queue (the database's by default), set in the environment for Django and the
    processes it starts."""
    data_dir = ROOT / "bench" / "out" / name
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ["LIGHTBOX_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["LIGHTBOX_TASKS"] = tasks
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lightbox.settings")
    return data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slices", type=int, default=1000)
    args = parser.parse_args()

    data_dir = fresh_install("ingest")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from lightbox.cases.models import Case, Series
    from lightbox.imaging.models import Instance, Upload
    from lightbox.imaging.uploads import receive

    with tempfile.TemporaryDirectory() as tmp:
        print(f"Making {args.slices:,} synthetic CT slices (512×512, 16-bit) …")
        paths = make_slices(Path(tmp), args.slices)
        series = Series.objects.create(prefix="ct", name="Computed tomography")
        case = Case.objects.create(series=series, title="Ingest benchmark")

        # The real task worker, as `make run` starts it, already running and idle.
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "worker", "--no-reload", "--interval", "0.05"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # let it import Django and start polling
        try:
            start = time.perf_counter()
            files = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed just below
            upload = receive(case, type("Nobody", (), {"is_authenticated": False})(), files)
            for f in files:
                f.close()
            received = time.perf_counter()
            while Upload.objects.get(pk=upload.pk).state not in ("done", "failed"):
                time.sleep(0.05)
            done = time.perf_counter()
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        upload = Upload.objects.get(pk=upload.pk)
        stored = Instance.objects.filter(series__study__case=case).count()
        failed = upload.files.filter(state="failed").count()
        total = done - start
        print(f"  upload state: {upload.state}; {stored:,} instances stored, {failed} failed")
        print(f"  receive (quarantine copy): {received - start:.1f} s")
        print(f"  worker (de-identify, group, store, index, key images): {done - received:.1f} s")
        rate = args.slices / total
        print(f"Ingest: {rate:.0f} slices/s end to end ({args.slices:,} slices in {total:.1f} s)")
        print(f"Budget: >= {BUDGET:.0f} slices/s: {'PASS' if rate >= BUDGET else 'FAIL'}")

        leaks = [
            p
            for p in (data_dir / "media").rglob("*")
            if p.is_file() and PLANTED.encode() in p.read_bytes()
        ]
        print(f"Planted patient name found in {len(leaks)} stored file(s)")

        orthanc = orthanc_seconds(paths)
        if orthanc is None:
            print("Orthanc: not installed (apt-get install -y orthanc to compare)")
        else:
            print(
                "Orthanc (REST, loopback, no de-identification): "
                f"{args.slices / orthanc:.0f} slices/s; Lightbox / Orthanc = {orthanc / total:.2f}"
            )


if __name__ == "__main__":
    main()
