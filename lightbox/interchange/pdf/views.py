"""The PDFs: a case, a topic page, a conference agenda handout.

Each is open to exactly the people who may read its HTML page, asked of
:mod:`lightbox.cases.access` the same way (a case one may not see is a 404; a conference
only its presenter and administrators find), and shows what that page shows.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.shortcuts import render as page
from django.views.decorators.http import require_safe

from lightbox.cases.access import can_view_case
from lightbox.cases.models import Case, Topic, split_number
from lightbox.conference.views import editors_only, get_conference
from lightbox.interchange.pdf import documents, render

__all__ = ["agenda_pdf", "case_pdf", "topic_pdf"]


def _case(request: HttpRequest, number: str) -> Case:
    try:
        split_number(number)
    except ValueError:
        raise Http404("No such case number.") from None
    case = get_object_or_404(Case.objects.select_related("series", "topic"), number=number.lower())
    # A case the reader may not see is indistinguishable from one that does not exist.
    if not can_view_case(request.user, case):
        raise Http404("No such case number.")
    return case


def _choice(request: HttpRequest, name: str, allowed: str) -> bool | HttpResponse:
    """Whether ``?name=allowed`` was asked for; a 400 for any other value."""
    value = request.GET.get(name)
    if value is None or value == "":
        return False
    if value == allowed:
        return True
    return HttpResponseBadRequest(
        f"?{name}= takes only {allowed!r} (or leave it out).", content_type="text/plain"
    )


def _pdf(request: HttpRequest, document: documents.Document) -> HttpResponse:
    try:
        pdf = render.render_pdf(
            document.html, base_url=request.build_absolute_uri("/"), media=document.media
        )
    except render.PdfUnavailable as e:
        # A server without Pango: `manage.py check` says so too (lightbox.W401).
        context = {"reason": e, "missing": True}
        return page(request, "interchange/pdf/unavailable.html", context, status=503)
    except render.PdfTooLarge as e:
        # Nothing the reader can change by asking again: the document is what it is.
        context = {"reason": e, "missing": False}
        return page(request, "interchange/pdf/unavailable.html", context, status=422)
    response = HttpResponse(pdf, content_type="application/pdf")
    # File names made of case numbers, slugs and ids only.
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    # What a reader may see can change (a case made private): never a shared cache.
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def case_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The case with its answer, as the known page; ``?handout=unknown``: the unknown
    first, the answer from the next page on."""
    case = _case(request, number)
    handout = _choice(request, "handout", "unknown")
    if isinstance(handout, HttpResponse):
        return handout
    return _pdf(request, documents.case_document(request, case, handout=handout))


@require_safe
def topic_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The topic page: discussion, references, and the cases the reader may see."""
    topic = get_object_or_404(Topic, slug=slug)
    return _pdf(request, documents.topic_document(request, topic))


@editors_only
@require_safe
def agenda_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The agenda as a handout: its cases as unknowns; ``?answers=1`` adds an answer key
    after them. The presenter's and administrators' only, as the agenda page is."""
    conference = get_conference(request, pk)
    answers = _choice(request, "answers", "1")
    if isinstance(answers, HttpResponse):
        return answers
    return _pdf(request, documents.agenda_document(request, conference, answers=answers))
