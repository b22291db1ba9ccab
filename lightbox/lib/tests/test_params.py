"""lightbox.lib.params: every odd value is absent or brought into range, never an error."""

from __future__ import annotations

import doctest

import pytest
from django.http import QueryDict

from lightbox.lib import params
from lightbox.lib.params import int_param, parse_int

ODD = ["abc", "1e3", "1.5", "²", "٣", "1_000", "0x10", "", " ", "\x00", "NaN", "∞", "-", "1 2"]


def test_its_examples_hold():
    assert doctest.testmod(params).failed == 0


@pytest.mark.parametrize("value", ODD)
def test_it_reads_an_odd_value_as_absent(value):
    assert parse_int(value) is None
    assert int_param(QueryDict(f"page={value}"), "page", 7, minimum=1, maximum=10) == 7


def test_it_brings_a_huge_number_into_range():
    query = QueryDict("page=99999999999999999999&back=-99999999999999999999")
    assert int_param(query, "page", 1, minimum=1, maximum=10_000) == 10_000
    assert int_param(query, "back", 1, minimum=1, maximum=10_000) == 1
    assert parse_int("99999999999999999999") is None
    assert int_param(QueryDict("page=" + "9" * 5000), "page", 1, minimum=1, maximum=5) == 5


def test_it_takes_the_last_of_repeated_values():
    assert int_param(QueryDict("page=2&page=3"), "page", 1, minimum=1, maximum=10) == 3


def test_it_refuses_a_number_out_of_its_range():
    assert parse_int("0", minimum=1) is None
    assert parse_int("11", maximum=10) is None
    assert parse_int(" 10 ", minimum=1, maximum=10) == 10
