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
