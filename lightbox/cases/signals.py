"""Keep ``Case.updated`` honest: it changes whenever anything shown on the case changes.

The reading pages are cached under that stamp, so an author added, an image re-captioned or
a topic renamed must bump it, or readers would see the old page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from lightbox.cases.models import Case, CaseAuthor, Radiopharmaceutical, Series, Topic


def touch_case(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    Case.objects.filter(pk=instance.case_id).update(updated=timezone.now())


def touch_topic_cases(sender: type[Model], instance: Topic, **kwargs: Any) -> None:
    Case.objects.filter(topic=instance).update(updated=timezone.now())


def touch_series_cases(sender: type[Model], instance: Series, **kwargs: Any) -> None:
    Case.objects.filter(series=instance).update(updated=timezone.now())


def connect_case_child(model: type[Model]) -> None:
    """Bump the parent case whenever a ``model`` row (with a ``case`` FK) changes."""
    post_save.connect(touch_case, sender=model, dispatch_uid=f"touch-case-{model.__name__}")
    post_delete.connect(touch_case, sender=model, dispatch_uid=f"touch-case-del-{model.__name__}")


connect_case_child(CaseAuthor)
connect_case_child(Radiopharmaceutical)
post_save.connect(touch_topic_cases, sender=Topic, dispatch_uid="touch-topic-cases")
post_save.connect(touch_series_cases, sender=Series, dispatch_uid="touch-series-cases")
