from __future__ import annotations

from django import forms

from lightbox.api.models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What it is for, so you know which to revoke: “nightly import script”.",
    )
    scope = forms.ChoiceField(
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text="A read token may only read. Either does only what you may do.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name
