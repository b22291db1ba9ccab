"""A case of alice's with authors, a dose and captioned images, and a topic."""

from __future__ import annotations

import pytest

from lightbox.history.revisions import record
from lightbox.imaging.models import Image
from lightbox.test import add_dose, add_people, make_case, make_topic


@pytest.fixture
def case(people):
    case = make_case(created_by=people["alice"])
    add_people(case, ("Ed Grishaw", "M.D."), ("Henry Royal", "M.D."))
    add_dose(case, activity="21.6")
    Image.objects.create(case=case, order=0, caption="Anterior whole body", is_main=True)
    Image.objects.create(case=case, order=1, caption="Posterior whole body")
    return case


@pytest.fixture
def topic(db):
    return make_topic()


@pytest.fixture
def edited(case, people):
    """``case`` with two revisions: 1 as made, 2 with new findings and a new title."""
    record(case, user=people["alice"], kind="created")
    case.findings = "Tracer uptake in the soft tissues of both thighs, arms and the abdomen."
    case.title = "Calcinosis"
    case.save()
    record(case, user=people["alice"], message="Better findings")
    return case
