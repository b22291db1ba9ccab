"""A token made in a real browser, used by a script over HTTP, then revoked."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from lightbox.test import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _get(url: str, secret: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (the test server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_token_is_made_shown_once_used_and_revoked(page, live_server, people):
    draft = make_case(created_by=people["alice"], status="draft", visibility="private")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/accounts/login/?next=/accounts/profile/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Teaching-file export")
    page.get_by_label("Read", exact=True).check()
    page.get_by_role("button", name="Make token").click()
    secret = page.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("lbx_")

    status, data = _get(f"{live_server.url}/api/v1/cases/{draft.number}", secret)
    assert (status, data["status"]) == (200, "draft")

    page.goto("/accounts/tokens/")  # shown once: gone from the page from now on
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    assert secret not in page.content()
    row = page.get_by_role("row", name="Teaching-file export")
    expect(row).to_contain_text(secret[:8])
    expect(row).not_to_contain_text("never")  # its use was noted
    row.get_by_role("button", name="Revoke Teaching-file export").click()
    expect(page.get_by_role("row", name="Teaching-file export")).to_contain_text("revoked")

    status, data = _get(f"{live_server.url}/api/v1/cases/{draft.number}", secret)
    assert (status, data["error"]["code"]) == (401, "unauthenticated")
    assert not errors, errors
