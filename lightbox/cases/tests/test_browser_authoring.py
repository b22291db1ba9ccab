"""Writing a case in a real browser: the editor, review, publication, a reader's comment."""

import io
import re
import time

import pytest
from django.conf import settings
from django.core import mail
from PIL import Image as PILImage
from playwright.sync_api import expect

from lightbox.cases.models import Case, EditDraft, Series
from lightbox.test import PASSWORD, make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HISTORY = "Woman with **scleroderma** and firm nodules of both forearms."
FINDINGS = "Sheet-like soft-tissue uptake in both forearms and thighs."
DIAGNOSIS = "Dystrophic calcinosis"
FOLLOWUP = "The nodules softened after six months of treatment."
COMMENT = "Were the nodules painful before treatment?"


def _sign_in(page, username):
    page.goto("/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def _new_page(browser, live_server, **options):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, **options
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _errors(page, errors=None):
    """Script errors and console errors (a CSP refusal is one) on ``page``, as they come,
    into the list ``errors`` (a new one by default)."""
    errors = [] if errors is None else errors
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


def _png(folder):
    path = folder / "forearms.png"
    image = PILImage.new("L", (240, 480), 20)
    image.paste(200, (60, 100, 180, 380))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _message(page, text):
    expect(page.locator(".messages")).to_contain_text(text)


def _workflow(page, action):
    """The form of one review step ("Submit for review", "Publish"...) on the editor."""
    button = page.get_by_role("button", name=action, exact=True)
    return page.locator("form.workflow-action").filter(has=button)


def _differential(page):
    rows = page.locator("#list-differential li[data-row]:visible")
    return [rows.nth(i).get_by_role("textbox").input_value() for i in range(rows.count())]


def _save(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    _message(page, "Saved (revision")


def test_an_author_writes_a_case_an_editor_publishes_it_and_a_reader_comments(
    browser, live_server, page, people, tmp_path, screenshot_dir
):
    # The live server runs in this process: the locmem mailer's outbox is this one, and
    # tasks (the comment notice) run at once.
    assert settings.MAILERS["default"]["BACKEND"].endswith("locmem.EmailBackend")
    assert settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")
    Series.objects.create(prefix="bs", name="Bone scintigraphy")
    shot = 0

    def screenshot(name, on=None):
        nonlocal shot
        shot += 1
        (on or page).screenshot(
            path=screenshot_dir / f"authoring-{shot}-{name}.png", full_page=True
        )

    # 1. alice creates the case and writes it.
    errors = _errors(page)
    _sign_in(page, "alice")
    # "New case" is in the header, for whoever may write one.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New case").click()
    page.get_by_label("Series").select_option(label="bs — Bone scintigraphy")
    page.get_by_label("Title").fill(DIAGNOSIS)
    screenshot("new")
    page.get_by_role("button", name="Create the case").click()
    page.wait_for_url("**/cases/bs001/edit/")
    case = Case.objects.get()
    assert case.number == "bs001"
    assert case.created_by == people["alice"]
    _message(page, "Case bs001 is created as a draft")

    page.get_by_label("Brief history").fill(HISTORY)
    preview = page.locator("[data-preview-for=id_brief_history]")
    expect(preview).to_be_visible()
    expect(preview.locator("strong")).to_have_text("scleroderma")
    page.get_by_label("Findings").fill(FINDINGS)
    page.get_by_label("Diagnosis", exact=True).fill(f"**{DIAGNOSIS}** of the soft tissues")
    expect(page.locator("[data-preview-for=id_diagnosis] strong")).to_have_text(DIAGNOSIS)

    differential = page.locator("#list-differential")
    # With the script there is no spare empty row; "Add" makes one and focuses it.
    expect(differential.locator("li[data-row]")).to_have_count(0)
    for i, item in enumerate(("Scleroderma", "Dermatomyositis", "Hyperparathyroidism")):
        differential.get_by_role("button", name="Add to Differential diagnosis").click()
        expect(page.locator(":focus")).to_have_attribute("name", f"differential-{i}-item")
        page.keyboard.type(item)
    expect(page.locator("#id_differential-TOTAL_FORMS")).to_have_value("3")
    # The raw position boxes and Remove ticks stay in the form, out of sight.
    for raw in ("#id_differential-0-ORDER", "#id_differential-0-DELETE"):
        label = page.locator(raw).locator("xpath=ancestor::label")
        assert label.bounding_box()["width"] <= 1  # clipped to nothing, still submitted
    assert _differential(page) == ["Scleroderma", "Dermatomyositis", "Hyperparathyroidism"]

    # Drag the third to the top by its handle...
    rows = differential.locator("li[data-row]")
    rows.nth(2).locator(".row-handle").drag_to(rows.nth(0), target_position={"x": 40, "y": 4})
    assert _differential(page) == ["Hyperparathyroidism", "Scleroderma", "Dermatomyositis"]
    # ...and move one with its button.
    differential.get_by_role("button", name="Move Dermatomyositis up").click()
    assert _differential(page) == ["Hyperparathyroidism", "Dermatomyositis", "Scleroderma"]
    orders = [
        page.locator(f"#id_differential-{i}-ORDER").input_value() for i in range(3)
    ]  # forms 0, 1, 2 were typed as Scleroderma, Dermatomyositis, Hyperparathyroidism
    assert orders == ["3", "2", "1"]
    screenshot("written")
    _save(page)
    assert not page.locator("[data-draft-offer]").count()

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Case bs001"
    ).click()
    page.wait_for_url("**/cases/bs001/known/")
    items = page.locator("section[aria-labelledby=dd-h] li")
    expect(items).to_have_text(["Hyperparathyroidism", "Dermatomyositis", "Scleroderma"])
    case.refresh_from_db()
    assert case.differential == ["Hyperparathyroidism", "Dermatomyositis", "Scleroderma"]
    screenshot("known")

    # 2. Images.
    page.get_by_role("link", name="Add images").click()
    page.set_input_files("input[data-files]", _png(tmp_path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("[data-status][data-state=done]", timeout=60_000)
    expect(page.locator("[data-summary]")).to_contain_text("1 of 1 file processed")
    screenshot("uploaded")
    assert case.images.count() == 1

    # 3. Submit for review.
    page.goto("/cases/bs001/edit/")
    expect(page.locator(".blockers")).to_have_count(0)
    # Images are ordered here, but added on the upload page, not with "Add".
    captions = page.locator("#list-captions")
    expect(captions.get_by_role("button", name="Move image 1 down")).to_be_visible()
    expect(captions.locator(".row-add, .row-remove")).to_have_count(0)
    mail.outbox.clear()
    _workflow(page, "Submit for review").get_by_role("button").click()
    _message(page, "Case bs001: submitted for review.")
    expect(page.locator("h1 .badge")).to_have_text("Submitted for review")
    assert "erin@example.org" in {a for m in mail.outbox for a in m.to}
    screenshot("submitted")

    # 4. erin asks for changes.
    erin = _new_page(browser, live_server)
    _errors(erin, errors)
    _sign_in(erin, "erin")
    erin.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    erin.get_by_role("link", name="bs001").first.click()
    erin.wait_for_url("**/cases/bs001/edit/")
    request = _workflow(erin, "Request changes")
    request.get_by_label("Note").fill("Please add the follow-up")
    request.get_by_role("button").click()
    _message(erin, "Case bs001: changes requested.")
    screenshot("changes-requested", erin)

    # 5. alice sees the note, adds the follow-up and submits again.
    page.reload()
    expect(page.locator(".review-notes")).to_contain_text("Please add the follow-up")
    expect(page.locator("h1 .badge")).to_have_text("Changes requested")
    page.get_by_label("Follow-up").fill(FOLLOWUP)
    page.get_by_label("What did you change?").fill("Follow-up added")
    screenshot("follow-up")
    _save(page)
    _workflow(page, "Submit for review").get_by_role("button").click()
    _message(page, "Case bs001: submitted for review.")

    # 6. erin makes it visible to signed-in readers, then publishes.
    erin.goto("/cases/bs001/edit/")
    erin.get_by_label("Visibility").select_option("institution")
    _save(erin)
    publish = _workflow(erin, "Publish")
    publish.get_by_label("Publish case bs001 now").check()
    publish.get_by_role("button").click()
    _message(erin, "Case bs001: published.")
    screenshot("published", erin)
    case.refresh_from_db()
    assert (case.status, case.visibility) == ("published", "institution")
    assert case.followup == FOLLOWUP
    erin.context.close()

    # 7. bob reads it as an unknown, reveals it and comments.
    bob = _new_page(browser, live_server)
    _errors(bob, errors)
    _sign_in(bob, "bob")
    bob.get_by_role("navigation", name="Main").get_by_role("link", name="All cases").click()
    bob.get_by_role("link", name="bs001").first.click()
    bob.wait_for_url("**/cases/bs001/")
    expect(bob.locator(".case-unknown")).to_contain_text("firm nodules")
    assert DIAGNOSIS not in bob.content()
    assert FINDINGS not in bob.content()
    screenshot("unknown", bob)
    bob.get_by_role("link", name="Show diagnosis").click()
    bob.wait_for_url("**/cases/bs001/known/#answer")
    expect(bob.locator(".diagnosis")).to_contain_text(DIAGNOSIS)
    expect(bob.locator(".diagnosis strong")).to_have_text(DIAGNOSIS)
    mail.outbox.clear()
    bob.get_by_label("Add a comment").fill(COMMENT)
    bob.get_by_role("button", name="Post comment").click()
    _message(bob, "Your comment is posted.")
    expect(bob.locator("#comments")).to_contain_text(COMMENT)
    screenshot("commented", bob)
    bob.context.close()

    # 8. alice hears of it by e-mail.
    for _ in range(50):
        if mail.outbox:
            break
        time.sleep(0.1)
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(to_alice) == 1
    assert to_alice[0].subject == "New comment on case bs001"
    assert COMMENT in to_alice[0].body
    assert errors == []


def test_unsaved_changes_are_guarded_and_an_autosaved_draft_comes_back(
    page, people, screenshot_dir
):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    errors = _errors(page)
    _sign_in(page, "alice")
    page.goto(f"/cases/{case.number}/edit/")
    findings = page.get_by_label("Findings")
    findings.click()
    page.keyboard.press("End")
    page.keyboard.type(" A calcified nodule")
    status = page.locator("[data-autosave-status]")
    expect(status).to_have_text(re.compile(r"^Draft kept at \d\d:\d\d$"))
    assert EditDraft.objects.filter(case=case, user=people["alice"]).exists()
    # Offline, the draft cannot be kept, and the editor says so; back online, it is.
    page.context.set_offline(True)
    page.keyboard.type(" in the left")
    expect(status).to_have_text("Could not keep a draft (offline?)")
    page.context.set_offline(False)
    page.keyboard.type(" elbow.")
    expect(status).to_contain_text("Draft kept at")
    page.screenshot(path=screenshot_dir / "authoring-autosave.png", full_page=True)

    # Autosave is not saving: leaving the page asks first.
    page.reload()
    assert dialogs == ["beforeunload"]
    offer = page.locator("[data-draft-offer]")
    expect(offer).to_contain_text("You have unsaved changes")
    page.screenshot(path=screenshot_dir / "authoring-draft-offer.png", full_page=True)
    offer.get_by_role("link", name="Bring them back").click()
    page.wait_for_url("**/edit/?draft=restore")
    expect(page.get_by_label("Findings")).to_have_value(
        f"{case.findings} A calcified nodule in the left elbow."
    )

    # Saving clears the guard: no question on the way out.
    _save(page)
    case.refresh_from_db()
    assert case.findings.endswith("A calcified nodule in the left elbow.")
    assert not EditDraft.objects.filter(case=case).exists()
    page.goto("/")
    assert dialogs == ["beforeunload"]
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_the_differential_is_reordered_and_saved_from_the_keyboard(page, people, screenshot_dir):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    assert case.differential == ["Dermatomyositis", "Scleroderma", "Hypercalcaemia"]
    errors = _errors(page)
    _sign_in(page, "alice")
    page.goto(f"/cases/{case.number}/edit/")
    last = page.locator("#id_differential-2-item")
    last.focus()
    page.keyboard.press("Alt+ArrowUp")
    assert _differential(page) == ["Dermatomyositis", "Hypercalcaemia", "Scleroderma"]
    expect(last).to_be_focused()
    # The position box and Remove tick are skipped; the row's buttons come next.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("aria-label", "Move Hypercalcaemia up")
    page.keyboard.press("Enter")
    assert _differential(page) == ["Hypercalcaemia", "Dermatomyositis", "Scleroderma"]
    expect(page.locator(":focus")).to_have_attribute("aria-label", "Move Hypercalcaemia up")
    # Remove, then undo.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("aria-label", "Remove Hypercalcaemia")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_attribute("aria-label", "Undo removing Hypercalcaemia")
    assert _differential(page) == ["Dermatomyositis", "Scleroderma"]
    page.keyboard.press("Enter")
    assert _differential(page) == ["Hypercalcaemia", "Dermatomyositis", "Scleroderma"]
    page.locator("#id_differential-0-item").focus()
    page.keyboard.press("Alt+ArrowDown")
    assert _differential(page) == ["Hypercalcaemia", "Scleroderma", "Dermatomyositis"]
    # Remove one for good; its row stays in the form with DELETE ticked.
    page.get_by_role("button", name="Remove Dermatomyositis").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#list-differential .row-removed")).to_contain_text("Dermatomyositis")
    expect(page.locator("#id_differential-0-DELETE")).to_be_checked()
    page.screenshot(path=screenshot_dir / "authoring-keyboard.png", full_page=True)

    with page.expect_navigation():
        page.keyboard.press("Control+s")
    _message(page, "Saved (revision")
    case.refresh_from_db()
    assert case.differential == ["Hypercalcaemia", "Scleroderma"]
    assert errors == []


def test_the_editor_fits_a_phone(browser, live_server, people, screenshot_dir):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    page = _new_page(browser, live_server)
    page.set_viewport_size({"width": 360, "height": 740})
    _sign_in(page, "alice")
    page.goto(f"/cases/{case.number}/edit/")
    expect(page.get_by_role("button", name="Move Scleroderma up")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=screenshot_dir / "authoring-phone.png", full_page=True)
    page.context.close()
