"""/favicon.ico, which browsers ask for on every site: Lightbox's icon, never a 404."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith(".svg") and "favicon" in response["Location"]
    assert "max-age=86400" in response["Cache-Control"]
    found = finders.find("lightbox/favicon.svg")
    assert found
    with open(found, "rb") as f:
        assert b"<svg" in f.read(400)


def test_favicon_is_named_by_the_print_view_too(client, django_user_model):
    from lightbox.test import make_case

    case = make_case()
    page = client.get(f"/cases/{case.number}/print/").content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert 'name="viewport"' in page and "data-print" in page
