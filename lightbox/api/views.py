"""The versioned JSON API: reading, uploads, search. OpenAPI at /api/v1/openapi.json.

The writes (cases, topics, comments, workflow) are in :mod:`lightbox.api.write_views`,
on the same ``api``. A caller is a browser session or a bearer token
(:mod:`lightbox.api.auth`); either way every rule of :mod:`lightbox.cases.access` applies.

Every error, from any endpoint or from a URL that matches none, has one shape::

    {"error": {"status": 404, "code": "not_found", "message": "…", "details": […]}}

made by :mod:`lightbox.lib.jsonerror`, which the layers that answer before the API does
(request-body limits, a full disk) use too.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from ninja import Field, File, NinjaAPI, Query, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.openapi.docs import Swagger
from ninja.pagination import PageNumberPagination, paginate

from lightbox.api import examples as ex
from lightbox.api.auth import SIGNED_IN
from lightbox.api.examples import documented
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
from lightbox.imaging.uploads import DISK_FULL
from lightbox.lib.jsonerror import error_response
from lightbox.ops.middleware import answer_unavailable, database_unavailable
from lightbox.search import engine
from lightbox.search.similar import MAX_TEXT, Similar, like_case, like_text, with_cards

logger = logging.getLogger(__name__)

DESCRIPTION = """Read and write a Lightbox teaching file.

**Who calls.** A script sends `Authorization: Bearer lbx_…`, a token made on its owner's
*API tokens* page (linked from the profile): the token acts as that person, and a *read*
token may only read. A signed-in browser is called by its session, and its writes carry
the CSRF token (this page sends it). Anyone may read what is public.

**What they may do** is what the same person may do on the site: only what the caller may
see is returned, and a case the caller may not see does not exist (404).

**Conflicts.** A case or topic is changed with `PATCH` and the `revision` it was read at;
if someone saved it since, nothing is changed and the answer is `409`.

**Errors** all have one shape: `{"error": {"status", "code", "message", "details"}}`.
"""


class OfflineSwagger(Swagger):
    """Swagger UI from the site's own static files (``ninja`` is an installed app), which
    always sends the CSRF token with a signed-in browser's writes: the endpoints that
    write decide who may (``auth=SIGNED_IN``), not the API as a whole."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": True,
        }
        return render(request, self.template, context)


api = NinjaAPI(
    title="Lightbox API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="lightbox-api",
    docs=OfflineSwagger(),
)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, str(exc) or "Not found.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "Sign in first.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # A conflict says what the other save changed (lightbox.api.write_views).
    return error_response(exc.status_code, str(exc), getattr(exc, "details", None))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [{"loc": _loc(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors]
    return error_response(422, "The request is not valid.", details)


def _loc(loc: Any) -> list[Any]:
    """Where an error is: ``["body", "acr_codes", 1]``. django-ninja names the body's
    parameter (``["body", "payload", …]``); the client sent no such thing."""
    loc = list(loc)
    if loc[:2] == ["body", "payload"]:
        del loc[1]
    return loc


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def _bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    """What Django refuses in a request an endpoint reads (too many fields, a malformed
    body): a 400 as it would be outside the API, not a server error."""
    return error_response(400, str(exc) or "The request is malformed.")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, str(exc) or "Not allowed.")


@api.exception_handler(DatabaseError)
def _database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    """A database that is down, restarting or locked: 503 with Retry-After (see
    :mod:`lightbox.ops.middleware`); any other database error is a server error."""
    if database_unavailable(exc):
        return answer_unavailable(request, exc)
    return _server_error(request, exc)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s", request.path)
    return error_response(500, "Something went wrong on the server; it has been logged.")


def case_or_404(request: HttpRequest, number: str) -> Case:
    """The case numbered ``number`` if the caller may see it; else a 404, as if it did not
    exist."""
    try:
        split_number(number)
    except ValueError:
        raise Http404(f"No case {number}.") from None
    case = get_object_or_404(
        Case.objects.select_related("series", "topic").prefetch_related(
            "authors__user", "images", "radiopharmaceuticals", "case_codes__code__synonyms"
        ),
        number=number.lower(),
    )
    if not can_view_case(request.user, case):
        raise Http404(f"No case {number}.")
    return case


OPENER_ONLY = "Only the person who opened this upload may add to it or close it."
NOT_RECEIVING = "This upload is no longer receiving files."

#: Pages of a list stop here: beyond it the offset would outgrow a database integer
#: (``?page=99999999999999999999`` was a 500).
MAX_PAGE = 10_000


class CasePages(PageNumberPagination):
    """django-ninja's page numbers, bounded: a page past MAX_PAGE is a 422 like page 0."""

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=200)


@api.get(
    "/cases",
    tags=["cases"],
    **documented({200: (list[CaseSummaryOut], ex.paged(ex.CASE_SUMMARY))}, errors={422: None}),
)
@paginate(CasePages, page_size=50, max_page_size=200)
def list_cases(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Cases the caller may see, newest first."""
    return (
        Case.objects.filter(visible_cases_q(request.user))
        .select_related("series")
        .order_by("-published_at", "-pk")
    )


@api.get(
    "/cases/{number}", tags=["cases"], **documented({200: (CaseOut, ex.CASE)}, errors={404: None})
)
def get_case(request: HttpRequest, number: str) -> Case:
    """One case, structured, with every section."""
    return case_or_404(request, number)


@api.get(
    "/cases/{number}/unknown",
    tags=["cases"],
    **documented({200: (UnknownCaseOut, ex.UNKNOWN_CASE)}, errors={404: None}),
)
def get_unknown_case(request: HttpRequest, number: str) -> Any:
    """One case as its unknown page shows it: the header, brief history and images with
    their captions before the answer. Nothing of the answer (title, diagnosis, findings,
    codes, radiopharmaceuticals, captions after the answer…) is in it."""
    return unknown.view(case_or_404(request, number))


@api.post(
    "/cases/{number}/uploads",
    auth=SIGNED_IN,
    tags=["images"],
    **documented(
        {201: (UploadOut, ex.UPLOAD_RECEIVING), 202: (UploadOut, ex.UPLOAD_QUEUED)},
        errors={
            400: "Send at least one file in the multipart field 'files'.",
            401: None,
            403: "Only the authors of bs001 and editors may add images.",
            404: None,
            413: "Too many files in one request: at most 200.",
            507: DISK_FULL,
        },
    ),
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
    case = case_or_404(request, number)
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
    _audit_upload(request, upload, "")
    return Status(202, _upload(upload.pk))


@api.post(
    "/uploads/{upload_id}/files",
    auth=SIGNED_IN,
    tags=["images"],
    **documented(
        {200: (UploadOut, ex.UPLOAD_RECEIVING)},
        errors={
            401: None,
            403: OPENER_ONLY,
            404: "No such upload.",
            409: NOT_RECEIVING,
            413: "This part would take the upload past 2,048 MB.",
            507: DISK_FULL,
        },
    ),
)
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
    "/uploads/{upload_id}/finish",
    auth=SIGNED_IN,
    tags=["images"],
    **documented(
        {202: (UploadOut, ex.UPLOAD_QUEUED)},
        errors={
            400: "This upload has no file yet.",
            401: None,
            403: OPENER_ONLY,
            404: "No such upload.",
            409: NOT_RECEIVING,
        },
    ),
)
def finish_upload(request: HttpRequest, upload_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Close a receiving upload and queue its processing (once): ``202``. ``400`` while it
    has no file; ``409`` when it is not receiving."""
    upload = _own_upload(request, upload_id)
    try:
        upload = uploads.finish(upload)
    except uploads.NotReceived as e:
        raise HttpError(e.status, str(e)) from None
    _audit_upload(request, upload, ", in parts")
    return Status(202, _upload(upload.pk))


@api.post(
    "/uploads/{upload_id}/cancel",
    auth=SIGNED_IN,
    tags=["images"],
    **documented(
        {200: (UploadOut, ex.UPLOAD_CANCELLED)},
        errors={401: None, 403: OPENER_ONLY, 404: "No such upload.", 409: NOT_RECEIVING},
    ),
)
def cancel_upload(request: HttpRequest, upload_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Give up a receiving upload: its files are wiped at once and it ends ``failed``.
    ``409`` when it is not receiving."""
    upload = _own_upload(request, upload_id)
    if not uploads.cancel(upload, "Cancelled by the uploader; nothing of it was kept."):
        raise HttpError(409, "This upload is no longer receiving files.")
    return _upload(upload.pk)


@api.get(
    "/uploads/{upload_id}",
    auth=SIGNED_IN,
    tags=["images"],
    **documented({200: (UploadOut, ex.UPLOAD)}, errors={401: None, 404: "No such upload."}),
)
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
    """The upload in the audit log, saying which way it came: a token is a program
    (the API); a browser session is someone on the upload page, which sends its files
    through these same endpoints."""
    count = upload.files.count()
    by_token = getattr(request, "api_token", None) is not None
    way = "through the API" if by_token else "from the upload page"
    audit(
        "upload",
        request=request,
        target=upload.case,
        summary=f"uploaded {count} file(s) to {upload.case.number} {way}{how}",
        upload=str(upload.pk),
        via="api" if by_token else "web",
    )


@api.get(
    "/search",
    tags=["search"],
    **documented(
        {200: (SearchOut, ex.SEARCH)},
        errors={
            400: "Unbalanced parenthesis at position 12.",
            422: None,
            503: "The search took too long; make it narrower.",
        },
    ),
)
def search(
    request: HttpRequest,
    q: str = "",
    sort: str = "",
    page: int = Query(1, ge=1, le=engine.MAX_OFFSET),
    per_page: int = Query(engine.PER_PAGE, ge=1, le=engine.MAX_PER_PAGE),
    unknown: bool = False,
    literal: bool = False,
) -> dict[str, Any]:
    """Search the cases the caller may see. The search language is the search page's
    (``diagnosis:paget``, ``"bone scan"``, ``osteo*``, ``AND``/``OR``/``NOT``,
    ``acr:4*``, ``modality:NM``). Facet choices are repeated parameters named after the
    facets (``?modality=NM&modality=CT&agent=Tc-99m MDP``). With ``unknown=true`` no
    result carries a title, diagnosis or answer text: the snippet is from the brief
    history, and the facets of the answer (anatomic field, category, radiopharmaceutical)
    are not counted. ``per_page`` is 1 to 100 and ``page`` 1 to 10,000 (a value outside is
    a 422); pages stop at result 10,000. Every form of a word is found (``tumour`` finds
    "tumors"), and abbreviations their meanings (``expanded``); a search finding nothing is
    answered by its correction (``corrected_from`` is what was typed) or by the cases
    with most of its words (``relaxed``); when fewer than 10 cases have every word
    (``complete``), the cases with most of them follow. ``literal=true`` searches as typed: no
    abbreviation expanded, nothing corrected or relaxed."""
    selected = {name: request.GET.getlist(name) for name in engine.FACETS}
    res = engine.search(
        request.user,
        q[:1000],
        selected,
        sort,
        page,
        per_page,
        unknown,
        thumbnails=False,
        literal=literal,
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
        "corrected_from": res.corrected or None,
        "relaxed": res.relaxed,
        "complete": res.complete or None,
        "expanded": {word: list(meanings) for word, meanings in res.expanded.items()},
        "synonyms": res.synonyms,
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


@api.get(
    "/cases/{number}/similar",
    tags=["search"],
    **documented({200: (SimilarListOut, ex.SIMILAR)}, errors={404: None, 422: None}),
)
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
    case = case_or_404(request, number)
    return _similar_out(request, like_case(case, request.user, limit, unknown), unknown)


@api.get(
    "/similar",
    tags=["search"],
    **documented(
        {200: (SimilarListOut, ex.SIMILAR)},
        errors={400: "Give the text to compare in the text parameter.", 422: None},
    ),
)
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
