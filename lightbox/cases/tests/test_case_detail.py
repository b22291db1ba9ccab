import pytest
from django.urls import reverse

from lightbox.cases.models import Case
from lightbox.imaging.images import add_image
from lightbox.test import add_dose, add_people, make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db

ANSWER_TEXTS = [
    "Dystrophic soft-tissue calcification",  # diagnosis
    "firm skin nodules",  # full history
    "both thighs and arms",  # findings
    "Calcium deposits in damaged tissue",  # discussion
    "Treated medically",  # followup
    "Hypercalcaemia",  # differential
    "Doe J. Soft-tissue uptake",  # reference
    "calcinosis",  # keyword
    "Tc-99m MDP",  # radiopharmaceutical
    "Diffuse soft-tissue uptake",  # title
]


def _case() -> Case:
    case = make_case(topic=make_topic())
    add_people(case, ("Ann Author", "M.D."), ("Ben Writer", "M.D., Ph.D."))
    add_dose(case, activity="21.6")
    add_image(case, png_bytes(), caption="Anterior and posterior views", is_main=True)
    return case


def test_it_hides_the_answer_before_reveal(client):
    case = _case()
    html = client.get(case.get_absolute_url()).content.decode()
    assert "Woman with a long history of connective tissue disease." in html
    for text in ANSWER_TEXTS:
        assert text not in html, text
    assert "4.5" not in html


def test_it_shows_the_legacy_header_line(client):
    case = _case()
    html = client.get(case.get_absolute_url()).content.decode()
    assert "Case Author(s): Ann Author, M.D. and Ben Writer, M.D., Ph.D." in html
    assert "Rating: #D3, #Q4" in html
    assert "Case number: <strong>bs001</strong>" in html
    assert "Lightbox test institution" in html
    assert 'href="/cases/bs001/known/#answer"' in html
    assert "Show diagnosis" in html


def test_it_marks_the_main_image_and_links_the_viewer(client):
    case = _case()
    html = client.get(case.get_absolute_url()).content.decode()
    image = case.images.get()
    assert "Main image" in html
    assert 'alt="Anterior and posterior views"' in html
    assert image.get_absolute_url() in html
    assert "in a separate image viewer" in html


def test_it_reveals_every_section_on_the_known_page(client):
    case = _case()
    html = client.get(case.get_known_url()).content.decode()
    for text in ANSWER_TEXTS:
        assert text in html, text
    assert "21.6 mCi (799.2 MBq) Tc-99m MDP i.v." in html
    assert "References and General Discussion of Bone Scintigraphy" in html
    assert "Anatomic field: Skeletal system" in html
    assert "Metabolic, endocrine, toxic" in html
    assert "Search for similar cases" in html
    assert "Return to the Teaching File home page" in html


def test_the_known_view_can_be_linked_directly(client):
    case = _case()
    response = client.get(f"/cases/{case.number}/known/")
    assert response.status_code == 200


def test_it_renders_markdown_and_neutralises_html(client):
    case = make_case(
        findings="**Focal** uptake <script>alert('x')</script><img src=x onerror=alert(1)>"
    )
    html = client.get(case.get_known_url()).content.decode()
    assert "<strong>Focal</strong> uptake" in html
    assert "<script>alert" not in html
    assert "onerror" not in html


def test_it_redirects_an_upper_case_number(client):
    case = _case()
    response = client.get("/cases/BS001/")
    assert response.status_code == 301
    assert response["Location"] == case.get_absolute_url()


@pytest.mark.parametrize("number", ["bs999", "nonsense", "b1", "../etc"])
def test_it_answers_404_for_unknown_numbers(client, number):
    make_case()
    assert client.get(f"/cases/{number}/").status_code == 404


@pytest.mark.parametrize(
    ("status", "visibility"),
    [("draft", "public"), ("submitted", "public"), ("retired", "public"),
     ("published", "private"), ("published", "institution")],
)  # fmt: skip
def test_outsiders_cannot_see_unpublished_or_restricted_cases(client, status, visibility):
    case = make_case(status=status, visibility=visibility)
    for url in (case.get_absolute_url(), case.get_known_url(), f"/cases/{case.number}/print/"):
        assert client.get(url).status_code == 404


def test_signed_in_users_see_institution_cases(client, people):
    case = make_case(visibility="institution")
    client.force_login(people["bob"])
    assert client.get(case.get_absolute_url()).status_code == 200


def test_an_outsider_cannot_see_someone_elses_draft(client, people):
    case = make_case(status="draft", created_by=people["alice"])
    client.force_login(people["charlie"])
    assert client.get(case.get_absolute_url()).status_code == 404


def test_the_author_and_an_editor_see_a_draft(client, people):
    case = make_case(status="draft", visibility="private", created_by=people["alice"])
    for who in ("alice", "erin"):
        client.force_login(people[who])
        response = client.get(case.get_known_url())
        assert response.status_code == 200, who
        assert "Draft" in response.content.decode()


def test_the_print_view_has_the_whole_case(client):
    case = _case()
    html = client.get(reverse("lightbox-case-print", args=[case.number])).content.decode()
    for text in ANSWER_TEXTS:
        assert text in html, text
    assert "print.css" in html


def test_the_case_page_uses_at_most_six_queries(client, people, django_assert_max_num_queries):
    case = _case()
    for reader in (None, people["bob"], people["erin"]):
        if reader:
            client.force_login(reader)
        # Includes the first read, which renders and stores the page; the known page adds
        # one query for its comment thread, and its rendering one for the case's codes.
        for url, most in ((case.get_absolute_url(), 6), (case.get_known_url(), 8)):
            with django_assert_max_num_queries(most):
                assert client.get(url).status_code == 200


def test_the_case_page_sends_security_headers(client):
    case = _case()
    response = client.get(case.get_absolute_url())
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_it_refuses_to_post(client):
    case = _case()
    assert client.post(case.get_absolute_url()).status_code == 405


def test_an_edit_shows_at_once_despite_the_page_cache(client):
    case = _case()
    assert "Woman with a long history" in client.get(case.get_absolute_url()).content.decode()
    case.brief_history = "Man with back pain."
    case.save()
    assert "Man with back pain." in client.get(case.get_absolute_url()).content.decode()


def test_changes_to_authors_images_and_topic_show_at_once(client):
    case = _case()
    client.get(case.get_known_url())
    add_people(case, ("Cleo Third", "D.O."))
    assert "Cleo Third, D.O." in client.get(case.get_known_url()).content.decode()
    image = case.images.get()
    image.caption = "Recaptioned view"
    image.save()
    assert "Recaptioned view" in client.get(case.get_absolute_url()).content.decode()
    case.topic.title = "Skeletal Scintigraphy"
    case.topic.save()
    assert (
        "Discussion of Skeletal Scintigraphy" in client.get(case.get_known_url()).content.decode()
    )


def test_a_case_hidden_after_caching_is_hidden_at_once(client):
    case = _case()
    assert client.get(case.get_absolute_url()).status_code == 200
    case.status = "retired"
    case.save()
    assert client.get(case.get_absolute_url()).status_code == 404
