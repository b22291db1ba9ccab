"""The audit log in a real browser, at desktop and phone sizes: never wider than the
screen (its table scrolls within itself on a phone)."""

import pytest
from django.test import RequestFactory

from lightbox.audit.log import record
from lightbox.test import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", SIZES)
def test_the_audit_log_fits_the_screen(browser, live_server, people, screenshot_dir, size):
    case = make_case()
    # What made the page 627 px wide on a phone: an IPv6 address, a long upload id.
    request = RequestFactory().post("/", REMOTE_ADDR="2001:db8:85a3::8a2e:370:7334")
    request.user = people["alice"]
    for n in range(5):
        record("upload", request=request, target_type="upload",
               target_id="4f0c2a7e-9d1b-4c3e-8a55-0b6f7d2e9c10",
               summary=f"uploaded {n} file(s) to {case.number} from the upload page")  # fmt: skip
    context = browser.new_context(
        base_url=live_server.url, viewport=SIZES[size], is_mobile=size == "phone"
    )
    page = context.new_page()
    page.goto("/accounts/login/?next=/audit/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/audit/")
    assert page.locator("table.audit tbody tr").count() >= 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=screenshot_dir / f"audit-{size}.png", full_page=True)
    context.close()
