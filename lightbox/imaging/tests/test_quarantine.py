"""The quarantine copy: exact bytes in, the size limit held, nothing left on refusal."""

import io
import os

import pytest

from lightbox.imaging import quarantine

UPLOAD = "0f0e0d0c-0b0a-4908-8706-050403020100"


@pytest.fixture
def real_file(tmp_path):
    path = tmp_path / "slice.dcm"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return path


def test_a_real_file_is_copied_exactly(real_file):
    with real_file.open("rb") as source:
        relative, size = quarantine.write(UPLOAD, 0, source, limit=10 * 1024 * 1024)
    assert size == real_file.stat().st_size
    assert quarantine.path_of(relative).read_bytes() == real_file.read_bytes()


def test_a_stream_without_a_file_is_copied_exactly():
    data = os.urandom(2 * 1024 * 1024 + 5)
    relative, size = quarantine.write(UPLOAD, 1, io.BytesIO(data), limit=len(data))
    assert (size, quarantine.path_of(relative).read_bytes()) == (len(data), data)


@pytest.mark.parametrize("kind", ["file", "stream"])
def test_over_the_limit_is_refused_and_nothing_is_left(real_file, kind):
    source = real_file.open("rb") if kind == "file" else io.BytesIO(real_file.read_bytes())
    with source, pytest.raises(ValueError, match="larger than 1,048,576 bytes"):
        quarantine.write(UPLOAD, 2, source, limit=1024 * 1024)
    assert not any(quarantine.root().joinpath(UPLOAD).iterdir())


def test_a_name_not_made_by_quarantine_is_refused():
    for name in ("../secret", f"{UPLOAD}/../../etc/passwd", "/etc/passwd", f"{UPLOAD}/1.bin"):
        with pytest.raises(ValueError, match="not a quarantined file name"):
            quarantine.path_of(name)
