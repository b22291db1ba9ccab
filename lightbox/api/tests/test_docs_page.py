"""The API docs page (/api/v1/docs) works offline and under the site's CSP.

Swagger UI comes from django-ninja's own copy, served from our static files; a page that
loaded it from a CDN was blank (the CSP blocks other hosts) and would be on a hospital
network without internet.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

DOCS = "/api/v1/docs"


class _Assets(HTMLParser):
    """Every URL the page makes the browser fetch: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.urls.append(a["src"] or "")
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"] or "")


def _assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    return parser.urls


def _directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    return []


@pytest.fixture
def served_static(settings):
    """WhiteNoise serving straight from the apps' static folders, as after collectstatic."""
    settings.WHITENOISE_USE_FINDERS = True


def test_it_references_no_other_host(client):
    html = client.get(DOCS).content.decode()
    urls = _assets(html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls), urls
    assert all(u.startswith("/static/") for u in urls), urls
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)


def test_every_asset_it_references_is_served(client, served_static):
    for url in _assets(client.get(DOCS).content.decode()):
        response = client.get(url)
        assert response.status_code == 200, url
        assert int(response["Content-Length"]) > 0, url


def test_the_content_security_policy_allows_its_assets(client):
    response = client.get(DOCS)
    csp = response["Content-Security-Policy"]
    # Same-origin scripts and styles only, and nothing inline that would need more.
    assert "'self'" in _directive(csp, "script-src")
    assert "'self'" in _directive(csp, "style-src")
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    html = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attrs for attrs in inline), inline


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_page_lists_the_operations_without_csp_errors(page, live_server):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.goto(DOCS)
    page.get_by_text("/api/v1/cases/{number}/similar").first.wait_for()
    assert page.get_by_text("/api/v1/cases", exact=True).first.is_visible()
    assert page.get_by_text("/api/v1/search", exact=True).first.is_visible()
    # The writes, and the button that takes a token for them.
    assert page.get_by_text("/api/v1/cases/{number}/transitions", exact=True).first.is_visible()
    assert page.get_by_text("/api/v1/topics/{slug}", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Authorize").first.is_visible()
    assert not problems, problems


def test_the_docs_page_sends_the_csrf_token_for_a_signed_in_browser(client, people):
    """Swagger UI adds X-CSRFToken from the page (its own init script), so that trying a
    write with one's session works; the writes themselves still check it."""
    client.force_login(people["alice"])
    html = client.get(DOCS).content.decode()
    assert 'data-api-csrf="true"' in html
    token = re.search(r'data-csrf-token="([^"]+)"', html)
    assert token and len(token.group(1)) >= 32
