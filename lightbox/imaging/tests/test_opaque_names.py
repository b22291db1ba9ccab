"""Stored and served file names are ids and hashes, never a title, caption or upload name.

A case title ("Glioblastoma of the right frontal lobe"), a caption and an uploaded file's
name ("DOE_JOHN glioblastoma.png") may hold the answer or a patient's name; the download
name a browser shows (Content-Disposition) is taken from the stored name unless the view
says otherwise.
"""

import doctest
import importlib
import io
import re
import zipfile

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify
from PIL import Image as PILImage
from pydicom.data import get_testdata_file

from lightbox.imaging import models
from lightbox.imaging.dicom import picture
from lightbox.imaging.frames import frame_png
from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import Image, Instance
from lightbox.imaging.tests.test_picture_metadata import assert_bare
from lightbox.imaging.uploads import receive
from lightbox.interchange.demo import save as demo
from lightbox.interchange.demo.load import CASES
from lightbox.interchange.demo.save import load_demo
from lightbox.test import Named, Nobody, make_case

pytestmark = pytest.mark.django_db

TITLE = "Glioblastoma of the right frontal lobe"
CAPTION = "Multiloculated mass crossing the corpus callosum"
UPLOAD_NAME = "DOE_JOHN glioblastoma right frontal.png"
# Words of the title, the caption and the upload name that no stored or served name may hold.
FORBIDDEN = ("glioblastoma", "frontal", "doe", "john", "multiloculated", "callosum", "right")
STORED = re.compile(r"images/(\d+)/[0-9a-f]{24}(-thumb)?\.(png|jpg)")
DISPOSITION = re.compile(r'(inline|attachment); filename="([a-z0-9-]+\.(png|jpg|dcm|zip))"')


def assert_opaque(name: str) -> None:
    lowered = name.lower()
    for word in (*FORBIDDEN, slugify(TITLE)):
        assert word not in lowered, f"{word!r} in {name!r}"


def served_name(response) -> str:
    assert response.status_code == 200
    match = DISPOSITION.fullmatch(response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    assert_opaque(match[2])
    return match[2]


def png(colour: int = 90, size=(40, 30)) -> bytes:
    out = io.BytesIO()
    PILImage.new("L", size, colour).save(out, "PNG")
    return out.getvalue()


def test_it_stores_and_serves_an_uploaded_picture_under_opaque_names(client):
    case = make_case(title=TITLE)
    upload = process_upload(receive(case, Nobody(), [Named(UPLOAD_NAME, png())]).pk)
    image = upload.files.get().image
    image.caption = CAPTION
    image.save()
    for name in (image.file.name, image.thumbnail.name):
        assert STORED.fullmatch(name) and STORED.fullmatch(name)[1] == str(case.pk), name
        assert_opaque(name)
    full = served_name(client.get(image.get_file_url()))
    thumb = served_name(client.get(image.get_thumbnail_url()))
    assert (full, thumb) == (
        f"{case.number}-image-{image.pk}.png",
        f"{case.number}-image-{image.pk}-thumb.jpg",
    )


def test_it_stores_an_added_image_under_its_content_hash():
    case = make_case(title=TITLE)
    image = add_image(case, png(), caption=CAPTION, is_main=True)
    assert image.file.name == f"images/{case.pk}/{image.sha256[:24]}.png"
    assert image.thumbnail.name == f"images/{case.pk}/{image.sha256[:24]}-thumb.jpg"


def test_it_never_stores_a_name_a_caller_wrote():
    """Whatever name code hands the storage, the stored one is a hash or a random token."""
    case = make_case(title=TITLE)
    image = Image(case=case)
    image.file.save(UPLOAD_NAME, ContentFile(png()), save=False)
    image.thumbnail.save(f"{slugify(TITLE)}-thumb.jpg", ContentFile(png()), save=False)
    for name in (image.file.name, image.thumbnail.name):
        assert re.fullmatch(rf"images/{case.pk}/[0-9a-f]{{24}}(-thumb)?\.(png|jpg)", name), name
    assert re.fullmatch(r"[0-9a-f]{24}\.bin", models.opaque_name("DOE JOHN.exe", ""))


def test_it_names_demo_images_by_hash_not_by_case_title(client, monkeypatch):
    small = tuple(c for c in CASES if all(i.series == "mr-brain-3d" for i in c.images))
    assert small
    monkeypatch.setattr(demo, "CASES", small)
    load_demo(progress=False)
    for image in Image.objects.select_related("case"):
        for name in (image.file.name, image.thumbnail.name):
            assert STORED.fullmatch(name), name
            assert slugify(image.case.title)[:20] not in name
        disposition = client.get(image.get_file_url())["Content-Disposition"]
        assert slugify(image.case.title)[:20] not in disposition
        assert disposition == f'inline; filename="{image.case.number}-image-{image.pk}.png"'


def test_it_serves_dicom_downloads_under_opaque_names(client):
    case = make_case(title=TITLE)
    with open(get_testdata_file("CT_small.dcm", download=False), "rb") as fp:
        dicom = fp.read()
    upload = process_upload(
        receive(case, Nobody(), [Named("DOE_JOHN glioblastoma.dcm", dicom)]).pk
    )
    assert upload.files.get().state == "done"
    instance = Instance.objects.get(series__study__case=case)
    assert re.fullmatch(
        rf"dicom/{case.pk}/{instance.series_id}/[0-9a-f]{{20}}\.dcm", instance.file.name
    )
    image = instance.series.image
    assert STORED.fullmatch(image.file.name) and STORED.fullmatch(image.thumbnail.name)
    frame = frame_png(instance, 0)
    assert re.fullmatch(rf"frames/{instance.series_id}/[0-9a-f]{{24}}-00000\.png", frame)

    number = case.number
    dcm = served_name(client.get(f"/cases/{number}/instances/{instance.pk}.dcm"))
    assert dcm == f"{number}-instance-{instance.pk}.dcm"
    frame_name = served_name(client.get(f"/cases/{number}/instances/{instance.pk}/frames/1.png"))
    assert frame_name == f"{number}-instance-{instance.pk}-frame-1.png"
    for kind in ("full", "thumb"):
        served_name(client.get(f"/cases/{number}/images/{image.pk}/{kind}"))
    response = client.get(f"/cases/{number}/images/{image.pk}/series.zip")
    assert served_name(response) == f"{number}-series-{image.pk}.zip"
    members = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert members == [f"{number}/IM00001.dcm"]


# -- existing installs: the data migration ----------------------------------------------------


@pytest.fixture
def migration():
    return importlib.import_module("lightbox.imaging.migrations.0004_opaque_image_names")


def _old_image(case, stem: str, data: bytes, thumb: bytes, **fields) -> Image:
    """An image stored the way earlier versions did: under the title slug, in
    cases/<number>/."""
    old = f"cases/{case.number}/{slugify(TITLE)}-{stem}"
    file_name = default_storage.save(f"{old}.{fields.pop('ext', 'png')}", ContentFile(data))
    thumb_name = default_storage.save(f"{old}-thumb.jpg", ContentFile(thumb))
    return Image.objects.create(
        case=case, file=file_name, thumbnail=thumb_name, width=40, height=30, **fields
    )


def _jpeg(colour=(180, 40, 40), **params) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), colour).save(out, "JPEG", quality=92, **params)
    return out.getvalue()


def test_the_migration_renames_title_named_files_and_the_image_still_serves(
    client, migration, django_capture_on_commit_callbacks
):
    case = make_case(title=TITLE)
    # A JPEG stored with its comment (as before the metadata fix), its thumbnail too.
    commented = _jpeg(comment=b"Patient DOE^JOHN MRN 1234567")
    leaky = _old_image(case, "1-0123456789ab", commented, commented, is_main=True, ext="jpg")
    clean_bytes = _jpeg((40, 40, 180))
    clean = _old_image(
        case, "2-ba9876543210", clean_bytes, clean_bytes, caption=CAPTION, ext="jpg"
    )
    old_names = [n for i in (leaky, clean) for n in (i.file.name, i.thumbnail.name)]

    with django_capture_on_commit_callbacks(execute=True):
        migration.forwards(apps, None)

    for image in (leaky, clean):
        image.refresh_from_db()
        for name in (image.file.name, image.thumbnail.name):
            assert STORED.fullmatch(name), name
            assert default_storage.exists(name)
        assert image.file.name == f"images/{case.pk}/{image.sha256[:24]}.jpg"
        response = client.get(image.get_file_url())
        assert served_name(response) == f"{case.number}-image-{image.pk}.jpg"
        served = b"".join(response.streaming_content)
        assert_bare(served)
        with PILImage.open(io.BytesIO(served)) as img:
            assert img.size == (40, 30)
        assert_bare(b"".join(client.get(image.get_thumbnail_url()).streaming_content))
    for name in old_names:
        assert not default_storage.exists(name), name
    # A JPEG with nothing to remove is moved as it is, not compressed once more.
    with default_storage.open(clean.file.name) as fp:
        assert fp.read() == clean_bytes


def test_the_migration_is_idempotent(migration, django_capture_on_commit_callbacks):
    case = make_case(title=TITLE)
    image = _old_image(case, "1-0123456789ab", png(), png())
    with django_capture_on_commit_callbacks(execute=True):
        migration.forwards(apps, None)
    image.refresh_from_db()
    names = (image.file.name, image.thumbnail.name)
    stored = sorted(default_storage.listdir(f"images/{case.pk}")[1])
    with django_capture_on_commit_callbacks(execute=True):
        migration.forwards(apps, None)
    image.refresh_from_db()
    assert (image.file.name, image.thumbnail.name) == names
    assert sorted(default_storage.listdir(f"images/{case.pk}")[1]) == stored


def test_the_migration_keeps_an_image_whose_file_is_missing(migration):
    case = make_case(title=TITLE)
    image = Image.objects.create(
        case=case, file=f"cases/{case.number}/gone.png", width=1, height=1
    )
    migration.forwards(apps, None)
    stored = Image.objects.values_list("file", flat=True).get(pk=image.pk)
    assert stored == f"cases/{case.number}/gone.png"


def test_the_documented_examples_hold():
    for module in (picture, models):
        failed, attempted = doctest.testmod(module)
        assert attempted and not failed, module.__name__
