"""lightbox.lib.schema: a field with a column of its own, or an error at once."""

from __future__ import annotations

import doctest

import pytest
from django.core.exceptions import FieldDoesNotExist

from lightbox.cases.models import Case
from lightbox.imaging.models import Image
from lightbox.lib import schema
from lightbox.lib.schema import column, concrete_field


def test_its_examples_hold():
    assert doctest.testmod(schema).failed == 0


def test_it_names_a_foreign_keys_column():
    assert column(Image, "case") == "case_id"
    assert concrete_field(Image, "case").column == "case_id"


def test_it_refuses_a_reverse_relation():
    with pytest.raises(TypeError, match="Case.images has no column"):
        column(Case, "images")


def test_it_refuses_a_field_that_is_not_there():
    with pytest.raises(FieldDoesNotExist):
        concrete_field(Case, "no_such_field")


def test_it_follows_a_relation_either_way():
    assert schema.related_model(Image, "case") is Case
    assert schema.related_model(Case, "images") is Image


def test_it_refuses_a_field_that_is_no_relation():
    with pytest.raises(TypeError, match="Case.title is not a relation"):
        schema.related_model(Case, "title")
