"""The thread on the case's known page, and never on the unknown one."""

import pytest

from lightbox.comments.models import Comment
from lightbox.test import make_case

pytestmark = pytest.mark.django_db


def test_comments_are_on_the_known_page_only(client, people):
    case = make_case(created_by=people["alice"])
    Comment.objects.create(case=case, author=people["bob"], body="ZZCOMMENT about the uptake")
    client.force_login(people["bob"])
    known = client.get(f"/cases/{case.number}/known/").content.decode()
    assert "ZZCOMMENT about the uptake" in known
    assert 'href="#comments">Add comments about this case' in known
    assert 'id="comments"' in known
    unknown = client.get(f"/cases/{case.number}/").content.decode()
    assert "ZZCOMMENT" not in unknown and 'id="comments"' not in unknown


def test_a_reader_signed_in_can_comment_from_the_known_page(client, people):
    case = make_case(created_by=people["alice"])
    client.force_login(people["bob"])
    known = client.get(f"/cases/{case.number}/known/").content.decode()
    assert f'action="/cases/{case.number}/comments/add/"' in known
    response = client.post(f"/cases/{case.number}/comments/add/", {"body": "Nice **case**"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Nice <strong>case</strong>" in page


def test_anonymous_readers_are_asked_to_sign_in(client):
    case = make_case()
    known = client.get(f"/cases/{case.number}/known/").content.decode()
    assert "Sign in to comment" in known


def test_moderation_is_audited(client, people):
    from lightbox.audit.models import AuditEntry

    case = make_case(created_by=people["alice"])
    comment = Comment.objects.create(case=case, author=people["bob"], body="Off topic")
    client.force_login(people["erin"])
    client.post(f"/cases/{case.number}/comments/{comment.pk}/hide/", {"reason": "Spam"})
    client.post(f"/cases/{case.number}/comments/{comment.pk}/restore/")
    actions = list(AuditEntry.objects.values_list("action", flat=True).order_by("pk"))
    assert actions[-2:] == ["comment_hide", "comment_restore"]
    assert AuditEntry.objects.get(action="comment_hide").data["reason"] == "Spam"
