import numpy as np
import pytest

from lightbox.search.similar import like_case, with_cards
from lightbox.test import make_case, make_topic

pytestmark = pytest.mark.django_db


def test_it_ranks_exact_code_above_topic_above_field(client):
    topic = make_topic()
    case = make_case(acr_codes=["41.512"], topic=topic)
    same_field = make_case(acr_codes=["42.31"])
    same_topic = make_case(acr_codes=["43.59"], topic=topic)
    same_code = make_case(acr_codes=["41.512"])
    make_case(  # another field, modality, differential and wording: not similar
        acr_codes=["6.3"],
        modality="CT",
        title="Lung mass",
        diagnosis="Bronchogenic carcinoma",
        findings="Spiculated mass in the right upper lobe.",
        differential=["Granuloma"],
        keywords=["lung"],
    )
    matches = _similar(case)
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
    [match] = _similar(case)
    assert match.case.pk == other.pk
    assert "shares 2 differential diagnoses" in match.reasons


def test_it_never_lists_cases_the_reader_may_not_see():
    case = make_case()
    make_case(status="draft")
    make_case(visibility="private")
    assert _similar(case) == []


def test_the_similar_page_lists_matches_with_reasons(client):
    case = make_case()
    make_case()
    html = client.get(f"/cases/{case.number}/similar/").content.decode()
    assert "bs002" in html
    # "4.5" is only a field and category: no more than "same field and category".
    assert "same field and category: Skeletal system / Metabolic" in html


def test_the_similar_page_of_a_hidden_case_is_404(client):
    case = make_case(status="draft")
    assert client.get(f"/cases/{case.number}/similar/").status_code == 404


def _similar(case, user=None):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user or _anonymous()
    return with_cards(request.user, like_case(case, request.user))


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_weights_can_be_tuned(settings):
    settings.LIGHTBOX_SIMILAR_WEIGHTS = {"semantic": 0.0, "acr_code": 20}
    from lightbox.search.similar import weights

    assert weights()["semantic"] == 0.0 and weights()["acr_code"] == 20
    assert weights()["topic"] == 2.0


def test_an_unknown_weight_name_is_a_system_check_error(settings):
    from lightbox.search.apps import check_similar_weights

    settings.LIGHTBOX_SIMILAR_WEIGHTS = {"semantik": 3}
    [error] = check_similar_weights()
    assert "semantik" in error.msg and error.id == "lightbox.E201"


@pytest.mark.parametrize("value", ["[1]", '{"semantic": -1}', '{"a": "x"}', "nope", '{"a": NaN}'])
def test_bad_weight_settings_are_refused_clearly(monkeypatch, value):
    from lightbox.lib.env import envweights

    monkeypatch.setenv("LIGHTBOX_SIMILAR_WEIGHTS", value)
    with pytest.raises(ValueError, match="LIGHTBOX_SIMILAR_WEIGHTS"):
        envweights("LIGHTBOX_SIMILAR_WEIGHTS")


def test_unknown_mode_reasons_give_nothing_away(client):
    from lightbox.test import add_dose

    topic = make_topic()
    case = make_case(acr_codes=["41.512"], topic=topic, keywords=["calcinosis"])
    other = make_case(acr_codes=["41.512"], topic=topic, keywords=["calcinosis"])
    add_dose(case), add_dose(other)
    unknown_page = client.get(f"/cases/{case.number}/").content.decode()
    assert f"/cases/{case.number}/similar/?unknown=1" in unknown_page
    html = client.get(f"/cases/{case.number}/similar/?unknown=1").content.decode()
    api = client.get(f"/api/v1/cases/{case.number}/similar?unknown=true").json()
    [result] = api["results"]
    assert result["number"] == other.number and result["title"] == f"Case {other.number}"
    for text in (html, str(api)):
        assert "same ACR code" in text and "shares 1 keyword" in text and "same topic" in text
        for answer in ("41.512", "calcinosis", topic.title, "Metabolic", "Dystrophic"):
            assert answer not in text
    known = client.get(f"/api/v1/cases/{case.number}/similar").json()["results"][0]
    assert "same ACR code 41.512" in known["reasons"]
    assert "shared keywords: calcinosis" in known["reasons"]
    assert "same radiopharmaceutical Tc-99m MDP" in known["reasons"]


def test_a_pasted_copy_of_a_case_does_not_flatten_the_others():
    from django.contrib.auth.models import AnonymousUser

    from lightbox.search import similar, store

    for dx, findings in [("Gout", "Erosions with overhanging edges at the first toe."),
                         ("Stress fracture", "Linear uptake along the tibial shaft."),
                         ("Renal cyst", "Simple cyst of the left kidney.")]:  # fmt: skip
        make_case(diagnosis=dx, findings=findings, differential=["Other"], acr_codes=["8.1"])
    text = (
        "Expanded hemipelvis with coarsened trabeculae, cortical thickening and bowing of "
        "the femur; osteolytic front in the tibia; intense uptake of the whole bone."
    )
    copy = make_case(diagnosis="Paget disease", findings=text)
    other = make_case(
        diagnosis="Paget disease",
        findings="Coarsened trabeculae and cortical thickening, an osteolytic front.",
    )
    st = store.get()
    rows = st.rows(np.array([copy.pk, other.pk]))
    lexical = similar._lexical(text, st, st.visible(AnonymousUser()))
    assert lexical[rows[0]] == 1.0
    assert lexical[rows[1]] == 1.0  # the copy stands far out: the next best sets the scale
    found = similar.like_text(text, AnonymousUser())
    assert [s.number for s in found[:2]] == [copy.number, other.number]


def test_what_every_case_shares_says_nothing_what_few_share_counts(settings):
    """In a file of bone scans, the same field, modality and radiopharmaceutical say nothing
    of the disease: each is weighed by the share of the reader's cases that lack it."""
    settings.LIGHTBOX_SIMILAR_WEIGHTS = {"semantic": 0.0, "lexical": 0.0, "differential": 0.0,
                                         "keyword": 0.0}  # fmt: skip
    case = make_case(acr_codes=["4.5"])
    bone_scans = [make_case(acr_codes=["4.5"]) for _ in range(4)]
    assert like_case(case, _anonymous()) == []  # everything shared by every case
    chest = make_case(acr_codes=["6.1"], modality="CT")
    ct = make_case(acr_codes=["6.1"], modality="CT")
    found = like_case(chest, _anonymous())
    # Of the 6 other cases, only its CT twin shares the modality and the field and
    # category: each weighed 5/6. The bone scans share nothing with it.
    assert [s.case_id for s in found] == [ct.pk]
    assert found[0].score == pytest.approx((3.0 + 0.5) * 5 / 6, abs=0.01)
    assert {b.pk for b in bone_scans}.isdisjoint(s.case_id for s in found)
