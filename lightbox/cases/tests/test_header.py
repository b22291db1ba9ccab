"""The site header: whoever may write a case finds "New case" in it, on every page."""

import pytest

pytestmark = pytest.mark.django_db

NEW_CASE = '<a href="/cases/new/">New case</a>'


@pytest.mark.parametrize(("who", "shown"), [("alice", True), ("erin", True), ("root", True),
                                            ("bob", False), (None, False)])  # fmt: skip
def test_new_case_is_in_the_header_for_authors_editors_and_admins(client, people, who, shown):
    if who:
        client.force_login(people[who])
    for url in ("/", "/cases/", "/search/"):
        page = client.get(url).content.decode()
        assert (NEW_CASE in page) == shown, (who, url)
