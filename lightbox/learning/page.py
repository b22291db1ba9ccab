"""The reader's own part of a case page, put into the stored article's slots.

A case's articles are stored once for every reader (:mod:`lightbox.cases.pages`). The
unknown article holds :data:`ANSWER_SLOT` where the reveal is, and the known article
:data:`YOUR_ANSWER_SLOT` just above the diagnosis. Serving a page puts into them what is
this reader's: the answer form (signed-in readers; anonymous readers keep the plain
"Show diagnosis"), and, once answered, the reader's answer beside the truth. Nothing of
the answer is ever in the form.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from lightbox.cases import unknown
from lightbox.cases.access import can_answer_cases
from lightbox.cases.models import Case
from lightbox.learning import calibration
from lightbox.learning.forms import AnswerForm
from lightbox.learning.models import Attempt, Card, StudySession

__all__ = ["ANSWER_SLOT", "YOUR_ANSWER_SLOT", "answer_form", "fill", "your_answer"]

ANSWER_SLOT = "<!--lightbox:answer-->"
YOUR_ANSWER_SLOT = "<!--lightbox:your-answer-->"
MEASURED_SLOT = "<!--lightbox:measured-->"


def measured(value: tuple[float, int] | None) -> str:
    """The case's difficulty as readers measured it (``(difficulty, attempts)``, read with
    the stored page), beside the author's ``#D``, once it has enough attempts."""
    if value is None or value[1] < calibration.MIN_ATTEMPTS:
        return ""
    difficulty, attempts = value
    grade = calibration.difficulty_grade(difficulty)
    return (
        f' <span class="rating measured" title="Measured from {attempts} readers\' first '
        f'answers">Readers: #D{grade}</span>'
    )


def answer_form(
    request: HttpRequest,
    case: Case,
    *,
    form: AnswerForm | None = None,
    session: StudySession | None = None,
    position: int | None = None,
) -> str:
    context = {
        "form": form or AnswerForm(),
        # The form is part of the unknown page: it reads the case as the unknown does.
        "case": unknown.view(case),
        "session": session,
        "position": position,
    }
    return render_to_string("learning/_answer_form.html", context, request=request)


def latest_attempt(user: Any, case: Case, session: StudySession | None = None) -> Attempt | None:
    attempts = Attempt.objects.filter(user=user.pk, case=case.pk)
    if session is not None:
        attempts = attempts.filter(session=session)
    return attempts.order_by("-created").first()


def your_answer(request: HttpRequest, case: Case, attempt: Attempt | None) -> str:
    if attempt is None:
        return ""
    card = Card.objects.filter(user=request.user.pk, case=case.pk).first()
    ddx_hits = {i: kind for i, kind in attempt.differential_hits}
    context = {
        "attempt": attempt,
        "case": case,
        "card": card,
        "differential": [
            (item, ddx_hits.get(i, "")) for i, item in enumerate(attempt.differential)
        ],
    }
    return render_to_string("learning/_your_answer.html", context, request=request)


def fill(
    request: HttpRequest,
    case: Case,
    view: str,
    article: str,
    *,
    form: AnswerForm | None = None,
    session: StudySession | None = None,
    position: int | None = None,
    difficulty: tuple[float, int] | None = None,
) -> SafeString:
    """The article with this reader's slots filled."""
    article = article.replace(MEASURED_SLOT, measured(difficulty), 1)
    if view == "unknown":
        mine = ""
        if can_answer_cases(request.user):
            mine = answer_form(request, case, form=form, session=session, position=position)
        return mark_safe(article.replace(ANSWER_SLOT, mine, 1))  # noqa: S308 (our templates)
    if view == "known":
        mine = ""
        if can_answer_cases(request.user):
            mine = your_answer(request, case, latest_attempt(request.user, case, session))
        return mark_safe(article.replace(YOUR_ANSWER_SLOT, mine, 1))  # noqa: S308
    return mark_safe(article)  # noqa: S308
