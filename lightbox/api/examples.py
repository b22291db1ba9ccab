"""The examples of the OpenAPI document: a request and an answer for every endpoint.

Each endpoint is declared with ``**documented(...)``, which gives django-ninja both its
``response`` (the success schema and the error statuses it can answer) and the
``openapi_extra`` that puts an example on each. A test checks that every operation has
them and that every example is valid against the schema it illustrates
(``lightbox/api/tests/test_openapi.py``), so an example cannot drift from the API.

The cases, people and numbers here are made up.
"""

from __future__ import annotations

from typing import Any

from lightbox.api.schemas import ErrorOut
from lightbox.lib.jsonerror import error_body

__all__ = ["documented"]

JSON = "application/json"

#: What each error status means, for any endpoint (an endpoint may say it better).
ERRORS = {
    400: "The request could not be read (malformed JSON, a body Django refuses).",
    401: "Sign in first: send `Authorization: Bearer <token>`, or a session cookie.",
    403: "Signed in, but this person (or a read token) may not do this.",
    404: "No case bs999.",
    409: "The case or topic was saved by someone else since the given revision.",
    413: "The request is too large.",
    422: "The request is not valid.",
    429: "Too many requests in a short time; wait a minute.",
}

INVALID_DETAILS = [
    {"loc": ["body", "acr_codes", 0], "msg": "'4.9.9' is not an ACR code: digits, a point, digits"}
]

AUTHOR = {"name": "Ann Example", "credentials": "M.D.", "username": "ann"}
DOSE = {
    "agent": "Tc-99m MDP",
    "activity": 21.6,
    "unit": "mCi",
    "activity_mbq": 799.2,
    "route": "i.v.",
    "time_to_imaging": "3 hours",
}
REFERENCE = {"text": "Doe J. Soft-tissue uptake on bone scans.", "pmid": "1234567", "doi": ""}
IMAGE_UNKNOWN = {
    "caption": "Anterior and posterior whole-body images",
    "is_main": True,
    "url": "/cases/bs001/images/12/full?v=3f2a9c01d4e5",
    "thumbnail_url": "/cases/bs001/images/12/thumb?v=3f2a9c01d4e5",
    "width": 512,
    "height": 1024,
}
CASE_SUMMARY = {
    "number": "bs001",
    "series": "bs",
    "title": "Dystrophic soft-tissue calcification",
    "status": "published",
    "visibility": "public",
    "modality": "NM",
    "brief_history": "Woman with a long history of connective tissue disease.",
    "url": "/cases/bs001/",
}
CASE = {
    **CASE_SUMMARY,
    "revision": 4,
    "authors": [AUTHOR],
    "case_date": "2024-03-14",
    "difficulty": 3,
    "quality": 4,
    "exam": "Whole-body bone scintigraphy",
    "patient_age": 51,
    "patient_sex": "F",
    "full_history": "Woman with connective tissue disease and firm skin nodules.",
    "radiopharmaceuticals": [DOSE],
    "findings": "Tracer uptake in the soft tissues of both thighs and arms.",
    "diagnosis": "Dystrophic soft-tissue calcification",
    "discussion": "Calcium deposits in damaged tissue take up bone tracers.",
    "followup": "Treated medically.",
    "differential": ["Dermatomyositis", "Scleroderma", "Hypercalcaemia"],
    "accepted_answers": ["Calcinosis"],
    "references": [REFERENCE],
    "acr_codes": ["4.5"],
    "codes": [],
    "keywords": ["calcinosis"],
    "anatomic_field": {"code": "4", "name": "Skeletal system"},
    "category": {"code": "5", "name": "Metabolic, endocrine, toxic"},
    "topic": {"slug": "bone-scintigraphy", "title": "Bone Scintigraphy"},
    "images": [{**IMAGE_UNKNOWN, "id": 12, "answer_caption": "Uptake in the thighs"}],
    "copyright": "Example University Hospital",
    "unparsed": "",
}
UNKNOWN_CASE = {
    **{k: CASE[k] for k in ("number", "series", "modality", "status", "visibility", "url")},
    "authors": [{"name": "Ann Example", "credentials": "M.D."}],
    **{k: CASE[k] for k in ("case_date", "difficulty", "quality", "exam", "patient_age")},
    "patient_sex": "F",
    "brief_history": CASE["brief_history"],
    "images": [IMAGE_UNKNOWN],
    "copyright": CASE["copyright"],
}
NEW_CASE = {
    "series": "bs",
    "title": "Dystrophic soft-tissue calcification",
    "modality": "NM",
    "exam": "Whole-body bone scintigraphy",
    "case_date": "2024-03-14",
    "patient_age": 51,
    "patient_sex": "F",
    "brief_history": "Woman with a long history of connective tissue disease.",
    "findings": "Tracer uptake in the soft tissues of both thighs and arms.",
    "diagnosis": "Dystrophic soft-tissue calcification",
    "differential": ["Dermatomyositis", "Scleroderma"],
    "acr_codes": ["4.5"],
    "authors": [{"name": "Ann Example", "credentials": "M.D.", "username": "ann"}],
    "radiopharmaceuticals": [
        {"agent": "Tc-99m MDP", "activity": "21.6", "unit": "mCi", "route": "i.v."}
    ],
    "references": [{"text": "Doe J. Soft-tissue uptake on bone scans.", "pmid": "1234567"}],
    "visibility": "private",
}
CASE_PATCH = {
    "revision": 4,
    "findings": "Tracer uptake in the soft tissues of both thighs, arms and buttocks.",
    "differential": ["Dermatomyositis", "Scleroderma", "Hyperparathyroidism"],
    "images": [{"id": 12, "caption": "Anterior and posterior whole-body images"}],
    "message": "Added the buttocks to the findings",
}
TRANSITION = {"action": "request_changes", "note": "Add the follow-up, please."}
TOPIC_SUMMARY = {
    "slug": "bone-scintigraphy",
    "title": "Bone Scintigraphy",
    "anatomic_field": {"code": "4", "name": "Skeletal system"},
    "category": {"code": "5", "name": "Metabolic, endocrine, toxic"},
    "url": "/topics/bone-scintigraphy/",
}
TOPIC = {
    **TOPIC_SUMMARY,
    "revision": 2,
    "discussion": "Bone-seeking tracers show **osteoblastic** activity.",
    "references": [{"text": "A textbook of scintigraphy.", "pmid": "", "doi": ""}],
}
NEW_TOPIC = {
    "title": "Bone Scintigraphy",
    "anatomic_field": "4",
    "category": "5",
    "discussion": "Bone-seeking tracers show **osteoblastic** activity.",
}
TOPIC_PATCH = {"revision": 2, "discussion": "Bone-seeking tracers show osteoblastic activity."}
COMMENT = {
    "id": 31,
    "parent": None,
    "state": "shown",
    "author": "Bob Example",
    "body": "Would an MRI of the thighs have helped?",
    "created": "2025-05-02T09:14:00Z",
    "edited": None,
    "hidden_reason": "",
    "url": "/cases/bs001/known/#comment-31",
}
NEW_COMMENT = {"body": "Would an MRI of the thighs have helped?", "parent": None}
COMMENT_PATCH = {"body": "Would an MRI of the thighs have helped here?"}
UPLOAD: dict[str, Any] = {
    "id": "4f0c2a7e-9d1b-4c3e-8a55-0b6f7d2e9c10",
    "case": "bs001",
    "state": "done",
    "error": "",
    "total": 1,
    "processed": 1,
    "failed": 0,
    "sent_bytes": 526324,
    "url": "/api/v1/uploads/4f0c2a7e-9d1b-4c3e-8a55-0b6f7d2e9c10",
    "files": [
        {
            "name": "IM0001.dcm",
            "size": 526324,
            "kind": "dicom",
            "state": "done",
            "step": "index",
            "error": "",
            "report": {"(0010,0010) Patient's Name": "replaced"},
            "progress": "Done",
            "outcome": "Stored",
            "needs_pixel_review": False,
        }
    ],
}
UPLOAD_RECEIVING: dict[str, Any] = {
    **UPLOAD,
    "state": "receiving",
    "processed": 0,
    "files": [{**UPLOAD["files"][0], "kind": "", "state": "queued", "step": "received",
               "report": {}, "progress": "Waiting", "outcome": "Waiting"}],
}  # fmt: skip
UPLOAD_QUEUED = {**UPLOAD_RECEIVING, "state": "queued"}
CANCELLED = "Cancelled by the uploader; nothing of it was kept."
UPLOAD_CANCELLED = {
    **UPLOAD_RECEIVING,
    "state": "failed",
    "error": CANCELLED,
    "processed": 1,
    "failed": 1,
    "files": [{**UPLOAD_RECEIVING["files"][0], "state": "failed", "error": CANCELLED}],
}
SEARCH = {
    "query": "diagnosis:calcinosis",
    "total": 1,
    "page": 1,
    "pages": 1,
    "sort": "relevance",
    "unknown": False,
    "results": [
        {
            "number": "bs001",
            "title": "Dystrophic soft-tissue calcification",
            "snippet": "Dystrophic soft-tissue <mark>calcification</mark>",
            "score": 7.25,
        }
    ],
    "facets": {"modality": [{"value": "NM", "label": "Nuclear medicine", "count": 1,
                             "selected": False}]},
    "suggestion": None,
    "corrected_from": None,
    "relaxed": False,
    "complete": None,
    "expanded": {},
    "synonyms": {},
}  # fmt: skip
SIMILAR = {
    "results": [
        {
            "number": "bs014",
            "title": "Calcinosis in dermatomyositis",
            "score": 0.82,
            "reasons": ["same ACR code 4.5", "shares the differential: Dermatomyositis"],
        }
    ]
}


def paged(item: dict[str, Any]) -> dict[str, Any]:
    return {"items": [item], "count": 1}


def documented(
    ok: dict[int, tuple[Any, Any]],
    body: dict[str, Any] | None = None,
    errors: dict[int, str | None] | None = None,
) -> dict[str, Any]:
    """``response`` and ``openapi_extra`` for an endpoint: ``ok`` maps each success status
    to its schema and example, ``body`` is an example request body (JSON), ``errors``
    maps each error status the endpoint can answer to an example message (None: the
    general one)."""
    errors = errors or {}
    response: dict[int, Any] = {status: schema for status, (schema, _) in ok.items()}
    examples = {status: example for status, (_, example) in ok.items()}
    for status, message in errors.items():
        response[status] = ErrorOut
        details = INVALID_DETAILS if status == 422 else None
        examples[status] = error_body(status, message or ERRORS[status], details)
    extra: dict[str, Any] = {
        "responses": {
            status: {"content": {JSON: {"example": example}}}
            for status, example in examples.items()
            if example is not None
        }
    }
    if body is not None:
        extra["requestBody"] = {"content": {JSON: {"example": body}}}
    return {"response": response, "openapi_extra": extra}
