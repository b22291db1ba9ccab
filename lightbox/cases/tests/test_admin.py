import pytest

from lightbox.test import add_dose, add_people, make_case

pytestmark = pytest.mark.django_db


def test_an_administrator_can_open_every_case_admin_page(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "", "pw")
    client.force_login(admin)
    case = make_case()
    add_people(case, ("Ann Author", "M.D."))
    add_dose(case)
    for url in (
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",  # read-only: see test_admin_readonly.py
        "/admin/cases/series/",
        "/admin/cases/series/add/",
        "/admin/cases/topic/",
        "/admin/cases/case/?q=calcification",
    ):
        assert client.get(url).status_code == 200, url


def test_a_learner_cannot_open_the_admin(client, people):
    client.force_login(people["bob"])
    assert client.get("/admin/cases/case/").status_code == 302
