"""Every error the API can produce has the same shape."""

import pytest

from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def _assert_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_missing_case(client):
    _assert_error(client.get("/api/v1/cases/bs999"), 404, "not_found")


def test_malformed_case_number(client):
    _assert_error(client.get("/api/v1/cases/%00%ff"), 404, "not_found")


def test_unknown_endpoint(client):
    _assert_error(client.get("/api/v1/nothing/here"), 404, "not_found")


def test_invalid_query_parameter(client):
    response = client.get("/api/v1/cases?page=zero")
    _assert_error(response, 422, "invalid")
    assert response.json()["error"]["details"][0]["loc"] == ["query", "page"]


def test_page_out_of_range_is_invalid(client):
    _assert_error(client.get("/api/v1/cases?page=0"), 422, "invalid")


def test_wrong_method(client):
    make_case()
    _assert_error(client.post("/api/v1/cases/bs001"), 405, "method_not_allowed")


def test_server_error(client, monkeypatch):
    from lightbox.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "case_or_404", boom)
    response = client.get("/api/v1/cases/bs001")
    _assert_error(response, 500, "server_error")
    assert "boom" not in response.content.decode()


def test_a_not_found_raised_outside_an_endpoint_stays_a_not_found(client):
    # django-ninja's index raises Http404 for anything but GET: not a server error.
    _assert_error(client.post("/api/v1/"), 404, "not_found")


def test_a_malformed_request_is_a_bad_request_not_a_server_error(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    _assert_error(client.get("/api/v1/search?a=1&b=2&c=3"), 400, "bad_request")
