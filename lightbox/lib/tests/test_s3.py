"""The S3 storage (lightbox/lib/s3.py) against a real S3 endpoint: a moto server on loopback."""

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.files.base import ContentFile

from conftest import s3_storages
from lightbox.lib.s3 import READ_BUFFER, BucketUnreachable, S3MediaStorage, check_bucket
from lightbox.lib.storage import StagedFile

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def storage(s3_bucket):
    return S3MediaStorage(**s3_bucket)


def _client(options):
    return boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_it_stores_under_the_prefix_and_reads_back(storage, s3_bucket):
    name = storage.save("dicom/1/2/abc.dcm", ContentFile(b"DICM" * 1000))
    assert name == "dicom/1/2/abc.dcm"
    keys = [
        o["Key"]
        for o in _client(s3_bucket).list_objects_v2(Bucket=s3_bucket["bucket_name"])["Contents"]
    ]
    assert keys == [f"{s3_bucket['location']}/dicom/1/2/abc.dcm"]
    with storage.open(name) as f:
        assert f.size == 4000
        assert f.read() == b"DICM" * 1000
    assert storage.listdir("dicom/1") == (["2"], [])


def test_it_never_replaces_a_stored_name(storage):
    first = storage.save("x/a.png", ContentFile(b"first"))
    second = storage.save("x/a.png", ContentFile(b"second"))
    assert first == "x/a.png" and second != first
    assert storage.open(first).read() == b"first"
    assert storage.open(second).read() == b"second"


def test_a_read_streams_instead_of_downloading_the_whole_object(storage):
    data = os.urandom(8 * 1024 * 1024)
    name = storage.save("big.bin", ContentFile(data))
    with storage.open(name) as f:
        assert f.read(1000) == data[:1000]
        # Only what the buffer asked for has left the open GET, not 8 MB.
        assert f.file.raw._body_pos <= READ_BUFFER


def test_seeks_read_the_right_bytes(storage):
    data = os.urandom(3 * 1024 * 1024 + 17)
    name = storage.save("seek.bin", ContentFile(data))
    with storage.open(name) as f:
        for position, size in [
            (0, 10),
            (2_500_000, 4096),
            (100, 50),
            (3 * 1024 * 1024, 100),
            (5, 0),
        ]:
            f.seek(position)
            assert f.read(size) == data[position : position + size]
        f.seek(-7, io.SEEK_END)
        assert f.read() == data[-7:]
        assert f.read(10) == b""


def test_a_closed_file_opens_again(storage):
    name = storage.save("again.bin", ContentFile(b"0123456789"))
    f = storage.open(name)
    assert f.read(4) == b"0123"
    f.close()
    with f.open("rb"):
        assert f.read() == b"0123456789"


def test_an_object_replaced_while_read_is_an_error_not_a_mix(storage, s3_bucket):
    data = os.urandom(4 * 1024 * 1024)
    name = storage.save("changing.bin", ContentFile(data))
    with storage.open(name) as f:
        assert f.read(10) == data[:10]
        _client(s3_bucket).put_object(
            Bucket=s3_bucket["bucket_name"], Key=f"{s3_bucket['location']}/{name}", Body=b"other"
        )
        f.seek(3 * 1024 * 1024)  # far past the open GET: the next read needs a new one
        with pytest.raises(OSError, match="changed while it was being read"):
            f.read(10)


def test_opening_a_missing_object_is_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("nothing/here.dcm")
    assert not storage.exists("nothing/here.dcm")


def test_a_staged_file_is_handed_over(storage, tmp_path):
    staged = tmp_path / "staged.dcm"
    staged.write_bytes(b"deidentified")
    name = storage.save("dicom/9/9/staged.dcm", StagedFile(str(staged), synced=True))
    assert storage.open(name).read() == b"deidentified"
    assert not staged.exists()


def test_it_has_no_local_path(storage):
    with pytest.raises(NotImplementedError):
        storage.path("a.dcm")


def test_check_bucket_names_a_missing_bucket(s3_bucket):
    with pytest.raises(BucketUnreachable, match="'no-such-bucket' at .* does not exist"):
        check_bucket(S3MediaStorage(**{**s3_bucket, "bucket_name": "no-such-bucket"}))


def test_check_bucket_names_an_unreachable_endpoint(s3_bucket):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    dead = {**s3_bucket, "endpoint_url": f"http://127.0.0.1:{port}"}
    with pytest.raises(BucketUnreachable, match="cannot be reached"):
        check_bucket(S3MediaStorage(**dead))
    check_bucket(S3MediaStorage(**s3_bucket))  # the real one is fine


def test_manage_py_check_reports_a_missing_bucket_without_a_traceback(s3_bucket, tmp_path):
    env = {
        **os.environ,
        "LIGHTBOX_DATA_DIR": str(tmp_path),
        "LIGHTBOX_STORAGE": "s3",
        "LIGHTBOX_S3_BUCKET": "missing-bucket",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "lightbox.E301" in result.stderr
    assert "'missing-bucket'" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_system_check_passes_with_the_bucket_and_fails_without(s3_bucket, settings):
    from lightbox.imaging.checks import check_bucket_reachable

    settings.STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, **s3_storages(s3_bucket)}
    assert check_bucket_reachable() == []
    settings.STORAGES = {**settings.STORAGES, **s3_storages({**s3_bucket, "bucket_name": "gone"})}
    [error] = check_bucket_reachable()
    assert error.id == "lightbox.E301" and "'gone'" in error.msg and "does not exist" in error.msg


def test_a_batch_uploads_together_and_leaves_only_when_all_are_stored(storage, tmp_path):
    staged = []
    for n in range(20):
        path = tmp_path / f"{n}.dcm"
        path.write_bytes(f"slice {n}".encode() * 100)
        staged.append(path)
    with storage.batch():
        names = [storage.save(f"dicom/1/1/{p.name}", StagedFile(str(p))) for p in staged]
        names.append(storage.save("dicom/1/1/0.dcm", ContentFile(b"same name, other bytes")))
    assert len(set(names)) == 21  # a name taken in the batch is taken
    for n, name in enumerate(names[:20]):
        assert storage.open(name).read() == f"slice {n}".encode() * 100
    assert storage.open(names[20]).read() == b"same name, other bytes"
    assert not any(p.exists() for p in staged)  # handed over


def test_a_failed_upload_in_a_batch_raises_when_the_batch_ends(s3_bucket):
    gone = S3MediaStorage(**{**s3_bucket, "bucket_name": "bucket-that-is-not-there"})
    with pytest.raises(ClientError, match="NoSuchBucket"), gone.batch():
        gone.save("a.png", ContentFile(b"x"))


def test_another_threads_save_is_not_part_of_a_batch(storage):
    stored_at_once = []

    def other() -> None:
        name = storage.save("other.png", ContentFile(b"other"))
        stored_at_once.append(storage.exists(name) and storage.open(name).read() == b"other")

    with storage.batch():
        storage.save("mine.png", ContentFile(b"mine"))
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert stored_at_once == [True]


def _ensure_bucket(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "ensure_bucket"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ensure_bucket_creates_a_missing_bucket_once_and_says_what_is_wrong(s3_bucket, tmp_path):
    """compose.yaml's init runs it at every start: the first makes the bucket, the next
    find it; a dead endpoint is one line and status 1, never a traceback."""
    env = {
        **os.environ,
        "LIGHTBOX_DATA_DIR": str(tmp_path),
        "LIGHTBOX_STORAGE": "s3",
        "LIGHTBOX_S3_BUCKET": "made-by-ensure-bucket",
    }
    env.pop("DATABASE_URL", None)
    client = _client(s3_bucket)
    try:
        made = _ensure_bucket(env)
        assert made.returncode == 0, made.stderr
        assert "'made-by-ensure-bucket' created" in made.stdout
        client.head_bucket(Bucket="made-by-ensure-bucket")
        again = _ensure_bucket(env)
        assert again.returncode == 0 and "is there" in again.stdout, again.stderr
    finally:
        client.delete_bucket(Bucket="made-by-ensure-bucket")
    dead = _ensure_bucket({**env, "LIGHTBOX_S3_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert dead.returncode == 1
    assert "cannot be reached" in dead.stderr and "Traceback" not in dead.stderr
