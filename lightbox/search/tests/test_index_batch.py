"""A change that saves a case and its parts in one go indexes the case once, not at every
save (search.index.batch), and still in the transaction that makes the change."""

from __future__ import annotations

import pytest

from lightbox.cases.models import Case
from lightbox.cases.tests.test_editor import edit_url, form_data
from lightbox.history.revisions import for_object, record, restore
from lightbox.imaging.models import Image
from lightbox.search import index
from lightbox.search.models import Entry
from lightbox.test import add_dose, add_people, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def index_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    calls: list[list[int]] = []
    real = index.index_cases

    def counted(ids: object) -> None:
        ids = sorted(set(ids))  # type: ignore[call-overload]
        calls.append(ids)
        real(ids)

    monkeypatch.setattr(index, "index_cases", counted)
    return calls


@pytest.fixture
def case(people) -> Case:
    case = make_case(created_by=people["alice"], status="draft", visibility="private")
    add_people(case, ("Alice Moreau", "M.D."), ("Bo Li", "Ph.D."), ("Cy Ng", "M.D."))
    add_dose(case)
    for order in range(3):
        Image.objects.create(case=case, order=order, caption=f"View {order}", is_main=not order)
    return case


def test_an_editor_save_indexes_the_case_once(client, people, case, index_calls):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(case))
    data.update({"findings": "Uptake in both thighs.", "message": "Findings"})
    index_calls.clear()
    assert client.post(edit_url(case), data).status_code == 302
    assert index_calls == [[case.pk]]
    assert Case.objects.get(pk=case.pk).findings == "Uptake in both thighs."


def test_a_restore_indexes_the_case_once(people, case, index_calls):
    record(case, user=people["alice"], kind="created")
    case.findings = "Changed."
    case.save()
    record(case, user=people["alice"])
    index_calls.clear()
    restore(for_object(case).last(), user=people["alice"])
    assert index_calls == [[case.pk]]
    assert Entry.objects.get(case_id=case.pk).number == case.number


def save_and_fail(case: Case) -> None:
    with index.batch():
        case.title = "Never saved"
        case.save()
        raise RuntimeError("rolled back")


def test_a_batch_that_rolls_back_indexes_nothing(case, index_calls):
    index_calls.clear()
    with pytest.raises(RuntimeError, match="rolled back"):
        save_and_fail(case)
    assert index_calls == []
    assert Case.objects.get(pk=case.pk).title != "Never saved"
