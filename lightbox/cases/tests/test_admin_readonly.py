"""The Django admin shows cases, topics and comments but cannot change or delete them."""

import pytest

from lightbox.cases.models import CaseCode, Code
from lightbox.comments.models import Comment
from lightbox.test import make_case, make_topic

pytestmark = pytest.mark.django_db


def test_an_administrator_can_look_but_not_change_or_delete(client, people):
    case = make_case()
    topic = make_topic()
    code = Code.objects.create(system="SCT", code="22298006", meaning="MI", source="test")
    CaseCode.objects.create(case=case, code=code)
    comment = Comment.objects.create(case=case, author=people["bob"], body="Hi")
    client.force_login(people["root"])
    for model, pk in (
        ("cases/case", case.pk),
        ("cases/topic", topic.pk),
        ("comments/comment", comment.pk),
        ("cases/code", code.pk),
    ):
        assert client.get(f"/admin/{model}/").status_code == 200
        assert client.get(f"/admin/{model}/{pk}/change/").status_code == 200  # a view
        assert client.post(f"/admin/{model}/{pk}/change/", {"title": "X"}).status_code == 403
        assert client.post(f"/admin/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get(f"/admin/{model}/add/").status_code == 403
    case.refresh_from_db()
    assert case.title != "X"
