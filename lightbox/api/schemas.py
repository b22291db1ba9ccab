"""JSON shapes of the API. Field names are part of the versioned contract."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from lightbox.cases import access, unknown
from lightbox.cases.models import Case, CaseAuthor, Topic
from lightbox.comments.models import Comment
from lightbox.history import revisions
from lightbox.imaging.models import Image, Upload, UploadFile


class AuthorOut(Schema):
    name: str
    credentials: str


class CaseAuthorOut(AuthorOut):
    username: str = Field(
        description="The co-author's account, which lets them edit the case. Given only to "
        "those who may edit the case (else empty), so that a PATCH of `authors` can keep it."
    )


class RadiopharmaceuticalOut(Schema):
    agent: str
    activity: float | None
    unit: str
    activity_mbq: float | None
    route: str
    time_to_imaging: str


class ReferenceOut(Schema):
    text: str
    pmid: str = ""
    doi: str = ""


class CodeNameOut(Schema):
    code: str
    name: str


class CodeOut(Schema):
    """A RadLex or SNOMED CT code of a case: ``system`` is the DICOM coding scheme
    designator (RADLEX, SCT)."""

    system: str
    code: str
    meaning: str
    synonyms: list[str]


class TopicOut(Schema):
    slug: str
    title: str


class UnknownImageOut(Schema):
    """An image as the unknown page shows it: the caption before the answer only."""

    caption: str
    is_main: bool
    url: str
    thumbnail_url: str
    width: int
    height: int


class ImageOut(UnknownImageOut):
    id: int = Field(description="Names the image in a PATCH of the case's `images`.")
    answer_caption: str


class CaseSummaryOut(Schema):
    number: str
    series: str
    title: str
    status: str
    visibility: str
    modality: str
    brief_history: str
    url: str

    @staticmethod
    def resolve_series(case: Case) -> str:
        return case.series.prefix

    @staticmethod
    def resolve_url(case: Case) -> str:
        return case.get_absolute_url()


class CaseOut(CaseSummaryOut):
    revision: int = Field(
        description="The case's latest revision: send it back with a PATCH, which is "
        "refused (409) if someone saved the case since."
    )
    authors: list[CaseAuthorOut]
    case_date: dt.date | None
    difficulty: int | None
    quality: int | None
    exam: str
    patient_age: int | None
    patient_sex: str
    full_history: str
    radiopharmaceuticals: list[RadiopharmaceuticalOut]
    findings: str
    diagnosis: str
    discussion: str
    followup: str
    differential: list[str]
    accepted_answers: list[str]
    references: list[ReferenceOut]
    acr_codes: list[str]
    codes: list[CodeOut]
    keywords: list[str]
    anatomic_field: CodeNameOut | None
    category: CodeNameOut | None
    topic: TopicOut | None
    images: list[ImageOut]
    copyright: str
    unparsed: str

    @staticmethod
    def resolve_revision(case: Case) -> int:
        return latest_revision(case)

    @staticmethod
    def resolve_authors(case: Case, context: Any) -> list[dict[str, str]]:
        request = (context or {}).get("request")
        editable = request is not None and access.can_edit_case(request.user, case)
        return [
            {
                "name": a.name,
                "credentials": a.credentials,
                "username": a.user.get_username() if editable and a.user else "",
            }
            for a in case.authors.all()
        ]

    @staticmethod
    def resolve_radiopharmaceuticals(case: Case) -> list[dict[str, object]]:
        return [
            {
                "agent": r.agent,
                "activity": float(r.activity) if r.activity is not None else None,
                "unit": r.unit,
                "activity_mbq": float(r.activity_mbq) if r.activity_mbq is not None else None,
                "route": r.route,
                "time_to_imaging": r.time_to_imaging,
            }
            for r in case.radiopharmaceuticals.all()
        ]

    @staticmethod
    def resolve_codes(case: Case) -> list[dict[str, object]]:
        return [
            {
                "system": c.code.system,
                "code": c.code.code,
                "meaning": c.code.meaning,
                "synonyms": list(c.code.terms[1:]),
            }
            for c in case.case_codes.all()
        ]

    @staticmethod
    def resolve_anatomic_field(case: Case) -> dict[str, str] | None:
        if not case.anatomic_field:
            return None
        return {"code": case.anatomic_field, "name": case.field_name}

    @staticmethod
    def resolve_category(case: Case) -> dict[str, str] | None:
        if not case.category:
            return None
        return {"code": case.category, "name": case.category_name}

    @staticmethod
    def resolve_topic(case: Case) -> dict[str, str] | None:
        if not case.topic:
            return None
        return {"slug": case.topic.slug, "title": case.topic.title}

    @staticmethod
    def resolve_images(case: Case) -> list[dict[str, object]]:
        return [
            {**_image(i), "id": i.pk, "answer_caption": i.answer_caption}
            for i in case.images.all()
        ]


def latest_revision(target: Case | Topic) -> int:
    """The number of ``target``'s latest revision; 1 when it has none yet, since the
    first save through the editor or the API records its current state as revision 1."""
    latest = revisions.latest(target)
    return latest.number if latest else 1


def _image(image: Any) -> dict[str, object]:
    """What both the known and the unknown case say of an image. An image awaiting
    pixel review has no address (its files are refused to readers until it is reviewed)."""
    hidden = image.needs_pixel_review
    return {
        "caption": image.caption,
        "is_main": image.is_main,
        "url": "" if hidden else image.get_file_url(),
        "thumbnail_url": "" if hidden else image.get_thumbnail_url(),
        "width": image.width,
        "height": image.height,
    }


class UnknownCaseOut(Schema):
    """A case as its unknown page shows it (:mod:`lightbox.cases.unknown`): read through
    the unknown's view, so a field of the answer added here fails instead of leaking."""

    number: str
    series: str
    modality: str
    status: str
    visibility: str
    url: str
    authors: list[AuthorOut]
    case_date: dt.date | None
    difficulty: int | None
    quality: int | None
    exam: str
    patient_age: int | None
    patient_sex: str
    brief_history: str
    images: list[UnknownImageOut]
    copyright: str

    @staticmethod
    def resolve_series(case: Any) -> str:
        return str(case.series.prefix)

    @staticmethod
    def resolve_url(case: Any) -> str:
        return str(case.get_absolute_url())

    @staticmethod
    def resolve_authors(case: Any) -> list[dict[str, str]]:
        authors = CaseAuthor.objects.filter(case_id=case.pk).order_by("order", "pk")
        return [
            {"name": a.name, "credentials": a.credentials}
            for a in map(unknown.author_view, authors)
        ]

    @staticmethod
    def resolve_images(case: Any) -> list[dict[str, object]]:
        images = Image.objects.filter(case_id=case.pk).select_related("case")
        return [_image(unknown.image_view(i)) for i in images]


class UploadFileOut(Schema):
    name: str
    size: int
    kind: str
    state: str
    step: str
    error: str
    report: dict[str, object]
    progress: str  # where it is, in words: "Removing identifiers", "Done", "Stopped (…)"
    outcome: str  # what became of it, in words ("Stored; needs pixel review …")
    needs_pixel_review: bool


class UploadOut(Schema):
    id: str
    case: str
    state: str  # receiving, queued, processing, done, failed
    error: str
    total: int
    processed: int
    failed: int
    sent_bytes: int  # of the files as sent, not counting what zips expanded to
    files: list[UploadFileOut]
    url: str

    @staticmethod
    def resolve_id(upload: Upload) -> str:
        return str(upload.pk)

    @staticmethod
    def resolve_case(upload: Upload) -> str:
        return upload.case.number

    @staticmethod
    def resolve_total(upload: Upload) -> int:
        return len(upload.files.all())

    @staticmethod
    def resolve_processed(upload: Upload) -> int:
        return sum(f.state != "queued" for f in upload.files.all())

    @staticmethod
    def resolve_failed(upload: Upload) -> int:
        return sum(f.state == "failed" for f in upload.files.all())

    @staticmethod
    def resolve_sent_bytes(upload: Upload) -> int:
        return sum(f.size for f in upload.files.all() if f.depth == 0)

    @staticmethod
    def resolve_files(upload: Upload) -> list[UploadFile]:
        return list(upload.files.all())

    @staticmethod
    def resolve_url(upload: Upload) -> str:
        return f"/api/v1/uploads/{upload.pk}"


class SearchHitOut(Schema):
    number: str
    title: str
    snippet: str  # HTML: the text escaped, the words found in <mark>
    score: float


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class SuggestionOut(Schema):
    query: str
    total: int


class SearchOut(Schema):
    query: str
    total: int
    page: int
    pages: int
    sort: str
    unknown: bool
    results: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]]
    suggestion: SuggestionOut | None
    # What was typed, when it found nothing and ``query`` is its correction.
    corrected_from: str | None
    # No case had every word: the results are the cases with most of them.
    relaxed: bool
    # Only this many cases have every word (first); the cases with most of them follow.
    complete: int | None
    # Each abbreviation also searched for its meanings.
    expanded: dict[str, list[str]]
    # Each synonym or eponym also searched for the name it stands for.
    synonyms: dict[str, str]


class SimilarOut(Schema):
    number: str
    title: str
    score: float
    reasons: list[str]


class SimilarListOut(Schema):
    results: list[SimilarOut]


class TopicSummaryOut(Schema):
    slug: str
    title: str
    anatomic_field: CodeNameOut | None
    category: CodeNameOut | None
    url: str

    @staticmethod
    def resolve_anatomic_field(topic: Topic) -> dict[str, str] | None:
        if not topic.anatomic_field:
            return None
        return {"code": topic.anatomic_field, "name": topic.field_name}

    @staticmethod
    def resolve_category(topic: Topic) -> dict[str, str] | None:
        if not topic.category:
            return None
        return {"code": topic.category, "name": topic.category_name}

    @staticmethod
    def resolve_url(topic: Topic) -> str:
        return topic.get_absolute_url()


class TopicDetailOut(TopicSummaryOut):
    """A topic page ("References and General Discussion of …"), as everyone reads it."""

    revision: int = Field(
        description="The topic's latest revision: send it back with a PATCH, which is "
        "refused (409) if someone saved the topic since."
    )
    discussion: str = Field(description="Markdown.")
    references: list[ReferenceOut]

    @staticmethod
    def resolve_revision(topic: Topic) -> int:
        return latest_revision(topic)


class CommentOut(Schema):
    """One comment of a case's thread. A comment the caller may not read (deleted, or
    hidden by a moderator from all but its author and the editors) keeps its place, so
    that its replies keep theirs, with an empty ``author`` and ``body``."""

    id: int
    parent: int | None = Field(description="The comment this one replies to.")
    state: str = Field(description="`shown`, `hidden` (by a moderator) or `deleted`.")
    author: str
    body: str = Field(description="Markdown.")
    created: dt.datetime
    edited: dt.datetime | None
    hidden_reason: str = Field(description="Why a moderator hid it, for those who may read it.")
    url: str


def comment_out(comment: Comment, readable: bool) -> dict[str, Any]:
    """What :class:`CommentOut` says of ``comment`` to a caller who may (``readable``) or
    may not read its text."""
    state = "deleted" if comment.deleted else "hidden" if comment.hidden else "shown"
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "state": state,
        "author": comment.author_name if readable else "",
        "body": comment.body if readable else "",
        "created": comment.created,
        "edited": comment.edited if readable else None,
        "hidden_reason": comment.hidden_reason if readable and comment.hidden else "",
        "url": comment.get_absolute_url(),
    }


class ErrorDetailOut(Schema):
    status: int
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorOut(Schema):
    """Every error has this one shape (see docs/api.md)."""

    error: ErrorDetailOut
