"""An image's two captions: the view, read with the unknown, and the answer caption, read
only after the reveal — on every page, in the editor, the history, the identifier scan,
search, the API and the upgrade that split them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from lightbox.cases.models import Case
from lightbox.cases.tests.test_editor import edit_url, form_data
from lightbox.history.models import Revision
from lightbox.history.revisions import diff, for_object, record, restore
from lightbox.imaging.images import add_image
from lightbox.imaging.models import Image
from lightbox.search.engine import search
from lightbox.test import make_case, png_bytes

pytestmark = pytest.mark.django_db

VIEW = "Anterior and posterior whole-body images"
ANSWER = "Multiloculated lesion with thin sclerotic scalloped margins"


@pytest.fixture
def captioned(people):
    case = make_case(created_by=people["alice"])
    add_image(case, png_bytes(), caption=VIEW, answer_caption=ANSWER, is_main=True)
    return case


def test_it_shows_the_answer_caption_only_after_the_reveal(client, captioned):
    image = captioned.images.get()
    unknown = client.get(f"/cases/{captioned.number}/").content.decode()
    assert VIEW in unknown and ANSWER not in unknown
    for url in (f"/cases/{captioned.number}/known/", f"/cases/{captioned.number}/print/"):
        page = client.get(url).content.decode()
        assert VIEW in page and ANSWER in page, url
    # The viewer is opened from the unknown page too: the view only.
    viewer = client.get(image.get_absolute_url()).content.decode()
    assert VIEW in viewer and ANSWER not in viewer


def test_the_api_gives_the_answer_caption_only_with_the_diagnosis(client, captioned):
    known = client.get(f"/api/v1/cases/{captioned.number}").json()
    assert known["images"][0]["caption"] == VIEW
    assert known["images"][0]["answer_caption"] == ANSWER
    unknown = client.get(f"/api/v1/cases/{captioned.number}/unknown").json()
    assert unknown["images"][0]["caption"] == VIEW
    assert "answer_caption" not in unknown["images"][0] and ANSWER not in str(unknown)


def test_the_identifier_scan_reads_both_captions(captioned):
    image = captioned.images.get()
    image.answer_caption = "Scanned by Dr. Jones on 03/04/2024"
    image.save()
    texts = captioned.text_fields()
    assert texts["caption.1"] == VIEW
    assert texts["answer_caption.1"] == "Scanned by Dr. Jones on 03/04/2024"
    found = captioned.unresolved_identifiers()
    assert {f.field for f in found} == {"answer_caption.1"}
    assert captioned.publication_blockers()


def test_the_editor_saves_both_captions_as_one_revision(client, people, captioned):
    client.force_login(people["alice"])
    data = form_data(client, edit_url(captioned))
    assert data["captions-0-caption"] == VIEW and data["captions-0-answer_caption"] == ANSWER
    data["captions-0-answer_caption"] = "Expansile lucent lesion"
    assert client.post(edit_url(captioned), data).status_code == 302
    image = captioned.images.get()
    assert (image.caption, image.answer_caption) == (VIEW, "Expansile lucent lesion")
    new, old = for_object(captioned)[:2]
    [change] = diff(old, new)
    assert change.key == "images"
    assert f"after the answer: {ANSWER}" in change.old
    assert "after the answer: Expansile lucent lesion" in change.new


def test_the_editor_says_when_an_image_has_no_caption_before_the_answer(client, people, captioned):
    client.force_login(people["alice"])
    assert "readers of the unknown see no caption" not in client.get(edit_url(captioned)).text
    captioned.images.update(caption="")
    assert "1 image has a caption after the answer but none before it" in (
        client.get(edit_url(captioned)).text
    )


def test_restoring_a_revision_brings_back_both_captions(captioned, people):
    first = record(captioned, kind="created")
    assert first.snapshot["images"][0]["answer_caption"] == ANSWER
    captioned.images.update(caption="", answer_caption="")
    record(captioned, user=people["alice"])
    restore(first, user=people["alice"])
    assert list(captioned.images.values_list("caption", "answer_caption")) == [(VIEW, ANSWER)]


def test_a_snapshot_without_answer_captions_still_equals_the_case(people):
    """Revisions taken before images had an answer caption hold no such key: an unchanged
    case must not look changed to them."""
    case = make_case(created_by=people["alice"])
    add_image(case, png_bytes(), caption=VIEW)
    first = record(case, kind="created")
    assert "answer_caption" not in first.snapshot["images"][0]
    assert record(case, user=people["alice"]) is None


def test_the_answer_caption_is_searched_but_never_shown_before_the_answer(captioned):
    make_case(diagnosis="Something else")
    [known] = search(AnonymousUser(), "multiloculated").hits
    assert known.number == captioned.number
    [hit] = search(AnonymousUser(), "multiloculated", unknown=True).hits
    assert hit.number == captioned.number
    assert "ultiloculated" not in hit.snippet and "scalloped" not in hit.snippet + hit.title


# -- the upgrade that split the captions -----------------------------------------------


def _upgrade():
    return importlib.import_module("lightbox.imaging.migrations.0007_image_answer_caption")


def test_the_upgrade_moves_authored_captions_after_the_answer(people):
    authored = make_case(created_by=people["alice"])
    add_image(authored, png_bytes(), caption=ANSWER, is_main=True)
    record(authored, user=people["alice"], kind="created")
    legacy = make_case(source="bs068.txt")
    add_image(legacy, png_bytes(), caption=VIEW)
    before = Case.objects.get(pk=authored.pk).updated
    _upgrade().move_captions(apps, None)
    assert list(authored.images.values_list("caption", "answer_caption")) == [("", ANSWER)]
    # A legacy page prints its "Images:" line before the answer: it stays the view.
    assert list(legacy.images.values_list("caption", "answer_caption")) == [(VIEW, "")]
    assert Case.objects.get(pk=authored.pk).updated > before  # its pages are re-rendered
    latest = for_object(authored).first()
    assert (latest.number, latest.user_name, latest.changed) == (2, "Lightbox upgrade", ["images"])
    assert latest.snapshot["images"][0] == {
        "id": authored.images.get().pk,
        "caption": "",
        "order": 0,
        "is_main": True,
        "answer_caption": ANSWER,
    }
    # The revision holds the state as it now is: the next unchanged save records nothing.
    assert record(authored, user=people["alice"]) is None
    assert not Revision.objects.filter(target_id=legacy.pk).exists()


def test_the_upgrade_can_be_undone(people):
    case = make_case()
    add_image(case, png_bytes(), caption="", answer_caption=ANSWER)
    add_image(case, png_bytes(), caption=VIEW, answer_caption="kept")
    _upgrade().merge_captions(apps, None)
    assert sorted(Image.objects.filter(case=case).values_list("caption", flat=True)) == [
        VIEW,
        ANSWER,
    ]
