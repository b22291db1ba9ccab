"""The audit list's filters: a GET form, every field optional."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.utils import timezone

from lightbox.audit.models import Action, AuditEntry

# Bounds on the dates one may type, so that no day's midnight overflows on its way to UTC.
_DATE_BOUNDS = [MinValueValidator(dt.date(2000, 1, 1)), MaxValueValidator(dt.date(9000, 1, 1))]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(choices=[("", "Any action"), *Action.choices], required=False)
    actor = forms.CharField(label="User name", max_length=150, required=False)
    target_type = forms.CharField(label="Target type", max_length=40, required=False)
    target_id = forms.CharField(label="Target id", max_length=64, required=False)
    date_from = forms.DateField(
        label="From",
        required=False,
        validators=_DATE_BOUNDS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        validators=_DATE_BOUNDS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ip = forms.GenericIPAddressField(label="IP address", required=False, unpack_ipv4=True)
    q = forms.CharField(label="Text", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def filter(self, entries: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        """``entries`` narrowed by every field that is valid; an invalid field is ignored
        (and shown as an error), never passed to the database."""
        self.is_valid()
        data: dict[str, Any] = self.cleaned_data
        if value := data.get("action"):
            entries = entries.filter(action=value)
        if value := data.get("actor"):
            # actor_name too: it outlives the account and its renaming.
            entries = entries.filter(
                Q(actor_name__iexact=value) | Q(actor__username__iexact=value)
            )
        if value := data.get("target_type"):
            entries = entries.filter(target_type__iexact=value)
        if value := data.get("target_id"):
            entries = entries.filter(target_id__iexact=value)
        if value := data.get("date_from"):
            entries = entries.filter(created__gte=_start_of(value))
        if value := data.get("date_to"):
            entries = entries.filter(created__lt=_start_of(value + dt.timedelta(days=1)))
        if value := data.get("ip"):
            entries = entries.filter(ip=value)
        if value := data.get("q"):
            entries = entries.filter(
                Q(summary__icontains=value) | Q(target_label__icontains=value)
            )
        return entries


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight in the site's time zone: the dates an administrator types are local ones."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
