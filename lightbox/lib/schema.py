"""A model's fields and columns by name, for code that works below the ORM: queries
written in SQL, and values cut to a column's length before they are stored.

``Model._meta.get_field`` answers with any kind of field, reverse relations included,
and Django types a field's ``column`` as optional (a many-to-many field has none). These
take only a field with a column of its own, and fail at once on any other.

Examples
--------
>>> from django.contrib.auth.models import User
>>> column(User, "username"), concrete_field(User, "username").max_length
('username', 150)
>>> column(User, "pk")
'id'
>>> column(User, "groups")
Traceback (most recent call last):
...
TypeError: User.groups has no column of its own
"""

from __future__ import annotations

from typing import Any

from django.db.models import Field, Model

__all__ = ["column", "concrete_field", "related_model"]


def _with_column(model: type[Model], name: str) -> tuple[Field[Any, Any], str]:
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} has no column of its own")
    return field, field.column


def concrete_field(model: type[Model], name: str) -> Field[Any, Any]:
    """The field ``name`` of ``model`` (``"pk"``, as in a lookup, for its primary key),
    which must have a column of its own.

    Raises
    ------
    django.core.exceptions.FieldDoesNotExist
        When ``model`` has no field ``name``.
    TypeError
        When it has one without a column (a reverse relation, a many-to-many field).
    """
    return _with_column(model, name)[0]


def column(model: type[Model], name: str) -> str:
    """The database column of the field ``name`` of ``model``, unquoted; raises as
    :func:`concrete_field` does."""
    return _with_column(model, name)[1]


def related_model(model: type[Model], name: str) -> type[Model]:
    """The model at the other end of the relation ``name`` of ``model`` (a reverse one
    included): how an app reaches another app's model without importing it.

    Raises
    ------
    django.core.exceptions.FieldDoesNotExist
        When ``model`` has no field ``name``.
    TypeError
        When the field is not a relation.
    """
    related = model._meta.get_field(name).related_model
    if related is None or isinstance(related, str):
        raise TypeError(f"{model.__name__}.{name} is not a relation")
    return related
