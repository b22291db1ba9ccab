"""The case editor: one form for every field of a case, in the order a radiologist writes.

The case itself is a :class:`~lightbox.cases.forms.CaseForm`; each ordered list
(differential, keywords, ACR codes, RadLex and SNOMED CT codes, references, authors,
radiopharmaceuticals, image captions) is a Django formset with ORDER and DELETE, so the
page works without JavaScript (type a position, tick Remove) and ``editor.js`` only adds
drag-to-reorder, add and remove buttons, a live Markdown preview, autosave and the
unsaved-changes warning. The forms are in :mod:`lightbox.cases.forms`; this module puts
them together and saves them.

Saving is all or nothing, and never silent over someone else's work: the form carries the
revision it was opened at, and a save made after another one is refused with both versions
shown (:class:`Conflict`). Every save is a revision (:mod:`lightbox.history`) and an audit
entry.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.http import QueryDict

from lightbox.accounts.roles import is_editor
from lightbox.cases.forms import (
    AcrCodeForm,
    AuthorForm,
    CaptionForm,
    CaseForm,
    CodeForm,
    DoseForm,
    ItemForm,
    ReferenceForm,
    TopicForm,
)
from lightbox.cases.models import Case, CaseAuthor, CaseCode, Code, Radiopharmaceutical, Status
from lightbox.history import revisions
from lightbox.search import index

__all__ = ["CaseEditor", "Conflict", "save_topic"]


def _formset(form: type[forms.Form], extra: int = 1, can_delete: bool = True) -> Any:
    return forms.formset_factory(form, extra=extra, can_order=True, can_delete=can_delete)


LISTS: dict[str, tuple[str, Any]] = {
    "differential": ("Differential diagnosis", _formset(ItemForm)),
    "accepted_answers": (
        "Accepted answers (other wordings of the diagnosis a learner's answer may match)",
        _formset(ItemForm),
    ),
    "keywords": ("Keywords", _formset(ItemForm)),
    "acr_codes": ("ACR codes (the first is the primary code)", _formset(AcrCodeForm)),
    "codes": ("RadLex and SNOMED CT codes", _formset(CodeForm)),
    "references": ("References", _formset(ReferenceForm)),
    "authors": ("Authors", _formset(AuthorForm)),
    "doses": ("Radiopharmaceuticals", _formset(DoseForm)),
    # Images are removed in pixel review or by an editor, not here.
    "captions": (
        "Images: captions (before and after the answer) and order",
        _formset(CaptionForm, extra=0, can_delete=False),
    ),
}


class Conflict(Exception):
    """Someone saved the case after this form was opened. ``changes`` are their changes
    (history FieldDiffs between the revision the form started from and the latest)."""

    def __init__(self, latest: Any, changes: list[Any]) -> None:
        super().__init__("the case was changed meanwhile")
        self.latest, self.changes = latest, changes


class CaseEditor:
    """The form and formsets for one case, bound to POST data (or a saved draft)."""

    def __init__(self, case: Case, data: QueryDict | None = None, user: Any = None) -> None:
        self.case = case
        if case.pk:
            revisions.ensure_first(case)  # so that the form has a revision to start from
        base = revisions.latest(case) if case.pk else None
        initial: dict[str, int | None] = {"base_revision": base.number if base else 0}
        main = case.images.filter(is_main=True).first() if case.pk else None
        initial["main_image"] = main.pk if main else None
        self.form = CaseForm(data, instance=case, initial=initial)
        if case.status == Status.PUBLISHED and not is_editor(user):
            # Who may read a published case is the editors' decision.
            self.form.fields["visibility"].disabled = True
        self.lists = {
            name: factory(data, prefix=name, initial=None if data else self._initial(name))
            for name, (_, factory) in LISTS.items()
        }

    def _initial(self, name: str) -> list[dict[str, Any]]:
        case = self.case
        if name in ("differential", "accepted_answers", "keywords", "acr_codes"):
            return [{"item": v} for v in getattr(case, name) or []]
        if name == "references":
            return [
                {"text": r.get("text", ""), "pmid": r.get("pmid", ""), "doi": r.get("doi", "")}
                for r in case.references or []
            ]
        if not case.pk:
            return []
        if name == "codes":
            return [
                {"code": c.code.code, "meaning": c.code.meaning}
                for c in case.case_codes.select_related("code")
            ]
        if name == "authors":
            return [
                {
                    "name": a.name,
                    "credentials": a.credentials,
                    "username": a.user.get_username() if a.user else "",
                }
                for a in case.authors.select_related("user")
            ]
        if name == "doses":
            return [
                {
                    "agent": d.agent,
                    "activity": d.activity,
                    "unit": d.unit,
                    "route": d.route,
                    "time_to_imaging": d.time_to_imaging,
                }
                for d in case.radiopharmaceuticals.all()
            ]
        return [
            {"image": i.pk, "caption": i.caption, "answer_caption": i.answer_caption}
            for i in case.images.order_by("order", "pk")
        ]

    @property
    def views_missing(self) -> int:
        """How many images have a caption after the answer but none before it (captions
        moved by the upgrade that split them): readers of the unknown see no caption."""
        if not self.case.pk:
            return 0
        return self.case.images.filter(caption="").exclude(answer_caption="").count()

    @property
    def sections(self) -> list[tuple[str, str, Any]]:
        return [(name, LISTS[name][0], formset) for name, formset in self.lists.items()]

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for formset in self.lists.values():
            valid = formset.is_valid() and valid
        return valid

    def _ordered(self, name: str) -> list[dict[str, Any]]:
        formset = self.lists[name]
        return [
            f.cleaned_data
            for f in formset.ordered_forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]

    def save(self, user: Any, *, force: bool = False) -> Any:
        """Save everything as one revision; the new revision, or None when unchanged.

        Raises
        ------
        Conflict
            Another save happened since the form was opened (unless ``force``).
        """
        # One transaction, the case indexed once at its end, not at each child's save.
        with index.batch():
            latest = revisions.latest(self.case) if self.case.pk else None
            base_number = self.form.cleaned_data.get("base_revision") or 0
            if latest and latest.number != base_number and not force:
                base = self.case_revision(base_number)
                changes = revisions.diff(base, latest) if base else []
                raise Conflict(latest, changes)
            case = self.form.save(commit=False)
            for name in ("differential", "accepted_answers", "keywords", "acr_codes"):
                setattr(case, name, [d["item"].strip() for d in self._ordered(name)])
            case.references = [
                {k: d.get(k) or "" for k in ("text", "pmid", "doi")}
                for d in self._ordered("references")
            ]
            new = case.pk is None
            if new:
                case.created_by = user
            case.save()
            self._save_children(case)
            kind = "created" if new else "edited"
            message = self.form.cleaned_data.get("message") or ""
            return revisions.record(case, user=user, kind=kind, message=message)

    def case_revision(self, number: int) -> Any:
        return revisions.for_object(self.case).filter(number=number).first()

    def _save_children(self, case: Case) -> None:
        self._save_codes(case)
        case.authors.all().delete()
        CaseAuthor.objects.bulk_create(
            CaseAuthor(
                case=case,
                order=i,
                name=d["name"],
                credentials=d.get("credentials", ""),
                user=d.get("username"),
            )
            for i, d in enumerate(self._ordered("authors"))
        )
        case.radiopharmaceuticals.all().delete()
        Radiopharmaceutical.objects.bulk_create(
            Radiopharmaceutical(
                case=case,
                order=i,
                agent=d["agent"],
                activity=d.get("activity") if d.get("activity") is not None else None,
                unit=d.get("unit") or "",
                route=d.get("route", ""),
                time_to_imaging=d.get("time_to_imaging", ""),
            )
            for i, d in enumerate(self._ordered("doses"))
        )
        images = {i.pk: i for i in case.images.all()}
        main = self.form.cleaned_data.get("main_image")
        if main in images:
            # One main image per case (a constraint): clear the old one first.
            case.images.exclude(pk=main).filter(is_main=True).update(is_main=False)
            for image in images.values():
                image.is_main = image.pk == main
        for order, d in enumerate(self._ordered("captions")):
            captioned = images.get(d["image"])
            if captioned is None:
                continue  # removed meanwhile (by pixel review, say)
            captioned.caption, captioned.order = d.get("caption", ""), order
            captioned.answer_caption = d.get("answer_caption", "")
            captioned.save(update_fields=["caption", "answer_caption", "order", "is_main"])

    def _save_codes(self, case: Case) -> None:
        """The case's codes as listed, each once; a code new to the table is added with
        the term typed, and a code typed by hand earlier takes the term typed now."""
        chosen: dict[tuple[str, str], Code] = {}
        for d in self._ordered("codes"):
            system, number, meaning = d["system"], d["code"], d["meaning"]
            if (system, number) in chosen:
                continue
            code, made = Code.objects.get_or_create(
                system=system,
                code=number,
                defaults={"meaning": meaning, "source": Code.EDITOR_SOURCE},
            )
            if not made and code.typed_by_hand and meaning and meaning != code.meaning:
                code.meaning = meaning
                code.save(update_fields=["meaning", "updated"])
            chosen[system, number] = code
        case.case_codes.all().delete()
        CaseCode.objects.bulk_create(
            CaseCode(case=case, code=code, order=i) for i, code in enumerate(chosen.values())
        )


def save_topic(form: TopicForm, user: Any) -> Any:
    """Save a valid topic form (a new topic, or changes to one) as one revision; the new
    revision, or None when nothing changed. The topic page's editor and the API both save
    here.

    Raises
    ------
    Conflict
        The topic was saved after the revision the form was opened at.
    """
    topic = form.instance
    with transaction.atomic():
        latest = revisions.latest(topic) if topic.pk else None
        base_number = form.cleaned_data.get("base_revision") or 0
        if latest and latest.number != base_number:
            base = revisions.for_object(topic).filter(number=base_number).first()
            raise Conflict(latest, revisions.diff(base, latest) if base else [])
        new = topic.pk is None
        topic = form.save()
        return revisions.record(topic, user=user, kind="created" if new else "edited")
