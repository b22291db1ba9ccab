"""Hostile path parameters get a 404, never a 500 (PostgreSQL rejects NUL in strings)."""

import pytest

from lightbox.test import make_case

pytestmark = pytest.mark.django_db

HOSTILE = ["%00", "bs%00001", "%FF%FE", "' OR 1=1 --", "a" * 300, "..%2F..%2Fetc"]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "template",
    [
        "/cases/{}/",
        "/cases/{}/known/",
        "/cases/{}/print/",
        "/cases/{}/similar/",
        "/cases/{}/images/1/",
        "/cases/{}/images/1/full",
        "/series/{}/",
        "/browse/anatomy/{}/",
        "/browse/anatomy/4/{}/",
        "/browse/modality/{}/",
        "/topics/{}/",
        "/api/v1/cases/{}",
    ],
)
def test_it_answers_not_found(client, template, value):
    make_case()
    response = client.get(template.format(value))
    assert response.status_code == 404


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "template",
    [
        "/cases/{}/edit/",
        "/cases/{}/review/",
        "/cases/{}/images/add/",
        "/cases/{}/comments/",
        "/cases/{}/comments/1/edit/",
        "/cases/{}/history/",
        "/cases/{}/history/compare/?a=1&b=2",
    ],
)
def test_it_answers_not_found_to_authors_too(client, people, template, value):
    # Every view under /cases/<number>/ gets only what can be a case number: on PostgreSQL
    # a NUL byte reaching a query was a 500 in the editor, comments, images and history.
    make_case(created_by=people["alice"])
    client.force_login(people["alice"])
    assert client.get(template.format(value)).status_code == 404
    assert client.post(template.format(value)).status_code in (404, 405)
