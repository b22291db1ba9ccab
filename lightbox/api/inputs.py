"""JSON bodies of the API's writes. Field names are part of the versioned contract.

These check the shape of a body (types, required fields, no unknown field, no NUL
character, bounded lists and ids); what a value may be (a modality, an ACR code, a DOI, a
co-author's account, the lengths of texts) is checked by the web editor's own forms
(:mod:`lightbox.api.editing`), so that the API and the editor accept exactly the same.
An unknown field is refused rather than ignored: a misspelt ``"findngs"`` would
otherwise be lost without a word.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from lightbox.comments.models import MAX_BODY, MAX_REASON

#: The longest ordered list (differential, keywords, authors…) one request may set; the
#: editor's formsets stop at the same number.
MAX_ITEMS = 1000
#: Ids fit a database integer: anything larger is refused before a lookup overflows.
MAX_ID = 2**63 - 1
MAX_NOTE = 10_000


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain a NUL character.")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("An item may not be empty.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Item = Annotated[str, AfterValidator(_no_nul), AfterValidator(_not_blank)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Revision = Annotated[int, Field(ge=0, le=MAX_ID)]


class Body(Schema):
    """A request body: an unknown field is an error (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class AuthorIn(Body):
    name: Item
    credentials: Text = ""
    username: Text = Field(
        "", description="A co-author's account: they may then edit the case. Empty for none."
    )


class RadiopharmaceuticalIn(Body):
    agent: Item
    activity: Decimal | None = Field(None, allow_inf_nan=False)
    unit: Literal["", "mCi", "MBq"] = ""
    route: Text = ""
    time_to_imaging: Text = ""


class ReferenceIn(Body):
    text: Item
    pmid: Text = ""
    doi: Text = ""


class ImageIn(Body):
    id: Id
    caption: Text = Field("", description="Read with the unknown: the view only.")
    answer_caption: Text = Field("", description="Read after the answer.")


class CaseFieldsIn(Body):
    """Every field of a case the editor writes. Sections are Markdown."""

    title: Text = Field("", description="The diagnosis as a title; read after the answer.")
    modality: Text = ""
    exam: Text = ""
    case_date: dt.date | None = None
    patient_age: int | None = Field(None, description="Years; over 89 is kept as 90.")
    patient_sex: Text = ""
    brief_history: Text = Field("", description="Read before the answer.")
    full_history: Text = ""
    findings: Text = ""
    diagnosis: Text = ""
    discussion: Text = ""
    followup: Text = ""
    anatomic_field: Text = Field("", description="ACR anatomic field, one digit: `4`.")
    category: Text = Field("", description="ACR pathology category, one digit: `5`.")
    topic: Text | None = Field(None, description="A topic's slug, or null for none.")
    difficulty: int | None = Field(None, description="1 to 5.")
    quality: int | None = Field(None, description="1 to 5.")
    copyright: Text = ""
    visibility: Text = Field(
        "private",
        description="`private`, `institution` or `public`. Only editors change it once the "
        "case is published.",
    )
    differential: list[Item] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="The differential diagnosis, in order.",
    )
    accepted_answers: list[Item] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="Other wordings of the diagnosis that grading accepts.",
    )
    keywords: list[Item] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Free keywords."
    )
    acr_codes: list[Item] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="ACR Index codes; the first decides the anatomic field and category.",
    )
    references: list[ReferenceIn] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="In order."
    )
    authors: list[AuthorIn] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="In byline order."
    )
    radiopharmaceuticals: list[RadiopharmaceuticalIn] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="In order."
    )
    message: Text = Field("", description="What changed, for the history (200 characters).")


class CaseIn(CaseFieldsIn):
    """A new case: its series, and any of the editor's fields. It starts as a draft."""

    series: Text = Field(description="The series' prefix: `bs`. The next number is assigned.")


class CasePatch(CaseFieldsIn):
    """Changes to a case: only the fields given change; a list given replaces the list."""

    revision: Revision = Field(
        description="The `revision` the changes were made on (from GET). If the case was "
        "saved since, nothing is changed and the answer is 409."
    )
    images: list[ImageIn] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="Every image of the case, once, in the order to show them, with both "
        "captions. Images are added by upload and removed in pixel review.",
    )
    main_image: Id | None = Field(None, description="The id of the main image.")


class TopicIn(Body):
    title: Text
    anatomic_field: Text = ""
    category: Text = ""
    discussion: Text = Field("", description="Markdown.")


class TopicPatch(Body):
    revision: Revision = Field(
        description="The `revision` the changes were made on (from GET). If the topic was "
        "saved since, nothing is changed and the answer is 409."
    )
    title: Text = ""
    anatomic_field: Text = ""
    category: Text = ""
    discussion: Text = Field("", description="Markdown.")


class CommentIn(Body):
    body: Text = Field(max_length=MAX_BODY * 2, description="Markdown, up to 10,000 characters.")
    parent: Id | None = Field(None, description="The comment this one replies to.")


class CommentPatch(Body):
    """The author edits ``body``; an editor hides (with a ``reason``) or shows again."""

    body: Text | None = Field(None, max_length=MAX_BODY * 2)
    hidden: bool | None = None
    reason: Text = Field("", max_length=MAX_REASON * 2, description="Why it is hidden.")


class TransitionIn(Body):
    # The names of lightbox.cases.workflow.ACTIONS (a test keeps them the same).
    action: Literal["submit", "request_changes", "publish", "retire", "reinstate"]
    note: Text = Field(
        "",
        max_length=MAX_NOTE,
        description="For the authors; required when requesting changes.",
    )
