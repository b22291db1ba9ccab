"""Lightbox settings: everything comes from the environment, with defaults that run from a
fresh clone (SQLite and local files under one data directory).

Every variable is documented in docs/configuration.md (a test checks that).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from whitenoise.compress import Compressor

from lightbox.lib.env import envbool, envint, envlist, envmap, envstr, envweights

BASE_DIR = Path(__file__).resolve().parent.parent

# One directory holds everything an installation owns: the SQLite database, media, the
# generated secret key and collected static files. Back it up and you have backed up Lightbox.
DATA_DIR = Path(envstr("LIGHTBOX_DATA_DIR", str(BASE_DIR / "data"))).resolve()


def _secret(variable: str, filename: str) -> str:
    """The variable's value, or a secret generated once and kept in the data directory."""
    if key := os.environ.get(variable):
        return key
    path = DATA_DIR / filename
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


SECRET_KEY = _secret("LIGHTBOX_SECRET_KEY", "secret_key")
# Keys the de-identification: UIDs re-map and dates shift the same way for ever after, so
# it is kept apart from SECRET_KEY (which an administrator may rotate).
DEID_SECRET = _secret("LIGHTBOX_DEID_SECRET", "deid_secret")
DEBUG = envbool("LIGHTBOX_DEBUG", False)
ALLOWED_HOSTS = envlist("LIGHTBOX_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("LIGHTBOX_CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = envstr("LIGHTBOX_SITE_NAME", "Lightbox Teaching File")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    # django-ninja's templates and its copy of Swagger UI, served from our own static files:
    # without it the API docs page loads Swagger UI from a CDN, which the CSP (and a
    # hospital network without internet) blocks.
    "ninja",
    "lightbox.accounts",
    "lightbox.cases",
    "lightbox.imaging",
    "lightbox.interchange",
    "lightbox.api",
    "lightbox.ops",
    "lightbox.audit",
    "lightbox.comments",
    "lightbox.history",
    "lightbox.search",
    "lightbox.learning",
    "lightbox.conference",
]

MIDDLEWARE = [
    "lightbox.ops.metrics_middleware.RequestMetricsMiddleware",
    # A database that is down or locked: 503 with Retry-After, whichever layer met it
    # (this one for the middleware below; the view's half is listed last).
    "lightbox.ops.middleware.DatabaseUnavailableMiddleware",
    "lightbox.ops.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A bearer token signs an /api/ request in as its owner (lightbox/api/models.py).
    "lightbox.api.middleware.ApiTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Reads a form body before anything else does: Django's limits (too many files or
    # fields, too large) and a full disk become a clear answer, not a bare 400 or a 500.
    "lightbox.ops.middleware.RequestBodyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "lightbox.api.middleware.ApiErrorShapeMiddleware",
    "lightbox.ops.middleware.DatabaseUnavailableViewMiddleware",
]

ROOT_URLCONF = "lightbox.urls"
WSGI_APPLICATION = "lightbox.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lightbox.cases.context_processors.site",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL switches to PostgreSQL (postgres://user@host:5432/name).
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'lightbox.sqlite3'}"),
        conn_max_age=envint("LIGHTBOX_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the task worker run while a writer commits; busy_timeout waits
    # for a lock instead of failing with "database is locked"; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue rather than deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": envint("LIGHTBOX_SQLITE_BUSY_TIMEOUT", 20),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = None if not DEBUG else 0
    # Tests: a file, not Django's shared in-memory database, so that the browser tests'
    # server threads each have their own connection, as in production (two requests at
    # once, an autosave beside a preview, would otherwise share one connection).
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Background tasks (docs/deployment.md): "db" keeps the queue in the database, for the
# worker `serve` starts (django-tasks-db); "redis" keeps it in Redis, for several workers
# on several machines (django-tasks-rq on RQ); "immediate" runs each task at once, in the
# process that queues it. The same task code runs on all three.
TASKS_QUEUE = envstr("LIGHTBOX_TASKS", "db")
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "redis": "lightbox.ops.queue.RQBackend",  # django-tasks-rq's, making Django's tasks
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
if TASKS_QUEUE not in _TASK_BACKENDS:
    raise ValueError(f"LIGHTBOX_TASKS={TASKS_QUEUE!r}: expected one of db, redis, immediate")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_QUEUE], "QUEUES": ["default"]}}
REDIS_URL = envstr("LIGHTBOX_REDIS_URL", "redis://127.0.0.1:6379/0")
# django-rq's queues (read only when LIGHTBOX_TASKS=redis). No time limit on a task, as
# under db_worker: an upload may take as long as it has files, each file is held to
# LIGHTBOX_INGEST_SECONDS by the ingest pool, and a stuck owner loses its lease.
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": -1}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# E-mail (password resets, invitations, comment notices): printed to the console unless an
# SMTP host is set. Django 6.1's MAILERS, not the deprecated EMAIL_* settings.
_SMTP_HOST = envstr("LIGHTBOX_SMTP_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _SMTP_HOST,
                "port": envint("LIGHTBOX_SMTP_PORT", 587),
                "username": envstr("LIGHTBOX_SMTP_USER", ""),
                "password": envstr("LIGHTBOX_SMTP_PASSWORD", ""),
                "use_tls": envbool("LIGHTBOX_SMTP_TLS", True),
                "timeout": 20,
            },
        }
        if _SMTP_HOST
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = envstr("LIGHTBOX_FROM_EMAIL", "lightbox@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Failed sign-ins before an account (or an address) must wait.
LIGHTBOX_SIGNIN_MAX_FAILURES = envint("LIGHTBOX_SIGNIN_MAX_FAILURES", 5)
LIGHTBOX_SIGNIN_MAX_FAILURES_PER_IP = envint("LIGHTBOX_SIGNIN_MAX_FAILURES_PER_IP", 20)
LIGHTBOX_SIGNIN_WINDOW_MINUTES = envint("LIGHTBOX_SIGNIN_WINDOW_MINUTES", 15)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "lightbox-home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("LIGHTBOX_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The image viewer is built by `make` (npm + Vite) into frontend/dist, never committed.
STATICFILES_DIRS = [BASE_DIR / "static", ("viewer", BASE_DIR / "frontend" / "dist")]
# An image built with its static files collected (the Dockerfile) points this elsewhere.
STATIC_ROOT = Path(envstr("LIGHTBOX_STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
# Where de-identified DICOM, pictures and rendered frames are kept: "local" (files under
# MEDIA_ROOT) or "s3" (an S3-compatible bucket). Quarantine and staging stay on local disk.
STORAGE = envstr("LIGHTBOX_STORAGE", "local").strip().lower()
if STORAGE not in ("local", "s3"):
    raise ValueError(f"LIGHTBOX_STORAGE={STORAGE!r}: expected local or s3")
S3_OPTIONS = {
    "bucket_name": envstr("LIGHTBOX_S3_BUCKET", ""),
    # Unset: AWS itself; set for MinIO, Ceph, Garage, a cloud's S3-compatible service.
    "endpoint_url": envstr("LIGHTBOX_S3_ENDPOINT_URL", "") or None,
    "region_name": envstr("LIGHTBOX_S3_REGION", "") or None,
    # Unset: boto3's own search (AWS_* variables, ~/.aws, an instance role).
    "access_key": envstr("LIGHTBOX_S3_ACCESS_KEY_ID", "") or None,
    "secret_key": envstr("LIGHTBOX_S3_SECRET_ACCESS_KEY", "") or None,
    "location": envstr("LIGHTBOX_S3_PREFIX", "").strip("/"),
    "addressing_style": envstr("LIGHTBOX_S3_ADDRESSING_STYLE", "") or None,
}
STORAGES = {
    # Written to a temporary name, fsynced and linked into place: never a half file.
    "default": {"BACKEND": "lightbox.lib.storage.AtomicFileSystemStorage"},
    # Files made from others (rendered frames): atomic, but not fsynced one by one.
    "derived": {
        "BACKEND": "lightbox.lib.storage.AtomicFileSystemStorage",
        "OPTIONS": {"durable": False},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if STORAGE == "s3":
    # A PUT is all or nothing, so no half object is ever seen; rendered frames may be
    # written over (two requests rendering one frame write the same bytes).
    STORAGES["default"] = {"BACKEND": "lightbox.lib.s3.S3MediaStorage", "OPTIONS": S3_OPTIONS}
    STORAGES["derived"] = {
        "BACKEND": "lightbox.lib.s3.S3MediaStorage",
        "OPTIONS": {**S3_OPTIONS, "file_overwrite": True},
    }
WHITENOISE_USE_FINDERS = DEBUG
# Source maps are fetched only by a browser's developer tools: served as they are, they
# spare collectstatic a third of its work (Brotli at its slowest, best setting).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Uploaded media are served by Lightbox itself (after an access check), never as a static
# directory, so that a private case's images are as private as its text.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("LIGHTBOX_MAX_REQUEST_BYTES", 10 * 1024 * 1024)

# Uploads: identified bytes only ever sit in the quarantine area, Django's temporary
# upload files included, and are wiped as soon as they are de-identified.
QUARANTINE_DIR = DATA_DIR / "quarantine"
# De-identified files wait here between the worker's child process and storage.
STAGING_DIR = DATA_DIR / "media" / ".staging"
FILE_UPLOAD_TEMP_DIR = str(QUARANTINE_DIR / "incoming")
# Django's temporary upload files are tracked per request, so that a request that fails
# half-way (a full disk, a client gone) removes them at once.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "lightbox.ops.middleware.QuarantineUploadHandler",
]
# The whole of one upload, however many requests it arrives in.
MAX_UPLOAD_BYTES = envint("LIGHTBOX_MAX_UPLOAD_MB", 2048) * 1024 * 1024
# One request carries at most this many files: a larger folder is sent as one upload in
# several parts (the upload page does it; the API has open uploads, see docs/api.md).
DATA_UPLOAD_MAX_NUMBER_FILES = envint("LIGHTBOX_MAX_FILES_PER_REQUEST", 200)
# The upload page also keeps each part near this size, so that no request runs long.
UPLOAD_PART_BYTES = envint("LIGHTBOX_UPLOAD_PART_MB", 64) * 1024 * 1024
# An open upload that receives nothing for this long, and is not finished, is cancelled.
UPLOAD_OPEN_MINUTES = envint("LIGHTBOX_UPLOAD_OPEN_MINUTES", 60)
# The names files were uploaded under may name a patient: they are shown to the uploader
# while it matters (which file failed), then forgotten this many days after the upload.
UPLOAD_NAMES_DAYS = envint("LIGHTBOX_UPLOAD_NAMES_DAYS", 7)
# Zips: how deep zips inside zips are opened, and what one upload may expand to at all
# levels together (see Upload.expansion_budget).
MAX_ZIP_DEPTH = envint("LIGHTBOX_MAX_ZIP_DEPTH", 3)
MAX_EXPANSION_RATIO = envint("LIGHTBOX_MAX_EXPANSION_RATIO", 200)
MAX_EXPANDED_BYTES = (
    envint("LIGHTBOX_MAX_EXPANDED_MB", 4 * MAX_UPLOAD_BYTES // (1024 * 1024)) * 1024 * 1024
)
INGEST_WORKERS = envint("LIGHTBOX_INGEST_WORKERS", 2)
INGEST_MEMORY_MB = envint("LIGHTBOX_INGEST_MEMORY_MB", 4096)
INGEST_SECONDS = envint("LIGHTBOX_INGEST_SECONDS", 120)

# Studies from a PACS over DICOM: `manage.py dicom_receiver`, which `serve` starts when a
# port is set (see docs/interchange.md). The calling AE titles allowed (empty: any), and
# which author's draft a calling AE's studies become (others wait in the inbox).
DICOM_PORT = envint("LIGHTBOX_DICOM_PORT", 0)
DICOM_HOST = envstr("LIGHTBOX_DICOM_HOST", "127.0.0.1")
DICOM_AE_TITLE = envstr("LIGHTBOX_DICOM_AE_TITLE", "LIGHTBOX")
DICOM_ALLOWED_AES = envlist("LIGHTBOX_DICOM_ALLOWED_AES", "")
DICOM_AE_AUTHORS = envmap("LIGHTBOX_DICOM_AE_AUTHORS")
# The case series (number prefix) received studies are numbered in until an author moves
# them, and how long a teaching-file manifest waits for the images it selects.
DICOM_CASE_SERIES = envstr("LIGHTBOX_DICOM_CASE_SERIES", "pacs")
DICOM_MANIFEST_MINUTES = envint("LIGHTBOX_DICOM_MANIFEST_MINUTES", 10)

# The web server (`manage.py serve`, see lightbox/asgi.py and docs/deployment.md): gunicorn
# processes, each reading requests on an event loop and running Django in a fixed set of
# threads once a request's body is all in.
WEB_WORKERS = envint("LIGHTBOX_WEB_WORKERS", 2)
WEB_THREADS = envint("LIGHTBOX_WEB_THREADS", 4)
# How long a client may fall silent in the middle of a request (between two pieces of
# an upload) before it is dropped; an upload that keeps sending may take as long as it
# needs. Also how long a web process may stop answering its arbiter before it is replaced.
REQUEST_TIMEOUT = envint("LIGHTBOX_REQUEST_TIMEOUT", 30)

# Security headers. A strict policy: no inline script or style anywhere in our templates,
# no eval; WebAssembly compilation only, for the viewer's image decoders.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # The viewer's decoders are WebAssembly, compiled in a same-origin worker.
    "script-src": [CSP.SELF, CSP.WASM_UNSAFE_EVAL],
    "worker-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Behind HTTPS (production): secure cookies, HSTS, redirect plain HTTP.
HTTPS = envbool("LIGHTBOX_HTTPS", False)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = envint("LIGHTBOX_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("LIGHTBOX_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("LIGHTBOX_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if envbool("LIGHTBOX_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not HTTPS or not envbool("LIGHTBOX_HSTS_PRELOAD", False):
    # Preloading is a promise to browsers vendors an administrator makes on purpose.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Health and metrics (lightbox/ops/readiness.py, lightbox/ops/metrics.py). /readyz fails
# when the oldest waiting task has waited longer than this, or when the data directory or
# the quarantine has less free space; its disk and storage probes are remembered this long.
READY_QUEUE_LAG_SECONDS = envint("LIGHTBOX_READY_QUEUE_LAG_SECONDS", 600)
READY_MIN_FREE_MB = envint("LIGHTBOX_READY_MIN_FREE_MB", 1024)
READY_CACHE_SECONDS = envint("LIGHTBOX_READY_CACHE_SECONDS", 5)
# /metrics is served to this machine only, unless a bearer token is set.
METRICS_TOKEN = envstr("LIGHTBOX_METRICS_TOKEN", "")
# Each web process writes its request counts here, and a scrape adds them all up
# (prometheus-client's multiprocess mode, chosen by this variable before it is imported).
METRICS_DIR = Path(envstr("LIGHTBOX_METRICS_DIR", str(DATA_DIR / "metrics"))).resolve()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LIGHTBOX_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Two lines a task (started, finished) buried the set-up's password under the
        # demo's few hundred: a failed task is still logged, as an ERROR. (The task
        # worker sets this level again: db_worker sets its own.)
        "django.tasks": {"level": envstr("LIGHTBOX_TASK_LOG_LEVEL", "WARNING")},
    },
}
TASK_LOG_LEVEL = envstr("LIGHTBOX_TASK_LOG_LEVEL", "WARNING")

# Lightbox's own knobs.
PAGE_SIZE = envint("LIGHTBOX_PAGE_SIZE", 24)
# Spaced repetition: at most this many due cases a day per reader (lightbox/learning).
LIGHTBOX_REVIEWS_PER_DAY = envint("LIGHTBOX_REVIEWS_PER_DAY", 20)
# A search or similar-cases query is stopped after this long (SQLite progress handler,
# PostgreSQL statement_timeout) and the reader is asked to narrow it.
LIGHTBOX_SEARCH_TIME_LIMIT_MS = envint("LIGHTBOX_SEARCH_TIME_LIMIT_MS", 500)
# On PostgreSQL, where each machine keeps its local SQLite copy of the full-text index
# (lightbox.search.mirror, docs/search.md); "off": searches read PostgreSQL's.
_mirror = envstr("LIGHTBOX_SEARCH_MIRROR", str(DATA_DIR / "search-mirror"))
SEARCH_MIRROR = None if _mirror.strip().lower() in ("off", "") else Path(_mirror).resolve()
# Overrides of lightbox.search.similar.WEIGHTS, e.g. {"semantic": 6, "lexical": 5}.
LIGHTBOX_SIMILAR_WEIGHTS = envweights("LIGHTBOX_SIMILAR_WEIGHTS")
