"""The forms of the interchange app."""

from __future__ import annotations

from django import forms

from lightbox.cases.models import Series

__all__ = ["MircImportForm"]


class MircImportForm(forms.Form):
    series = forms.ModelChoiceField(
        Series.objects.order_by("prefix"),
        required=False,
        empty_label="mirc — Imported from MIRC",
        help_text="The imported cases are numbered in this series.",
    )
