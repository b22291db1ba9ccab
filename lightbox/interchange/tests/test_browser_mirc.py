"""A MIRCdocument zip in a real browser: imported from the new-case page, read in the
editor with its report, exported again from the revealed case."""

import zipfile

import pytest
from playwright.sync_api import expect

from lightbox.cases.models import Case
from lightbox.interchange.tests.mircfiles import mstf_files, zip_of
from lightbox.test import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_author_imports_a_mirc_zip_and_exports_the_case_again(page, people, tmp_path):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    package = tmp_path / "osteoid-osteoma.zip"
    package.write_bytes(zip_of(mstf_files()))

    page.goto("/accounts/login/?next=/cases/new/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="import a MIRCdocument zip").click()
    page.set_input_files("#id_files", str(package))
    page.get_by_role("button", name="Import").click()

    page.wait_for_url("**/cases/mirc001/edit/")
    messages = page.locator(".messages")
    expect(messages).to_contain_text("MIRCdocument.xml is draft case mirc001")
    expect(messages).to_contain_text("patient data dropped, never stored: <accession-number>")
    case = Case.objects.get(number="mirc001")
    assert case.status == "draft" and case.created_by == people["alice"]

    page.goto(case.get_known_url())
    with page.expect_download() as download:
        page.get_by_role("link", name="Export (MIRC zip)").click()
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "mirc001-mirc.zip"
    with zipfile.ZipFile(saved) as archive:
        xml = archive.read("MIRCdocument.xml").decode()
    assert '<title xml:space="preserve">Osteoid osteoma of the proximal femur</title>' in xml
    assert not errors
