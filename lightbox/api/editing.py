"""Writing a case or a topic through the API with the web editor's own forms.

A JSON body is turned into the form data the editor's page would post
(:class:`~lightbox.cases.editor.CaseEditor`, :class:`~lightbox.cases.forms.TopicForm`),
so that the API validates, saves, records revisions and detects conflicts exactly as the
editor does, and a rule added to the editor holds for the API at once. A PATCH starts
from the case as it is (:func:`case_fields`), lays the fields given over it, and posts
the whole, as the editor's page does.

Form errors come back as the API's ``details``: ``{"loc": ["body", "acr_codes", 1],
"msg": "…"}``, named by the API's fields, not the form's.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from lightbox.cases.editor import LISTS, CaseEditor
from lightbox.cases.models import Case, Topic

__all__ = ["case_fields", "editor_data", "form_errors", "topic_data", "errors_of"]

#: The editor's scalar fields, by the API's name (the same, but for the revision).
SCALARS = (
    "title", "modality", "exam", "case_date", "patient_age", "patient_sex", *Case.SECTIONS,
    "anatomic_field", "category", "topic", "difficulty", "quality", "copyright",
    "visibility", "message",
)  # fmt: skip
#: The editor's formsets by the API's list fields, and the form field each item fills
#: (for lists of text) or the API's item keys by the form's field names.
TEXT_LISTS = {name: name for name in ("differential", "accepted_answers", "keywords", "acr_codes")}
RECORD_LISTS = {
    "references": ("references", {"text": "text", "pmid": "pmid", "doi": "doi"}),
    "authors": (
        "authors",
        {"name": "name", "credentials": "credentials", "username": "username"},
    ),
    "doses": (
        "radiopharmaceuticals",
        {
            "agent": "agent",
            "activity": "activity",
            "unit": "unit",
            "route": "route",
            "time_to_imaging": "time_to_imaging",
        },
    ),
    "captions": (
        "images",
        {"image": "id", "caption": "caption", "answer_caption": "answer_caption"},
    ),
}
#: The API's name of each form or formset field whose name differs.
API_NAMES = {"base_revision": "revision", **{k: v[0] for k, v in RECORD_LISTS.items()}}


def case_fields(case: Case) -> dict[str, Any]:
    """Everything of ``case`` the editor writes, in the API's input shape: what a PATCH
    starts from."""
    fields: dict[str, Any] = {
        name: getattr(case, name) for name in SCALARS if name not in ("topic", "message")
    }
    fields["topic"] = case.topic.slug if case.topic else None
    fields["message"] = ""
    for name in TEXT_LISTS:
        fields[name] = list(getattr(case, name) or [])
    fields["references"] = [
        {k: str(r.get(k) or "") for k in ("text", "pmid", "doi")} for r in case.references or []
    ]
    fields["authors"] = [
        {
            "name": a.name,
            "credentials": a.credentials,
            "username": a.user.get_username() if a.user else "",
        }
        for a in case.authors.select_related("user")
    ]
    fields["radiopharmaceuticals"] = [
        {
            "agent": d.agent,
            "activity": d.activity,
            "unit": d.unit,
            "route": d.route,
            "time_to_imaging": d.time_to_imaging,
        }
        for d in case.radiopharmaceuticals.all()
    ]
    images = case.images.order_by("order", "pk")
    fields["images"] = [
        {"id": i.pk, "caption": i.caption, "answer_caption": i.answer_caption} for i in images
    ]
    main = next((i.pk for i in images if i.is_main), None)
    fields["main_image"] = main
    return fields


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def editor_data(
    case: Case, fields: dict[str, Any], revision: int, topic: Topic | None
) -> QueryDict:
    """The form data the editor's page would post for ``fields`` (see
    :func:`case_fields`; the topic is given found, not by its slug), opened at
    ``revision``. A list of the editor that the API does not write is posted as the
    editor's page shows it, so that a save through the API keeps it as it is."""
    data = QueryDict(mutable=True)
    for name in SCALARS:
        data[name] = (
            _text(topic.pk if topic else None) if name == "topic" else _text(fields.get(name))
        )
    data["base_revision"] = str(revision)
    data["main_image"] = _text(fields.get("main_image"))
    lists: dict[str, list[dict[str, Any]]] = {
        name: [{"item": item} for item in fields.get(name) or []] for name in TEXT_LISTS
    }
    for prefix, (api_name, keys) in RECORD_LISTS.items():
        lists[prefix] = [
            {form_key: item.get(api_key) for form_key, api_key in keys.items()}
            for item in fields.get(api_name) or []
        ]
    if others := [prefix for prefix in LISTS if prefix not in lists]:
        shown = CaseEditor(case)  # the editor as it opens, before anyone types
        for prefix in others:
            lists[prefix] = list(shown.lists[prefix].initial or [])
    for prefix in LISTS:
        items = lists[prefix]
        data[f"{prefix}-TOTAL_FORMS"] = str(len(items))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, item in enumerate(items):
            for key, value in item.items():
                data[f"{prefix}-{i}-{key}"] = _text(value)
            data[f"{prefix}-{i}-ORDER"] = str(i + 1)
    return data


def form_errors(editor: CaseEditor) -> list[dict[str, Any]]:
    """The editor's errors as the API's ``details``, each at the API field it is about."""
    details = [
        {"loc": _loc(field), "msg": str(message)}
        for field, messages in editor.form.errors.items()
        for message in messages
    ]
    for prefix, formset in editor.lists.items():
        name = API_NAMES.get(prefix, prefix)
        keys = RECORD_LISTS.get(prefix, ("", {}))[1]
        details += [{"loc": ["body", name], "msg": str(m)} for m in formset.non_form_errors()]
        for i, errors in enumerate(formset.errors):
            for field, messages in errors.items():
                loc: list[Any] = ["body", name, i]
                if field != "item":
                    loc.append(keys.get(field, field))
                details += [{"loc": loc, "msg": str(m)} for m in messages]
    return details


def _loc(field: str) -> list[Any]:
    if field == "__all__":  # NON_FIELD_ERRORS: about the whole body
        return ["body"]
    return ["body", API_NAMES.get(field, field)]


def errors_of(form: Any) -> list[dict[str, Any]]:
    """A plain form's errors (the topic editor's, a comment's) as the API's ``details``."""
    return [
        {"loc": _loc(field), "msg": str(message)}
        for field, messages in form.errors.items()
        for message in messages
    ]


def topic_data(topic: Topic, changes: dict[str, Any], revision: int) -> QueryDict:
    """The form data of the topic editor's page for ``topic`` with ``changes`` laid over."""
    data = QueryDict(mutable=True)
    for name in ("title", "anatomic_field", "category", "discussion"):
        data[name] = _text(changes.get(name, getattr(topic, name)))
    data["base_revision"] = str(revision)
    return data
