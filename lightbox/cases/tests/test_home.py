import pytest

from lightbox.test import make_case, make_series

pytestmark = pytest.mark.django_db


def test_it_counts_only_visible_cases(client):
    make_case()
    make_case(modality="CT", acr_codes=["6.3"])
    make_case(status="draft")
    make_case(visibility="private")
    html = client.get("/").content.decode()
    assert "Teaching File home" in html
    assert "2 cases" in html


def test_it_offers_browsing_by_field_modality_and_series(client):
    make_case()
    make_case(series=make_series("ct", "Computed tomography"), modality="CT", acr_codes=["6.3"])
    html = client.get("/").content.decode()
    assert 'href="/browse/anatomy/4/"' in html
    assert "Skeletal system" in html
    assert 'href="/browse/modality/CT/"' in html
    assert 'href="/series/ct/"' in html
    assert "Computed tomography" in html


def test_newest_cases_show_no_answers(client):
    make_case(title="Secret title", diagnosis="Secret diagnosis")
    html = client.get("/").content.decode()
    assert "bs001" in html
    assert "Secret title" not in html
    assert "Secret diagnosis" not in html


def test_it_hides_draft_counts_from_anonymous_readers(client):
    make_case(status="draft", modality="MR", acr_codes=["1.3"])
    html = client.get("/").content.decode()
    assert "0 cases" in html
    assert "/browse/modality/MR/" not in html


def test_an_editor_sees_every_case_counted(client, people):
    make_case()
    make_case(status="draft")
    client.force_login(people["erin"])
    assert "2 cases" in client.get("/").content.decode()
