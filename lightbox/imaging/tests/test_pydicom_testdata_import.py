"""Every test file pydicom and pydicom-data ship, through ``import_dicom`` in one run:
no traceback anywhere, and each file either imported or reported in exactly one line.

They are a zoo of odd files: every transfer syntax, big endian, no meta header, truncated
pixel data, a '1A' Number of Frames, reports and DICOMDIRs, one image saved many times
under one SOP Instance UID, and non-DICOM files (README, JSON, ICC profiles).
"""

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from pydicom.data import get_testdata_files

from lightbox.imaging.models import UploadFile
from lightbox.lib.archive import safe_name
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

REPO = Path(django_settings.BASE_DIR)
LINE = re.compile(r"^(failed|skipped|done): (?P<name>[^:]+): \S.*$")


@pytest.fixture(scope="module")
def testdata(tmp_path_factory) -> Path:
    """Every regular file of pydicom's and pydicom-data's test data, in one folder (named
    by their index, as several share a name)."""
    folder = tmp_path_factory.mktemp("pydicom-testdata")
    files = sorted(p for p in get_testdata_files() if os.path.isfile(p))
    names = {Path(p).name for p in files}
    # Both packages are there: pydicom's own files and pydicom-data's larger ones.
    assert {"CT_small.dcm", "JPEG-lossy.dcm", "badVR.dcm", "693_J2KR.dcm"} <= names
    for i, path in enumerate(files):
        shutil.copy(path, folder / f"{i:03d}-{Path(path).name}")
    return folder


def _check_lines(stderr: str, folder: Path) -> dict[str, str]:
    """Every line of stderr is one file's report (and the summary); one line per file."""
    reported: dict[str, str] = {}
    for line in stderr.splitlines():
        if not line.strip() or line.startswith("CommandError: "):
            continue
        match = LINE.match(line)
        assert match, f"a stray line: {line!r}"
        name = match["name"]
        assert name not in reported, f"{name} reported twice"
        assert name in {safe_name(p.name) for p in folder.iterdir()}, line
        reported[name] = line
    return reported


def test_every_pydicom_test_file_is_imported_or_reported_in_one_line(testdata):
    case = make_case()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:  # README.txt and friends fail
        call_command("import_dicom", str(testdata), "--case", case.number, stdout=out, stderr=err)
    output = out.getvalue() + err.getvalue() + str(raised.value)
    assert "Traceback" not in output
    reported = _check_lines(err.getvalue(), testdata)
    files = list(UploadFile.objects.filter(upload__case=case))
    assert len(files) == len(list(testdata.iterdir()))
    for f in files:
        if f.name in reported:
            assert f.error or f.state != "done"
        else:
            assert (f.state, f.error) == ("done", ""), f.name  # imported, nothing to say
    assert sum(f.state == "done" and f.instance_id is not None for f in files) > 50
    assert re.search(rf"{len(files)} file\(s\): \d+ DICOM stored", str(raised.value))


def test_a_separate_process_prints_no_traceback_either(testdata, tmp_path):
    """As an administrator runs it: its child processes write to the same terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LIGHTBOX_TASKS")}
    env.update(LIGHTBOX_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(REPO))

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    assert manage("migrate", "-v0").returncode == 0
    made = manage("shell", "-c", "from lightbox.test import make_case; print(make_case().number)")
    number = made.stdout.strip().splitlines()[-1]
    run = manage("import_dicom", str(testdata), "--case", number)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.returncode == 1  # some files failed, and it says so
    reported = _check_lines(run.stderr, testdata)
    summary = run.stderr.strip().splitlines()[-1]
    total = len(list(testdata.iterdir()))
    assert summary.startswith(f"CommandError: {total} file(s): ")
    found = re.findall(r"(\d+) (DICOM stored|picture\(s\) stored|skipped|failed)", summary)
    counts = {what: int(n) for n, what in found}
    assert counts["skipped"] + counts["failed"] <= len(reported)
    assert sum(counts.values()) == total
