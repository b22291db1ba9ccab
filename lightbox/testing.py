"""Loaded by pytest as a plugin (``-p lightbox.testing``) before Django reads its settings,
so that no test ever touches the developer's data directory, database or Redis.

`make test` runs the suite twice: on SQLite, then with LIGHTBOX_TEST_DB=postgres on the
database LIGHTBOX_TEST_DATABASE_URL names. A developer's own DATABASE_URL is never used.

Tasks run at once, in the process that queues them: through Django's immediate backend,
or with LIGHTBOX_TEST_TASKS=redis through django-tasks-rq on the real Redis, in RQ's
synchronous mode (the same code path as production up to the worker, and results at
once). Each pytest-xdist worker then has a Redis database of its own (see
`redis_url_of_this_worker`).
"""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

DATA_DIR = tempfile.mkdtemp(prefix="lightbox-test-")
os.makedirs(os.path.join(DATA_DIR, "static"))  # WhiteNoise expects STATIC_ROOT to exist
atexit.register(shutil.rmtree, DATA_DIR, ignore_errors=True)
os.environ["LIGHTBOX_DATA_DIR"] = DATA_DIR
os.environ.setdefault("LIGHTBOX_SECRET_KEY", "test-only-secret-key-" + "x" * 40)
if os.environ.get("LIGHTBOX_TEST_DB") == "postgres":
    os.environ["DATABASE_URL"] = os.environ["LIGHTBOX_TEST_DATABASE_URL"]
else:
    os.environ.pop("DATABASE_URL", None)

REDIS_TASKS = os.environ.get("LIGHTBOX_TEST_TASKS", "immediate") == "redis"
if os.environ.get("LIGHTBOX_TEST_TASKS", "immediate") not in ("immediate", "redis"):
    raise pytest.UsageError("LIGHTBOX_TEST_TASKS must be immediate (the default) or redis")


def redis_url_of_this_worker() -> str:
    """This test worker's own Redis database: LIGHTBOX_TEST_REDIS_URL's for the first
    pytest-xdist worker (gw0, or no xdist), the next database for gw1, and so on. Tests
    empty it as they please; nothing else may use it."""
    base = urlsplit(os.environ.get("LIGHTBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/1"))
    first = int(base.path.strip("/") or 0)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    if first + worker > 15:
        raise pytest.UsageError(
            f"test worker gw{worker} would need Redis database {first + worker}: Redis has "
            "16 (0-15). Run fewer test workers or start LIGHTBOX_TEST_REDIS_URL lower."
        )
    return urlunsplit(base._replace(path=f"/{first + worker}"))


os.environ["LIGHTBOX_TASKS"] = "redis" if REDIS_TASKS else "immediate"
if REDIS_TASKS:
    os.environ["LIGHTBOX_REDIS_URL"] = redis_url_of_this_worker()


def pytest_configure(config: pytest.Config) -> None:
    if not REDIS_TASKS:
        return
    from django.conf import settings
    from redis import Redis
    from redis.exceptions import RedisError

    # RQ's synchronous mode: a queued task runs at once in the process that queues it,
    # stored in Redis as a worker would leave it.
    for queue in settings.RQ_QUEUES.values():
        queue["ASYNC"] = False
    try:
        # What an earlier run left (failed tasks are kept for a year).
        Redis.from_url(redis_url_of_this_worker()).flushdb()
    except RedisError as e:
        raise pytest.UsageError(
            f"LIGHTBOX_TEST_TASKS=redis: {redis_url_of_this_worker()}: {e}"
        ) from e


@pytest.fixture
def redis_url() -> Iterator[str]:
    """This test worker's Redis database (`redis_url_of_this_worker`), emptied before and after:
    for the tests that talk to Redis themselves, in either pass."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = redis_url_of_this_worker()
    client = Redis.from_url(url)
    try:
        client.ping()
    except RedisError as e:
        pytest.skip(f"no Redis at {url} ({e}): apt-get install redis-server")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
