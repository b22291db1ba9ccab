"""The case editor: create, edit every field, ordered lists, validation, conflicts, drafts."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core.management import call_command

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Case, EditDraft, Series
from lightbox.history.models import Revision
from lightbox.imaging.images import add_image
from lightbox.test import add_dose, add_people, make_case, png_bytes

pytestmark = pytest.mark.django_db


class _Form(HTMLParser):
    """The fields of the editor form as a browser would submit them (no JavaScript)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.data = form_id, False, {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or tag == "template":
            return
        name = a.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind != "submit":
                self.data[name] = a.get("value") or ""
        elif tag == "textarea" and name and "__prefix__" not in name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(client, url: str, form_id: str = "case-editor") -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _Form(form_id)
    parser.feed(page.content.decode())
    # Django's textarea rendering starts with a newline that browsers drop.
    return {k: v[1:] if v.startswith("\n") else v for k, v in parser.data.items()}


@pytest.fixture
def drafted(people):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    add_people(case, ("Alice Moreau", "M.D."), ("Bo Li", "Ph.D."))
    add_dose(case)
    return case


def edit_url(case: Case) -> str:
    return f"/cases/{case.number}/edit/"


def test_an_author_creates_a_case_with_the_next_number(client, people):
    Series.objects.create(prefix="ct", name="CT")
    make_case(series=Series.objects.get(prefix="ct"))
    client.force_login(people["alice"])
    page = client.get("/cases/new/")
    assert page.status_code == 200
    response = client.post(
        "/cases/new/",
        {"series": Series.objects.get(prefix="ct").pk, "title": "Splenic infarct"},
    )
    case = Case.objects.get(title="Splenic infarct")
    assert case.number == "ct002" and case.status == "draft" and case.visibility == "private"
    assert response["Location"] == edit_url(case)
    assert case.created_by == people["alice"]
    assert Revision.objects.get(target_id=case.pk).kind == "created"
    assert AuditEntry.objects.filter(action="create", target_id="ct002").exists()


@pytest.mark.parametrize("name", ["bob", None])
def test_learners_and_anonymous_cannot_create(client, people, name):
    Series.objects.create(prefix="ct", name="CT")
    if name:
        client.force_login(people[name])
    response = client.get("/cases/new/")
    assert response.status_code == (404 if name else 302)


def test_every_field_is_saved_in_one_revision(client, people, drafted):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    data.update(
        {
            "title": "Calcinosis cutis",
            "findings": "Uptake in **both** thighs.",
            "patient_age": "95",
            "difficulty": "4",
            "differential-TOTAL_FORMS": "4",
            "differential-3-item": "Milk-alkali syndrome",
            "differential-3-ORDER": "4",
            "acr_codes-1-item": "4.59",
            "acr_codes-TOTAL_FORMS": "2",
            "references-1-text": "Smith A. Calcinosis. Radiology 2019.",
            "references-1-pmid": "31234567",
            "references-TOTAL_FORMS": "2",
            "doses-0-activity": "740",
            "doses-0-unit": "MBq",
            "message": "Rewrote the findings",
        }
    )
    response = client.post(edit_url(drafted), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(pk=drafted.pk)
    assert case.title == "Calcinosis cutis" and case.patient_age == 90  # 90 or older
    assert case.differential[-1] == "Milk-alkali syndrome"
    assert case.acr_codes == ["4.5", "4.59"]
    assert case.references[-1] == {
        "text": "Smith A. Calcinosis. Radiology 2019.",
        "pmid": "31234567",
        "doi": "",
    }
    assert [a.name for a in case.authors.all()] == ["Alice Moreau", "Bo Li"]
    dose = case.radiopharmaceuticals.get()
    assert (str(dose.activity), dose.unit) == ("740.000", "MBq")
    latest = Revision.objects.filter(target_id=case.pk).order_by("-number").first()
    assert latest.number == 2 and latest.message == "Rewrote the findings"
    assert {"title", "findings", "differential"} <= set(latest.changed)
    assert AuditEntry.objects.filter(action="edit", target_id=case.number).exists()


def test_lists_are_reordered_and_items_removed_without_javascript(client, people, drafted):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    assert data["differential-0-item"] == "Dermatomyositis"
    data.update(
        {
            "differential-0-ORDER": "3",  # Dermatomyositis last
            "differential-1-DELETE": "on",  # Scleroderma gone
            "differential-2-ORDER": "1",  # Hypercalcaemia first
            "authors-0-ORDER": "2",
            "authors-1-ORDER": "1",
        }
    )
    assert client.post(edit_url(drafted), data).status_code == 302
    case = Case.objects.get(pk=drafted.pk)
    assert case.differential == ["Hypercalcaemia", "Dermatomyositis"]
    assert [a.name for a in case.authors.all()] == ["Bo Li", "Alice Moreau"]


def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(client, people, drafted):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    data.update(
        {
            "title": "Changed title",
            "acr_codes-0-item": "4.x",
            "references-0-pmid": "PMID123",
            "difficulty": "9",
            "authors-0-username": "nobody-here",
        }
    )
    response = client.post(edit_url(drafted), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Not saved: correct the fields marked below." in html
    assert html.count('class="field-errors"') >= 4
    assert "No account named nobody-here." in html
    assert 'value="Changed title"' in html  # what was typed is kept
    assert Case.objects.get(pk=drafted.pk).title != "Changed title"


def test_a_second_save_from_an_old_form_is_refused_with_both_versions(client, people, drafted):
    client.force_login(people["alice"])
    alices = form_data(client, edit_url(drafted))
    client.force_login(people["erin"])
    erins = form_data(client, edit_url(drafted))
    erins["findings"] = "Erin's findings."
    assert client.post(edit_url(drafted), erins).status_code == 302

    client.force_login(people["alice"])
    alices["findings"] = "Alice's findings."
    response = client.post(edit_url(drafted), alices)
    html = response.content.decode()
    assert response.status_code == 409
    assert "saved this case meanwhile" in html
    assert "Erin&#x27;s findings." in html  # theirs
    assert "Alice&#x27;s findings." in html  # yours, still in the form
    assert Case.objects.get(pk=drafted.pk).findings == "Erin's findings."
    alices["overwrite"] = "yes"
    assert client.post(edit_url(drafted), alices).status_code == 302
    assert Case.objects.get(pk=drafted.pk).findings == "Alice's findings."


def test_an_unchanged_save_makes_no_revision(client, people, drafted):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    before = Revision.objects.filter(target_id=drafted.pk).count()
    client.post(edit_url(drafted), data)
    assert Revision.objects.filter(target_id=drafted.pk).count() == before


def test_autosave_keeps_a_draft_that_can_be_brought_back_or_discarded(client, people, drafted):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    data["findings"] = "Typed but never saved."
    response = client.post(f"/cases/{drafted.number}/edit/autosave/", data)
    assert response.status_code == 200 and "saved" in response.json()
    assert Case.objects.get(pk=drafted.pk).findings != "Typed but never saved."
    page = client.get(edit_url(drafted)).content.decode()
    assert "You have unsaved changes" in page
    restored = client.get(edit_url(drafted), {"draft": "restore"}).content.decode()
    assert "Typed but never saved." in restored
    client.post(f"/cases/{drafted.number}/edit/discard-draft/")
    assert not EditDraft.objects.exists()
    assert "You have unsaved changes" not in client.get(edit_url(drafted)).content.decode()


def test_saving_removes_the_draft(client, people, drafted):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    client.post(f"/cases/{drafted.number}/edit/autosave/", data)
    data["findings"] = "Saved properly."
    client.post(edit_url(drafted), data)
    assert not EditDraft.objects.exists()


def test_the_markdown_preview_is_the_sanitised_rendering(client, people):
    client.force_login(people["alice"])
    response = client.post("/preview/markdown/", {"text": "**Tc-99m** <script>alert(1)</script>"})
    # Typed HTML is left out, its text kept as text (see lightbox.lib.markdown).
    assert response.json()["html"] == "<p><strong>Tc-99m</strong> alert(1)</p>\n"
    client.force_login(people["bob"])
    assert client.post("/preview/markdown/", {"text": "x"}).status_code == 404


def test_captions_order_and_main_image_are_edited_in_place(client, people, drafted):
    first = add_image(drafted, png_bytes(), caption="Anterior", is_main=True)
    second = add_image(drafted, png_bytes(), caption="Posterior")
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    data.update(
        {
            "captions-0-ORDER": "2",
            "captions-1-ORDER": "1",
            "captions-1-caption": "Posterior view, 3 hours",
            "main_image": str(second.pk),
        }
    )
    assert client.post(edit_url(drafted), data).status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.order, second.caption, second.is_main) == (0, "Posterior view, 3 hours", True)
    assert (first.order, first.is_main) == (1, False)


@pytest.mark.parametrize(("name", "status"), [("alice", 200), ("charlie", 404), ("bob", 404)])
def test_only_the_cases_authors_and_editors_edit(client, people, drafted, name, status):
    client.force_login(people[name])
    assert client.get(edit_url(drafted)).status_code == status


def test_a_published_cases_visibility_is_the_editors_choice(client, people, drafted):
    Case.objects.filter(pk=drafted.pk).update(status="published", visibility="institution")
    client.force_login(people["alice"])
    data = form_data(client, edit_url(drafted))
    data["visibility"] = "public"
    client.post(edit_url(drafted), data)
    assert Case.objects.get(pk=drafted.pk).visibility == "institution"
    client.force_login(people["erin"])
    data = form_data(client, edit_url(drafted))
    data["visibility"] = "public"
    client.post(edit_url(drafted), data)
    assert Case.objects.get(pk=drafted.pk).visibility == "public"


def test_bs068_imported_can_be_edited_and_its_history_starts_with_the_import(
    client, people, bs068_path
):
    call_command("import_legacy", str(bs068_path), verbosity=0)
    case = Case.objects.get(number="bs068")
    client.force_login(people["erin"])
    data = form_data(client, edit_url(case))
    data["followup"] = "Reviewed in 2026."
    assert client.post(edit_url(case), data).status_code == 302
    revisions = list(Revision.objects.filter(target_id=case.pk).order_by("number"))
    assert [r.kind for r in revisions] == ["imported", "edited"]
    history = client.get(f"/cases/{case.number}/history/").content.decode()
    assert "Imported from" in history


def test_it_refuses_a_possible_identifier_in_a_published_case_with_a_message(client, people):
    case = make_case(created_by=people["alice"])
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data["findings"] = "Seen by Dr. Jones, MRN 12345678."
    response = client.post(edit_url(case), data)
    assert response.status_code == 200
    assert "possible identifier(s) in the text" in response.content.decode()
    case.refresh_from_db()
    assert "Jones" not in case.findings
