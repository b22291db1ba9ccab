import pytest

from lightbox.cases.similar import similar_cases
from lightbox.test import make_case, make_topic

pytestmark = pytest.mark.django_db


def test_it_ranks_exact_code_above_topic_above_field(client):
    topic = make_topic()
    case = make_case(acr_codes=["41.512"], topic=topic)
    same_field = make_case(acr_codes=["42.31"])
    same_topic = make_case(acr_codes=["43.59"], topic=topic)
    same_code = make_case(acr_codes=["41.512"])
    make_case(acr_codes=["6.3"])  # another field: not similar
    matches = similar_cases(case, user=_anonymous())
    assert [m.case.number for m in matches] == [
        same_code.number,
        same_topic.number,
        same_field.number,
    ]
    assert matches[0].reasons[0] == "same ACR code 41.512"
    assert any("same topic" in r for r in matches[1].reasons)


def test_it_says_how_many_differentials_are_shared():
    case = make_case(differential=["Scleroderma", "Dermatomyositis", "Gout"])
    other = make_case(differential=["scleroderma", "dermatomyositis"])
    [match] = similar_cases(case, user=_anonymous())
    assert match.case.pk == other.pk
    assert "shares 2 differential diagnoses" in match.reasons


def test_it_never_lists_cases_the_reader_may_not_see():
    case = make_case()
    make_case(status="draft")
    make_case(visibility="private")
    assert similar_cases(case, user=_anonymous()) == []


def test_the_similar_page_lists_matches_with_reasons(client):
    case = make_case()
    make_case()
    html = client.get(f"/cases/{case.number}/similar/").content.decode()
    assert "bs002" in html
    assert "same ACR code 4.5" in html


def test_the_similar_page_of_a_hidden_case_is_404(client):
    case = make_case(status="draft")
    assert client.get(f"/cases/{case.number}/similar/").status_code == 404


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
