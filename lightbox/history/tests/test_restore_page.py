"""`…/history/<n>/restore/`: a confirmation page, then a POST that restores."""

import pytest

from lightbox.history.revisions import for_object, record

pytestmark = pytest.mark.django_db


def test_the_confirmation_shows_what_will_change(client, edited, people):
    client.force_login(people["alice"])
    html = client.get(f"/cases/{edited.number}/history/1/restore/").content.decode()
    assert "Restore revision 1?" in html
    assert "Status and visibility stay as they are now" in html
    assert "<h2>Title</h2>" in html and "<h2>Findings</h2>" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert for_object(edited).count() == 2


def test_post_restores_and_returns_to_the_history(client, edited, people):
    client.force_login(people["alice"])
    response = client.post(f"/cases/{edited.number}/history/1/restore/", follow=True)
    assert response.redirect_chain == [(f"/cases/{edited.number}/history/", 302)]
    assert "Restored revision 1 as revision 3." in response.content.decode()
    edited.refresh_from_db()
    assert edited.title == "Diffuse soft-tissue uptake"
    assert for_object(edited).first().user == people["alice"]


def test_restoring_the_current_content_says_so(client, edited, people):
    client.force_login(people["alice"])
    response = client.post(f"/cases/{edited.number}/history/2/restore/", follow=True)
    assert "Nothing restored: The content already equals revision 2." in response.content.decode()
    assert for_object(edited).count() == 2


def test_the_confirmation_warns_about_images_that_are_gone(client, edited, people):
    edited.images.filter(order=1).delete()
    client.force_login(people["alice"])
    html = client.get(f"/cases/{edited.number}/history/1/restore/").content.decode()
    assert "1 image(s) of this revision no longer exist and will be skipped." in html


def test_a_topic_restore_follows_a_restored_slug(client, topic, people):
    record(topic, kind="created")
    old_slug = topic.slug
    topic.slug = "renamed"
    topic.save()
    record(topic, user=people["erin"])
    client.force_login(people["erin"])
    response = client.post("/topics/renamed/history/1/restore/")
    assert response["Location"] == f"/topics/{old_slug}/history/"


def test_an_unknown_revision_is_404(client, edited, people):
    client.force_login(people["alice"])
    assert client.post(f"/cases/{edited.number}/history/9/restore/").status_code == 404
