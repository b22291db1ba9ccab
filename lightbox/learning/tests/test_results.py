"""Progress, a case's results, overruling a grade, the difficulty report, and who sees
which of them: learners see only their own answers."""

from __future__ import annotations

import pytest

from lightbox.audit.models import AuditEntry
from lightbox.learning.models import Attempt, CaseDifficulty, Outcome
from lightbox.test import make_case, make_user

pytestmark = pytest.mark.django_db


def answer(client, case, text, confidence="2"):
    client.post(f"/cases/{case.number}/answer/", {"diagnosis": text, "confidence": confidence})


def test_the_progress_page_draws_accuracy_and_calibration(client, people):
    right = make_case(diagnosis="Paget disease of bone", anatomic_field="4", modality="NM")
    wrong = make_case(diagnosis="Pulmonary embolism", anatomic_field="6", modality="CT")
    client.force_login(people["bob"])
    answer(client, right, "Paget disease of bone", "3")
    answer(client, wrong, "Pneumonia", "3")
    html = client.get("/learn/progress/").content.decode()
    assert html.count("<svg") == 4  # calibration, and accuracy by field, category, modality
    assert "Skeletal" in html and "Calibration" in html and "Brier score" in html
    # Certain twice, right once: (0.05² + 0.95²) / 2.
    assert "0.4525" in html
    assert "1 day" in html  # the streak


def test_learners_see_only_their_own_progress(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, "Bobs secret guess")
    client.force_login(people["charlie"])
    assert client.get("/learn/progress/bob/").status_code == 404
    assert "Bobs secret guess" not in client.get("/learn/progress/").content.decode()
    # An editor, a learner's program director, may open it.
    client.force_login(people["erin"])
    assert "Bobs secret guess" in client.get("/learn/progress/bob/").content.decode()


def test_case_results_are_aggregate_and_name_nobody(client, people):
    case = make_case(created_by=people["alice"])
    # Names no random token (a CSRF token) can hold: they have a hyphen.
    names = ("reader-ann", "reader-ben", "reader-cy")
    for name, text in zip(names, ("Calcinosis", "Calcinosis", "Scleroderma"), strict=True):
        client.force_login(make_user(name))
        answer(client, case, text)
    client.force_login(people["erin"])
    html = client.get(f"/cases/{case.number}/results/").content.decode()
    assert "3 answers from 3 readers" in html
    assert "Calcinosis" in html and "Scleroderma" in html
    for name in names:
        assert name not in html
    # The case's author sees them too; a learner and another author do not.
    client.force_login(people["alice"])
    assert client.get(f"/cases/{case.number}/results/").status_code == 200
    for other in ("bob", "charlie"):
        client.force_login(people[other])
        assert client.get(f"/cases/{case.number}/results/").status_code == 404


def test_an_overrule_regrades_and_teaches_the_case_an_accepted_answer(client, people):
    case = make_case(created_by=people["alice"], diagnosis="Dystrophic calcification")
    reader = make_user("reader")
    client.force_login(reader)
    answer(client, case, "Calcinosis cutis", "3")
    attempt = Attempt.objects.get()
    assert attempt.outcome == Outcome.INCORRECT and attempt.marks == -6
    client.force_login(people["erin"])
    response = client.post(
        f"/cases/{case.number}/results/overrule/",
        {"answer": "calcinosis cutis", "decision": "accept"},
    )
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.CORRECT and attempt.original_outcome == "incorrect"
    assert (attempt.points, attempt.marks) == (2, 3) and attempt.overruled_by == people["erin"]
    case.refresh_from_db()
    assert case.accepted_answers == ["calcinosis cutis"]
    # The next reader who says it is graded right at once.
    client.force_login(make_user("next"))
    answer(client, case, "Calcinosis cutis")
    assert Attempt.objects.latest("created").outcome in (Outcome.CORRECT, Outcome.SPELLING)
    # Audited without the answer's words.
    entry = AuditEntry.objects.get(action="grade_overrule")
    assert entry.actor == people["erin"] and "calcinosis" not in str(entry.data).lower()
    assert "calcinosis" not in entry.summary.lower()
    # And refused again.
    client.force_login(people["alice"])
    client.post(
        f"/cases/{case.number}/results/overrule/",
        {"answer": "Calcinosis cutis", "decision": "refuse"},
    )
    case.refresh_from_db()
    assert case.accepted_answers == []
    assert not any(a.is_right for a in Attempt.objects.all())


def test_learners_cannot_overrule(client, people):
    case = make_case()
    client.force_login(people["bob"])
    answer(client, case, "Anything")
    response = client.post(
        f"/cases/{case.number}/results/overrule/", {"answer": "Anything", "decision": "accept"}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.accepted_answers == []


def test_the_difficulty_report_lists_the_widest_disagreements(client, people):
    easy_said_hard = make_case(difficulty=1, title="Said easy")
    agreed = make_case(difficulty=3, title="Agreed")
    CaseDifficulty.objects.create(case=easy_said_hard, difficulty=2.0, attempts=12, right=1)
    CaseDifficulty.objects.create(case=agreed, difficulty=0.0, attempts=12, right=6)
    client.force_login(people["erin"])
    html = client.get("/learn/difficulty/").content.decode()
    assert html.index("Said easy") < html.index("Agreed")
    assert "#D1" in html and "#D5" in html
    client.force_login(people["alice"])
    assert client.get("/learn/difficulty/").status_code == 404
