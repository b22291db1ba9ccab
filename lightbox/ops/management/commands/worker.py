"""python manage.py worker — the background task worker, ready before its first task.

Works the queue ``LIGHTBOX_TASKS`` names: django-tasks-db's ``db_worker`` for ``db``, an
RQ worker (django-tasks-rq's job class) for ``redis``. Either way three things are done
first, as every worker start must: what a crash interrupted is recovered (quarantine
wiped, unfinished uploads queued again, see :func:`lightbox.imaging.tasks.recover`), open
uploads nobody finished are cancelled (:func:`lightbox.imaging.uploads.sweep_abandoned`,
then again every minute while the worker runs, with uploaded names that are due
forgotten), and the limited processes that decode uploads are started, so the first
upload does not wait for them. Takes every option of ``db_worker``; under Redis,
``--queue-name``, ``--batch`` and ``--max-tasks`` mean the same there, and the worker is
named after its machine and process.

Several workers may run at once, on one machine or several (Redis, or PostgreSQL for
``db``): an upload is processed by one owner at a time (:mod:`lightbox.imaging.lease`),
whichever worker its task reaches.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorker
from django_tasks_rq import Job as RQJob
from redis.exceptions import RedisError
from rq import worker_registration
from rq.exceptions import InvalidJobOperation
from rq.queue import Queue as RQQueue
from rq.scheduler import RQScheduler
from rq.worker import SimpleWorker

from lightbox.imaging import ingest, tasks, uploads
from lightbox.imaging.models import Upload
from lightbox.lib import lifeline
from lightbox.ops import queue
from lightbox.ops.middleware import database_unavailable

if TYPE_CHECKING:
    from redis import Redis
    from rq.job import Job
    from rq.queue import Queue

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0
# How often the RQ worker moves deferred tasks that fell due into the queue, and looks
# whether Redis lost its tasks (see _Keeper).
SCHEDULE_SECONDS = 5
# Every this many of those, it looks for uploads left without a task (see _Keeper).
STRANDED_TICKS = 12
# How long a worker waits between two attempts to reach Redis or the database.
RECONNECT_SECONDS = 2.0


def _wait_for_database() -> None:
    """Return once the default database answers a query again."""
    while True:
        try:
            connection.close()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        except DatabaseError:
            time.sleep(RECONNECT_SECONDS)


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


@contextmanager
def _stop_cleanly() -> Iterator[None]:
    """Inside: a stop request (Ctrl-C, SIGTERM) exits at once and cleanly, with no
    traceback (while recovering, starting the pool, waiting for Redis)."""
    previous = {s: signal.signal(s, _exit) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Command(DbWorker):
    help = "Run the background task worker (recovers interrupted uploads first)."

    def configure_logging(self, verbosity: int) -> None:
        """db_worker's, except that each task's start and finish are logged at
        ``LIGHTBOX_TASK_LOG_LEVEL`` (a failed task is logged as an error whatever it
        is): at ``-v 1`` db_worker logs two lines a task, and a new install's demo made
        hundreds, under which set-up's password scrolled away."""
        super().configure_logging(verbosity)
        if verbosity == 1:
            logging.getLogger("django.tasks").setLevel(settings.TASK_LOG_LEVEL)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        if queue.backend() != "redis":
            super().add_arguments(parser)
            return
        # db_worker's options that mean something to an RQ worker.
        parser.add_argument(
            "--queue-name",
            default="default",
            help="the queues to work, separated by commas (default: default)",
        )
        parser.add_argument("--batch", action="store_true", help="stop once the queue is empty")
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="stop after running this many tasks"
        )
        parser.add_argument(
            "--reload",
            action=argparse.BooleanOptionalAction,
            default=False,
            help="accepted for db_worker's sake; an RQ worker never reloads",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        redis = queue.backend() == "redis"
        with _stop_cleanly():
            if redis:
                self._wait_for_redis()
            if recovered := tasks.recover():
                self.stdout.write(f"Re-queued {recovered} unfinished upload(s).")
            if abandoned := uploads.sweep_abandoned():
                self.stdout.write(f"Cancelled {abandoned} abandoned open upload(s).")
            uploads.forget_names()
            with lifeline.parent_of():  # its pool dies with it, even on kill -9 (main thread)
                ingest.warm_up()
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_until, args=(stop,), name="upload-sweeper", daemon=True
        )
        sweeper.start()
        try:
            if redis:
                self._work_redis(stop, **options)
            else:
                self._work_db(*args, **options)
        finally:
            stop.set()

    def _work_db(self, *args: Any, **options: Any) -> None:
        """db_worker until it stops; while the database is down (restarting, failing
        over, out of connections), wait for it and carry on, instead of exiting with
        db_worker's traceback and taking `serve`'s web server down with it. A task cut
        short is found again by recovery (uploads) or stays failed, as after a crash."""
        while True:
            try:
                super().handle(*args, **options)
                return
            except DatabaseError as e:
                if not database_unavailable(e):
                    raise
                detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                logger.warning("The database is unavailable (%s): waiting for it.", detail)
            with _stop_cleanly():
                _wait_for_database()
            logger.warning("The database answers again: back to work.")

    def _wait_for_redis(self) -> None:
        """Return once Redis answers; say so, once, while it does not."""
        connection = queue.redis_connection()
        said = False
        while True:
            try:
                connection.ping()
                return
            except RedisError as e:
                if not said:
                    where = queue.shown(settings.REDIS_URL)
                    self.stderr.write(f"Waiting for Redis at {where} ({e}) ...")
                    said = True
            time.sleep(RECONNECT_SECONDS)

    def _work_redis(
        self,
        stop: threading.Event,
        *,
        queue_name: str,
        batch: bool,
        max_tasks: int | None,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        """Work the Redis queues until asked to stop, through Redis going away: RQ's
        worker retries while it waits for a task and gives up in the middle of one; then
        this waits for Redis and starts another. Either way :class:`_Keeper` sees when
        Redis came back without the tasks it held and queues the unfinished uploads
        again."""
        from django_rq.queues import get_queues

        names = queue_name.split(",")
        level = "WARNING" if verbosity == 0 else "DEBUG" if verbosity >= 2 else "INFO"
        logging.getLogger("rq.worker").addFilter(_RedisOutage())
        keeper = _Keeper(queue.redis_connection(), names)
        try:
            keeper.mark()  # recover() has just queued whatever was unfinished
        except RedisError as e:
            # Redis went away since (a slow start): once it is back, check() finds the
            # mark missing and queues the unfinished uploads again, as after any loss.
            logger.warning("Redis went away: %s", e)
            with _stop_cleanly():
                self._wait_for_redis()
                keeper.check()
        thread = threading.Thread(target=keeper.run, args=(stop,), name="rq-keeper", daemon=True)
        thread.start()
        for attempt in itertools.count():
            queues = get_queues(*names, job_class=LightboxJob)
            keeper.worker = worker = LightboxWorker(
                queues,
                connection=queues[0].connection,
                job_class=LightboxJob,
                queue_class=type(queues[0]),
                # Unique among the workers of one Redis, and among this one's lives
                # (the last may not have signed off): said in RQ's logs and registry.
                name=f"{socket.gethostname()}.{os.getpid()}.{attempt}",
            )
            try:
                worker.work(burst=batch, max_jobs=max_tasks, logging_level=level)
            except RedisError as e:
                logger.warning("Redis went away: %s", e)  # registering or signing off
            if worker.stop_requested or batch or max_tasks is not None:
                return
            keeper.worker = None
            with _stop_cleanly():
                self._wait_for_redis()
                keeper.check()


class _RedisOutage(logging.Filter):
    """RQ's worker gives up on an error it did not expect, with a traceback in its log: a
    Redis gone away is expected (this command waits for it), so it is said in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RedisError):
            record.msg, record.args = f"{record.getMessage()} Redis went away: {error}", ()
            record.exc_info = record.exc_text = None
        return True


class _Keeper:
    """What the RQ worker needs beside its own loop, run by a thread every
    ``SCHEDULE_SECONDS``:

    - deferred tasks that fell due (an upload looked at again once its owner's lease runs
      out) are moved into their queues. RQ's own scheduler runs in a forked process that
      outlives a killed worker; this thread dies with it, and RQ's lock still lets one
      worker of all do it at a time;
    - a Redis that lost what it held (restarted without persistence, or flushed) is
      noticed by a key that every worker keeps there: the first worker to find it gone
      sets it again and queues the unfinished uploads once more, from the database (see
      :func:`lightbox.imaging.tasks.requeue_unfinished`), and each worker registers itself
      again, so that it is counted (:func:`lightbox.ops.queue.stats`);
    - every minute, uploads whose task was never queued (Redis away at that moment) are
      queued again once the queue is idle (:meth:`check_stranded`).
    """

    MARK = "lightbox:queue-kept"

    def __init__(self, connection: Redis, names: list[str]) -> None:
        self.connection, self.names = connection, names
        self.scheduler = RQScheduler(names, connection=connection, interval=SCHEDULE_SECONDS)
        self.worker: LightboxWorker | None = None

    def mark(self) -> None:
        self.connection.set(self.MARK, "1")

    def check(self) -> None:
        """If Redis lost its data since it was marked: queue the unfinished uploads again
        (one worker does), and register this worker again."""
        if self.connection.exists(self.MARK):
            return
        if self.connection.set(self.MARK, "1", nx=True):
            try:
                requeued = tasks.requeue_unfinished()
            finally:
                close_old_connections()
            logger.warning(
                "Redis lost the tasks it held: re-queued %d unfinished upload(s)", requeued
            )
        if self.worker is not None:
            worker_registration.register(self.worker)

    def check_stranded(self) -> None:
        """An upload's task can be lost without Redis losing its data: queueing it failed
        while Redis was away (see :class:`lightbox.ops.queue.RQBackend`). When no task
        is queued, running or deferred and yet uploads wait unfinished, their tasks were
        lost: queue them again."""
        for name in self.names:
            q = RQQueue(name, connection=self.connection)
            if q.count or q.started_job_registry.count or q.scheduled_job_registry.count:
                return
        unfinished = Upload.objects.filter(
            state__in=[Upload.State.QUEUED, Upload.State.PROCESSING]
        )
        try:
            if unfinished.exists() and (requeued := tasks.requeue_unfinished()):
                logger.warning("%d unfinished upload(s) had no task: queued again", requeued)
        finally:
            close_old_connections()

    def schedule(self) -> None:
        scheduler = self.scheduler
        if scheduler.should_reacquire_locks:
            scheduler.acquire_locks()
        if scheduler.acquired_locks:
            scheduler.heartbeat()
            scheduler.enqueue_scheduled_jobs()

    def run(self, stop: threading.Event) -> None:
        for tick in itertools.count(1):
            if stop.wait(SCHEDULE_SECONDS):
                break
            steps = [self.check, self.schedule]
            if tick % STRANDED_TICKS == 0:
                steps.append(self.check_stranded)
            for step in steps:
                try:
                    step()
                except RedisError as e:  # Redis away: the worker waits for it too
                    logger.warning("Redis does not answer: %s", e)
                    break
                except Exception:
                    logger.exception("keeping the Redis queue failed")
        with contextlib.suppress(RedisError):  # else the lock expires by itself
            self.scheduler.release_locks()


class LightboxJob(RQJob):
    """django-tasks-rq's job, whose callbacks read the task's record back from Redis when
    the task ends. A Redis restarted without persistence while the task ran has lost that
    record: the callbacks then raised, and the worker logged two tracebacks for a task
    whose work was done (or had failed, and was logged as such). Said in one line instead;
    RQ then writes the record again from what the worker holds."""

    def execute_success_callback(self, death_penalty_class: Any, result: Any) -> None:
        if self._record_kept():
            try:
                super().execute_success_callback(death_penalty_class, result)
            except InvalidJobOperation as e:  # lost just now
                self._record_lost(str(e))

    def execute_failure_callback(self, death_penalty_class: Any, *exc_info: Any) -> None:
        if self._record_kept():
            super().execute_failure_callback(death_penalty_class, *exc_info)

    def _record_kept(self) -> bool:
        try:
            if self.connection.exists(self.key):
                return True
        except RedisError:
            return True  # Redis away: RQ's worker says so, and waits for it
        self._record_lost("it is gone")
        return False

    def _record_lost(self, detail: str) -> None:
        logger.warning(
            "task %s (%s) ended, but Redis no longer holds its record (%s): "
            "Redis restarted without its data?",
            self.id,
            self.func_name,
            detail,
        )


class LightboxWorker(SimpleWorker):
    """RQ's worker that runs each task in its own process, as ``db_worker`` does: the
    ingest pool (started once, tied to this process's main thread) serves every upload,
    where RQ's default worker would fork a fresh process per task. While a task runs, a
    thread keeps the worker's and the task's heartbeats, which RQ's forking worker does
    from its parent: without them a long upload would look abandoned to the others."""

    stop_requested = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        # The first Ctrl-C or SIGTERM: finish the task at hand, then stop (a second one
        # stops at once; recovery takes the upload up again at the next start).
        self.stop_requested = True
        super().request_stop(signum, frame)

    def subscribe(self) -> None:
        """No command channel. RQ's listens in a thread that reads with a minute's
        timeout, and closing it waits for that read: every stop took a minute. Lightbox
        stops its workers with signals, never with RQ's commands."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        done = threading.Event()
        beater = threading.Thread(
            target=_beat_until, args=(done, self, job), name="rq-heartbeat", daemon=True
        )
        beater.start()
        try:
            super().execute_job(job, queue)
        finally:
            done.set()
            beater.join()
            close_old_connections()


def _beat_until(done: threading.Event, worker: Any, job: Job) -> None:
    while not done.wait(worker.job_monitoring_interval):
        try:
            worker.maintain_heartbeats(job)
        except RedisError as e:
            logger.warning("could not refresh the worker's heartbeat: %s", e)


def _sweep_until(stop: threading.Event) -> None:
    """Every minute until ``stop`` is set: cancel abandoned open uploads and forget the
    uploaded names that are due (see :func:`lightbox.imaging.uploads.forget_names`). A
    failed sweep is logged and tried again next time: it must never stop the worker."""
    _each(stop, SWEEP_SECONDS, _sweep, "sweeping uploads")


def _sweep() -> None:
    try:
        uploads.sweep_abandoned()
        uploads.forget_names()
    finally:
        close_old_connections()


def _each(stop: threading.Event, seconds: float, work: Callable[[], None], what: str) -> None:
    """Call ``work`` every ``seconds`` until ``stop`` is set; log a failure and go on."""
    while not stop.wait(seconds):
        try:
            work()
        except Exception:
            logger.exception("%s failed", what)
