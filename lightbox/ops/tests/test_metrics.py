"""GET /metrics: OpenMetrics for Prometheus, read back with prometheus-client's own parser;
served to this machine or to the token's bearer only; request counts add up across
processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from lightbox.ops import queue
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
OUTSIDER = {"REMOTE_ADDR": "203.0.113.7"}


def scrape(client, **extra) -> dict[str, dict[tuple, float]]:
    """name of each sample → {sorted labels: value}."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return samples


def requests_of(samples, route: str, status: str, method: str = "GET") -> float:
    key = (("method", method), ("route", route), ("status", status))
    return samples.get("lightbox_http_request_duration_seconds_count", {}).get(key, 0.0)


def test_it_counts_requests_by_method_route_and_status_class(client):
    make_case()
    before = scrape(client)
    assert client.get("/cases/bs001/").status_code == 200
    assert client.get("/cases/zz999/").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    after = scrape(client)
    detail = "lightbox-case-detail"
    assert requests_of(after, detail, "2xx") == requests_of(before, detail, "2xx") + 1
    assert requests_of(after, detail, "4xx") == requests_of(before, detail, "4xx") + 1
    assert requests_of(after, "unmatched", "4xx") == requests_of(before, "unmatched", "4xx") + 1
    # A latency histogram: the request fell into some bucket, and the +Inf bucket holds all.
    buckets = after["lightbox_http_request_duration_seconds_bucket"]
    inf = (("le", "+Inf"), ("method", "GET"), ("route", detail), ("status", "2xx"))
    assert buckets[inf] == requests_of(after, detail, "2xx")


def test_it_reports_the_install_from_the_database(client):
    make_case()
    samples = scrape(client)
    assert samples["lightbox_cases"][(("status", "published"),)] == 1
    assert samples["lightbox_cases"][(("status", "draft"),)] == 0
    backend = (("backend", queue.backend()),)  # immediate, or redis in the PostgreSQL pass
    assert samples["lightbox_task_queue_depth"][backend] == 0
    assert samples["lightbox_task_queue_oldest_seconds"][backend] == 0
    assert samples["lightbox_uploads_finished_total"][(("outcome", "done"),)] == 0
    assert samples["lightbox_dicom_instances_deidentified_total"][()] == 0


def test_counts_add_up_across_processes(client, settings, tmp_path):
    """Another process (as a second gunicorn worker would) answers three requests; this
    process's scrape includes them."""
    before = requests_of(scrape(client), "lightbox-healthz", "2xx")
    env = {
        **os.environ,
        "LIGHTBOX_DATA_DIR": str(tmp_path / "other"),
        "LIGHTBOX_METRICS_DIR": str(settings.METRICS_DIR),
    }
    env.pop("DATABASE_URL", None)
    code = (
        "from django.test import Client\n"
        "c = Client(HTTP_HOST='localhost')\n"
        "assert [c.get('/healthz').status_code for _ in range(3)] == [200] * 3\n"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert requests_of(scrape(client), "lightbox-healthz", "2xx") == before + 3


def test_an_outsider_is_refused(client):
    response = client.get("/metrics", **OUTSIDER)
    assert response.status_code == 403
    assert b"lightbox_" not in response.content


def test_a_request_through_a_proxy_is_not_local(client):
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 403
    assert client.get("/metrics", HTTP_FORWARDED="for=203.0.113.7").status_code == 403


def test_with_a_token_only_its_bearer_may_read_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics").status_code == 403  # local, but no token
    bad = {"HTTP_AUTHORIZATION": "Bearer wrong", **OUTSIDER}
    assert client.get("/metrics", **bad).status_code == 403
    good = {"HTTP_AUTHORIZATION": "Bearer s3cret-token-for-prometheus", **OUTSIDER}
    assert "lightbox_cases" in scrape(client, **good)
    # /readyz's details follow the same rule.
    assert "free_bytes" in client.get("/readyz", **good).json()["checks"]["data_disk"]
    assert "free_bytes" not in client.get("/readyz").json()["checks"]["data_disk"]


def test_a_queue_that_does_not_answer_is_reported_down_not_a_failed_scrape(client, monkeypatch):
    from lightbox.ops import queue

    def unavailable(alias="default"):
        raise queue.QueueUnavailable("Redis at redis://127.0.0.1:1/0 does not answer")

    assert scrape(client)["lightbox_task_queue_up"][()] == 1
    monkeypatch.setattr(queue, "stats", unavailable)
    samples = scrape(client)
    assert samples["lightbox_task_queue_up"][()] == 0
    assert "lightbox_task_queue_depth" not in samples
    assert samples["lightbox_database_up"][()] == 1
    assert "lightbox_http_request_duration_seconds_count" in samples
