"""`…/history/compare/?a=&b=`: the changed fields, long text as an escaped inline diff."""

import pytest

from lightbox.history.revisions import record

pytestmark = pytest.mark.django_db


def _compare(client, case, query):
    return client.get(f"/cases/{case.number}/history/compare/{query}")


def test_it_shows_only_changed_fields_with_inline_word_diff(client, edited, people):
    client.force_login(people["alice"])
    html = _compare(client, edited, "?a=1&b=2").content.decode()
    assert "<h2>Title</h2>" in html and "<h2>Findings</h2>" in html
    assert "<h2>Diagnosis</h2>" not in html
    assert "both thighs<ins>, arms</ins> and <del>arms</del><ins>the abdomen</ins>." in html
    assert "<del>Diffuse soft-tissue uptake</del>" in html and "<ins>Calcinosis</ins>" in html


def test_the_order_of_a_and_b_does_not_matter(client, edited, people):
    client.force_login(people["alice"])
    html = _compare(client, edited, "?a=2&b=1").content.decode()
    assert "Revision 1 → revision 2" in html


def test_user_text_is_escaped(client, edited, people):
    edited.findings = "<script>alert('x')</script> " + edited.findings
    edited.title = "<b>bold</b>"
    edited.save()
    record(edited, user=people["alice"])
    client.force_login(people["alice"])
    html = _compare(client, edited, "?a=2&b=3").content.decode()
    assert "<ins>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<b>bold" not in html


def test_the_same_revision_twice_says_so(client, edited, people):
    client.force_login(people["alice"])
    assert "same revision twice" in _compare(client, edited, "?a=2&b=2").content.decode()


@pytest.mark.parametrize("query", ["", "?a=1", "?a=x&b=2", "?a=-1&b=2", "?a=1&b=99999999999999"])
def test_a_missing_or_malformed_choice_returns_to_the_history_with_a_message(
    client, edited, people, query
):
    client.force_login(people["alice"])
    response = _compare(client, edited, query)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{edited.number}/history/"
    page = client.get(response["Location"]).content.decode()
    assert "Choose two revisions to compare." in page


def test_an_unknown_revision_is_404(client, edited, people):
    client.force_login(people["alice"])
    assert _compare(client, edited, "?a=1&b=7").status_code == 404


def test_a_topic_comparison(client, topic, people):
    record(topic, kind="created")
    topic.discussion = "<em>New</em>"
    topic.save()
    record(topic)
    client.force_login(people["erin"])
    html = client.get(f"/topics/{topic.slug}/history/compare/?a=1&b=2").content.decode()
    assert "<h2>Discussion</h2>" in html and "&lt;em&gt;New&lt;/em&gt;" in html
