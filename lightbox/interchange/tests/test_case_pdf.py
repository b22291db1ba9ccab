"""/cases/<number>/pdf: the case with its answer, as the known page; ?handout=unknown: the
unknown first, the answer from the next page on. Open to whoever may read the case, and
to nobody else; its pictures read through the storage, never over HTTP."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from lightbox.imaging.images import add_image
from lightbox.imaging.models import Image
from lightbox.interchange.pdf import render
from lightbox.interchange.pdf.render import PdfUnavailable
from lightbox.interchange.tests.pdfs import (
    dark_fraction,
    first_page_png,
    images_per_page,
    inked_fraction,
    metadata_title,
    outline,
    page_texts,
    squash,
)
from lightbox.test import add_dose, add_people, make_case, png_bytes

pytestmark = pytest.mark.django_db

#: Everything of make_case()'s case (and its image) that is the answer.
ANSWER_TEXTS = (
    "Dystrophic soft-tissue calcification",  # diagnosis
    "Diffuse soft-tissue uptake",  # title
    "firm skin nodules",  # full history
    "Tracer uptake in the soft tissues",  # findings
    "Calcium deposits in damaged tissue",  # discussion
    "Treated medically",  # follow-up
    "Dermatomyositis",  # differential
    "Doe J. Soft-tissue uptake",  # reference
    "calcinosis",  # keyword
    "Tc-99m MDP",  # radiopharmaceutical
    "Calcified nodules, arrowed",  # the main image's answer caption
)


@pytest.fixture
def case(people):
    case = make_case(created_by=people["alice"])
    add_people(case, ("Ed Grishaw", "M.D."), ("Henry Royal", "M.D."))
    add_dose(case)
    add_image(
        case,
        png_bytes((300, 300), 0),
        caption="Anterior and posterior whole body",
        answer_caption="Calcified nodules, arrowed",
        is_main=True,
    )
    add_image(case, png_bytes((200, 100), 0), caption="Spot view of the thighs")
    return case


def _get(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_it_renders_the_known_case_with_its_images(case, tmp_path):
    pdf = _get(Client(), f"/cases/{case.number}/pdf")
    text = squash(" ".join(page_texts(pdf)))
    for answer in ANSWER_TEXTS:
        assert squash(answer) in text, answer
    assert squash("Ed Grishaw, M.D. and Henry Royal, M.D.") in text
    assert squash("Rating: #D3, #Q4") in text
    assert squash("20 mCi (740 MBq)") in text
    assert squash("Case number: bs001") in text
    assert sum(images_per_page(pdf)) == 2
    assert metadata_title(pdf) == "Case bs001: Diffuse soft-tissue uptake"
    page1 = first_page_png(pdf, tmp_path / "case-page-1.png")
    assert inked_fraction(page1) > 0.02
    # The main image is a black square: a block of dark pixels, not thin text.
    assert dark_fraction(page1) > 0.03


def test_the_handout_shows_the_unknown_first_and_the_answer_on_a_later_page(case, tmp_path):
    pdf = _get(Client(), f"/cases/{case.number}/pdf?handout=unknown")
    pages = [squash(t) for t in page_texts(pdf)]
    assert len(pages) >= 2
    first = pages[0]
    assert squash("Case bs001") in first
    assert squash("Woman with a long history of connective tissue disease.") in first
    assert squash("Anterior and posterior whole body") in first
    for answer in ANSWER_TEXTS:
        assert squash(answer) not in first, f"page 1 gives away {answer!r}"
    answer_start = next(i for i, p in enumerate(pages) if squash("the answer") in p)
    assert answer_start >= 1
    unknown_pages = "".join(pages[:answer_start])
    for answer in ANSWER_TEXTS:
        assert squash(answer) not in unknown_pages, answer
        assert squash(answer) in "".join(pages[answer_start:]), answer
    assert images_per_page(pdf)[0] >= 1
    assert inked_fraction(first_page_png(pdf, tmp_path / "handout-page-1.png")) > 0.02


def test_the_handout_s_title_and_outline_give_nothing_away(case):
    pdf = _get(Client(), f"/cases/{case.number}/pdf?handout=unknown")
    assert metadata_title(pdf) == "Case bs001"
    titles = " ".join(outline(pdf))
    assert "Case bs001: the answer" in titles
    for answer in ANSWER_TEXTS:
        assert answer not in titles
    assert "Diagnosis" not in titles and "Differential" not in titles


def test_a_case_the_reader_may_not_see_is_not_found(people, case):
    draft = make_case(
        created_by=people["alice"], status="draft", visibility="private", title="Secret draft"
    )
    institution = make_case(visibility="institution")
    for url in (f"/cases/{draft.number}/pdf", f"/cases/{draft.number}/pdf?handout=unknown"):
        for person in (None, "bob", "charlie"):
            client = Client()
            if person:
                client.force_login(people[person])
            assert client.get(url).status_code == 404, (url, person)
        for person in ("alice", "erin", "root"):
            client = Client()
            client.force_login(people[person])
            assert client.get(url).status_code == 200, (url, person)
    assert Client().get(f"/cases/{institution.number}/pdf").status_code == 404
    bob = Client()
    bob.force_login(people["bob"])
    assert bob.get(f"/cases/{institution.number}/pdf").status_code == 200
    assert Client().get("/cases/zz999/pdf").status_code == 404


def test_a_picture_awaiting_pixel_review_is_in_no_pdf_even_for_its_author(people, case):
    Image.objects.filter(case=case, is_main=True).update(pixel_review="needed")
    alice = Client()
    alice.force_login(people["alice"])
    for url in (f"/cases/{case.number}/pdf", f"/cases/{case.number}/pdf?handout=unknown"):
        pdf = _get(alice, url)
        assert sum(images_per_page(pdf)) == 1
        assert squash("Image awaiting pixel review") in squash(page_texts(pdf)[0])


def test_a_picture_missing_from_the_disk_leaves_a_gap_not_an_error(case):
    image = Image.objects.get(case=case, is_main=True)
    image.file.storage.delete(image.file.name)
    pdf = _get(Client(), f"/cases/{case.number}/pdf")
    assert sum(images_per_page(pdf)) == 1
    assert squash("Dystrophic soft-tissue calcification") in squash(" ".join(page_texts(pdf)))


def test_a_corrupt_picture_on_the_disk_is_left_out(case):
    image = Image.objects.get(case=case, is_main=True)
    storage, name = image.file.storage, image.file.name
    storage.delete(name)  # replaced under its name, on disk or in a bucket
    assert storage.save(name, ContentFile(b"\x89PNG\r\n\x1a\n" + b"\xff" * 64)) == name
    pdf = _get(Client(), f"/cases/{case.number}/pdf")
    assert sum(images_per_page(pdf)) == 1


@pytest.mark.parametrize(
    "query", ["handout=known", "handout=UNKNOWN", "handout=unknown%00", "handout=" + "x" * 5000]
)
def test_an_unknown_handout_value_is_a_clear_400(case, query):
    response = Client().get(f"/cases/{case.number}/pdf?{query}")
    assert response.status_code == 400
    assert response.content.decode() == "?handout= takes only 'unknown' (or leave it out)."


def _in_this_process(monkeypatch, fetcher=None):
    """Make the views' PDFs in this process, so that a test can watch WeasyPrint."""
    if fetcher is not None:
        html_class, _ = render._weasyprint()
        monkeypatch.setattr(render, "_weasyprint", lambda: (html_class, fetcher))

    def here(html, *, base_url, media):
        return render.render_pdf_here(html, base_url=base_url, media=media)

    monkeypatch.setattr(render, "render_pdf", here)


def test_hostile_text_in_the_case_fetches_nothing_and_shows_as_text(people, monkeypatch):
    fetched = []

    class Recording(render._weasyprint()[1]):
        def fetch(self, url, headers=None):
            fetched.append(url)
            return super().fetch(url, headers)

    _in_this_process(monkeypatch, Recording)
    case = make_case(
        title='<img src="http://127.0.0.1:9/x.png"> & </style><style>*{display:none}',
        findings=(
            '<img src="http://127.0.0.1:9/x.png"> ![x](http://127.0.0.1:9/y.png) '
            '<link rel=stylesheet href="http://127.0.0.1:9/s.css"> '
            '<div style="background:url(http://127.0.0.1:9/z.png)">Styled</div>'
        ),
        discussion="[a link](file:///etc/passwd) <iframe src='http://127.0.0.1:9/'></iframe>",
    )
    pdf = _get(Client(), f"/cases/{case.number}/pdf")
    assert fetched == []
    text = squash(" ".join(page_texts(pdf)))
    assert squash('<img src="http://127.0.0.1:9/x.png"> & </style>') in text  # the title
    assert sum(images_per_page(pdf)) == 0


def test_the_pictures_are_fetched_by_their_opaque_names_only(case, monkeypatch):
    fetched = []

    class Recording(render._weasyprint()[1]):
        def fetch(self, url, headers=None):
            fetched.append(url)
            return super().fetch(url, headers)

    _in_this_process(monkeypatch, Recording)
    pdf = _get(Client(), f"/cases/{case.number}/pdf")
    assert sorted(fetched) == ["lightbox-media:1", "lightbox-media:2"]
    assert sum(images_per_page(pdf)) == 2


def test_without_weasyprint_s_libraries_the_reader_is_told_so(case, monkeypatch):
    def no_pango(html, *, base_url, media):
        raise PdfUnavailable("PDF export is not available on this server: no library 'pango'")

    monkeypatch.setattr(render, "render_pdf", no_pango)
    response = Client().get(f"/cases/{case.number}/pdf")
    assert response.status_code == 503
    assert "no library &#x27;pango&#x27;" in response.content.decode()


def test_a_case_too_large_to_lay_out_in_time_is_refused_with_a_way_out(people, monkeypatch):
    # A section of twenty thousand emphasised words: a minute of layout. The limit is
    # made two seconds here, so that the test does not wait the real one.
    real = render.render_pdf
    monkeypatch.setattr(render, "render_pdf", lambda html, **kw: real(html, **kw, seconds=2))
    case = make_case(findings="*a* " * 20_000)
    response = Client().get(f"/cases/{case.number}/pdf")
    assert response.status_code == 422
    body = response.content.decode()
    assert "This PDF could not be made" in body and "Print view" in body
    assert "too large to make as a PDF here" in body


def test_the_known_page_links_to_both_pdfs(case):
    page = Client().get(f"/cases/{case.number}/known/").content.decode()
    assert f'href="/cases/{case.number}/pdf"' in page
    assert f'href="/cases/{case.number}/pdf?handout=unknown"' in page


def test_the_pdf_is_not_kept_in_shared_caches(case):
    response = Client().get(f"/cases/{case.number}/pdf")
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Disposition"] == 'inline; filename="bs001.pdf"'
    handout = Client().get(f"/cases/{case.number}/pdf?handout=unknown")
    assert handout["Content-Disposition"] == 'inline; filename="bs001-handout.pdf"'


def test_post_is_not_allowed(case):
    assert Client().post(f"/cases/{case.number}/pdf").status_code == 405


def test_a_case_without_history_title_or_images_still_makes_a_handout(people):
    case = make_case(brief_history="", title="")
    pdf = _get(Client(), f"/cases/{case.number}/pdf?handout=unknown")
    assert squash("No history given.") in squash(page_texts(pdf)[0])
    assert metadata_title(pdf) == f"Case {case.number}"
