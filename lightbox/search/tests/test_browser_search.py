"""Searching in a real browser: a search, a facet, a result, its similar cases, and the
"paste your findings" box."""

import re

import pytest
from playwright.sync_api import expect

from lightbox.test import add_dose, make_case, make_series

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASTED = (
    "Whole body bone scan shows intense uniform uptake throughout the axial and appendicular "
    "skeleton, with faint kidneys and very little soft tissue activity."
)


@pytest.fixture
def library():
    ct = make_series("ct", "Computed tomography")
    superscan = make_case(
        title="Superscan",
        brief_history="Man with prostate cancer and a rising PSA.",
        findings="Diffusely intense skeletal uptake; the kidneys are barely seen.",
        diagnosis="Diffuse skeletal metastases (superscan)",
        differential=["Renal osteodystrophy", "Myelofibrosis"],
        acr_codes=["41.37"],
        keywords=["superscan"],
    )
    add_dose(superscan, agent="Tc-99m MDP")
    renal = make_case(
        title="Renal osteodystrophy",
        brief_history="Woman on dialysis for many years.",
        findings="Diffusely increased skeletal uptake, absent kidneys, prominent calvarium.",
        diagnosis="Renal osteodystrophy with a metabolic superscan",
        differential=["Diffuse metastases", "Myelofibrosis"],
        acr_codes=["41.5"],
    )
    add_dose(renal, agent="Tc-99m MDP")
    make_case(
        series=ct,
        modality="CT",
        title="Blastic metastases",
        brief_history="Man with prostate cancer.",
        findings="Innumerable sclerotic foci in the spine: a superscan appearance on CT.",
        diagnosis="Osteoblastic metastases",
        acr_codes=["41.3"],
    )
    return superscan, renal


def test_search_filter_open_similar_and_paste(page, library, screenshot_dir):
    superscan, renal = library
    page.goto("/")
    page.get_by_role("link", name="Search").first.click()
    page.fill("#q", "superscan")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".result-count")).to_contain_text("3 cases")
    expect(page.locator(".snippet mark").first).to_have_text("superscan", ignore_case=True)
    page.screenshot(path=screenshot_dir / "search-1-results.png", full_page=True)

    # Narrow to nuclear medicine: the CT case goes, the modality facet still offers CT.
    page.locator(".facet a", has_text="Nuclear medicine").click()
    expect(page.locator(".result-count")).to_contain_text("2 cases")
    expect(page.locator(".facet a.selected")).to_contain_text("Nuclear medicine")
    expect(page.locator(".facet a", has_text="CT")).to_be_visible()
    page.screenshot(path=screenshot_dir / "search-2-facet.png", full_page=True)

    # The title outranks a findings mention: the superscan case comes first.
    page.locator(".search-hit .hit-link").first.click()
    # The hit's link carries the search (?in=…): the case page steps through the results.
    expect(page).to_have_url(re.compile(rf".*/cases/{superscan.number}/\?in=list%3Dsearch.*"))
    page.get_by_role("link", name="Show diagnosis").click()
    page.wait_for_url(f"**/cases/{superscan.number}/known/#answer")  # revealed in place
    page.get_by_role("link", name="Search for similar cases").click()
    expect(page.locator("h1")).to_have_text(f"Cases similar to {superscan.number}")
    first = page.locator("ol.similar > li").first
    expect(first).to_contain_text(renal.number)
    expect(first.locator(".reasons")).to_contain_text("shares 1 differential diagnosis")
    expect(first.locator(".reasons")).to_contain_text("same radiopharmaceutical Tc-99m MDP")
    page.screenshot(path=screenshot_dir / "search-3-similar.png", full_page=True)

    page.goto("/search/")
    page.fill("#similar-text", PASTED)
    page.get_by_role("button", name="Find similar cases").click()
    expect(page.locator("h1")).to_have_text("Cases like these findings")
    results = page.locator("ol.similar > li")
    expect(results.first).to_be_visible()
    metas = [results.nth(i).locator(".similar-meta").inner_text() for i in range(results.count())]
    numbers = [meta.split(" · ")[0] for meta in metas]
    assert set(numbers[:2]) == {superscan.number, renal.number}
    # Pasted findings are not an unknown: each result has its title.
    titles = {results.nth(i).locator(".similar-title").inner_text() for i in range(2)}
    assert titles == {"Superscan", "Renal osteodystrophy"}
    expect(results.first.locator(".reasons")).to_contain_text("similar")
    page.screenshot(path=screenshot_dir / "search-4-pasted.png", full_page=True)


def test_unknown_mode_in_the_browser_hides_titles(page, library):
    page.goto("/search/?q=superscan")
    page.get_by_label("Unknown mode").check()
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator(".search-results")
    expect(results).to_contain_text("Case ")
    assert "Renal osteodystrophy" not in results.inner_text()
    assert "metastases" not in results.inner_text().lower()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_search_on_a_phone_shows_results_before_the_facets(
    browser, live_server, library, screenshot_dir, size
):
    viewport = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport[size], is_mobile=size == "phone"
    )
    page = context.new_page()
    page.goto("/search/?q=uptake")
    first = page.locator(".search-hit").first
    facets = page.locator("#refine")
    expect(first).to_be_visible()
    hit_top = first.bounding_box()["y"]
    facets_top = facets.bounding_box()["y"]
    if size == "phone":
        assert hit_top < facets_top  # the first result is not below the facet groups
        expect(page.get_by_role("link", name="Refine")).to_be_visible()
    else:
        assert facets.bounding_box()["x"] < first.bounding_box()["x"]  # a column beside
        expect(page.get_by_role("link", name="Refine")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # Facet boxes are drawn, not characters; a chosen value is ticked.
    assert "☐" not in page.content()
    facets.get_by_role("link", name=re.compile("Tc-99m MDP")).click()
    chosen = page.locator(".facets a.selected .facet-box")
    expect(chosen).to_have_count(1)
    color = chosen.evaluate("box => getComputedStyle(box).backgroundColor")
    assert color not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    page.screenshot(path=screenshot_dir / f"search-{size}.png", full_page=True)
    context.close()
