"""`manage.py import_dicom PATH... --case NUMBER`."""

import io
import posixpath
import shutil
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pydicom.data import get_testdata_file

from lightbox.imaging.models import Instance
from lightbox.test import make_case, stored_names

pytestmark = pytest.mark.django_db


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_dicom", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_files_folders_and_zips(tmp_path):
    case = make_case()
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(get_testdata_file("CT_small.dcm", download=False), folder / "IM1")
    with zipfile.ZipFile(tmp_path / "mr.zip", "w") as z:
        z.write(get_testdata_file("MR_small.dcm", download=False), "series/IM2")
    out, _ = _run(folder, tmp_path / "mr.zip", "--case", case.number)
    assert "2 DICOM stored, 0 picture(s) stored, 0 skipped, 0 failed" in out
    assert Instance.objects.filter(series__study__case=case).count() == 2
    assert case.images.count() == 2


def test_a_bad_file_is_reported_and_the_exit_status_is_non_zero(tmp_path):
    case = make_case()
    good = tmp_path / "good.dcm"
    shutil.copy(get_testdata_file("CT_small.dcm", download=False), good)
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    err = io.StringIO()
    with pytest.raises(
        CommandError, match="1 DICOM stored, 0 picture.s. stored, 0 skipped, 1 failed"
    ):
        call_command("import_dicom", str(good), str(bad), "--case", case.number, stderr=err)
    assert "failed: notes.txt: not a DICOM file" in err.getvalue()


def test_an_unknown_case_or_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no case zz999"):
        _run(tmp_path, "--case", "zz999")
    case = make_case()
    with pytest.raises(CommandError, match="no such file or folder"):
        _run(Path(tmp_path) / "missing", "--case", case.number)


def test_a_stored_file_no_instance_points_at_is_swept(tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from lightbox.imaging.ingest import sweep_orphans

    case = make_case()
    shutil.copy(get_testdata_file("CT_small.dcm", download=False), tmp_path / "IM1")
    _run(tmp_path / "IM1", "--case", case.number)
    instance = Instance.objects.get()
    folder = posixpath.dirname(instance.file.name)
    orphan = default_storage.save(f"{folder}/killed-before-commit.dcm", ContentFile(b"x"))
    # Younger than an hour: it may be a batch still committing its rows.
    assert sweep_orphans() == 0
    assert default_storage.exists(orphan)
    assert sweep_orphans(older_than=0) == 1
    assert not default_storage.exists(orphan)
    assert stored_names("dicom") == [instance.file.name]


def test_a_dicomdir_study_folder_imports_its_images(tmp_path):
    """A CD-style study: a DICOMDIR index and the image files it lists."""
    import pydicom
    from pydicom.fileset import FileSet

    fileset = FileSet()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        fileset.add(pydicom.dcmread(get_testdata_file(name, download=False)))
    fileset.write(tmp_path / "cd")
    case = make_case()
    out, err = _run(tmp_path / "cd", "--case", case.number)
    # The DICOMDIR is an index: skipped, not an error. The images it lists are stored.
    assert "skipped: DICOMDIR: a DICOMDIR index" in err
    assert "2 DICOM stored, 0 picture(s) stored, 1 skipped, 0 failed" in out
    assert Instance.objects.filter(series__study__case=case).count() == 2
