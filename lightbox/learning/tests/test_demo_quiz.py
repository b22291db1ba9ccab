"""The demo library is a quiz a newcomer can take after `make run`: every case graded
right when its diagnosis is typed, partially right for an item of its differential."""

from __future__ import annotations

import pytest

from lightbox.cases.models import Case
from lightbox.interchange.demo.save import load_demo
from lightbox.learning import attempts
from lightbox.learning.models import Outcome, StudySession

pytestmark = pytest.mark.django_db


def test_the_demo_quiz_can_be_taken_and_graded(client, people):
    load_demo(progress=False)
    demo = list(Case.objects.filter(is_demo=True, status="published").order_by("number"))
    assert len(demo) >= 10
    client.force_login(people["bob"])
    response = client.post(
        "/learn/sessions/new/", {"source": "list=demo", "mode": "unknown", "length": "20"}
    )
    assert response.status_code == 302
    session = StudySession.objects.get()
    assert set(session.case_ids) == {c.pk for c in demo}
    for case in demo:
        right = attempts.commit(
            people["erin"], case, answer=case.diagnosis, differential=[], confidence=3
        )
        assert right.outcome == Outcome.CORRECT, (case.number, case.diagnosis)
        if case.differential:
            item = case.differential[-1]  # (the first is often the diagnosis itself)
            partial = attempts.commit(
                people["erin"], case, answer=item, differential=[], confidence=1
            )
            assert partial.outcome in (Outcome.PARTIAL, Outcome.UNSURE), (case.number, item)
