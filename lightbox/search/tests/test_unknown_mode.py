"""Unknown mode shows only what the unknown page shows: search (page and API), similar
cases (page and API), the unknown page itself, its API twin and the image viewer.

Two cases share every part of the answer, each part carrying a marker word of its own;
no marker may reach a reader in unknown mode, while each does in known mode.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from lightbox.cases import unknown
from lightbox.cases.models import Case
from lightbox.imaging.images import add_image
from lightbox.test import add_dose, make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db

#: What each part of the answer is called in the planted cases.
MARKERS = {
    "title": "Qztitle",
    "diagnosis": "Qzdiagnosis",
    "findings": "Qzfindings",
    "full_history": "Qzfullhistory",
    "discussion": "Qzdiscussion",
    "followup": "Qzfollowup",
    "differential": "Qzdifferential",
    "keywords": "Qzkeyword",
    "references": "Qzreference",
    "acr_codes": "48.3719",
    "anatomic_field": "Skeletal system",  # field 4 of the ACR table
    "category": "Neoplasm",  # category .3
    "topic": "Qztopic",
    "agent": "Qzagent",
    "answer_caption": "Qzanswercaption",
}
SAFE = {"brief_history": "Qzbrief", "caption": "Qzview"}


def _plant(**extra):
    topic = make_topic(title=f"{MARKERS['topic']} page", field="4", category="3")
    case = make_case(
        title=f"{MARKERS['title']} case",
        diagnosis=f"{MARKERS['diagnosis']} disease",
        findings=f"{MARKERS['findings']} uptake.",
        full_history=f"{MARKERS['full_history']} history.",
        discussion=f"{MARKERS['discussion']} point.",
        followup=f"{MARKERS['followup']} later.",
        differential=[f"{MARKERS['differential']} one"],
        keywords=[MARKERS["keywords"]],
        references=[{"text": f"{MARKERS['references']} J.", "pmid": "", "doi": ""}],
        acr_codes=[MARKERS["acr_codes"]],
        topic=topic,
        brief_history=f"{SAFE['brief_history']} history before the answer.",
        **extra,
    )
    add_dose(case, agent=f"Tc-99m {MARKERS['agent']}")
    add_image(
        case,
        png_bytes(),
        caption=f"Anterior {SAFE['caption']} view",
        answer_caption=f"{MARKERS['answer_caption']} lesion",
        is_main=True,
    )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def pair():
    return _plant(), _plant()


def _leaks(text: str) -> list[str]:
    low = text.lower()
    return [name for name, marker in MARKERS.items() if marker.lower() in low]


def _facets_html(html: str) -> str:
    return html.split('class="facets"')[1].split("</aside>")[0]


def test_it_shows_no_answer_in_unknown_search_facets_results_or_json(client, pair):
    case, _ = pair
    for params in ({"unknown": "1"}, {"unknown": "1", "q": SAFE["brief_history"]}):
        html = client.get("/search/", params).content.decode()
        assert case.number in html
        assert _leaks(html) == []
        facets = _facets_html(html)
        assert "Modality" in facets and "Difficulty" in facets
        for heading in ("Anatomic field", "Category", "Radiopharmaceutical"):
            assert f"<h2>{heading}</h2>" not in facets
    body = client.get("/api/v1/search", {"unknown": "true"}).json()
    assert {r["number"] for r in body["results"]} >= {case.number}
    assert _leaks(json.dumps(body)) == []
    assert set(body["facets"]) <= {n for n, s in _facet_sources().items() if unknown.shows(s)}
    # Known mode shows what unknown mode hides, so the markers above could be seen.
    known = client.get("/search/").content.decode()
    assert {"anatomic_field", "category", "agent"} <= set(_leaks(_facets_html(known)))
    known_json = client.get("/api/v1/search", {"q": SAFE["brief_history"]}).json()
    assert {"field", "category", "agent"} <= set(known_json["facets"])


def test_it_still_narrows_by_an_answer_facet_the_reader_chose_without_counting_it(client, pair):
    make_case(acr_codes=["6.2"])  # another category
    html = client.get("/search/", {"unknown": "1", "category": "3"}).content.decode()
    assert "2 cases" in html
    facets = _facets_html(html)
    [category] = re.findall(r"<h2>Category</h2>.*?</details>", facets, re.S)
    assert ".3 Neoplasm" in category and 'class="count"' not in category
    assert "Inflammation" not in facets  # the other categories are not listed
    body = client.get("/api/v1/search", {"unknown": "true", "category": "3"}).json()
    assert body["total"] == 2 and "category" not in body["facets"]


def test_it_answers_an_answer_word_with_unknowns_only(client, pair):
    """A reader may search for ``diagnosis:…`` (their own word): the results are still
    unknowns, and no other part of the answer comes with them."""
    html = client.get("/search/", {"unknown": "1", "q": "qzdiagnosis"}).content.decode()
    assert pair[0].number in html
    assert _leaks(html) == ["diagnosis"]  # the words typed, echoed in the search box
    results = html.split('class="results"')[1].split("similar-box")[0]
    # The result links carry the search (?in=…, to step through it): the reader's words.
    results = re.sub(r'\?in=[^"]*"', '"', results)
    assert "qzdiagnosis" not in results.lower().replace("for <strong>qzdiagnosis", "")


def test_it_names_nothing_of_the_answer_in_unknown_similar_reasons(client, pair):
    case, other = pair
    html = client.get(f"/cases/{case.number}/similar/?unknown=1").content.decode()
    body = client.get(f"/api/v1/cases/{case.number}/similar?unknown=true").json()
    [result] = body["results"]
    assert result["number"] == other.number
    for text in (html, json.dumps(body)):
        assert other.number in text
        assert _leaks(text) == []
    assert "same radiopharmaceutical" in result["reasons"]
    assert "same modality NM" not in result["reasons"]  # the agent reason comes first
    assert "same ACR code" in result["reasons"]
    known = client.get(f"/api/v1/cases/{case.number}/similar").json()["results"][0]
    assert f"same radiopharmaceutical Tc-99m {MARKERS['agent']}" in known["reasons"]
    assert f"same ACR code {MARKERS['acr_codes']}" in known["reasons"]


def test_it_names_the_modality_in_unknown_reasons_it_shows(client):
    case = make_case(acr_codes=["6.2"], modality="MR")
    make_case(acr_codes=["8.3"], modality="MR", differential=[], keywords=[])
    [result] = client.get(f"/api/v1/cases/{case.number}/similar?unknown=true").json()["results"]
    assert "same modality MR" in result["reasons"]


def test_the_unknown_page_and_its_api_show_no_answer(client, pair):
    case, _ = pair
    image = case.images.get()
    urls = {
        "unknown page": f"/cases/{case.number}/",
        "unknown API": f"/api/v1/cases/{case.number}/unknown",
        "image viewer": image.get_absolute_url(),
        "viewer manifest": reverse("lightbox-image-manifest", args=[case.number, image.pk]),
    }
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
        assert _leaks(pages[name]) == [], name
    for name in ("unknown page", "unknown API", "image viewer"):
        assert SAFE["caption"] in pages[name], name
    assert SAFE["brief_history"] in pages["unknown page"]
    assert SAFE["brief_history"] in pages["unknown API"]
    known = client.get(f"/cases/{case.number}/known/").content.decode()
    assert set(_leaks(known)) == set(MARKERS)  # each marker is there to be found
    full = client.get(f"/api/v1/cases/{case.number}").json()
    assert full["images"][0]["answer_caption"] == f"{MARKERS['answer_caption']} lesion"


def test_the_unknown_api_refuses_a_case_the_reader_may_not_see(client):
    case = make_case(status="draft")
    response = client.get(f"/api/v1/cases/{case.number}/unknown")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_case_field_is_either_shown_or_part_of_the_answer():
    """A new field must be placed on one side before anything can show it."""
    names = {f.name for f in Case._meta.get_fields()}
    internal = unknown.ACCESS | {"number", "is_demo"}
    unplaced = names - unknown.SHOWN - unknown.ANSWER - internal
    # Rows the case owns that no page shows (search entries, caches, drafts, notes, the
    # PACS study it was made from, shown to authors only in the inbox…), and
    # readers' records of it (attempts, review cards, the measured difficulty: see
    # lightbox.learning).
    owned = {
        "rendered", "review_notes", "acknowledgements", "edit_drafts", "studies", "uploads",
        "comments", "attempts", "cards", "measured", "received_studies",
    }  # fmt: skip
    assert {n for n in unplaced if n not in owned and not n.startswith("+")} == set()
    assert not unknown.SHOWN & unknown.ANSWER
    assert not unknown.IMAGE_SHOWN & unknown.IMAGE_ANSWER
    for reads in (*unknown.DERIVED.values(), *unknown.IMAGE_DERIVED.values()):
        assert reads <= unknown.SHOWN | unknown.IMAGE_SHOWN


def test_the_unknown_schema_and_cards_hold_only_shown_fields():
    from lightbox.api.schemas import UnknownCaseOut, UnknownImageOut
    from lightbox.search import engine, similar

    assert set(UnknownCaseOut.model_fields) - {"url"} <= unknown.SHOWN
    assert set(UnknownImageOut.model_fields) - {"url", "thumbnail_url"} <= unknown.IMAGE_SHOWN
    assert set(engine.FACET_SOURCES) == set(engine.FACETS)
    for source in (*engine.FACET_SOURCES.values(), *similar.REASON_SOURCES.values()):
        unknown.shows(source)  # raises KeyError for an attribute on neither side


def test_an_unknown_view_cannot_read_the_answer(pair):
    case, _ = pair
    view = unknown.view(case)
    assert view.brief_history.startswith(SAFE["brief_history"])
    assert str(view) == f"Case {case.number}"
    for name in (
        "diagnosis", "title", "findings", "topic", "radiopharmaceuticals", "images", "source",
    ):  # fmt: skip
        with pytest.raises(AttributeError):
            getattr(view, name)
    with pytest.raises(AttributeError):
        view.series.cases  # noqa: B018 (a relation would lead back to every case)
    image = unknown.image_view(case.images.get())
    assert image.caption.startswith("Anterior")
    with pytest.raises(AttributeError):
        image.answer_caption  # noqa: B018
    with pytest.raises(AttributeError):
        image.case.diagnosis  # noqa: B018


def _facet_sources() -> dict[str, str]:
    from lightbox.search.engine import FACET_SOURCES

    return FACET_SOURCES
