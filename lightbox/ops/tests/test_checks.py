import os

from lightbox.ops.checks import check_codecs, check_data_dir


def test_every_dicom_codec_is_importable():
    assert check_codecs() == []


def test_a_writable_data_dir_passes(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    assert check_data_dir() == []


def test_an_unwritable_data_dir_is_reported(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tests run as root, who may write anywhere: answer as the permission check would for
    # an ordinary service user on a read-only directory.
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if path == tmp_path else real_access(path, mode)
    )
    errors = check_data_dir()
    assert [e.id for e in errors] == ["lightbox.E001"]
    assert str(tmp_path) in errors[0].msg
