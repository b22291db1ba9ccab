"""Stored files in an S3-compatible bucket (``LIGHTBOX_STORAGE=s3``), through django-storages.

django-storages' ``S3Storage`` does the writing (a PUT, or a multipart upload for large
files). What it does not do the way Lightbox needs is reading: its ``S3File`` downloads
the whole object before the first byte is read, so serving a 500 MB multi-frame file
would wait for all of it. Here a file opened for reading streams: a GET from where the
reader is, read only as far as the reader goes, so a download starts at once and holds a
constant amount of memory. A reader that seeks (pydicom) gets a new ranged GET only when
it leaves what is buffered.

Objects are private (no ACL is set; the bucket's own policy applies): media are served by
Lightbox after its access checks, never by bucket URLs. A name is never replaced, as on
local disk: a save under a taken name gets another name.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.core.files.base import ContentFile
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from lightbox.lib.storage import StagedFile

__all__ = [
    "BucketMissing",
    "BucketUnreachable",
    "ObjectReader",
    "S3MediaStorage",
    "check_bucket",
    "create_bucket",
]

# What a reader buffers: pydicom's small seeks back stay inside it, so they cost no GET.
READ_BUFFER = 256 * 1024
# Uploads at once in a batch (see S3MediaStorage.batch): requests waiting on the network.
UPLOAD_THREADS = 16
# A forward seek within this many bytes reads on in the open GET instead of starting one.
SKIP_LIMIT = 1024 * 1024


# See S3MediaStorage._create_session and .connection.
_SESSIONS: dict[tuple[object, ...], boto3.Session] = {}
_SESSION_LOCK = threading.RLock()
_THREAD = threading.local()


_UPLOADER: ThreadPoolExecutor | None = None
_UPLOADER_LOCK = threading.Lock()


def _uploader() -> ThreadPoolExecutor:
    """The process's upload threads, shared by every storage and batch."""
    global _UPLOADER
    with _UPLOADER_LOCK:
        if _UPLOADER is None:
            _UPLOADER = ThreadPoolExecutor(UPLOAD_THREADS, thread_name_prefix="s3-upload")
        return _UPLOADER


class BucketUnreachable(Exception):
    """The bucket is missing, or the endpoint or credentials are wrong (the message says
    which, in one line)."""


class BucketMissing(BucketUnreachable):
    """The endpoint answers, and the bucket is not there (``manage.py ensure_bucket``
    makes it)."""


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


class ObjectReader(io.RawIOBase):
    """One S3 object as a seekable, read-only raw stream.

    Seeking only moves the position; the next read opens a GET from there (``Range``),
    which stays open for the reads that follow. ``If-Match`` pins every GET to the
    version measured at open, so a reader never mixes two versions of an object.
    """

    def __init__(self, client: Any, bucket: str, key: str, size: int, etag: str) -> None:
        super().__init__()
        self._client, self._bucket, self._key = client, bucket, key
        self._size, self._etag = size, etag
        self._pos = 0
        self._body: Any = None
        self._body_pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        body = self._body_at(self._pos)
        data = body.read(len(buffer))
        if not data:
            self._drop_body()
            raise OSError(f"{self._key}: the object ended at {self._pos} of {self._size} bytes")
        n = len(data)
        memoryview(buffer)[:n] = data
        self._pos += n
        self._body_pos += n
        return n

    def _body_at(self, pos: int) -> Any:
        if self._body is not None and self._body_pos != pos:
            gap = pos - self._body_pos
            if 0 < gap <= SKIP_LIMIT:
                while gap and (skipped := len(self._body.read(min(gap, READ_BUFFER)))):
                    gap -= skipped
                    self._body_pos += skipped
            if self._body_pos != pos:
                self._drop_body()
        if self._body is None:
            try:
                response = self._client.get_object(
                    Bucket=self._bucket, Key=self._key, Range=f"bytes={pos}-", IfMatch=self._etag
                )
            except ClientError as e:
                if _status(e) == 412:
                    raise OSError(f"{self._key} changed while it was being read") from None
                raise
            self._body, self._body_pos = response["Body"], pos
        return self._body

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


class _ReadFile(File):  # type: ignore[type-arg]
    """A stored object opened for reading: streams (see :class:`ObjectReader`), knows its
    size without reading, and can be opened again after it was closed (as Django's
    ``FieldFile.open`` does with a file it has already handed out)."""

    def __init__(self, storage: S3MediaStorage, name: str) -> None:
        self._storage = storage
        reader = storage.reader(name)
        super().__init__(reader, name=name)
        self._size = reader.seek(0, io.SEEK_END)  # known from the HEAD: no GET
        reader.seek(0)

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> _ReadFile:
        if mode and "r" not in mode:
            raise ValueError(
                f"{self.name} was opened for reading; it cannot be reopened as {mode}"
            )
        if self.closed:
            self.file = self._storage.reader(self.name or "")
        else:
            self.seek(0)
        return self


class S3MediaStorage(S3Storage):  # type: ignore[misc]
    """django-storages' S3 storage with Lightbox's contract: streamed reads, private
    objects, names never replaced (unless ``file_overwrite`` is asked for, as the frame
    cache does: its files are made again from others), and :meth:`batch` like
    :class:`~lightbox.lib.storage.AtomicFileSystemStorage`'s.
    """

    def __init__(self, **options: Any) -> None:
        options.setdefault("file_overwrite", False)
        options.setdefault("default_acl", None)
        options.setdefault("querystring_auth", True)
        # Only for what django-storages still buffers (a file opened for writing).
        options.setdefault("max_memory_size", 8 * 1024 * 1024)
        super().__init__(**options)
        # This thread's open batch (another thread's batch is none of its business).
        self._batch = threading.local()

    def _create_session(self) -> boto3.Session:
        """One session per set of credentials for the whole process: a new session loads
        botocore's S3 model again (about half a second, and tens of megabytes), and Django
        makes a storage object anew whenever its settings change."""
        key = (self.session_profile, self.access_key, self.secret_key, self.security_token)
        with _SESSION_LOCK:
            session = _SESSIONS.get(key)
            if session is None:
                session = _SESSIONS[key] = super()._create_session()
            return session

    @property
    def connection(self) -> Any:
        """This thread's boto3 S3 resource for these settings, kept for the thread's life
        across storage objects (one costs ~25 ms to make even from a warm session)."""
        key = (
            self.session_profile,
            self.access_key,
            self.secret_key,
            self.security_token,
            self.endpoint_url,
            self.region_name,
            self.use_ssl,
            self.verify,
            self.addressing_style,
            self.signature_version,
            repr(self.proxies),
        )
        resources = getattr(_THREAD, "resources", None)
        if resources is None:
            resources = _THREAD.resources = {}
        resource = resources.get(key)
        if resource is None:
            session = self._create_session()
            # A session is not thread-safe: threads make their resources one at a time.
            with _SESSION_LOCK:
                resource = session.resource(
                    "s3",
                    region_name=self.region_name,
                    use_ssl=self.use_ssl,
                    endpoint_url=self.endpoint_url,
                    config=self.client_config,
                    verify=self.verify,
                )
            resources[key] = resource
        return resource

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Upload the files saved in the block together, by a pool of threads, and leave
        the block only when every one is in the bucket (raising the first error then),
        as :class:`~lightbox.lib.storage.AtomicFileSystemStorage` makes them durable
        together: commit the rows that point at them after the block.

        A file is uploaded one after another with the request's latency each; together,
        a series goes up in the time of a few. Each name is still checked free as it is
        saved (against the bucket and the block's own names), so a name the block returns
        is not another file's. Only contents that
        nothing else closes or changes meanwhile are deferred (a :class:`StagedFile`,
        bytes in memory); anything else is uploaded at once, as outside a block.
        """
        if getattr(self._batch, "uploads", None) is not None:  # nested: the outer waits
            yield
            return
        uploads: list[Future[str]] = []
        self._batch.uploads, self._batch.names = uploads, set()
        try:
            yield
        finally:
            self._batch.uploads = self._batch.names = None
            wait(uploads)  # none is left running behind a rollback's deletes
        for upload in uploads:
            upload.result()

    def reader(self, name: str) -> io.BufferedReader:
        """A buffered, streaming, seekable reader of the object called ``name``.

        Raises
        ------
        FileNotFoundError
            There is no such object.
        """
        key = self._normalize_name(name)
        client = self.connection.meta.client
        try:
            head = client.head_object(Bucket=self.bucket_name, Key=key)
        except ClientError as e:
            if _status(e) == 404:
                raise FileNotFoundError(f"File does not exist: {name}") from None
            raise
        raw = ObjectReader(client, self.bucket_name, key, head["ContentLength"], head["ETag"])
        return io.BufferedReader(raw, buffer_size=READ_BUFFER)

    def _open(self, name: str, mode: str = "rb") -> File:  # type: ignore[type-arg]
        if "w" in mode or "a" in mode or "+" in mode:
            return super()._open(name, mode)  # type: ignore[no-any-return]
        return _ReadFile(self, name)

    def _save(self, name: str, content: Any) -> str:
        uploads = getattr(self._batch, "uploads", None)
        if uploads is not None and isinstance(content, StagedFile | ContentFile):
            uploads.append(_uploader().submit(self._upload, name, content))
            saved: str = clean_name(name)
            self._batch.names.add(saved)
            return saved
        return self._upload(name, content)

    def exists(self, name: str) -> bool:
        """Also true of a name saved in this thread's batch and still being uploaded, so
        that two files of one batch never get one name."""
        names = getattr(self._batch, "names", None)
        return bool(names and clean_name(name) in names) or bool(super().exists(name))

    def _upload(self, name: str, content: Any) -> str:
        saved: str = super()._save(name, content)
        if isinstance(content, StagedFile):
            # Handed over, as local storage moves it: the bytes are in the bucket now.
            content.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(content.temporary_file_path())
        return saved

    def path(self, name: str) -> str:
        raise NotImplementedError("objects in a bucket have no local path")


def check_bucket(storage: S3MediaStorage) -> None:
    """Make sure the bucket is there and these credentials can use it (one HEAD).

    Raises
    ------
    BucketUnreachable
        With one line that says what is wrong.
    """
    where = f"bucket {storage.bucket_name!r}" + (
        f" at {storage.endpoint_url}" if storage.endpoint_url else ""
    )
    if not storage.bucket_name:
        raise BucketUnreachable("LIGHTBOX_S3_BUCKET is not set")
    # Its own client, quick to give up: a check must not wait minutes on a dead endpoint.
    session = storage._create_session()
    with _SESSION_LOCK:
        client = session.client(
            "s3",
            endpoint_url=storage.endpoint_url,
            region_name=storage.region_name,
            use_ssl=storage.use_ssl,
            verify=storage.verify,
            config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 1}),
        )
    try:
        client.head_bucket(Bucket=storage.bucket_name)
    except ClientError as e:
        status = _status(e)
        if status == 404:
            raise BucketMissing(f"{where} does not exist") from None
        if status in (401, 403):
            raise BucketUnreachable(f"{where} refuses these credentials ({status})") from None
        raise BucketUnreachable(f"{where} answered {status or e}") from None
    except BotoCoreError as e:
        raise BucketUnreachable(f"{where} cannot be reached: {e}") from None


def create_bucket(storage: S3MediaStorage) -> bool:
    """Create the storage's bucket, private, if it is not there; True when it was made.

    Lightbox never creates a bucket on its own (an administrator chooses where images
    live and who else may read them): this is ``manage.py ensure_bucket``, which a
    deployment runs on purpose (compose.yaml's ``init``).

    Raises
    ------
    BucketUnreachable
        The endpoint or the credentials are wrong, or the store refused to create it.
    """
    try:
        check_bucket(storage)
        return False
    except BucketMissing:
        pass
    client = storage.connection.meta.client
    region = storage.region_name
    # us-east-1 is the one region that takes no location constraint.
    where = {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        client.create_bucket(
            Bucket=storage.bucket_name, **(where if region and region != "us-east-1" else {})
        )
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("BucketAlreadyOwnedByYou",):
            return False
        raise BucketUnreachable(
            f"bucket {storage.bucket_name!r} could not be created: "
            f"{e.response.get('Error', {}).get('Message') or e}"
        ) from None
    except BotoCoreError as e:
        raise BucketUnreachable(
            f"bucket {storage.bucket_name!r} could not be created: {e}"
        ) from None
    check_bucket(storage)
    return True
