"""The OpenAPI document: every endpoint documented, with examples that are valid against
the very schemas they illustrate, and the ways to sign in described."""

from __future__ import annotations

import jsonschema
import pytest

from lightbox.api import examples
from lightbox.api.inputs import Body

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _valid(spec, schema, example, where):
    validator = jsonschema.Draft202012Validator({**schema, "components": spec["components"]})
    errors = sorted(validator.iter_errors(example), key=lambda e: list(e.path))
    assert not errors, f"{where}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
    )


def test_every_operation_is_described_with_examples(spec):
    operations = dict(_operations(spec))
    assert len(operations) >= 22
    for name, operation in operations.items():
        assert operation.get("description"), f"{name} has no description"
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                assert "example" in media, f"{name} {status} has no example"
                _valid(spec, media["schema"], media["example"], f"{name} {status}")
        body = operation.get("requestBody", {}).get("content", {})
        if "application/json" in body:
            media = body["application/json"]
            assert "example" in media, f"{name} has no example body"
            _valid(spec, media["schema"], media["example"], f"{name} body")


def test_every_error_a_write_can_answer_is_documented(spec):
    for name, operation in _operations(spec):
        if not name.startswith(("POST", "PATCH", "DELETE")):
            continue
        assert "401" in operation["responses"], name
        error = operation["responses"]["401"]["content"]["application/json"]["example"]
        assert error["error"]["code"] == "unauthenticated"


def test_the_writes_take_a_token_or_a_session(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    for name, operation in _operations(spec):
        if name.startswith(("POST", "PATCH", "DELETE")):
            assert {"BearerToken": []} in operation["security"], name
            assert {"SessionAuth": []} in operation["security"], name


def test_the_writes_are_all_there(spec):
    operations = dict(_operations(spec))
    for name in (
        "POST /api/v1/cases",
        "PATCH /api/v1/cases/{number}",
        "POST /api/v1/cases/{number}/transitions",
        "POST /api/v1/cases/{number}/uploads",
        "GET /api/v1/topics",
        "GET /api/v1/topics/{slug}",
        "POST /api/v1/topics",
        "PATCH /api/v1/topics/{slug}",
        "GET /api/v1/cases/{number}/comments",
        "POST /api/v1/cases/{number}/comments",
        "PATCH /api/v1/cases/{number}/comments/{comment_id}",
        "DELETE /api/v1/cases/{number}/comments/{comment_id}",
    ):
        assert name in operations, name


def test_a_request_body_refuses_unknown_fields(spec):
    for name in Body.__subclasses__():
        assert name.model_config.get("extra") == "forbid"
    case_in = spec["components"]["schemas"]["CaseIn"]
    assert case_in["additionalProperties"] is False


def test_an_invalid_example_would_be_caught(spec):
    schema = {"$ref": "#/components/schemas/CaseOut"}
    with pytest.raises(AssertionError, match="revision"):
        _valid(spec, schema, {**examples.CASE, "revision": "four"}, "made up")
