from __future__ import annotations

import pytest
from django.test import Client

from lightbox.conference.models import Conference
from lightbox.imaging.images import add_image
from lightbox.test import add_dose, make_case, png_bytes

#: Everything of make_case()'s case that is the answer: none of it may reach an attendee
#: (or the projector) before the reveal.
ANSWER_TEXTS = (
    "Dystrophic soft-tissue calcification",  # diagnosis
    "Tracer uptake in the soft tissues",  # findings
    "Diffuse soft-tissue uptake",  # title
    "firm skin nodules",  # full history
    "Calcium deposits in damaged tissue",  # discussion
    "Treated medically",  # follow-up
    "Dermatomyositis",  # differential
    "calcinosis",  # keyword
    "Tc-99m",  # radiopharmaceutical
    "Doe J. Soft-tissue uptake",  # reference
    "Calcified nodules, arrowed",  # an image's answer caption
)


@pytest.fixture
def case(people):
    """A published case by alice, with a main picture whose answer caption is the answer."""
    case = make_case(created_by=people["alice"])
    add_image(
        case,
        png_bytes((80, 160)),
        caption="Anterior and posterior",
        answer_caption="Calcified nodules, arrowed",
        is_main=True,
    )
    add_image(case, png_bytes((40, 40), 60), caption="Spot view")
    add_dose(case)
    return case


@pytest.fixture
def draft(people):
    """alice's private draft: only she, editors and administrators may read it."""
    return make_case(
        created_by=people["alice"],
        status="draft",
        visibility="private",
        brief_history="A private draft's history.",
        diagnosis="Draft diagnosis text",
    )


@pytest.fixture
def conference(people, case):
    """erin's conference with ``case`` on its agenda, not yet running."""
    conference = Conference.objects.create(title="Tuesday unknowns", owner=people["erin"])
    conference.add_case(case)
    return conference


@pytest.fixture
def live(conference):
    """``conference`` running, its first case on screen as an unknown."""
    conference.open_room()
    conference.refresh_from_db()
    return conference


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def erin(people) -> Client:
    return signed_in(people["erin"])


@pytest.fixture
def phone():
    """A phone: a new browser, nobody signed in. Call it for each one."""
    return lambda: Client()
