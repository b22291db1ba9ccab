"""Stored rendered pages: fast when current, never stale."""

import pytest

from lightbox.cases import pages
from lightbox.cases.models import RenderedPage
from lightbox.cases.tasks import render_case_pages
from lightbox.test import add_people, make_case

pytestmark = pytest.mark.django_db


def test_a_stored_page_is_served_with_one_query(client, django_assert_num_queries):
    case = make_case()
    client.get(case.get_absolute_url())  # renders and stores
    with django_assert_num_queries(1):
        response = client.get(case.get_absolute_url())
    assert "Woman with a long history" in response.content.decode()


def test_saving_a_case_renders_its_pages_in_the_background(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case()
    assert set(RenderedPage.objects.filter(case=case).values_list("view", flat=True)) == {
        "unknown",
        "known",
    }
    assert pages.is_current(case.pk, "known")


def test_a_changed_author_makes_the_stored_page_stale(django_capture_on_commit_callbacks):
    case = make_case()
    render_case_pages.call(case.pk)
    assert pages.is_current(case.pk, "unknown")
    add_people(case, ("New Author", "M.D."))
    assert not pages.is_current(case.pk, "unknown")


def test_new_templates_re_render_every_page(client, monkeypatch):
    case = make_case()
    client.get(case.get_absolute_url())
    page = RenderedPage.objects.get(case=case, view="unknown")
    page.html = __import__("zlib").compress(b"<p>old template output</p>")
    page.save()
    assert "old template output" in client.get(case.get_absolute_url()).content.decode()
    monkeypatch.setattr(pages, "template_version", lambda: "a-new-version")
    html = client.get(case.get_absolute_url()).content.decode()
    assert "old template output" not in html
    assert "Woman with a long history" in html


def test_the_task_skips_current_pages_and_deleted_cases(django_assert_max_num_queries):
    case = make_case()
    render_case_pages.call(case.pk)
    with django_assert_max_num_queries(3):
        render_case_pages.call(case.pk)
    case_id = case.pk
    case.delete()
    render_case_pages.call(case_id)
    assert not RenderedPage.objects.filter(case_id=case_id).exists()


def test_the_template_version_is_a_stable_fingerprint():
    assert pages.template_version() == pages.template_version()
    assert len(pages.template_version()) == 16


def test_a_page_is_served_even_when_it_cannot_be_stored(client, monkeypatch):
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    case = make_case()
    monkeypatch.setattr(RenderedPage.objects, "bulk_create", locked)
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert "Woman with a long history" in response.content.decode()
