from __future__ import annotations

from django import forms

from lightbox.conference.histogram import normalise
from lightbox.conference.models import MAX_ANSWER, MAX_TITLE


class ConferenceForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=MAX_TITLE,
        help_text="What the room sees, e.g. “Nuclear medicine unknowns, Tuesday”.",
        error_messages={
            "required": "Give the conference a title.",
            "max_length": f"Keep the title under {MAX_TITLE} characters.",
        },
    )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Give the conference a title.")
        return title


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="Your answer",
        max_length=MAX_ANSWER,
        error_messages={
            "required": "Type an answer first.",
            "max_length": f"An answer can be at most {MAX_ANSWER} characters.",
        },
    )
    # The question the attendee's page showed: an answer typed for a question since
    # closed is not counted towards the next one.
    question = forms.IntegerField(required=False, min_value=1, max_value=2**53)

    def clean_answer(self) -> str:
        answer = " ".join(self.cleaned_data["answer"].split())
        if not normalise(answer):
            raise forms.ValidationError("Type an answer with at least one letter or digit.")
        return answer
