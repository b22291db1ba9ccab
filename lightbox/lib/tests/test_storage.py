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


def test_it_is_the_default_storage(settings):
    from django.core.files.storage import default_storage

    assert isinstance(default_storage, AtomicFileSystemStorage)


def test_a_batch_makes_files_durable_together(tmp_path, monkeypatch):
    import lightbox.lib.storage as module

    synced = []
    monkeypatch.setattr(module, "_syncfs", lambda path: synced.append(path) or True)
    storage = AtomicFileSystemStorage(location=tmp_path)
    with storage.batch():
        names = [storage.save(f"s/{i}.dcm", ContentFile(b"x")) for i in range(3)]
        assert synced == []
    assert synced == [str(tmp_path)]
    assert all(storage.exists(n) for n in names)


def test_without_syncfs_a_batch_fsyncs_each_file_and_directory(tmp_path, monkeypatch):
    import lightbox.lib.storage as module

    fsynced = []
    monkeypatch.setattr(module, "_syncfs", lambda path: False)
    monkeypatch.setattr(module, "_fsync_path", fsynced.append)
    storage = AtomicFileSystemStorage(location=tmp_path)
    with storage.batch():
        storage.save("s/a.dcm", ContentFile(b"x"))
    assert sorted(fsynced) == sorted([str(tmp_path / "s" / "a.dcm"), str(tmp_path / "s")])


def test_syncfs_works_here(tmp_path):
    from lightbox.lib.storage import _syncfs

    assert _syncfs(str(tmp_path)) is True


def test_a_staged_file_is_moved_into_place(tmp_path):
    from lightbox.lib.storage import StagedFile

    staged = tmp_path / "staging.dcm"
    staged.write_bytes(b"dicom")
    storage = AtomicFileSystemStorage(location=tmp_path / "media")
    (tmp_path / "media").mkdir()
    name = storage.save("x/y.dcm", StagedFile(str(staged)))
    assert storage.open(name).read() == b"dicom"
    assert not staged.exists()
