"""The versioned JSON API (read side). OpenAPI at /api/v1/openapi.json.

Every error, from any endpoint or from a URL that matches none, has one shape::

    {"error": {"status": 404, "code": "not_found", "message": "…", "details": […]}}

made by :mod:`lightbox.lib.jsonerror`, which the layers that answer before the API does
(request-body limits, a full disk) use too.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import django_auth

from lightbox.api.schemas import (
    CaseOut,
    CaseSummaryOut,
    SearchOut,
    SimilarListOut,
    UnknownCaseOut,
    UploadOut,
)
from lightbox.audit.log import record as audit
from lightbox.cases import unknown
from lightbox.cases.access import can_edit_case, can_view_case, visible_cases_q
from lightbox.cases.models import Case, split_number
from lightbox.imaging import uploads
from lightbox.imaging.models import Upload
from lightbox.lib.jsonerror import error_response
from lightbox.search import engine
from lightbox.search.similar import MAX_TEXT, Similar, like_case, like_text, with_cards

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="Lightbox API",
    version="1",
    description="Read a Lightbox teaching file. Only what the caller may see is returned.",
    urls_namespace="lightbox-api",
)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, str(exc) or "Not found.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "Sign in first.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, str(exc))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors]
    return error_response(422, "The request is not valid.", details)


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    """What Django refuses in a request an endpoint reads (too many fields, a malformed
    body): a 400 as it would be outside the API, not a server error."""
    return error_response(400, str(exc) or "The request is malformed.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, str(exc) or "Not allowed.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return error_response(500, "Something went wrong on the server; it has been logged.")


def _case_or_404(request: HttpRequest, number: str) -> Case:
    try:
        split_number(number)
    except ValueError:
        raise Http404(f"No case {number}.") from None
    case = get_object_or_404(
        Case.objects.select_related("series", "topic").prefetch_related(
            "authors", "images", "radiopharmaceuticals", "case_codes__code__synonyms"
        ),
        number=number.lower(),
    )
    if not can_view_case(request.user, case):
        raise Http404(f"No case {number}.")
    return case


#: Pages of a list stop here: beyond it the offset would outgrow a database integer
#: (``?page=99999999999999999999`` was a 500).
MAX_PAGE = 10_000


class CasePages(PageNumberPagination):
    """django-ninja's page numbers, bounded: a page past MAX_PAGE is a 422 like page 0."""

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=200)


@api.get("/cases", response=list[CaseSummaryOut], tags=["cases"])
@paginate(CasePages, page_size=50, max_page_size=200)
def list_cases(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Cases the caller may see, newest first."""
    return (
        Case.objects.filter(visible_cases_q(request.user))
        .select_related("series")
        .order_by("-published_at", "-pk")
    )


@api.get("/cases/{number}", response=CaseOut, tags=["cases"])
def get_case(request: HttpRequest, number: str) -> Case:
    """One case, structured, with every section."""
    return _case_or_404(request, number)


@api.get("/cases/{number}/unknown", response=UnknownCaseOut, tags=["cases"])
def get_unknown_case(request: HttpRequest, number: str) -> Any:
    """One case as its unknown page shows it: the header, brief history and images with
    their captions before the answer. Nothing of the answer (title, diagnosis, findings,
    codes, radiopharmaceuticals, captions after the answer…) is in it."""
    return unknown.view(_case_or_404(request, number))


@api.post(
    "/cases/{number}/uploads",
    response={201: UploadOut, 202: UploadOut},
    auth=django_auth,
    tags=["images"],
)
def create_upload(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    number: str,
    keep_open: bool = Query(False, alias="open"),  # noqa: B008
    files: list[UploadedFile] | None = File(None),  # noqa: B008
):
    """Upload DICOM (files, zips of folders) or pictures to a case: ``202``, and processing
    happens in the background; poll the returned URL for per-file status. One request
    carries at most ``LIGHTBOX_MAX_FILES_PER_REQUEST`` files (200). For more, send
    ``open=true`` (with or without files): the answer is ``201`` with an upload that is
    *receiving*; add files with ``POST /uploads/{id}/files`` and queue it with
    ``POST /uploads/{id}/finish``."""
    case = _case_or_404(request, number)
    if not can_edit_case(request.user, case):
        raise HttpError(403, f"Only the authors of {case.number} and editors may add images.")
    if not keep_open and not files:
        raise HttpError(400, "Send at least one file in the multipart field 'files'.")
    try:
        if keep_open:
            upload = uploads.open_upload(case, request.user)
            _add_or_discard(upload, files or [])
            return Status(201, _upload(upload.pk))
        upload = uploads.receive(case, request.user, files or [])
    except uploads.NotReceived as e:
        raise HttpError(e.status, str(e)) from None
    _audit_upload(request, upload, "through the API")
    return Status(202, _upload(upload.pk))


@api.post("/uploads/{upload_id}/files", response=UploadOut, auth=django_auth, tags=["images"])
def add_upload_files(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    upload_id: uuid.UUID,
    files: list[UploadedFile] = File(...),  # noqa: B008
):
    """Add files to an upload that is still receiving (opened with ``open=true``). A part
    is all or nothing; ``MAX_UPLOAD_BYTES`` holds for the whole upload. ``409`` once the
    upload is finished or cancelled."""
    upload = _own_upload(request, upload_id)
    try:
        uploads.add_files(upload, files)
    except uploads.NotReceived as e:
        raise HttpError(e.status, str(e)) from None
    return _upload(upload.pk)


@api.post(
    "/uploads/{upload_id}/finish", response={202: UploadOut}, auth=django_auth, tags=["images"]
)
def finish_upload(request: HttpRequest, upload_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Close a receiving upload and queue its processing (once): ``202``. ``400`` while it
    has no file; ``409`` when it is not receiving."""
    upload = _own_upload(request, upload_id)
    try:
        upload = uploads.finish(upload)
    except uploads.NotReceived as e:
        raise HttpError(e.status, str(e)) from None
    _audit_upload(request, upload, "in parts")
    return Status(202, _upload(upload.pk))


@api.post("/uploads/{upload_id}/cancel", response=UploadOut, auth=django_auth, tags=["images"])
def cancel_upload(request: HttpRequest, upload_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Give up a receiving upload: its files are wiped at once and it ends ``failed``.
    ``409`` when it is not receiving."""
    upload = _own_upload(request, upload_id)
    if not uploads.cancel(upload, "Cancelled by the uploader; nothing of it was kept."):
        raise HttpError(409, "This upload is no longer receiving files.")
    return _upload(upload.pk)


@api.get("/uploads/{upload_id}", response=UploadOut, auth=django_auth, tags=["images"])
def get_upload(request: HttpRequest, upload_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """An upload's progress, each file's outcome and its de-identification report."""
    upload = _upload(upload_id)
    if not (upload.created_by_id == request.user.pk or can_edit_case(request.user, upload.case)):
        raise Http404("No such upload.")
    return upload


def _upload(upload_id: uuid.UUID) -> Upload:
    return get_object_or_404(
        Upload.objects.select_related("case").prefetch_related("files"), pk=upload_id
    )


def _own_upload(request: HttpRequest, upload_id: uuid.UUID) -> Upload:
    """An upload the caller opened and may still add images to."""
    upload = get_object_or_404(Upload.objects.select_related("case"), pk=upload_id)
    mine = upload.created_by_id == request.user.pk
    if not (mine or can_edit_case(request.user, upload.case)):
        raise Http404("No such upload.")
    if not (mine and can_edit_case(request.user, upload.case)):
        raise HttpError(403, "Only the person who opened this upload may add to it or close it.")
    return upload


def _add_or_discard(upload: Upload, files: list[UploadedFile]) -> None:
    """Add the files an opening request carried; if they are refused, nobody knows the
    new upload's id yet, so it goes rather than staying open."""
    try:
        uploads.add_files(upload, files)
    except BaseException:
        uploads.discard(upload)
        raise


def _audit_upload(request: HttpRequest, upload: Upload, how: str) -> None:
    count = upload.files.count()
    audit(
        "upload",
        request=request,
        target=upload.case,
        summary=f"uploaded {count} file(s) to {upload.case.number} {how}",
        upload=str(upload.pk),
    )


@api.get("/search", response=SearchOut, tags=["search"])
def search(
    request: HttpRequest,
    q: str = "",
    sort: str = "",
    page: int = Query(1, ge=1, le=engine.MAX_OFFSET),
    per_page: int = Query(engine.PER_PAGE, ge=1, le=engine.MAX_PER_PAGE),
    unknown: bool = False,
) -> dict[str, Any]:
    """Search the cases the caller may see. The search language is the search page's
    (``diagnosis:paget``, ``"bone scan"``, ``osteo*``, ``AND``/``OR``/``NOT``,
    ``acr:4*``, ``modality:NM``). Facet choices are repeated parameters named after the
    facets (``?modality=NM&modality=CT&agent=Tc-99m MDP``). With ``unknown=true`` no
    result carries a title, diagnosis or answer text: the snippet is from the brief
    history, and the facets of the answer (anatomic field, category, radiopharmaceutical)
    are not counted. ``per_page`` is 1 to 100 and ``page`` 1 to 10,000 (a value outside is
    a 422); pages stop at result 10,000."""
    selected = {name: request.GET.getlist(name) for name in engine.FACETS}
    res = engine.search(
        request.user, q[:1000], selected, sort, page, per_page, unknown, thumbnails=False
    )
    if res.timed_out:
        raise HttpError(503, res.error)
    if res.error:
        return error_response(  # type: ignore[return-value]
            400, res.error, [{"loc": ["query", "q"], "position": res.error_position}]
        )
    return {
        "query": res.described,
        "total": res.total,
        "page": res.page,
        "pages": res.pages,
        "sort": res.sort,
        "unknown": res.unknown,
        "results": [
            {"number": h.number, "title": h.title, "snippet": h.snippet, "score": h.score}
            for h in res.hits
        ],
        "facets": {
            f.name: [
                {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                for v in f.values
            ]
            for f in res.facets
            if f.counted  # a facet of the answer in unknown mode: the caller's own choice
        },
        "suggestion": (
            {"query": res.suggestion.text, "total": res.suggestion.total}
            if res.suggestion
            else None
        ),
    }


#: The most similar cases one request returns.
MAX_SIMILAR = 50


def _similar_out(request: HttpRequest, found: list[Similar], unknown: bool) -> dict[str, Any]:
    results = []
    for s in with_cards(request.user, found, thumbnails=False, unknown=unknown):
        title = engine.result_title(s.case, unknown)
        results.append(
            {"number": s.number, "title": title, "score": s.score, "reasons": s.reasons}
        )
    return {"results": results}


@api.get("/cases/{number}/similar", response=SimilarListOut, tags=["search"])
def case_similar(
    request: HttpRequest,
    number: str,
    limit: int = Query(10, ge=1, le=MAX_SIMILAR),
    unknown: bool = False,
) -> dict[str, Any]:
    """The cases most like this one that the caller may see, with why each matched.
    With ``unknown=true`` no title is given and the reasons name only what the unknown
    page shows (the modality; not the code, keywords, field, category or
    radiopharmaceutical). ``limit`` is 1 to 50 (else a 422)."""
    case = _case_or_404(request, number)
    return _similar_out(request, like_case(case, request.user, limit, unknown), unknown)


@api.get("/similar", response=SimilarListOut, tags=["search"])
def text_similar(
    request: HttpRequest,
    text: str,
    limit: int = Query(10, ge=1, le=MAX_SIMILAR),
    unknown: bool = False,
) -> dict[str, Any]:
    """The cases most like a findings paragraph or history (``text``, at most 20,000
    characters), by wording and by meaning. ``limit`` is 1 to 50 (else a 422)."""
    if not text.strip():
        raise HttpError(400, "Give the text to compare in the text parameter.")
    if len(text) > MAX_TEXT:
        raise HttpError(400, f"The text is too long: at most {MAX_TEXT:,} characters.")
    return _similar_out(request, like_text(text, request.user, limit), unknown)


def api_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any /api/v1/ URL that matches no endpoint."""
    return error_response(404, f"No API endpoint at {request.path}.")
