"""What a reader sees of a case before the answer: the one definition of *unknown mode*.

The unknown page (``templates/cases/_article_unknown.html``) shows the case's header
(series, modality, the demo, status and visibility badges, "Case <number>", authors, case
date, rating, exam, patient age and sex), its brief history, its images with their
unknown-safe captions, and its footer (number, copyright). Everything else — title,
full history, findings, diagnosis, discussion, follow-up, differential, references, ACR
codes and the anatomic field and category they give, RadLex and SNOMED CT codes,
keywords, topic, radiopharmaceuticals, the images' answer captions, comments — is the
answer.

Every place that shows a case in unknown mode reads it through this module, so that the
places cannot drift apart:

* the unknown page is rendered from :func:`view` (and its images from
  :func:`image_view`): an answer attribute read by a template is simply not there;
* search in unknown mode shows only the facets whose values :func:`shows`, and blanks
  the result cards' answer fields (:mod:`lightbox.search.engine`);
* similar-case reasons in unknown mode name a value only if :func:`shows` it
  (:mod:`lightbox.search.similar`);
* the API's unknown case (``GET /api/v1/cases/{number}/unknown``) is read through
  :func:`view`, and its schema's fields are checked against :data:`SHOWN` by a test.

A reader's own choices (the words searched, a facet ticked, a field browsed) still
narrow a list of unknowns: they are the reader's, not the answer shown to them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from lightbox.cases.models import Case

__all__ = [
    "ACCESS",
    "ANSWER",
    "DERIVED",
    "IMAGE_ANSWER",
    "IMAGE_DERIVED",
    "IMAGE_SHOWN",
    "SHOWN",
    "Unknown",
    "author_view",
    "image_view",
    "shows",
    "view",
]

# The case's text sections (Case.SECTIONS) split as the model says: those of its
# ANSWER_FIELDS are the answer, the others (the brief history) are read with the unknown.
_SECTIONS_SHOWN = [name for name in Case.SECTIONS if name not in Case.ANSWER_FIELDS]
_SECTIONS_ANSWER = [name for name in Case.SECTIONS if name in Case.ANSWER_FIELDS]

#: Attributes of a case shown on its unknown page (model fields and the related lists
#: ``authors`` and ``images``).
SHOWN: Final = frozenset(
    {
        "number", "series", "modality", "is_demo", "status", "visibility", "authors",
        "case_date", "difficulty", "quality", "exam", "patient_age", "patient_sex",
        *_SECTIONS_SHOWN, "images", "copyright",
    }
)  # fmt: skip

#: Attributes of a case that are the answer: never shown before it.
ANSWER: Final = frozenset(
    {
        "title", *_SECTIONS_ANSWER,
        "differential", "accepted_answers", "references", "acr_codes", "codes",
        "case_codes", "keywords", "anatomic_field", "category", "topic",
        "radiopharmaceuticals", "unparsed", "comments",
    }
)  # fmt: skip

#: Attributes that decide who may see a case, or say where it came from: read by code,
#: never shown on a page.
ACCESS: Final = frozenset(
    {"id", "pk", "sequence", "created_by", "created_by_id", "created", "updated",
     "published_at", "source", "series_id", "topic_id"}
)  # fmt: skip

#: Methods and properties of :class:`~lightbox.cases.models.Case` an unknown may use,
#: each with the shown attributes it reads.
DERIVED: Final[dict[str, frozenset[str]]] = {
    "pk": frozenset(),
    "get_absolute_url": frozenset({"number"}),
    "get_known_url": frozenset({"number"}),
    "get_modality_display": frozenset({"modality"}),
    "get_patient_sex_display": frozenset({"patient_sex"}),
    "get_status_display": frozenset({"status"}),
    "get_visibility_display": frozenset({"visibility"}),
    "rating": frozenset({"difficulty", "quality"}),
    "patient_age_display": frozenset({"patient_age"}),
}

#: Attributes of an image shown before the answer.
IMAGE_SHOWN: Final = frozenset(
    {"caption", "order", "is_main", "file", "thumbnail", "width", "height", "pixel_review",
     "series", "case"}
)  # fmt: skip
#: Attributes of an image that are the answer.
IMAGE_ANSWER: Final = frozenset({"answer_caption"})
#: Methods and properties of an image an unknown may use, with what they read.
IMAGE_DERIVED: Final[dict[str, frozenset[str]]] = {
    "pk": frozenset(),
    "alt_text": frozenset({"caption", "order", "case"}),
    "needs_pixel_review": frozenset({"pixel_review"}),
    "get_absolute_url": frozenset({"case"}),
    "get_file_url": frozenset({"file", "case"}),
    "get_thumbnail_url": frozenset({"thumbnail", "case"}),
}


def shows(attribute: str) -> bool:
    """Whether the unknown page shows the case's ``attribute`` (a name of :data:`SHOWN`
    or :data:`ANSWER`); raises ``KeyError`` for a name in neither, so that a new field
    must be placed on one side before anything can show it.

    Examples
    --------
    >>> shows("modality"), shows("radiopharmaceuticals")
    (True, False)
    """
    if attribute in SHOWN:
        return True
    if attribute in ANSWER:
        return False
    raise KeyError(f"{attribute!r} is neither shown before the answer nor part of it")


class Unknown:
    """A read-only view of ``obj`` through which only ``allowed`` names can be read.

    Reading any other attribute raises ``AttributeError`` — which a Django template
    renders as nothing — so a template, a schema or a serializer given an unknown cannot
    show the answer even by mistake. A related object is handed out only through
    ``wrap`` (its own narrow view), never as the model instance, whose relations would
    lead back to the whole case.
    """

    __slots__ = ("_allowed", "_obj", "_wrap")

    def __init__(
        self,
        obj: Any,
        allowed: frozenset[str],
        wrap: dict[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        object.__setattr__(self, "_obj", obj)
        object.__setattr__(self, "_allowed", allowed)
        object.__setattr__(self, "_wrap", wrap or {})

    def __getattr__(self, name: str) -> Any:
        if name in self._wrap:
            value = getattr(self._obj, name)
            return None if value is None else self._wrap[name](value)
        if name in self._allowed:
            return getattr(self._obj, name)
        raise AttributeError(f"{name!r} is not shown before the answer")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("an unknown is read-only")

    def __str__(self) -> str:
        from lightbox.cases.models import Case

        # A case's own str() carries its title; the others' (an image's caption, an
        # author's name, a series' name) are shown on the unknown page as they are.
        return f"Case {self._obj.number}" if isinstance(self._obj, Case) else str(self._obj)

    def __repr__(self) -> str:
        return f"<Unknown {self}>"


# Relations are not readable through a view (``authors``, ``images``: the page is given
# them as lists; a series and a case only through their own narrow views below).
_RELATIONS = frozenset({"authors", "images", "series", "case"})
# Of ACCESS, only what rendering needs (the row's id, the stamp a stored page is kept
# under); where a case came from (``source``, a file name) is not readable.
_CASE_ALLOWED = (SHOWN | frozenset(DERIVED) | {"id", "updated"}) - _RELATIONS
_IMAGE_ALLOWED = (IMAGE_SHOWN | frozenset(IMAGE_DERIVED) | {"id", "case_id"}) - _RELATIONS
_SERIES_ALLOWED = frozenset({"pk", "id", "prefix", "name", "get_absolute_url"})
_AUTHOR_ALLOWED = frozenset({"pk", "id", "order", "name", "credentials"})


def _series_view(series: Any) -> Unknown:
    return Unknown(series, _SERIES_ALLOWED)


def view(case: Any) -> Unknown:
    """``case`` as its unknown page shows it.

    Examples
    --------
    >>> from lightbox.cases.models import Case
    >>> case = view(Case(number="bs068", diagnosis="Paget disease", modality="NM"))
    >>> case.modality
    'NM'
    >>> case.diagnosis
    Traceback (most recent call last):
    ...
    AttributeError: 'diagnosis' is not shown before the answer
    """
    return Unknown(case, _CASE_ALLOWED, {"series": _series_view})


def author_view(author: Any) -> Unknown:
    """One of the case's authors as the byline shows them."""
    return Unknown(author, _AUTHOR_ALLOWED)


def image_view(image: Any) -> Unknown:
    """``image`` as the unknown page shows it: no answer caption; its case through
    :func:`view`."""
    return Unknown(image, _IMAGE_ALLOWED, {"case": view})
