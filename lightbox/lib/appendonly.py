"""Models whose rows are written once and never changed or removed: logs.

The audit log and the revision history share this: saving a stored row, deleting one,
and a queryset's ``update``/``delete``/``bulk_update`` all raise the model's
``AppendOnlyError`` subclass; a new row is always an INSERT, so an unsaved object given a
stored row's primary key cannot overwrite it. Django's base manager is left alone, so
``on_delete=SET_NULL`` from a deleted user still works.

One change is allowed, by one function: :func:`redact_row` rewrites the text columns a
model names in ``redactable_fields``, to purge an identifier that should never have been
written (see :mod:`lightbox.history.redaction`, the only caller). It cannot touch any
other column, nor remove a row.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models

__all__ = ["AppendOnlyError", "AppendOnlyModel", "AppendOnlyQuerySet", "redact_row"]


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
    #: The columns :func:`redact_row` may rewrite (none unless a model says so).
    redactable_fields: ClassVar[tuple[str, ...]] = ()

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


def redact_row(model: type[AppendOnlyModel], pk: Any, **values: Any) -> int:
    """Rewrite the ``values`` of one stored row of ``model``: the single exception to
    append-only, for redacting text (an identifier) out of a log.

    Only columns named in ``model.redactable_fields`` may be given; anything else raises
    the model's ``AppendOnlyError``. Returns the number of rows changed (0 or 1).
    """
    if not values or set(values) - set(model.redactable_fields):
        allowed = ", ".join(model.redactable_fields) or "nothing"
        raise model.append_only_error(
            f"{model.append_only_message} Redaction may rewrite {allowed}, not "
            f"{', '.join(sorted(values)) or 'nothing'}."
        )
    # A plain QuerySet: the model's own (AppendOnlyQuerySet) refuses every update.
    return models.QuerySet(model=model).filter(pk=pk).update(**values)
