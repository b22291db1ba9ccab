"""`/cases/<number>/history/` and `/topics/<slug>/history/`: the list of revisions."""

import pytest

from lightbox.history.revisions import for_object
from lightbox.test import text_of

pytestmark = pytest.mark.django_db


def test_it_lists_revisions_newest_first_with_a_compare_form(client, edited, people):
    client.force_login(people["alice"])
    response = client.get(f"/cases/{edited.number}/history/")
    html = response.content.decode()
    text = text_of(html)
    assert text.index("Revision 2") < text.index("Revision 1")
    assert "Better findings" in text and "Title, Findings" in text
    assert f'action="/cases/{edited.number}/history/compare/"' in html
    assert 'method="get"' in html
    assert 'name="a" value="1" aria-label="Compare from revision 1" checked' in html
    assert 'name="b" value="2" aria-label="Compare to revision 2" checked' in html


def test_a_case_without_history_gets_revision_1_when_shown(client, case, people):
    client.force_login(people["erin"])
    response = client.get(f"/cases/{case.number}/history/")
    assert response.status_code == 200
    (rev,) = for_object(case)
    assert (rev.number, rev.kind, rev.user) == (1, "created", None)
    assert "History starts here" in response.content.decode()


def test_a_topic_has_a_history_page(client, topic, people):
    client.force_login(people["erin"])
    response = client.get(f"/topics/{topic.slug}/history/")
    assert response.status_code == 200
    assert "History of topic “Bone Scintigraphy”" in response.content.decode()


def test_an_upper_case_number_finds_the_case(client, edited, people):
    client.force_login(people["erin"])
    assert client.get(f"/cases/{edited.number.upper()}/history/").status_code == 200


@pytest.mark.parametrize("number", ["nosuch1", "zz999", "x"])
def test_an_unknown_case_is_404(client, people, number):
    client.force_login(people["erin"])
    assert client.get(f"/cases/{number}/history/").status_code == 404


def test_it_refuses_post(client, edited, people):
    client.force_login(people["erin"])
    assert client.post(f"/cases/{edited.number}/history/").status_code == 405
