"""/topics/<slug>/pdf: the topic page on paper — its discussion and references, then the
cases the reader may see as every list shows them (never a title or a diagnosis)."""

from __future__ import annotations

import pytest
from django.test import Client

from lightbox.imaging.images import add_image
from lightbox.imaging.models import Image
from lightbox.interchange.pdf import documents
from lightbox.interchange.tests.pdfs import (
    first_page_png,
    images_per_page,
    inked_fraction,
    metadata_title,
    page_texts,
    squash,
)
from lightbox.test import make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(people):
    topic = make_topic()
    published = make_case(topic=topic, created_by=people["alice"])
    add_image(published, png_bytes((200, 200), 0), caption="Whole body", is_main=True)
    make_case(
        topic=topic,
        created_by=people["alice"],
        status="draft",
        visibility="private",
        brief_history="A draft nobody else may read.",
    )
    return topic


def _text(client: Client, topic) -> tuple[bytes, str]:
    response = client.get(f"/topics/{topic.slug}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content, squash(" ".join(page_texts(response.content)))


def test_it_renders_the_topic_and_its_cases_with_their_thumbnails(topic, tmp_path):
    pdf, text = _text(Client(), topic)
    assert squash("References and General Discussion") in text
    assert squash("Bone Scintigraphy") in text
    assert squash("Anatomic field: Skeletal system, Category: Metabolic, endocrine, toxic") in text
    assert squash("Bone-seeking tracers show osteoblastic activity.") in text
    assert squash("A textbook of scintigraphy.") in text
    assert squash("Case bs001") in text
    assert squash("Woman with a long history of connective tissue disease.") in text
    assert sum(images_per_page(pdf)) == 1
    assert metadata_title(pdf) == "Bone Scintigraphy"
    assert inked_fraction(first_page_png(pdf, tmp_path / "topic-page-1.png")) > 0.01


def test_the_cases_are_shown_as_unknowns(topic):
    _, text = _text(Client(), topic)
    for answer in ("Diffuse soft-tissue uptake", "Dystrophic soft-tissue calcification"):
        assert squash(answer) not in text


def test_a_case_the_reader_may_not_see_is_left_out(people, topic):
    for person in (None, "bob", "charlie"):
        client = Client()
        if person:
            client.force_login(people[person])
        _, text = _text(client, topic)
        assert squash("A draft nobody else may read.") not in text, person
        assert squash("Cases (1)") in text
    alice = Client()
    alice.force_login(people["alice"])
    _, text = _text(alice, topic)
    assert squash("A draft nobody else may read.") in text and squash("Cases (2)") in text


def test_a_thumbnail_awaiting_pixel_review_is_left_out(topic):
    Image.objects.update(pixel_review="needed")
    pdf, _ = _text(Client(), topic)
    assert sum(images_per_page(pdf)) == 0


def test_a_long_topic_lists_its_first_cases_and_says_how_many_more(topic, monkeypatch):
    monkeypatch.setattr(documents, "MAX_TOPIC_CASES", 2)
    for _ in range(3):
        make_case(topic=topic)
    _, text = _text(Client(), topic)
    assert squash("Cases (4)") in text
    assert squash("And 2 more cases: see the topic page.") in text


def test_an_unknown_topic_is_not_found(db):
    assert Client().get("/topics/no-such-topic/pdf").status_code == 404


def test_the_topic_page_links_to_its_pdf(topic):
    page = Client().get(f"/topics/{topic.slug}/").content.decode()
    assert f'href="/topics/{topic.slug}/pdf"' in page
