import pytest

from lightbox.imaging.images import add_image
from lightbox.test import add_dose, add_people, make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db

CASE_KEYS = {
    "number", "series", "title", "status", "visibility", "authors", "case_date",
    "difficulty", "quality", "modality", "exam", "patient_age", "patient_sex",
    "brief_history", "full_history", "radiopharmaceuticals", "findings", "diagnosis",
    "discussion", "followup", "differential", "accepted_answers", "references", "acr_codes",
    "codes", "keywords", "anatomic_field", "category", "topic", "images", "copyright", "unparsed",
    "url", "revision",
}  # fmt: skip


def test_it_returns_the_structured_case(client):
    case = make_case(topic=make_topic())
    add_people(case, ("Ann Author", "M.D."))
    add_dose(case, activity="21.6")
    add_image(case, png_bytes(), caption="Whole body", is_main=True)
    data = client.get(f"/api/v1/cases/{case.number}").json()
    assert set(data) == CASE_KEYS
    assert data["number"] == "bs001"
    assert data["series"] == "bs"
    assert data["authors"] == [{"name": "Ann Author", "credentials": "M.D.", "username": ""}]
    assert data["case_date"] == "2024-03-14"
    assert data["radiopharmaceuticals"] == [
        {
            "agent": "Tc-99m MDP",
            "activity": 21.6,
            "unit": "mCi",
            "activity_mbq": 799.2,
            "route": "i.v.",
            "time_to_imaging": "",
        }
    ]
    assert data["anatomic_field"] == {"code": "4", "name": "Skeletal system"}
    assert data["category"] == {"code": "5", "name": "Metabolic, endocrine, toxic"}
    assert data["topic"] == {"slug": "bone-scintigraphy", "title": "Bone Scintigraphy"}
    [image] = data["images"]
    assert image["is_main"] is True
    assert client.get(image["url"]).status_code == 200
    assert client.get(image["thumbnail_url"])["Content-Type"] == "image/jpeg"


def test_it_lists_visible_cases_paginated(client):
    for _ in range(3):
        make_case()
    make_case(status="draft")
    data = client.get("/api/v1/cases?page_size=2").json()
    assert data["count"] == 3
    assert len(data["items"]) == 2
    assert set(data["items"][0]) == {
        "number", "series", "title", "status", "visibility", "modality", "brief_history", "url"
    }  # fmt: skip


@pytest.mark.parametrize(
    "query",
    ["page=99999999999999999999", "page=10001", "page_size=0", "page_size=201", "page=1e3"],
)
def test_a_page_out_of_range_is_invalid_not_a_server_error(client, query):
    make_case()
    response = client.get(f"/api/v1/cases?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    ("status", "visibility"),
    [("draft", "public"), ("published", "private"), ("published", "institution")],
)
def test_anonymous_callers_never_get_hidden_cases(client, status, visibility):
    case = make_case(status=status, visibility=visibility)
    response = client.get(f"/api/v1/cases/{case.number}")
    assert response.status_code == 404
    assert client.get("/api/v1/cases").json()["count"] == 0


def test_an_author_gets_their_own_draft(client, people):
    case = make_case(status="draft", visibility="private", created_by=people["alice"])
    client.force_login(people["alice"])
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 200
    client.force_login(people["charlie"])
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 404


def test_openapi_describes_the_case_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/{number}" in spec["paths"]
    assert "/api/v1/cases" in spec["paths"]
