"""The learner's forms: an answer to an unknown, a session to start."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.core import signing

from lightbox.learning.attempts import MAX_DIFFERENTIAL
from lightbox.learning.models import Confidence, StudySession

_SHOWN_SALT = "lightbox.learning.shown"
# Longer than this between showing a case and answering it is a reader who walked away:
# the time is not counted.
MAX_SECONDS = 3600


def shown_token() -> str:
    """A signed stamp of when the unknown was shown, to time the answer."""
    return signing.dumps(int(time.time()), salt=_SHOWN_SALT)


class AnswerForm(forms.Form):
    diagnosis = forms.CharField(
        label="Your diagnosis",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    confidence = forms.TypedChoiceField(
        label="How sure are you?",
        choices=Confidence.choices,
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_DIFFERENTIAL + 1):
            self.fields[f"ddx{i}"] = forms.CharField(
                label=f"Differential {i}",
                max_length=300,
                required=False,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        self.fields["shown"].initial = shown_token()

    @property
    def differential_fields(self) -> list[forms.BoundField]:
        return [self[f"ddx{i}"] for i in range(1, MAX_DIFFERENTIAL + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("diagnosis", "").strip() and not data.get("confidence"):
            self.add_error("confidence", "Say how sure you are: it is part of the score.")
        return data

    @property
    def differential(self) -> list[str]:
        return [
            self.cleaned_data.get(f"ddx{i}", "").strip()
            for i in range(1, MAX_DIFFERENTIAL + 1)
            if self.cleaned_data.get(f"ddx{i}", "").strip()
        ]

    @property
    def seconds(self) -> int | None:
        try:
            shown = signing.loads(self.cleaned_data.get("shown") or "", salt=_SHOWN_SALT)
        except signing.BadSignature:
            return None
        elapsed = int(time.time()) - int(shown)
        return elapsed if 0 <= elapsed <= MAX_SECONDS else None


LENGTHS = (5, 10, 20, 50)


class SessionForm(forms.Form):
    """Start a session from a list (the list's own parameters ride along as ``source``)."""

    source = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=StudySession.Mode.choices, initial=StudySession.Mode.UNKNOWN)
    length = forms.TypedChoiceField(
        choices=[(n, f"{n} cases") for n in LENGTHS], coerce=int, initial=10
    )
