"""Every history view × every persona, with exact status codes.

Case history belongs to the case's authors and editors; topic history to editors. Anyone
else gets a 404 (what you may not see does not exist); anonymous people sign in first.
"""

import pytest
from django.test import Client

from lightbox.history.revisions import record

pytestmark = pytest.mark.django_db

CASE_PAGES = ["", "compare/?a=1&b=2", "1/", "1/restore/"]
# alice is the case's author; bob a learner; charlie an outsider; erin an editor.
CASE_CODES = {None: 302, "bob": 404, "charlie": 404, "alice": 200, "erin": 200}
TOPIC_CODES = {None: 302, "bob": 404, "charlie": 404, "alice": 404, "erin": 200}


def _client(people, who):
    client = Client()
    if who:
        client.force_login(people[who])
    return client


@pytest.fixture
def edited_topic(topic):
    record(topic, kind="created")
    topic.discussion = "Rewritten."
    topic.save()
    record(topic)
    return topic


@pytest.mark.parametrize("page", CASE_PAGES)
@pytest.mark.parametrize("who", CASE_CODES)
def test_case_history_pages(edited, people, page, who):
    response = _client(people, who).get(f"/cases/{edited.number}/history/{page}")
    assert response.status_code == CASE_CODES[who]
    if who is None:
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("page", CASE_PAGES)
@pytest.mark.parametrize("who", TOPIC_CODES)
def test_topic_history_pages(edited_topic, people, page, who):
    response = _client(people, who).get(f"/topics/{edited_topic.slug}/history/{page}")
    assert response.status_code == TOPIC_CODES[who]


@pytest.mark.parametrize("who", CASE_CODES)
def test_restoring_a_case_revision(edited, people, who):
    response = _client(people, who).post(f"/cases/{edited.number}/history/1/restore/")
    expected = 302 if CASE_CODES[who] == 200 else CASE_CODES[who]
    assert response.status_code == expected
    edited.refresh_from_db()
    assert (edited.title == "Diffuse soft-tissue uptake") == (CASE_CODES[who] == 200)


@pytest.mark.parametrize("who", TOPIC_CODES)
def test_restoring_a_topic_revision(edited_topic, people, who):
    response = _client(people, who).post(f"/topics/{edited_topic.slug}/history/1/restore/")
    expected = 302 if TOPIC_CODES[who] == 200 else TOPIC_CODES[who]
    assert response.status_code == expected
    edited_topic.refresh_from_db()
    assert (edited_topic.discussion == "Rewritten.") == (TOPIC_CODES[who] != 200)


@pytest.mark.parametrize("who", ["alice", "erin"])
def test_a_co_author_with_an_account_sees_the_history(people, case, who):
    case.created_by = None
    case.save()
    case.authors.filter(order=0).update(user=people["alice"])
    assert _client(people, who).get(f"/cases/{case.number}/history/").status_code == 200


def test_restoring_needs_a_csrf_token(edited, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    response = client.post(f"/cases/{edited.number}/history/1/restore/")
    assert response.status_code == 403
    edited.refresh_from_db()
    assert edited.title == "Calcinosis"


def test_restore_with_the_form_token_works(edited, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["alice"])
    page = client.get(f"/cases/{edited.number}/history/1/restore/")
    token = page.context["csrf_token"]
    response = client.post(
        f"/cases/{edited.number}/history/1/restore/", {"csrfmiddlewaretoken": str(token)}
    )
    assert response.status_code == 302


def test_a_draft_case_of_someone_else_is_hidden_from_its_history(edited, people):
    edited.status, edited.visibility = "draft", "private"
    edited.save()
    assert _client(people, "charlie").get(f"/cases/{edited.number}/history/").status_code == 404
