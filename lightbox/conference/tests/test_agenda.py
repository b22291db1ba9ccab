"""Building an agenda: editors and administrators, cases added by number, reordered and
removed; nobody else finds a conference at all."""

from __future__ import annotations

import pytest
from django.test import Client

from lightbox.conference.models import Conference
from lightbox.conference.tests.conftest import ANSWER_TEXTS, signed_in
from lightbox.test import make_case, make_user

pytestmark = pytest.mark.django_db


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_an_editor_creates_a_conference_and_owns_it(people, erin):
    response = erin.post("/conferences/new/", {"title": "  Tuesday   unknowns "})
    conference = Conference.objects.get()
    assert response.status_code == 302 and response.url == f"/conferences/{conference.pk}/"
    assert conference.title == "Tuesday unknowns" and conference.owner == people["erin"]
    assert not conference.is_live


def test_a_conference_needs_a_title(erin):
    response = erin.post("/conferences/new/", {"title": "   "})
    assert response.status_code == 200 and not Conference.objects.exists()
    assert "Give the conference a title." in response.content.decode()


def test_the_list_shows_an_editor_their_own_and_an_administrator_everyone_s(people, erin):
    Conference.objects.create(title="Erin's", owner=people["erin"])
    other = make_user("ed", "editor")
    Conference.objects.create(title="Ed's", owner=other)
    mine = erin.get("/conferences/").content.decode()
    assert "Erin&#x27;s" in mine and "Ed&#x27;s" not in mine
    everyone = signed_in(people["root"]).get("/conferences/").content.decode()
    assert "Erin&#x27;s" in everyone and "Ed&#x27;s" in everyone


def test_the_editors_navigation_links_to_conferences(erin, people):
    assert 'href="/conferences/"' in erin.get("/").content.decode()
    assert 'href="/conferences/"' not in signed_in(people["bob"]).get("/").content.decode()


@pytest.mark.parametrize("person", ["bob", "alice", "charlie"])
def test_anyone_but_editors_is_refused_everything(people, conference, person):
    client = signed_in(people[person])
    assert client.get("/conferences/").status_code == 404
    assert client.get("/conferences/new/").status_code == 404
    assert client.post("/conferences/new/", {"title": "Mine"}).status_code == 404
    assert client.get(f"/conferences/{conference.pk}/").status_code == 404
    changes = client.post(
        f"/conferences/{conference.pk}/agenda/", {"action": "add", "number": "bs001"}
    )
    assert changes.status_code == 404
    assert Conference.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in_and_back_to_the_agenda(conference):
    client = Client()
    response = client.get(f"/conferences/{conference.pk}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    posted = client.post(f"/conferences/{conference.pk}/agenda/", {"action": "add"})
    assert posted.url == f"/accounts/login/?next=/conferences/{conference.pk}/"


def test_another_editor_finds_no_such_conference_but_an_administrator_does(people, conference):
    ed = signed_in(make_user("ed", "editor"))
    assert ed.get(f"/conferences/{conference.pk}/").status_code == 404
    assert ed.get(f"/conferences/{conference.pk}/present/").status_code == 404
    assert signed_in(people["root"]).get(f"/conferences/{conference.pk}/").status_code == 200


def test_cases_are_added_by_number_in_any_case(erin, conference):
    second = make_case()
    response = erin.post(
        f"/conferences/{conference.pk}/agenda/",
        {"action": "add", "number": f" {second.number.upper()} "},
        follow=True,
    )
    assert f"Case {second.number} is added to the agenda." in _messages(response)
    assert [i.case_id for i in conference.items()][-1] == second.pk


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("bs999999", "There is no case numbered bs999999."),
        ("not a number", "Give a case number, such as bs068."),
        ("", "Give a case number, such as bs068."),
        ("\x00", "Give a case number, such as bs068."),
        ("b" * 5000, "Give a case number, such as bs068."),
    ],
)
def test_a_wrong_number_is_explained(erin, conference, number, message):
    response = erin.post(
        f"/conferences/{conference.pk}/agenda/", {"action": "add", "number": number}, follow=True
    )
    assert message in _messages(response)
    assert conference.agenda.count() == 1


def test_a_case_is_on_an_agenda_once(erin, conference, case):
    response = erin.post(
        f"/conferences/{conference.pk}/agenda/",
        {"action": "add", "number": case.number},
        follow=True,
    )
    assert f"Case {case.number} is already on the agenda." in _messages(response)


def test_an_editor_may_add_a_private_draft_they_can_read(erin, conference, draft):
    erin.post(f"/conferences/{conference.pk}/agenda/", {"action": "add", "number": draft.number})
    assert conference.agenda.filter(case=draft).exists()


def test_the_agenda_holds_only_cases_the_presenter_may_read(people, conference, draft):
    from lightbox.cases.access import can_put_on_agenda

    assert can_put_on_agenda(people["erin"], conference, draft)
    # alice may read her draft but builds no conferences; bob may read neither.
    assert not can_put_on_agenda(people["alice"], conference, draft)
    assert not can_put_on_agenda(people["bob"], conference, draft)


def test_items_move_up_and_down_and_are_removed(erin, conference, case):
    second, third = make_case(), make_case()
    conference.add_case(second)
    conference.add_case(third)
    url = f"/conferences/{conference.pk}/agenda/"
    item = conference.agenda.get(case=third)
    erin.post(url, {"action": "up", "item": item.pk})
    assert [i.case_id for i in conference.items()] == [case.pk, third.pk, second.pk]
    erin.post(url, {"action": "down", "item": conference.agenda.get(case=case).pk})
    assert [i.case_id for i in conference.items()] == [third.pk, case.pk, second.pk]
    response = erin.post(url, {"action": "remove", "item": item.pk}, follow=True)
    assert f"Case {third.number} is off the agenda." in _messages(response)
    assert [i.case_id for i in conference.items()] == [case.pk, second.pk]


@pytest.mark.parametrize("item", ["", "abc", "-1", "99999999999999999999", "999999"])
def test_an_odd_item_is_explained_not_a_crash(erin, conference, item):
    response = erin.post(
        f"/conferences/{conference.pk}/agenda/", {"action": "remove", "item": item}, follow=True
    )
    assert response.status_code == 200
    assert "That case is no longer on the agenda." in _messages(response)


def test_an_item_of_another_conference_cannot_be_touched(people, erin, conference):
    other = Conference.objects.create(title="Other", owner=people["erin"])
    item = other.add_case(make_case())
    erin.post(f"/conferences/{conference.pk}/agenda/", {"action": "remove", "item": item.pk})
    assert other.agenda.count() == 1


@pytest.mark.parametrize("action", ["", "delete", "ADD", "x" * 1000])
def test_an_unknown_action_is_a_bad_request(erin, conference, action):
    response = erin.post(f"/conferences/{conference.pk}/agenda/", {"action": action})
    assert response.status_code == 400


def test_the_agenda_page_shows_nothing_of_the_answers(erin, conference):
    # It may be on the projector while the presenter gets ready.
    page = erin.get(f"/conferences/{conference.pk}/").content.decode()
    assert conference.code in page
    for text in ANSWER_TEXTS:
        assert text not in page, text


def test_the_title_is_changed(erin, conference):
    erin.post(f"/conferences/{conference.pk}/edit/", {"title": "Wednesday"})
    conference.refresh_from_db()
    assert conference.title == "Wednesday"
    response = erin.post(f"/conferences/{conference.pk}/edit/", {"title": ""}, follow=True)
    assert "The title was not saved." in _messages(response)


def test_a_conference_that_does_not_exist_is_404(erin):
    assert erin.get("/conferences/999999/").status_code == 404
    assert erin.get("/conferences/99999999999999999999/").status_code == 404
