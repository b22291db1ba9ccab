import re
from html import unescape as html_unescape

import pytest

from lightbox.test import make_case, make_series

pytestmark = pytest.mark.django_db


def test_a_field_page_lists_categories_with_counts(client):
    make_case(acr_codes=["4.5"])
    make_case(acr_codes=["42.31"])
    make_case(acr_codes=["6.3"])
    html = client.get("/browse/anatomy/4/").content.decode()
    assert "Skeletal system" in html
    assert 'href="/browse/anatomy/4/5/"' in html
    assert "Metabolic, endocrine, toxic" in html
    assert "bs001" in html and "bs002" in html
    assert "bs003" not in html


def test_a_category_page_lists_only_its_cases(client):
    make_case(acr_codes=["4.5"])
    make_case(acr_codes=["42.31"])
    make_case(acr_codes=["43.32"], status="draft")
    html = client.get("/browse/anatomy/4/3/").content.decode()
    assert "bs002" in html
    assert "bs001" not in html and "bs003" not in html
    assert '<p class="lead">1 case · ' in html  # the draft is not counted
    # The search link gives the same cases, ready for more facets and words.
    search = re.search(r'href="(/search/\?[^"]+)">Search and filter these cases', html)
    results = client.get(html_unescape(search.group(1))).content.decode()
    assert "bs002" in results and "bs001" not in results and "bs003" not in results


def test_a_field_without_a_code_uses_the_chosen_classification(client):
    make_case(acr_codes=[], anatomic_field="7", category="2")
    assert "bs001" in client.get("/browse/anatomy/7/2/").content.decode()


@pytest.mark.parametrize(
    "url", ["/browse/anatomy/x/", "/browse/anatomy/4/x/", "/browse/modality/ZZ/", "/series/zz/"]
)
def test_unknown_classifications_are_404(client, url):
    assert client.get(url).status_code == 404


def test_modality_pages_filter(client):
    make_case(modality="NM")
    make_case(modality="CT")
    html = client.get("/browse/modality/CT/").content.decode()
    assert "CT cases" in html
    assert "bs002" in html and "bs001" not in html


def test_series_pages_paginate(client, settings):
    settings.PAGE_SIZE = 2
    series = make_series("cr", "Radiography")
    for _ in range(5):
        make_case(series=series)
    first = client.get("/series/cr/?sort=number").content.decode()
    assert "cr001" in first and "cr002" in first and "cr003" not in first
    assert "Page 1 of 3" in first
    last = client.get("/series/cr/?sort=number&page=3").content.decode()
    assert "cr005" in last
    # A page past the end shows the last page rather than failing.
    assert client.get("/series/cr/?page=99").status_code == 200
    assert client.get("/series/cr/?page=abc").status_code == 200


def test_browse_never_lists_drafts_to_anonymous_readers(client):
    make_case(status="draft", acr_codes=["4.5"])
    assert "bs001" not in client.get("/browse/anatomy/4/5/").content.decode()
    assert "bs001" not in client.get("/cases/").content.decode()
