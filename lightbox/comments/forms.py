from __future__ import annotations

from django import forms

from lightbox.comments.models import MAX_BODY, MAX_REASON


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown: **bold**, *italic*, lists, [links](https://example.org).",
        error_messages={"required": "Write something before posting."},
    )

    def clean_body(self) -> str:
        # Browsers send CRLF line ends but count them as one character; so do we.
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        if not body:
            raise forms.ValidationError("Write something before posting.")
        if len(body) > MAX_BODY:
            raise forms.ValidationError(
                f"A comment can be at most {MAX_BODY:,} characters; this one has "
                f"{len(body):,}. Nothing was posted: shorten it and post again."
            )
        return body


class HideForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON,
        error_messages={
            "required": "Give a reason for hiding the comment.",
            "max_length": f"Keep the reason under {MAX_REASON} characters.",
        },
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason for hiding the comment.")
        return reason
