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
