import pytest

from lightbox.test import make_case, make_topic

pytestmark = pytest.mark.django_db


def test_a_topic_page_shows_discussion_references_and_its_cases(client):
    topic = make_topic()
    make_case(topic=topic)
    make_case(topic=topic, status="draft")
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "References and General Discussion" in html
    assert "Bone-seeking tracers show osteoblastic activity." in html
    assert "A textbook of scintigraphy." in html
    assert "Skeletal system" in html
    assert "bs001" in html
    assert "bs002" not in html


def test_the_topic_list_links_every_topic(client):
    topic = make_topic()
    html = client.get("/topics/").content.decode()
    assert topic.get_absolute_url() in html


def test_an_unknown_topic_is_404(client):
    assert client.get("/topics/nothing-here/").status_code == 404


@pytest.mark.parametrize("title", ["✓", "\ufffd", "…", "---"])
def test_a_new_topic_gets_a_page_whatever_its_title(client, people, title):
    client.force_login(people["erin"])
    response = client.post("/topics/new/", {"title": title, "discussion": "x"})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_two_topics_of_one_title_get_a_page_each(client, people):
    client.force_login(people["erin"])
    first = client.post("/topics/new/", {"title": "Bone scans", "discussion": "x"})
    second = client.post("/topics/new/", {"title": "Bone scans", "discussion": "y"})
    assert (first["Location"], second["Location"]) == (
        "/topics/bone-scans/",
        "/topics/bone-scans-2/",
    )
