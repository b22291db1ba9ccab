# Lightbox: `make run` to use it, `make test` to test it. Both set up everything first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# pyenv selects 3.13.0 from .python-version; any python3 >= 3.12 will do.
PYTHON3 ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint format bench setup viewer clean-venv

# The image viewer (frontend/): Cornerstone3D bundled by Vite; needs Node.js 20.19+ and npm.
VIEWER_JS := frontend/dist/viewer.js
VIEWER_DEPS := frontend/node_modules/.package-lock.json

$(VIEWER_DEPS): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "The image viewer needs Node.js 20.19+ and npm"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VIEWER_JS): $(VIEWER_DEPS) frontend/vite.config.js $(wildcard frontend/src/*)
	cd frontend && npm run build --silent
	@touch $@

viewer: $(VIEWER_JS)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON3) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Lightbox needs Python 3.12+ (3.13 recommended): found " + sys.version.split()[0] + ". Install it (pyenv install 3.13.0) or run: make PYTHON3=/path/to/python3.13")'
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

setup: $(VENV)/.installed

run: setup viewer
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo --if-empty
	$(PY) manage.py ensure_admin --url http://$(HOST):$(PORT)/
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

# The whole suite on SQLite and local files, then again on PostgreSQL when
# LIGHTBOX_TEST_DATABASE_URL is set, as a scaled-out install runs: stored files in S3 (a
# moto server the tests start on loopback) and tasks through Redis
# (LIGHTBOX_TEST_REDIS_URL, database 1 and up). Under CI=true PostgreSQL, Redis and
# Chromium are required and a skipped test fails.
# Each pass is shared out among pytest-xdist workers, one per CPU (TEST_WORKERS=0: none,
# all in one process); worksteal lets a worker that runs out take tests from the other,
# so a few long tests at the end do not leave a CPU idle.
TEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal
test: setup viewer
	@if [ "$$CI" = "true" ]; then \
	  test -n "$$LIGHTBOX_TEST_DATABASE_URL" || { echo "CI=true needs LIGHTBOX_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)"; exit 1; }; \
	  test -x /usr/bin/chromium || { echo "CI=true needs Chromium: apt-get install -y chromium"; exit 1; }; \
	fi
	$(PYTEST) $(PYTEST_ARGS)
	@if [ -n "$$LIGHTBOX_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL ($$LIGHTBOX_TEST_DATABASE_URL), files in S3 (moto), tasks through Redis"; \
	  LIGHTBOX_TEST_DB=postgres LIGHTBOX_TEST_STORAGE=s3 LIGHTBOX_TEST_TASKS=redis $(PYTEST) -m "not browser" $(PYTEST_ARGS); \
	else echo "(LIGHTBOX_TEST_DATABASE_URL not set: PostgreSQL pass skipped)"; fi

lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: setup viewer
	$(PY) bench/case_page.py
	$(PY) bench/ingest.py
	$(PY) bench/dicom_receive.py
	$(PY) bench/legacy_import.py
	$(PY) bench/hostile_text.py
	$(PY) bench/conference.py
	$(PY) bench/grading.py

clean-venv:
	rm -rf $(VENV)
