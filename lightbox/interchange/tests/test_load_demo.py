"""The demo library that `make run` loads into an empty database."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PILImage

from lightbox.cases import acr
from lightbox.cases.models import Case, Topic
from lightbox.imaging.models import Image
from lightbox.interchange import demo
from lightbox.interchange.demo import load_demo
from lightbox.interchange.demo_content import CASES
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

# The mechanics (idempotence, rollback, the command) are tested on the cases whose images
# come from tiny test files; the full library is loaded only where its content is checked.
TINY_SOURCES = {"CT_small.dcm", "emri_small.dcm"}
SMALL = tuple(c for c in CASES if all(i.source in TINY_SOURCES for i in c.images))


@pytest.fixture
def library():
    assert load_demo(progress=False) == len(CASES)
    return Case.objects.filter(is_demo=True)


@pytest.fixture
def small(monkeypatch):
    assert len(SMALL) >= 2
    monkeypatch.setattr(demo, "CASES", SMALL)
    return SMALL


def test_it_loads_published_demo_cases_across_nm_ct_mr_and_cr(library):
    assert library.count() >= 10
    modalities = set(library.values_list("modality", flat=True))
    assert {"NM", "CT", "MR", "CR"} <= modalities
    assert library.filter(modality="NM").count() >= 4
    assert {"bs", "ct", "mr", "cr"} <= set(library.values_list("series__prefix", flat=True))
    assert library.filter(number="bs001").exists()
    # One case is for signed-in readers only, so a newcomer sees what visibility does.
    assert library.filter(visibility="institution").count() == 1
    assert library.exclude(visibility__in=["public", "institution"]).count() == 0
    for case in library:
        assert case.is_demo, case.number
        assert case.status == "published", case.number
        assert case.published_at is not None
        for section in ("title", "brief_history", "full_history", "findings", "diagnosis"):
            assert getattr(case, section).strip(), f"{case.number} has no {section}"
        assert case.discussion.count("\n\n") >= 1, f"{case.number}: discussion too short"
        assert 3 <= len(case.differential) <= 6, case.number
        assert 2 <= len(case.references) <= 3, case.number
        # Demo references are generic: never an invented PMID or DOI.
        assert all(not ref.get("pmid") and not ref.get("doi") for ref in case.references)
        assert case.keywords, case.number
        assert case.authors.exists(), case.number
        assert 1 <= case.difficulty <= 5
        assert 1 <= case.quality <= 5
        assert case.patient_age is not None
        assert case.patient_sex
        assert "Lightbox" in case.copyright
        # Valid ACR codes; the primary one decides the field and category.
        assert case.acr_codes, case.number
        for code in case.acr_codes:
            acr.parse_code(code)
        primary = acr.parse_code(case.acr_codes[0])
        assert (case.anatomic_field, case.category) == (primary.field, primary.category)
    for case in library.filter(modality="NM"):
        doses = list(case.radiopharmaceuticals.all())
        assert doses, f"{case.number} has no radiopharmaceutical"
        for dose in doses:
            assert dose.agent.startswith("Tc-99m")
            assert dose.activity
            assert dose.unit in {"mCi", "MBq"}
            assert dose.route == "i.v."


def test_every_demo_case_has_one_main_image_stored_with_a_thumbnail(library):
    for case in library:
        images = list(case.images.all())
        assert images, case.number
        assert sum(image.is_main for image in images) == 1, case.number
        for image in images:
            assert image.caption.strip()
            assert default_storage.exists(image.file.name), image.file.name
            assert default_storage.exists(image.thumbnail.name), image.thumbnail.name
            assert 0 < max(image.width, image.height) <= 1024
            with default_storage.open(image.file.name) as f:
                picture = PILImage.open(io.BytesIO(f.read())).convert("L")
            low, high = picture.getextrema()
            assert high - low > 100, f"{image.file.name} is blank or flat"
            if case.modality == "NM" and image.is_main:
                # Bone scans are read black-on-white: the empty background is white.
                assert picture.getpixel((2, picture.height - 2)) > 200


def test_demo_topic_pages_are_linked_from_the_cases_of_their_field_and_category(library):
    topics = Topic.objects.filter(is_demo=True)
    assert topics.count() >= 3
    for topic in topics:
        assert topic.discussion.count("\n\n") >= 1
        assert topic.references
        same = library.filter(anatomic_field=topic.anatomic_field, category=topic.category)
        assert same.exists(), f"no demo case links to {topic.title}"
        assert all(case.topic_id == topic.pk for case in same)


def test_loading_twice_creates_nothing_new(small):
    assert load_demo(progress=False) == len(small)
    counts = (Case.objects.count(), Topic.objects.count(), Image.objects.count())
    assert load_demo(progress=False) == 0
    assert (Case.objects.count(), Topic.objects.count(), Image.objects.count()) == counts


def test_each_demo_case_is_indexed_once(small, monkeypatch):
    from lightbox.search import index

    indexed: list[int] = []
    real = index.index_cases

    def counted(ids):
        ids = sorted(set(ids))
        indexed.extend(ids)
        real(ids)

    monkeypatch.setattr(index, "index_cases", counted)
    assert load_demo(progress=False) == len(SMALL)
    assert sorted(indexed) == sorted(Case.objects.values_list("pk", flat=True))


def test_a_failure_part_way_leaves_no_cases_and_no_files(small, monkeypatch, settings):
    calls = {"n": 0}
    real = demo.render_demo_image

    def flaky(image):
        calls["n"] += 1
        if calls["n"] == 3:  # after the first case and its files were saved
            raise RuntimeError("disk full")
        return real(image)

    monkeypatch.setattr(demo, "render_demo_image", flaky)
    with pytest.raises(RuntimeError, match="disk full"):
        load_demo(progress=False)
    assert not Case.objects.exists()
    assert not Topic.objects.exists()
    assert calls["n"] == 3
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert stored == []


def test_the_progress_bar_goes_to_the_given_stream(small):
    out = io.StringIO()
    load_demo(progress=True, stdout=out)
    assert "Demo cases" in out.getvalue()


# -- the command ----------------------------------------------------------------------------


def test_command_if_empty_loads_into_an_empty_library(small):
    out = io.StringIO()
    call_command("load_demo", "--if-empty", verbosity=0, stdout=out)
    assert Case.objects.filter(is_demo=True).count() == len(small)
    assert f"Loaded the demo library: {len(small)} cases." in out.getvalue()


def test_command_if_empty_skips_when_cases_exist():
    make_case(title="Our own case")
    out = io.StringIO()
    call_command("load_demo", "--if-empty", verbosity=0, stdout=out)
    assert not Case.objects.filter(is_demo=True).exists()
    assert "already has 1 case(s)" in out.getvalue()


def test_command_without_if_empty_adds_the_demo_beside_existing_cases(small):
    make_case(title="Our own case")
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    assert Case.objects.filter(is_demo=True).count() == len(small)
    assert Case.objects.filter(is_demo=False).count() == 1


def test_command_says_so_when_the_demo_is_already_loaded(small):
    load_demo(progress=False)
    out = io.StringIO()
    call_command("load_demo", verbosity=0, stdout=out)
    assert "already loaded" in out.getvalue()


# Words that describe what an image shows, or name a diagnosis: never before the answer.
ANSWER_WORDS = (
    "lesion", "metasta", "sclerotic", "lucent", "opacit", "embol", "uptake", "enhanc",
    "tear", "fibroma", "paget", "rhabdo", "superscan", "calvarium", "muscle", "emboli",
)  # fmt: skip


def test_demo_captions_before_the_answer_name_only_the_view():
    for case in CASES:
        for image in case.images:
            said = [w for w in ANSWER_WORDS if w in image.caption.lower()]
            assert not said, (case.title, image.caption)
    assert sum(bool(i.answer_caption) for c in CASES for i in c.images) >= 10
