"""The demo library that `make run` loads into an empty database."""

from __future__ import annotations

import dataclasses
import io
import re
import warnings

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PILImage
from pydicom import dcmread
from pydicom.data import get_testdata_file

from lightbox.cases import acr
from lightbox.cases.models import Case, Topic
from lightbox.imaging import viewer
from lightbox.imaging.models import Image, Instance, PixelReview, Series, UploadFile
from lightbox.interchange.demo import dicom as demo_dicom
from lightbox.interchange.demo import save as demo
from lightbox.interchange.demo.load import CASES
from lightbox.interchange.demo.save import DemoLoadFailed, load_demo
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

# The mechanics (idempotence, rollback, the command) are tested on cases whose series are
# small; the full library is loaded only where its content is checked.
SMALL_SERIES = {"mr-brain-3d", "ct-head-subdural", "ct-head"}
SMALL = tuple(c for c in CASES if all(i.series in SMALL_SERIES for i in c.images))


@pytest.fixture
def library():
    assert load_demo(progress=False) == len(CASES)
    return Case.objects.filter(is_demo=True)


@pytest.fixture
def small(monkeypatch):
    assert len(SMALL) >= 2
    monkeypatch.setattr(demo, "CASES", SMALL)
    return SMALL


def _read(instance: Instance):
    with default_storage.open(instance.file.name) as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dcmread(io.BytesIO(f.read()))


def test_it_loads_published_demo_cases_across_nm_ct_mr_and_cr(library):
    assert library.count() >= 10
    modalities = set(library.values_list("modality", flat=True))
    assert {"NM", "CT", "MR", "CR"} <= modalities
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
        # Only the assembled CT stack is not one person, and it says so before the answer.
        if case.patient_age is None or not case.patient_sex:
            assert "three people" in case.brief_history, case.number
        assert "Lightbox" in case.copyright
        # A diagnosis a resident can type and be graded against.
        assert len(case.diagnosis) <= 80, case.number
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


def test_every_case_says_which_test_files_its_images_come_from():
    for case in CASES:
        assert "**About these images.**" in case.discussion, case.title
        for image in case.images:
            for name in demo_dicom.sources(image.series):
                assert f"`{name}`" in case.discussion, (case.title, name)


def test_every_demo_image_shows_a_dicom_series_with_a_picture_and_a_thumbnail(library):
    for case in library:
        images = list(case.images.select_related("series"))
        spec = next(c for c in CASES if c.title == case.title)
        assert [i.caption for i in images] == [i.caption for i in spec.images]
        assert [i.answer_caption for i in images] == [i.answer_caption for i in spec.images]
        assert sum(image.is_main for image in images) == 1, case.number
        for image in images:
            assert image.series is not None, case.number
            assert image.series.study.case_id == case.pk
            assert image.pixel_review == PixelReview.NOT_NEEDED, case.number
            assert default_storage.exists(image.file.name), image.file.name
            assert default_storage.exists(image.thumbnail.name), image.thumbnail.name
            with default_storage.open(image.file.name) as f:
                picture = PILImage.open(io.BytesIO(f.read())).convert("L")
            low, high = picture.getextrema()
            assert high - low > 100, f"{image.file.name} is blank or flat"
            if case.modality == "NM":
                # Bone scans are read black-on-white: the empty background is white.
                assert picture.getpixel((2, picture.height - 2)) > 200


def test_the_demo_has_a_whole_body_nm_pair_that_the_viewer_lays_out_side_by_side(library):
    nm = Series.objects.filter(study__case__is_demo=True, modality="NM")
    views = {s.view: s for s in nm}
    assert {"ANT", "POST"} <= set(views)
    ant, post = views["ANT"], views["POST"]
    assert ant.study.case_id == post.study.case_id
    assert ant.image.is_main
    # The same counts, mirrored: posterior is the anterior seen from behind.
    ant_pixels = _read(ant.instances.get()).pixel_array
    post_pixels = _read(post.instances.get()).pixel_array
    assert ant_pixels.shape == post_pixels.shape == (1024, 256)
    assert (post_pixels == ant_pixels[:, ::-1]).all()
    case = ant.study.case
    # …and the reader is told so before the answer.
    assert "mirrored" in post.image.caption
    assert "mirrored" in case.discussion and "not a posterior acquisition" in case.discussion
    made = viewer.manifest(ant.image, list(case.images.all()))
    assert made["layout"] == "1x2"
    assert [s["label"] for s in made["stacks"]] == ["ANT", "POST"]
    assert all(s["invert"] and s["kind"] == "dicom" for s in made["stacks"])


def test_the_demo_has_a_ct_stack_of_several_instances(library):
    stacks = [
        s for s in Series.objects.filter(study__case__is_demo=True, modality="CT")
        if s.instance_count > 1
    ]  # fmt: skip
    assert stacks
    stack = stacks[0]
    instances = list(stack.instances.all())
    assert [i.instance_number for i in instances] == [1, 2, 3]
    assert len({i.sha256 for i in instances}) == 3
    made = viewer.manifest(stack.image, [stack.image])
    assert len(made["stacks"][0]["imageIds"]) == 3
    assert made["stacks"][0]["modality"] == "CT"


def test_the_demo_has_a_multi_frame_mr(library):
    multi = Instance.objects.filter(
        series__study__case__is_demo=True, series__modality="MR", frames__gt=1
    )
    assert multi.exists()
    instance = multi.first()
    assert instance.frames == instance.series.frame_count == 10
    assert viewer.manifest(instance.series.image, [])["stacks"][0]["frames"] == [10]


# Values the test files carry that name a person, a place or the answer.
IDENTIFYING = ("PatientName", "PatientID", "InstitutionName", "ReferringPhysicianName",
               "OperatorsName", "PerformingPhysicianName", "StudyDescription",
               "SeriesDescription")  # fmt: skip


def _identifying_values(name: str) -> set[bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dcmread(get_testdata_file(name, download=False), stop_before_pixels=True)
    values = {str(ds.get(keyword) or "").strip() for keyword in IDENTIFYING}
    # Long enough not to turn up by chance inside a UID or a number.
    return {v.encode() for v in values if len(v) >= 6}


def test_load_demo_leaves_no_patient_identifier(library):
    checked = 0
    for case in library:
        spec = next(c for c in CASES if c.title == case.title)
        planted = set().union(
            *(_identifying_values(n) for i in spec.images for n in demo_dicom.sources(i.series))
        )
        instances = Instance.objects.filter(series__study__case=case)
        assert instances.exists(), case.number
        for instance in instances:
            with default_storage.open(instance.file.name) as f:
                data = f.read()
            assert data[:128] == bytes(128)  # the preamble is zeroed
            for value in planted:
                assert value not in data, (case.number, value)
            ds = _read(instance)
            # (0012,0062) Patient Identity Removed and the method it was removed by.
            assert ds.PatientIdentityRemoved == "YES"
            assert ds.DeidentificationMethodCodeSequence
            assert str(ds.PatientName) == f"LIGHTBOX^{case.number}"
            assert ds.PatientID == case.number
            assert "InstitutionName" not in ds
            checked += 1
    assert checked == sum(len(demo_dicom.build(i.series)) for c in CASES for i in c.images)
    # Each file's de-identification report is kept, as for any upload.
    reports = UploadFile.objects.filter(upload__case__is_demo=True).values_list(
        "report", flat=True
    )
    assert all(report.get("profile") for report in reports)
    # The test file whose description names the lesion gives nothing away.
    assert b"Non-ossifying" in b"".join(_identifying_values("RG3_J2KR.dcm"))


def test_demo_topic_pages_are_linked_from_the_cases_of_their_field_and_category(library):
    topics = Topic.objects.filter(is_demo=True)
    assert topics.count() >= 3
    for topic in topics:
        assert topic.discussion.count("\n\n") >= 1
        assert topic.references
        same = library.filter(anatomic_field=topic.anatomic_field, category=topic.category)
        assert same.exists(), f"no demo case links to {topic.title}"
        assert all(case.topic_id == topic.pk for case in same)


# -- the mechanics --------------------------------------------------------------------------


def test_loading_twice_creates_nothing_new(small):
    assert load_demo(progress=False) == len(small)
    counts = (Case.objects.count(), Topic.objects.count(), Image.objects.count())
    assert Instance.objects.exists()
    instances = Instance.objects.count()
    assert load_demo(progress=False) == 0
    assert (Case.objects.count(), Topic.objects.count(), Image.objects.count()) == counts
    assert Instance.objects.count() == instances


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


def _stored_files(settings) -> list:
    """Stored files (on disk or in a bucket), and any file left under media/ or quarantine."""
    from lightbox.test import stored_names

    roots = (settings.MEDIA_ROOT, settings.QUARANTINE_DIR)
    local = [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]
    return local + stored_names()


def test_a_failure_part_way_leaves_no_cases_and_no_files(small, monkeypatch, settings):
    calls = {"n": 0}
    real = demo_dicom.build

    def flaky(name):
        calls["n"] += 1
        if calls["n"] == 2:  # after the first case's upload was stored
            raise RuntimeError("disk full")
        return real(name)

    monkeypatch.setattr(demo_dicom, "build", flaky)
    with pytest.raises(RuntimeError, match="disk full"):
        load_demo(progress=False)
    assert not Case.objects.exists()
    assert not Topic.objects.exists()
    assert calls["n"] == 2
    assert _stored_files(settings) == []


def test_a_demo_file_the_pipeline_refuses_fails_loudly_and_leaves_nothing(
    small, monkeypatch, settings
):
    real = demo_dicom.build
    monkeypatch.setattr(
        demo_dicom, "build", lambda name: (b"not DICOM",) if name == "ct-head" else real(name)
    )
    with pytest.raises(DemoLoadFailed, match="not a DICOM file"):
        load_demo(progress=False)
    assert not Case.objects.exists()
    assert _stored_files(settings) == []


def test_the_progress_bar_goes_to_the_given_stream(small):
    out = io.StringIO()
    load_demo(progress=True, stdout=out)
    assert "Demo cases" in out.getvalue()


# -- the command ----------------------------------------------------------------------------


def test_command_if_empty_loads_into_an_empty_library(small):
    out = io.StringIO()
    call_command("load_demo", "--if-empty", verbosity=0, stdout=out)
    assert Case.objects.filter(is_demo=True).count() == len(small)
    assert f"Loaded the demo library: {len(small)} cases" in out.getvalue()


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


# -- captions -------------------------------------------------------------------------------

# Words that describe what an image shows, or name a diagnosis: never before the answer.
ANSWER_WORDS = (
    "lesion", "metasta", "sclerotic", "lucent", "opacit", "embol", "uptake", "enhanc",
    "tear", "fibroma", "haematoma", "infarct", "stroke", "normal", "abnormal", "mass",
    "collection", "shift", "deficit", "reduced", "tumour", "degenerat",
)  # fmt: skip
# Short words a caption and a diagnosis may share without giving anything away.
COMMON = {"the", "and", "for", "with", "from", "into", "over", "its"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3} - COMMON


def test_demo_captions_before_the_answer_name_only_the_view():
    for case in CASES:
        for image in case.images:
            said = [w for w in ANSWER_WORDS if w in image.caption.lower()]
            assert not said, (case.title, image.caption)
            # No word of the diagnosis, whatever it is.
            shared = _words(case.diagnosis) & _words(image.caption)
            assert not shared, (case.title, image.caption, shared)
            assert image.answer_caption.strip(), (case.title, image.caption)


def test_command_says_why_visitors_see_fewer_cases_than_were_loaded(monkeypatch, small):
    # The home page counts what a visitor may see: the set-up says how many that is.
    cases = list(small)
    public = [i for i, c in enumerate(cases) if c.visibility == "public"]
    assert public
    cases[public[0]] = dataclasses.replace(cases[public[0]], visibility="institution")
    monkeypatch.setattr(demo, "CASES", tuple(cases))
    out = io.StringIO()
    call_command("load_demo", "--if-empty", verbosity=0, stdout=out)
    shown = len(public) - 1
    assert (
        f"Loaded the demo library: {len(cases)} cases ({shown} public; the other "
        f"{len(cases) - shown} only for signed-in users or editors" in out.getvalue()
    )
