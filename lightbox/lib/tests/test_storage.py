import os
import time

import pytest
from django.core.files.base import ContentFile

from lightbox.lib.storage import AtomicFileSystemStorage, sweep_partial_files


class Exploding(ContentFile):
    """Content whose second chunk fails, as a full disk or a kill would."""

    def chunks(self, chunk_size=None):
        yield b"first part"
        raise OSError(28, "No space left on device")


def test_it_saves_whole_files(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    name = storage.save("cases/bs001/a.png", ContentFile(b"png bytes"))
    assert name == "cases/bs001/a.png"
    assert (tmp_path / name).read_bytes() == b"png bytes"
    assert list((tmp_path / "cases/bs001").iterdir()) == [tmp_path / name]


def test_it_never_overwrites_an_existing_file(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    first = storage.save("a.dcm", ContentFile(b"one"))
    second = storage.save("a.dcm", ContentFile(b"two"))
    assert first != second
    assert storage.open(first).read() == b"one"
    assert storage.open(second).read() == b"two"


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    storage = AtomicFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError, match="No space left"):
        storage.save("cases/bs001/big.dcm", Exploding(b""))
    assert not storage.exists("cases/bs001/big.dcm")
    assert list((tmp_path / "cases/bs001").iterdir()) == []


def test_the_sweep_removes_only_old_partial_files(tmp_path):
    old = tmp_path / "x" / ".partial-abc.part"
    new = tmp_path / "x" / ".partial-def.part"
    keep = tmp_path / "x" / "real.dcm"
    old.parent.mkdir()
    for path in (old, new, keep):
        path.write_bytes(b"...")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    os.utime(keep, (an_hour_ago, an_hour_ago))
    assert sweep_partial_files(tmp_path) == 1
    assert not old.exists()
    assert new.exists()
    assert keep.exists()


@pytest.mark.local_storage
def test_it_is_the_default_storage(settings):
    from django.core.files.storage import default_storage

    assert isinstance(default_storage, AtomicFileSystemStorage)


def test_lightbox_storage_s3_makes_both_stored_file_storages_buckets(monkeypatch):
    """settings.py reads LIGHTBOX_STORAGE and the LIGHTBOX_S3_* variables at import."""
    import importlib

    import lightbox.settings

    monkeypatch.setenv("LIGHTBOX_STORAGE", "s3")
    monkeypatch.setenv("LIGHTBOX_S3_BUCKET", "teaching")
    monkeypatch.setenv("LIGHTBOX_S3_PREFIX", "/lightbox/")
    fresh = importlib.reload(lightbox.settings)
    try:
        assert fresh.STORAGES["default"]["BACKEND"] == "lightbox.lib.s3.S3MediaStorage"
        assert fresh.STORAGES["default"]["OPTIONS"]["bucket_name"] == "teaching"
        assert fresh.STORAGES["default"]["OPTIONS"]["location"] == "lightbox"
        assert fresh.STORAGES["derived"]["OPTIONS"]["file_overwrite"] is True
        monkeypatch.setenv("LIGHTBOX_STORAGE", "ftp")
        with pytest.raises(ValueError, match="LIGHTBOX_STORAGE='ftp': expected local or s3"):
            importlib.reload(lightbox.settings)
    finally:
        monkeypatch.undo()
        importlib.reload(lightbox.settings)


def test_a_batch_fsyncs_each_file_and_directory_once_when_it_ends(tmp_path, monkeypatch):
    import lightbox.lib.storage as module

    fsynced = []
    monkeypatch.setattr(module, "fsync_path", fsynced.append)
    storage = AtomicFileSystemStorage(location=tmp_path)
    with storage.batch():
        names = [storage.save(f"s/{i}.dcm", ContentFile(b"x")) for i in range(3)]
        assert fsynced == []
    expected = [str(tmp_path / "s" / f"{i}.dcm") for i in range(3)] + [str(tmp_path / "s")]
    assert sorted(fsynced) == sorted(expected)
    assert all(storage.exists(n) for n in names)


def test_a_synced_staged_file_costs_only_its_directory(tmp_path, monkeypatch):
    import lightbox.lib.storage as module
    from lightbox.lib.storage import StagedFile

    fsynced = []
    monkeypatch.setattr(module, "fsync_path", fsynced.append)
    storage = AtomicFileSystemStorage(location=tmp_path / "media")
    (tmp_path / "media").mkdir()
    staged = [tmp_path / "media" / f"staged{i}.dcm" for i in range(2)]
    for path in staged:
        path.write_bytes(b"dicom")
    with storage.batch():
        for path in staged:
            storage.save(f"s/{path.name}", StagedFile(str(path), synced=True))
    assert fsynced == [str(tmp_path / "media" / "s")]
    assert not any(path.exists() for path in staged)


def test_outside_a_batch_each_save_is_durable_at_once(tmp_path, monkeypatch):
    import lightbox.lib.storage as module

    fsynced = []
    monkeypatch.setattr(module, "fsync_path", fsynced.append)
    storage = AtomicFileSystemStorage(location=tmp_path)
    storage.save("s/a.dcm", ContentFile(b"x"))  # the file itself is fsynced while open
    assert fsynced == [str(tmp_path / "s")]


def test_a_staged_file_is_moved_into_place(tmp_path):
    from lightbox.lib.storage import StagedFile

    staged = tmp_path / "staging.dcm"
    staged.write_bytes(b"dicom")
    storage = AtomicFileSystemStorage(location=tmp_path / "media")
    (tmp_path / "media").mkdir()
    name = storage.save("x/y.dcm", StagedFile(str(staged)))
    assert storage.open(name).read() == b"dicom"
    assert not staged.exists()


def test_fsync_paths_tries_every_path_and_raises_the_first_error(tmp_path, monkeypatch):
    from lightbox.lib import storage as module

    tried = []

    def fsync(path):
        tried.append(path)
        if path.endswith("bad"):
            raise OSError(5, "Input/output error", path)

    monkeypatch.setattr(module, "fsync_path", fsync)
    paths = [str(tmp_path / name) for name in ("a", "bad", "c", "d")]
    with pytest.raises(OSError, match="Input/output error"):
        module.fsync_paths(paths)
    assert sorted(tried) == sorted(paths)
