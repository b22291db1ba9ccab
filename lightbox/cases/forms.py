"""The forms of the cases app: a new case, the case editor's form and the forms of its
ordered lists (see :mod:`lightbox.cases.editor`, which puts them together), and a topic
page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from lightbox.cases import acr, codes
from lightbox.cases.models import AGE_CEILING, Case, Code, Series, Topic

__all__ = [
    "AcrCodeForm",
    "AuthorForm",
    "CaptionForm",
    "CaseForm",
    "CodeForm",
    "DoseForm",
    "ItemForm",
    "NewCaseForm",
    "ReferenceForm",
    "TopicForm",
]


class NewCaseForm(forms.Form):
    series = forms.ModelChoiceField(Series.objects.order_by("prefix"), empty_label=None)
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="The diagnosis; readers see it only after reveal.",
    )


class CaseForm(forms.ModelForm):  # type: ignore[type-arg]
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)
    message = forms.CharField(
        label="What did you change?",
        max_length=200,
        required=False,
        help_text="Optional; shown in the history.",
    )
    # Rendered by the template as one radio button per image row.
    main_image = forms.IntegerField(required=False)
    patient_age = forms.IntegerField(
        label="Patient age (years)",
        min_value=0,
        max_value=130,
        required=False,
        help_text="Ages over 89 are kept as “90 or older” (an age over 89 identifies).",
    )

    class Meta:
        model = Case
        fields = [
            "title", "modality", "exam", "case_date", "patient_age", "patient_sex",
            *Case.SECTIONS, "anatomic_field", "category", "topic", "difficulty", "quality",
            "copyright", "visibility",
        ]  # fmt: skip
        widgets = {
            **{
                name: forms.Textarea(attrs={"rows": 6, "data-markdown": ""})
                for name in Case.SECTIONS
            },
            "brief_history": forms.Textarea(attrs={"rows": 3, "data-markdown": ""}),
            "case_date": forms.DateInput(attrs={"type": "date"}),
            "difficulty": forms.Select(choices=[("", "—"), *[(i, f"{i}") for i in range(1, 6)]]),
            "quality": forms.Select(choices=[("", "—"), *[(i, f"{i}") for i in range(1, 6)]]),
        }
        labels = {
            **Case.SECTIONS,
            "brief_history": "Brief history (shown before the answer)",
            "anatomic_field": "ACR anatomic field",
            "category": "ACR category",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic = self.fields["topic"]
        assert isinstance(topic, forms.ModelChoiceField)  # the form field of a ForeignKey
        topic.queryset = Topic.objects.order_by("title")
        self.fields["brief_history"].help_text = ""  # the label says it

    def clean_patient_age(self) -> int | None:
        age = self.cleaned_data.get("patient_age")
        return None if age is None else min(age, AGE_CEILING)


class ItemForm(forms.Form):
    item = forms.CharField(max_length=300, label="")


class AcrCodeForm(forms.Form):
    item = forms.CharField(max_length=40, label="", help_text="e.g. 4.5 or 642.3212")

    def clean_item(self) -> str:
        code = self.cleaned_data["item"].strip()
        try:
            acr.parse_code(code)
        except acr.InvalidAcrCode as e:
            raise forms.ValidationError(str(e)) from None
        return code


class CodeForm(forms.Form):
    """One RadLex or SNOMED CT code of a case, told apart by its shape, with its term.

    The term may be left out for a code the codes table has (every RadLex ID, once
    ``import_radlex`` has run); a code from an imported vocabulary keeps the vocabulary's
    term whatever is typed here. The code may be left out when the term, or a synonym of
    it, is one code's in the table: that code is taken (several are listed to choose from).
    """

    code = forms.CharField(
        max_length=200,
        required=False,
        label="Code",
        help_text="RadLex ID (RID3874) or SNOMED CT identifier; or leave it out and give "
        "a RadLex term",
    )
    meaning = forms.CharField(
        max_length=codes.MAX_TERM,
        required=False,
        label="Term",
        help_text="Needed only for a code the table does not have yet",
    )

    #: Codes listed at most when a term names several.
    CHOICES = 5

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = data.get("meaning", "").strip()
        if not data.get("code"):
            if typed:
                self._code_for_term(data, typed)
            elif not self.errors:
                self.add_error("code", "Give a code, or a term to look its code up by.")
            return data
        try:
            data["system"], data["code"] = codes.parse_any(data["code"])
        except codes.InvalidCode as e:
            self.add_error("code", str(e))
            return data
        if typed:
            try:
                data["meaning"] = codes.clean_term(typed)
            except codes.InvalidCode as e:
                self.add_error("meaning", str(e))
        elif (known := Code.objects.filter(system=data["system"], code=data["code"])).exists():
            data["meaning"] = known.get().meaning
        else:
            name = codes.SYSTEMS[data["system"]]
            self.add_error(
                "meaning", f"{name} {data['code']} is not in the codes table yet: give its term."
            )
        return data

    def _code_for_term(self, data: dict[str, Any], term: str) -> None:
        """Fill in the code whose term or synonym ``term`` is, when exactly one has it."""
        key = codes.term_key(term)
        found = list(
            Code.objects.filter(Q(key=key) | Q(synonyms__key=key))
            .distinct()
            .order_by("system", "code")[: self.CHOICES + 1]
        )
        if len(found) == 1:
            data["system"], data["code"], data["meaning"] = (
                found[0].system,
                found[0].code,
                found[0].meaning,
            )
        elif found:
            listed = "; ".join(f"{c.code} {c.meaning}" for c in found[: self.CHOICES])
            more = ", …" if len(found) > self.CHOICES else ""
            self.add_error("code", f"Several codes have this term; give one: {listed}{more}")
        else:
            self.add_error("code", "No code in the table has this term: give its code.")


class ReferenceForm(forms.Form):
    text = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    pmid = forms.RegexField(
        regex=r"^\d{1,9}$", required=False, label="PMID", error_messages={"invalid": "digits"}
    )
    doi = forms.RegexField(
        regex=r"^10\.\S+$", required=False, label="DOI", error_messages={"invalid": "10.…"}
    )


class AuthorForm(forms.Form):
    name = forms.CharField(max_length=200)
    credentials = forms.CharField(max_length=100, required=False)
    username = forms.CharField(
        max_length=150, required=False, label="Account", help_text="Co-author's user name"
    )

    def clean_username(self) -> Any:
        name = self.cleaned_data["username"].strip()
        if not name:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(f"No account named {name}.")
        return user


class DoseForm(forms.Form):
    agent = forms.CharField(max_length=120, help_text="e.g. Tc-99m MDP")
    activity = forms.DecimalField(max_digits=10, decimal_places=3, required=False, min_value=0)
    unit = forms.ChoiceField(choices=[("", "—"), ("mCi", "mCi"), ("MBq", "MBq")], required=False)
    route = forms.CharField(max_length=40, required=False)
    time_to_imaging = forms.CharField(max_length=60, required=False)


class CaptionForm(forms.Form):
    """An image's two captions: the first is read with the unknown, the second only
    after the reveal."""

    image = forms.IntegerField(widget=forms.HiddenInput)
    caption = forms.CharField(
        label="Caption before the answer",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Shown with the unknown: only the view, e.g. “Anterior and posterior "
        "whole-body images”. Nothing that gives the answer.",
    )
    answer_caption = forms.CharField(
        label="Caption after the answer",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Shown with the diagnosis: what the image shows.",
    )


class TopicForm(forms.ModelForm):  # type: ignore[type-arg]
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Topic
        fields = ["title", "anatomic_field", "category", "discussion"]
        widgets = {"discussion": forms.Textarea(attrs={"rows": 14, "data-markdown": ""})}
