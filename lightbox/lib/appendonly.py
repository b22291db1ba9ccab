"""Models whose rows are written once and never changed or removed: logs.

The audit log and the revision history share this: saving a stored row, deleting one,
and a queryset's ``update``/``delete``/``bulk_update`` all raise the model's
``AppendOnlyError`` subclass; a new row is always an INSERT, so an unsaved object given a
stored row's primary key cannot overwrite it. Django's base manager is left alone, so
``on_delete=SET_NULL`` from a deleted user still works.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models

__all__ = ["AppendOnlyError", "AppendOnlyModel", "AppendOnlyQuerySet"]


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a row of an append-only model."""


def _refuse(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    """Refuse, for a model instance or a queryset (whose model says how)."""
    model: Any = getattr(self, "model", type(self))
    raise model.append_only_error(model.append_only_message)


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Reads and inserts only."""

    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    # Django's own name for update(); kept out of reach the same way.
    _update = _refuse


class AppendOnlyModel(models.Model):
    append_only_error: ClassVar[type[AppendOnlyError]] = AppendOnlyError
    append_only_message: ClassVar[str] = "This log is append-only."

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse(self)
        kwargs["force_insert"] = True
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(self)
