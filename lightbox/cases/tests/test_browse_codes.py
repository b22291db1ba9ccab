"""Browsing by code: ACR code pages, the keyword index and keyword pages."""

from __future__ import annotations

import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from lightbox.cases import pages
from lightbox.cases.models import Case, RenderedPage
from lightbox.test import make_case, make_series, personas, text_of

pytestmark = pytest.mark.django_db


def _html(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def _as(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# -- the ACR code page: prefix semantics ----------------------------------------------------


def test_a_code_page_lists_the_code_and_the_codes_beneath_it(client):
    make_case(acr_codes=["41.3"])  # bs001
    make_case(acr_codes=["41.3212"])  # bs002
    make_case(acr_codes=["413.2"])  # bs003: another anatomy code, not beneath 41.3
    make_case(acr_codes=["41.4"])  # bs004
    make_case(acr_codes=["6.3"])  # bs005
    html = _html(client, "/browse/acr/41.3/")
    assert "bs001" in html and "bs002" in html
    assert "bs003" not in html and "bs004" not in html and "bs005" not in html
    text = text_of(html)
    assert "2 cases coded 41.3 or beneath it" in text
    # Which code put each case here, and the codes beneath with their counts.
    assert "Code: 41.3212" in text
    assert 'href="/browse/acr/41.3212/"' in html
    assert 'href="/browse/acr/41.3/"' not in html  # the page's own code is not a link
    assert 'href="/browse/acr/41./"' in html  # the broader code
    # Up the tree: the anatomic field and the category.
    assert 'href="/browse/anatomy/4/"' in html and 'href="/browse/anatomy/4/3/"' in html


def test_a_field_code_holds_every_anatomy_beneath_it(client):
    make_case(acr_codes=["4.5"])
    make_case(acr_codes=["42.31"])
    make_case(acr_codes=["411.3"])
    make_case(acr_codes=["6.3"])
    html = _html(client, "/browse/acr/4/")
    assert all(n in html for n in ("bs001", "bs002", "bs003"))
    assert "bs004" not in html
    # "4." is anatomy 4 itself: not 42.31 nor 411.3.
    html = _html(client, "/browse/acr/4./")
    assert "bs001" in html and "bs002" not in html and "bs003" not in html


def test_every_code_of_a_case_counts_not_only_the_first(client):
    """anatomic_field comes from the first code: it must not hide the others."""
    case = make_case(acr_codes=["4.5", "642.3212"])
    assert case.anatomic_field == "4"
    for code in ("6", "642.3", "642.3212", "4.5"):
        assert "bs001" in _html(client, f"/browse/acr/{code}/"), code
    text = text_of(_html(client, "/browse/acr/6/"))
    assert "Code: 642.3212" in text  # only the code that matched
    assert "4.5" not in text


def test_a_case_with_two_codes_beneath_is_listed_and_counted_once(client):
    make_case(acr_codes=["41.31", "41.32", "41.31"])
    html = _html(client, "/browse/acr/41.3/")
    assert html.count('class="case-card"') == 1
    text = text_of(html)
    assert "1 case coded 41.3" in text
    assert "Codes: 41.31, 41.32" in text


def test_a_code_page_paginates_and_sorts(client, settings):
    settings.PAGE_SIZE = 2
    for _ in range(5):
        make_case(acr_codes=["4.5"])
    make_case(acr_codes=["6.3"])
    first = _html(client, "/browse/acr/4.5/?sort=number")
    assert "bs001" in first and "bs002" in first and "bs003" not in first
    assert "Page 1 of 3 (5 cases)" in text_of(first)
    last = _html(client, "/browse/acr/4.5/?sort=number&page=3")
    assert "bs005" in last and "bs001" not in last
    newest = _html(client, "/browse/acr/4.5/")
    assert "bs005" in newest and "bs001" not in newest
    assert client.get("/browse/acr/4.5/?page=99").status_code == 200
    assert client.get("/browse/acr/4.5/?page=abc").status_code == 200


def test_a_code_nobody_uses_is_an_empty_page(client):
    make_case(acr_codes=["4.5"])
    html = _html(client, "/browse/acr/9.99/")
    assert "0 cases coded 9.99" in text_of(html)
    assert "No cases here yet." in html


def test_a_code_page_reads_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(30):
        make_case(acr_codes=["4.5"])
    with django_assert_max_num_queries(4):  # the codes, one page of cases, its images
        client.get("/browse/acr/4/")


# -- visibility -----------------------------------------------------------------------------


@pytest.fixture
def hidden(people):
    """A published public case, and alice's private draft with its own code and keyword."""
    make_case(acr_codes=["41.3"], keywords=["Calcinosis"])  # bs001
    make_case(
        acr_codes=["41.39"],
        keywords=["Secret sign", "calcinosis"],
        status="draft",
        visibility="private",
        created_by=people["alice"],
        brief_history="Hidden draft history.",
    )  # bs002
    return people


@pytest.mark.parametrize("who", [None, "bob", "charlie"])
def test_a_draft_is_never_counted_nor_listed_for_who_may_not_see_it(hidden, who):
    client = _as(hidden[who] if who else None)
    for url in ("/browse/acr/4/", "/browse/acr/41.3/", "/browse/acr/41.39/", "/keywords/"):
        html = _html(client, url)
        assert "bs002" not in html and "Hidden draft" not in html, url
        assert "Secret sign" not in html, url
        if url != "/browse/acr/41.39/":
            assert "41.39" not in html, url
    assert "1 case coded 41.3 or" in text_of(_html(client, "/browse/acr/41.3/"))
    assert "0 cases coded 41.39" in text_of(_html(client, "/browse/acr/41.39/"))
    keywords = text_of(_html(client, "/keywords/"))
    assert "Calcinosis 1" in keywords
    # A keyword only the draft has does not exist for this reader.
    _html(client, "/keywords/secret%20sign/", 404)
    assert "bs002" not in _html(client, "/keywords/calcinosis/")


@pytest.mark.parametrize("who", ["alice", "erin", "root"])
def test_a_draft_is_listed_for_its_author_and_the_editors(hidden, who):
    client = _as(hidden[who])
    html = _html(client, "/browse/acr/41.3/")
    assert "bs001" in html and "bs002" in html
    text = text_of(html)
    assert "2 cases coded 41.3 or beneath it" in text
    assert "41.39 1" in text
    assert "Draft" in text
    keywords = text_of(_html(client, "/keywords/"))
    assert "calcinosis 2" in keywords.casefold()
    assert "Secret sign 1" in keywords
    assert "bs002" in _html(client, "/keywords/secret%20sign/")
    detail = _html(client, "/keywords/CALCINOSIS/")
    assert "bs001" in detail and "bs002" in detail


def test_institution_cases_are_for_signed_in_readers_only(people):
    make_case(acr_codes=["5.1"], keywords=["Inside"], visibility="institution")
    assert "bs001" not in _html(Client(), "/browse/acr/5/")
    assert "Inside" not in _html(Client(), "/keywords/")
    _html(Client(), "/keywords/inside/", 404)
    bob = _as(people["bob"])
    assert "bs001" in _html(bob, "/browse/acr/5/")
    assert "Inside" in _html(bob, "/keywords/")
    assert "bs001" in _html(bob, "/keywords/inside/")


# -- keywords -------------------------------------------------------------------------------


def test_the_keyword_index_groups_letter_case_and_counts_cases(client):
    make_case(keywords=["calcinosis", "Zebra sign"])
    make_case(keywords=["Calcinosis"])
    make_case(keywords=["calcinosis", "CALCINOSIS", "apple-core lesion"])  # once
    make_case(keywords=["Bone  scan"])
    make_case(keywords=[])
    html = _html(client, "/keywords/")
    text = text_of(html)
    # The most common spelling, counted once per case, alphabetical ignoring case.
    assert "apple-core lesion 1 Bone scan 1 calcinosis 3 Zebra sign 1" in text
    assert "Calcinosis" not in text and "CALCINOSIS" not in text
    assert 'href="/keywords/calcinosis/"' in html
    assert 'href="/keywords/Bone%20scan/"' in html


def test_a_keyword_page_matches_in_any_letter_case(client):
    make_case(keywords=["Calcinosis"])
    make_case(keywords=["calcinosis"])
    make_case(keywords=["calcinosis universalis"])
    make_case(keywords=["calcinosis"])
    for url in ("/keywords/calcinosis/", "/keywords/CALCINOSIS/", "/keywords/cAlCiNoSiS/"):
        html = _html(client, url)
        assert all(n in html for n in ("bs001", "bs002", "bs004")), url
        assert "bs003" not in html
        assert "Keyword: calcinosis" in text_of(html)
        assert "3 cases with this keyword" in text_of(html)
    # Spacing does not matter either.
    assert "bs003" in _html(client, "/keywords/Calcinosis%20%20Universalis/")


def test_a_keyword_page_paginates(client, settings):
    settings.PAGE_SIZE = 2
    for _ in range(3):
        make_case(keywords=["bone scan"])
    first = _html(client, "/keywords/bone%20scan/?sort=number")
    assert "bs001" in first and "bs003" not in first
    assert "Page 1 of 2 (3 cases)" in text_of(first)
    assert "bs003" in _html(client, "/keywords/bone%20scan/?sort=number&page=2")


def test_keywords_with_a_slash_or_unicode_have_pages(client):
    make_case(keywords=["PET/CT", "Ödem", "naïve"])
    html = _html(client, "/keywords/")
    for keyword in ("PET/CT", "Ödem", "naïve"):
        url = reverse("lightbox-keyword-detail", args=[keyword])
        assert f'href="{url}"' in html
        assert "bs001" in _html(client, url), keyword
    assert "bs001" in _html(client, "/keywords/pet/ct/")
    assert "bs001" in _html(client, "/keywords/" + quote("ödem") + "/")
    assert "bs001" in _html(client, "/keywords/" + quote("ÖDEM") + "/")


def test_a_stored_keyword_with_markup_is_shown_as_text(client):
    payload = "<script>alert(1)</script>"
    make_case(keywords=[payload])
    html = _html(client, "/keywords/")
    assert payload not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    detail = _html(client, reverse("lightbox-keyword-detail", args=[payload]))
    assert payload not in detail and "bs001" in detail
    assert "Keyword: <script>alert(1)</script>" in text_of(detail)


# -- hostile input ----------------------------------------------------------------------------

HOSTILE_CODES = [
    "%00",
    "4.5%00",
    "a" * 300,
    "4" * 300,
    "4." + "1" * 300,
    "..",
    "%2E%2E",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%3Cscript%3E",
    "'%20OR%201=1%20--",
    "%FF%FE",
    quote("٤.٥"),  # Arabic-Indic digits: \d matches them, a code may not
    quote("４.５"),  # full-width digits
    "4.5.6",
    ".5",
    "4..5",
    "-4.5",
    "4.5e3",
]


@pytest.mark.parametrize("code", HOSTILE_CODES)
def test_a_malformed_code_is_a_clear_404(client, code):
    make_case(acr_codes=["4.5"])
    response = client.get(f"/browse/acr/{code}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<script>alert" not in html
    if "%2F" not in code:  # reached the view (a slash fails in the URL resolver)
        assert "Not an ACR code" in html
        assert "642.3212" in html  # what a code looks like


@pytest.mark.parametrize(
    "keyword",
    [
        "%00",
        "calcinosis%00",
        "a" * 300,
        "a" * 5000,
        "..",
        "../",
        "../../etc/passwd",
        "%2E%2E%2F",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "'%20OR%201=1%20--",
        "%25",
        "%FF%FE",
        "%20",
        quote("😀"),
    ],
)
def test_a_hostile_keyword_is_a_404(client, keyword):
    make_case(keywords=["calcinosis"])
    response = client.get(f"/keywords/{keyword}/")
    assert response.status_code == 404
    assert "<script>alert" not in response.content.decode()


def test_spaces_around_a_code_redirect_to_the_code(client):
    response = client.get("/browse/acr/%204.5%0A/")
    assert response.status_code == 302
    assert response["Location"] == "/browse/acr/4.5/"


def test_odd_stored_values_do_not_break_the_pages(client):
    """Codes and keywords written around the validators (an import, the shell)."""
    odd = make_case(acr_codes=["4.5"])
    Case.objects.filter(pk=odd.pk).update(
        acr_codes=["4.5", " 4.51 ", "4.5/x", 45, None], keywords=["ok", "", 7, None]
    )
    make_case(acr_codes=["4.5"], keywords="not a list")
    html = _html(client, "/browse/acr/4.5/")
    assert "bs001" in html and "bs002" in html
    assert 'href="/browse/acr/4.51/"' in html
    assert "ok 1" in text_of(_html(client, "/keywords/"))
    known = _html(client, "/cases/bs001/known/")
    assert 'href="/browse/acr/4.5/"' in known
    assert 'href="/keywords/ok/"' in known


# -- the case pages -------------------------------------------------------------------------


def test_the_known_page_links_each_code_and_keyword(client):
    case = make_case(acr_codes=["642.3212", "4.5"], keywords=["Calcinosis", "PET/CT"])
    html = _html(client, case.get_known_url())
    assert '<a href="/browse/acr/642.3212/">642.3212</a>' in html
    assert '<a href="/browse/acr/4.5/">4.5</a>' in html
    assert '<a href="/keywords/Calcinosis/">Calcinosis</a>' in html
    assert '<a href="/keywords/PET/CT/">PET/CT</a>' in html
    # The print view shows the same answer section.
    assert 'href="/browse/acr/642.3212/"' in _html(client, f"/cases/{case.number}/print/")


def test_the_unknown_page_shows_no_code_and_no_keyword(client):
    case = make_case(acr_codes=["642.3212"], keywords=["Calcinosis", "PET/CT"])
    for _ in range(2):  # freshly rendered, then from the stored page
        html = _html(client, case.get_absolute_url())
        assert "642.3212" not in html
        assert "/browse/acr/" not in html and "/keywords/" not in html
        assert "calcinosis" not in html.casefold() and "PET/CT" not in html


def test_the_links_reach_pages_stored_by_older_templates(client, monkeypatch):
    """The answer template is part of the stored pages' fingerprint, so pages stored
    before the links existed are rendered again."""
    real = Path.read_bytes

    def changed(path: Path) -> bytes:
        return real(path) + (b"<!-- older -->" if path.name == "_case_answer.html" else b"")

    monkeypatch.setattr(Path, "read_bytes", changed)
    assert pages.template_version.__wrapped__() != pages.template_version()
    monkeypatch.undo()

    case = make_case(acr_codes=["642.3212"])
    client.get(case.get_known_url())
    RenderedPage.objects.filter(case=case, view="known").update(
        version="older-templates", html=zlib.compress(b"<p>642.3212 without a link</p>")
    )
    html = _html(client, case.get_known_url())
    assert "without a link" not in html
    assert 'href="/browse/acr/642.3212/"' in html


def test_the_home_page_links_the_keyword_index(client):
    html = _html(client, "/")
    assert 'href="/keywords/"' in html


def test_the_personas_see_the_pages(db):
    """Every persona may open the index and a code page (nothing here is for staff only)."""
    people = personas()
    make_case(series=make_series(), keywords=["calcinosis"])
    for user in [None, *people.values()]:
        client = _as(user)
        _html(client, "/keywords/")
        _html(client, "/browse/acr/4.5/")
        _html(client, "/keywords/calcinosis/")
