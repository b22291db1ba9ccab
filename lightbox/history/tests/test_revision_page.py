"""`…/history/<n>/`: one revision's full content, read-only."""

import pytest

from lightbox.test import text_of

pytestmark = pytest.mark.django_db


def test_it_shows_every_field_of_the_revision(client, edited, people):
    client.force_login(people["alice"])
    response = client.get(f"/cases/{edited.number}/history/1/")
    text = text_of(response.content.decode())
    assert "Revision 1 of case" in text
    assert "Title Diffuse soft-tissue uptake" in text
    assert "Ed Grishaw, M.D." in text
    assert "21.6 mCi Tc-99m MDP i.v." in text
    assert "Image 1 (main): Anterior whole body" in text
    assert "Differential diagnosis Dermatomyositis Scleroderma Hypercalcaemia" in text
    assert "Restore this revision" in text
    assert "<form" not in response.content.decode().split('id="main"')[1]


def test_the_latest_revision_offers_no_restore(client, edited, people):
    client.force_login(people["alice"])
    text = text_of(client.get(f"/cases/{edited.number}/history/2/").content.decode())
    assert "This is the latest revision." in text
    assert "Restore this revision" not in text
    assert "Changed in this revision: Title, Findings." in text


@pytest.mark.parametrize("n", ["0", "3", "99999999999999999999"])
def test_an_unknown_revision_is_404(client, edited, people, n):
    client.force_login(people["alice"])
    assert client.get(f"/cases/{edited.number}/history/{n}/").status_code == 404


def test_a_topic_revision(client, topic, people):
    client.force_login(people["erin"])
    client.get(f"/topics/{topic.slug}/history/")
    text = text_of(client.get(f"/topics/{topic.slug}/history/1/").content.decode())
    assert "Discussion Bone-seeking tracers show osteoblastic activity." in text
