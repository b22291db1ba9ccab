"""POST and PATCH /api/v1/cases: the editor's rules, revisions, audit and conflicts."""

from __future__ import annotations

import json

import pytest

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Case
from lightbox.history.models import Revision
from lightbox.imaging.images import add_image
from lightbox.test import add_dose, add_people, make_case, make_series, make_topic, png_bytes

pytestmark = pytest.mark.django_db

EVERYTHING = {
    "series": "bs",
    "title": "Dystrophic soft-tissue calcification",
    "modality": "NM",
    "exam": "Whole-body bone scintigraphy",
    "case_date": "2024-03-14",
    "patient_age": 51,
    "patient_sex": "F",
    "brief_history": "Woman with connective tissue disease.",
    "full_history": "Firm skin nodules for years.",
    "findings": "Uptake in the soft tissues of both thighs.",
    "diagnosis": "Dystrophic calcification",
    "discussion": "Calcium in damaged tissue takes up bone tracers.",
    "followup": "Treated medically.",
    "topic": "bone-scintigraphy",
    "difficulty": 3,
    "quality": 4,
    "copyright": "Example University Hospital",
    "visibility": "institution",
    "differential": ["Dermatomyositis", "Scleroderma"],
    "accepted_answers": ["Calcinosis"],
    "keywords": ["calcinosis", "PET/CT"],
    "acr_codes": ["4.5", "642.3212"],
    "references": [{"text": "Doe J. Uptake.", "pmid": "123", "doi": "10.1000/xyz"}],
    "authors": [
        {"name": "Alice Moreau", "credentials": "M.D.", "username": "alice"},
        {"name": "Bo Li", "credentials": "Ph.D.", "username": ""},
    ],
    "radiopharmaceuticals": [
        {"agent": "Tc-99m MDP", "activity": "21.6", "unit": "mCi", "route": "i.v.",
         "time_to_imaging": "3 hours"}
    ],
    "message": "First version",
}  # fmt: skip


def send(client, method, url, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic(method, url, data, content_type="application/json", **extra)


@pytest.fixture
def alice(client, people):
    make_series()
    client.force_login(people["alice"])
    return client


@pytest.fixture
def draft(people):
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    add_people(case, ("Alice Moreau", "M.D."))
    add_dose(case)
    return case


def read(client, case) -> dict:
    response = client.get(f"/api/v1/cases/{case.number}")
    assert response.status_code == 200
    return response.json()


# -- creating ------------------------------------------------------------------------------


def test_it_creates_a_case_with_every_field(alice, people):
    make_topic()
    response = send(alice, "POST", "/api/v1/cases", EVERYTHING)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == "bs001" and data["status"] == "draft"
    case = Case.objects.get(number="bs001")
    assert case.created_by == people["alice"]
    for key in ("title", "findings", "differential", "keywords", "acr_codes", "references"):
        assert data[key] == EVERYTHING[key], key
    assert data["visibility"] == "institution"
    assert data["case_date"] == "2024-03-14" and data["patient_age"] == 51
    assert data["anatomic_field"]["code"] == "4" and data["category"]["code"] == "5"
    assert data["topic"]["slug"] == "bone-scintigraphy"
    assert [(a["name"], a["username"]) for a in data["authors"]] == [
        ("Alice Moreau", "alice"),
        ("Bo Li", ""),
    ]
    assert case.authors.get(name="Alice Moreau").user == people["alice"]
    assert data["radiopharmaceuticals"][0]["activity_mbq"] == 799.2
    assert data["revision"] == 1
    revision = Revision.objects.get(target_id=case.pk)
    assert (revision.kind, revision.message) == ("created", "First version")
    entry = AuditEntry.objects.get(action="create", target_id="bs001")
    assert entry.actor == people["alice"] and entry.data["via"] == "api"
    # Searchable at once, like a case saved in the editor.
    assert alice.get("/api/v1/search?q=dermatomyositis").json()["total"] == 1


def test_the_next_number_of_the_series_is_assigned(alice):
    make_case()
    assert send(alice, "POST", "/api/v1/cases", {"series": "bs"}).json()["number"] == "bs002"


def test_a_new_case_is_a_private_draft_unless_said(alice):
    data = send(alice, "POST", "/api/v1/cases", {"series": "bs"}).json()
    assert (data["status"], data["visibility"]) == ("draft", "private")


@pytest.mark.parametrize("person", ["bob"])
def test_a_learner_cannot_create_cases(client, people, person):
    make_series()
    client.force_login(people[person])
    response = send(client, "POST", "/api/v1/cases", {"series": "bs"})
    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"series": "zz"}, ["body", "series"]),
        ({"series": "bs", "acr_codes": ["4.5", "banana"]}, ["body", "acr_codes", 1]),
        ({"series": "bs", "modality": "XX"}, ["body", "modality"]),
        ({"series": "bs", "difficulty": 9}, ["body", "difficulty"]),
        ({"series": "bs", "references": [{"text": "x", "doi": "nope"}]},
         ["body", "references", 0, "doi"]),
        ({"series": "bs", "authors": [{"name": "A", "username": "nobody"}]},
         ["body", "authors", 0, "username"]),
        ({"series": "bs", "radiopharmaceuticals": [{"agent": "F-18 FDG", "activity": "-1"}]},
         ["body", "radiopharmaceuticals", 0, "activity"]),
        ({"series": "bs", "topic": "no-such-topic"}, ["body", "topic"]),
        ({"series": "bs", "title": "x" * 201}, ["body", "title"]),
        ({"series": "bs", "visibility": "everyone"}, ["body", "visibility"]),
        ({"series": "bs", "case_date": "2024-02-30"}, ["body", "case_date"]),
        ({"series": "bs", "findngs": "typo"}, ["body", "findngs"]),
        ({"series": "bs", "differential": ["ok", "  "]}, ["body", "differential", 1]),
        ({"series": "bs", "findings": "a\x00b"}, ["body", "findings"]),
        ({"series": "bs", "keywords": ["k"] * 1001}, ["body", "keywords"]),
        ({"series": "bs", "patient_age": 10**30}, ["body", "patient_age"]),
        ({"series": "bs", "radiopharmaceuticals": [{"agent": "x", "activity": "NaN"}]},
         ["body", "radiopharmaceuticals", 0, "activity"]),
        ({"title": "no series"}, ["body", "series"]),
    ],
)  # fmt: skip
def test_a_bad_field_is_named_and_nothing_is_created(alice, body, loc):
    response = send(alice, "POST", "/api/v1/cases", body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert loc in [d["loc"] for d in error["details"]], error["details"]
    assert all(d["msg"] for d in error["details"])
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()


@pytest.mark.parametrize(
    "body",
    [
        "{",
        "[]",
        '"text"',
        "null",
        "1e999",
        "[" * 100_000,
        '{"series": "bs", "patient_age": 1e999}',
        '{"series": "bs", "differential": "not a list"}',
        '{"series": "bs", "authors": [["Alice"]]}',
        '{"series": ["bs"]}',
        '{"series": "bs", "difficulty": "3; DROP TABLE"}',
        b"\xff\xfe{}",
        '{"series": "bs", "case_date": "99999-01-01"}',
    ],
)
def test_a_hostile_body_is_a_clear_client_error(alice, body):
    response = send(alice, "POST", "/api/v1/cases", body)
    assert response.status_code in (400, 422), response.content
    assert response.json()["error"]["message"]
    assert not Case.objects.exists()


def test_a_body_over_the_limit_is_refused_unread(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = send(alice, "POST", "/api/v1/cases", {"series": "bs", "findings": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


# -- changing ------------------------------------------------------------------------------


def test_a_patch_changes_only_the_fields_given(alice, draft):
    before = read(alice, draft)
    response = send(
        alice,
        "PATCH",
        f"/api/v1/cases/{draft.number}",
        {"revision": before["revision"], "findings": "New findings.", "keywords": ["new"]},
    )
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["findings"] == "New findings." and after["keywords"] == ["new"]
    assert after["revision"] == before["revision"] + 1
    for key in set(before) - {"findings", "keywords", "revision"}:
        assert after[key] == before[key], key
    latest = Revision.objects.filter(target_id=draft.pk).order_by("-number").first()
    assert set(latest.changed) == {"findings", "keywords"}
    entry = AuditEntry.objects.get(action="edit", target_id=draft.number)
    assert entry.data["revision"] == after["revision"]


def test_what_is_read_can_be_sent_back_unchanged(alice, draft, people):
    add_people(draft, ("Alice Moreau", "M.D."))
    draft.authors.update(user=people["alice"])
    data = read(alice, draft)
    writable = {
        "title", "modality", "exam", "case_date", "patient_age", "patient_sex",
        "brief_history", "full_history", "findings", "diagnosis", "discussion", "followup",
        "difficulty", "quality", "copyright", "visibility", "differential",
        "accepted_answers", "keywords", "acr_codes", "references", "authors",
    }  # fmt: skip
    body = {k: data[k] for k in writable} | {"revision": data["revision"]}
    response = send(alice, "PATCH", f"/api/v1/cases/{draft.number}", body)
    assert response.status_code == 200, response.content
    # Nothing changed: no revision, no audit entry, the co-author's account kept.
    assert response.json()["revision"] == data["revision"]
    assert not AuditEntry.objects.filter(action="edit").exists()
    assert all(a.user == people["alice"] for a in draft.authors.all())


def test_a_stale_revision_is_a_conflict_and_changes_nothing(client, people, draft):
    client.force_login(people["alice"])
    opened = read(client, draft)["revision"]
    client.force_login(people["erin"])
    first = send(
        client, "PATCH", f"/api/v1/cases/{draft.number}", {"revision": opened, "diagnosis": "X"}
    )
    assert first.status_code == 200
    client.force_login(people["alice"])
    response = send(
        client,
        "PATCH",
        f"/api/v1/cases/{draft.number}",
        {"revision": opened, "findings": "Alice's findings."},
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert f"revision {opened + 1}" in error["message"] and "Erin" in error["message"]
    assert [d["loc"] for d in error["details"]] == [["body", "diagnosis"]]
    draft.refresh_from_db()
    assert draft.findings != "Alice's findings." and draft.diagnosis == "X"
    # With the new revision it goes through.
    again = send(
        client,
        "PATCH",
        f"/api/v1/cases/{draft.number}",
        {"revision": opened + 1, "findings": "Alice's findings."},
    )
    assert again.status_code == 200


def test_the_editor_and_the_api_see_each_others_saves_as_conflicts(client, people, draft):
    client.force_login(people["alice"])
    opened = read(client, draft)["revision"]
    # Someone saves in the web editor meanwhile.
    from lightbox.cases.tests.test_editor import form_data

    data = form_data(client, f"/cases/{draft.number}/edit/")
    data["findings"] = "Saved in the editor."
    assert client.post(f"/cases/{draft.number}/edit/", data).status_code == 302
    response = send(
        client, "PATCH", f"/api/v1/cases/{draft.number}", {"revision": opened, "title": "API"}
    )
    assert response.status_code == 409


def test_a_revision_is_required(alice, draft):
    response = send(alice, "PATCH", f"/api/v1/cases/{draft.number}", {"title": "x"})
    assert response.status_code == 422
    assert ["body", "revision"] in [d["loc"] for d in response.json()["error"]["details"]]


def test_who_may_change_a_case(client, people, draft):
    body = {"revision": 1, "title": "Changed"}
    url = f"/api/v1/cases/{draft.number}"
    expected = {"bob": 404, "charlie": 404, "alice": 200, "erin": 409, "root": 409}
    for person, status in expected.items():
        client.force_login(people[person])
        assert send(client, "PATCH", url, body).status_code == status, person
    published = make_case(created_by=people["alice"])
    for person in ("bob", "charlie"):
        client.force_login(people[person])
        response = send(client, "PATCH", f"/api/v1/cases/{published.number}", body)
        assert response.status_code == 403, person
    client.logout()
    assert send(client, "PATCH", url, body).status_code == 401


def test_only_editors_change_who_may_read_a_published_case(client, people):
    case = make_case(created_by=people["alice"], visibility="institution")
    url = f"/api/v1/cases/{case.number}"
    client.force_login(people["alice"])
    revision = read(client, case)["revision"]
    response = send(client, "PATCH", url, {"revision": revision, "visibility": "public"})
    assert response.status_code == 403
    # Sending it back as it is, is fine.
    same = send(client, "PATCH", url, {"revision": revision, "visibility": "institution"})
    assert same.status_code == 200
    client.force_login(people["erin"])
    assert (
        send(client, "PATCH", url, {"revision": revision, "visibility": "public"}).json()[
            "visibility"
        ]
        == "public"
    )


def test_images_are_reordered_and_captioned_and_a_caption_not_given_stays(alice, draft):
    first = add_image(draft, png_bytes(), caption="Anterior", answer_caption="Uptake")
    second = add_image(draft, png_bytes(color=9), caption="Posterior", is_main=True)
    revision = read(alice, draft)["revision"]
    response = send(
        alice,
        "PATCH",
        f"/api/v1/cases/{draft.number}",
        {
            "revision": revision,
            "images": [{"id": second.pk, "answer_caption": "Thighs"}, {"id": first.pk}],
            "main_image": first.pk,
        },
    )
    assert response.status_code == 200, response.content
    images = response.json()["images"]
    assert [(i["id"], i["caption"], i["answer_caption"], i["is_main"]) for i in images] == [
        (second.pk, "Posterior", "Thighs", False),
        (first.pk, "Anterior", "Uptake", True),
    ]


@pytest.mark.parametrize(
    "images",
    [
        lambda a, b: [{"id": a}],
        lambda a, b: [{"id": a}, {"id": a}],
        lambda a, b: [{"id": a}, {"id": b}, {"id": 999999}],
        lambda a, b: [{"id": a}, {"id": 2**63 - 1}],
    ],
)
def test_images_must_be_listed_each_once(alice, draft, images):
    a = add_image(draft, png_bytes(), caption="A").pk
    b = add_image(draft, png_bytes(color=9), caption="B").pk
    response = send(
        alice, "PATCH", f"/api/v1/cases/{draft.number}", {"revision": 1, "images": images(a, b)}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "images"]


def test_the_main_image_must_be_the_cases(alice, draft):
    other = add_image(make_case(), png_bytes())
    response = send(
        alice, "PATCH", f"/api/v1/cases/{draft.number}", {"revision": 1, "main_image": other.pk}
    )
    assert response.status_code == 422


def test_a_published_case_with_an_unresolved_identifier_is_not_saved(client, people):
    case = make_case(created_by=people["alice"])
    client.force_login(people["erin"])
    revision = read(client, case)["revision"]
    response = send(
        client,
        "PATCH",
        f"/api/v1/cases/{case.number}",
        {"revision": revision, "full_history": "Seen by Dr. Hartmann on 14 March 2024."},
    )
    assert response.status_code == 422
    assert "identifier" in json.dumps(response.json())
    case.refresh_from_db()
    assert "Hartmann" not in case.full_history


def test_a_patient_age_over_89_is_kept_as_90(alice, draft):
    response = send(
        alice, "PATCH", f"/api/v1/cases/{draft.number}", {"revision": 1, "patient_age": 97}
    )
    assert response.json()["patient_age"] == 90


def test_the_answer_never_reaches_the_unknown_of_a_case_written_by_the_api(alice):
    send(alice, "POST", "/api/v1/cases", EVERYTHING | {"topic": None})
    unknown = alice.get("/api/v1/cases/bs001/unknown").json()
    text = json.dumps(unknown)
    for secret in ("Dystrophic", "Dermatomyositis", "Uptake in the soft", "642.3212"):
        assert secret not in text


def test_a_list_of_the_editor_the_api_does_not_write_is_kept(alice, draft, monkeypatch):
    """The editor may gain a list before the API does (as it gained RadLex codes): a PATCH
    posts it back as the editor shows it, never an empty list that would delete it."""
    from lightbox.api import editing

    monkeypatch.delitem(editing.TEXT_LISTS, "keywords")
    response = send(
        alice, "PATCH", f"/api/v1/cases/{draft.number}", {"revision": 1, "findings": "New."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["keywords"] == ["calcinosis"]
    assert response.json()["findings"] == "New."
