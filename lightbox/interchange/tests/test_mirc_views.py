"""The import page and the MIRC zip export: who may use them, what they answer, and a case
that goes out as a MIRCdocument zip and comes back with every field equal."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from lightbox.cases.models import Case, CaseCode, Code, CodeSynonym, Radiopharmaceutical
from lightbox.imaging.images import add_image
from lightbox.imaging.ingest import process_upload
from lightbox.imaging.models import PixelReview
from lightbox.imaging.uploads import receive
from lightbox.interchange.mirc.package import ZipPackage
from lightbox.interchange.mirc.save import read_documents, save_document, series_for
from lightbox.interchange.tests.mircfiles import dicom, mstf_files, zip_of
from lightbox.test import Named, add_people, make_case, make_topic, png_bytes

pytestmark = pytest.mark.django_db


def _upload(client, files: dict[str, bytes], **data):
    uploaded = [SimpleUploadedFile(name, content) for name, content in files.items()]
    return client.post("/cases/import/mirc/", {"files": uploaded, **data})


def test_an_author_imports_a_zip_and_lands_in_the_editor_with_the_report(client, people):
    client.force_login(people["alice"])
    assert client.get("/cases/import/mirc/").status_code == 200
    response = _upload(client, {"case.zip": zip_of(mstf_files())}, series="")
    assert response.status_code == 302
    assert response["Location"] == "/cases/mirc001/edit/"
    case = Case.objects.get()
    assert (case.status, case.created_by) == ("draft", people["alice"])
    # The DICOM was queued for the worker; the page says so, and what was dropped.
    assert case.uploads.get().state == "queued"
    page = client.get(response["Location"]).content.decode()
    assert "MIRCdocument.xml is draft case mirc001, its DICOM queued" in page
    assert "patient data dropped, never stored: &lt;accession-number&gt;" in page


def test_a_documents_files_can_be_sent_without_a_zip(client, people):
    client.force_login(people["erin"])
    files = mstf_files()
    response = _upload(client, files, series=str(series_for("bs").pk))
    assert response["Location"] == "/cases/bs001/edit/"
    assert Case.objects.get().images.count() == 3


def test_a_hostile_zip_is_refused_in_one_line_and_nothing_is_kept(client, people):
    client.force_login(people["alice"])
    slip = zip_of({**mstf_files(), "../../escape.txt": b"x"})
    response = _upload(client, {"case.zip": slip})
    assert response.status_code == 400
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Nothing imported: zip refused: member climbing out of the archive: '../../escape.txt'"
    ]
    assert not Case.objects.exists()


def test_learners_and_strangers_cannot_import(client, people):
    assert client.get("/cases/import/mirc/").status_code == 302  # to sign in
    client.force_login(people["bob"])
    assert client.get("/cases/import/mirc/").status_code == 404
    assert _upload(client, {"case.zip": zip_of(mstf_files())}).status_code == 404
    assert not Case.objects.exists()


def _full_case(people) -> Case:
    """A case with every field a case has, a picture and a DICOM series."""
    case = make_case(
        title="Soft-tissue  calcinosis",
        accepted_answers=["calcinosis cutis"],
        unparsed="Notes:\nKept from an earlier import.",
        topic=make_topic(),
        visibility="institution",
        findings="Uptake in both thighs.\n\n- arms\n- hands",
        acr_codes=["4.5", "642.3212"],
        keywords=["calcinosis", "soft tissue, calcified"],
        created_by=people["alice"],
    )
    add_people(case, ("Ed Grishaw", "M.D."), ("Henry Royal", "M.D., Ph.D."))
    typed = Code.objects.create(
        system="SCT", code="22298006", meaning="Myocardial infarction", source=Code.EDITOR_SOURCE
    )
    paget = Code.objects.create(
        system="RADLEX", code="RID90010", meaning="Paget disease of bone", source="RadLex test"
    )
    CodeSynonym.objects.create(code=paget, term="osteitis deformans")
    for order, code in enumerate([typed, paget]):
        CaseCode.objects.create(case=case, code=code, order=order)
    Radiopharmaceutical.objects.create(
        case=case, agent="Tc-99m MDP", activity="21.6", unit="mCi", route="i.v.",
        time_to_imaging="3 hours",
    )  # fmt: skip
    upload = receive(case, people["alice"], [Named("ct.dcm", dicom())])
    process_upload(upload.pk)
    series_image = case.images.get()
    series_image.caption, series_image.answer_caption = "Axial CT", "Calcified\nmasses"
    series_image.save()
    add_image(case, png_bytes((60, 40), 200), caption="Anterior", answer_caption="", is_main=True)
    return case


def _snapshot(case: Case) -> dict:
    fields = [
        "title", "case_date", "difficulty", "quality", "modality", "exam", "patient_age",
        "patient_sex", *Case.SECTIONS, "differential", "accepted_answers", "references",
        "acr_codes", "keywords", "anatomic_field", "category", "topic_id", "copyright",
        "visibility", "unparsed",
    ]  # fmt: skip
    images = []
    for image in case.images.order_by("order"):
        with image.file.open("rb") as f:
            pixels = PILImage.open(f).convert("RGB").tobytes()
        instances = image.series.instances.count() if image.series else 0
        images.append(
            (image.order, image.caption, image.answer_caption, image.is_main, pixels, instances)
        )
    return {
        **{name: getattr(case, name) for name in fields},
        "authors": list(case.authors.values_list("name", "credentials", "order")),
        "doses": list(
            case.radiopharmaceuticals.values_list(
                "agent", "activity", "unit", "route", "time_to_imaging"
            )
        ),
        "images": images,
        "codes": list(
            case.case_codes.values_list("code__system", "code__code", "code__meaning", "order")
        ),
    }


def test_a_case_exported_as_mirc_comes_back_with_every_field_equal(client, people):
    case = _full_case(people)
    client.force_login(people["alice"])
    known = client.get(case.get_known_url()).content.decode()
    assert f'href="/cases/{case.number}/export/mirc.zip"' in known
    response = client.get(f"/cases/{case.number}/export/mirc.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{case.number}-mirc.zip"'
    data = b"".join(response.streaming_content)
    package = ZipPackage(io.BytesIO(data))
    [(path, doc)] = read_documents(package)
    assert doc.report == []
    imported = save_document(package, path, doc, series=series_for(), enqueue=False)
    process_upload(imported.upload.pk)
    back = Case.objects.get(pk=imported.case.pk)
    assert imported.report == []
    assert back.status == "draft"
    assert _snapshot(back) == _snapshot(case)
    assert _snapshot(back)["codes"] == [
        ("SCT", "22298006", "Myocardial infarction", 0),
        ("RADLEX", "RID90010", "Paget disease of bone", 1),
    ]


def test_the_export_is_flat_and_names_every_file_it_holds(client, people):
    case = _full_case(people)
    client.force_login(people["alice"])
    data = b"".join(client.get(f"/cases/{case.number}/export/mirc.zip").streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        xml = archive.read("MIRCdocument.xml").decode()
    assert not [name for name in names if "/" in name]
    named = set(re.findall(r'(?:src|href)="([^"]+)"', xml))
    assert named == set(names) - {"MIRCdocument.xml"}
    assert sorted(names) == [
        "IMAGE-1-0001.dcm", "IMAGE-1.png", "IMAGE-1_icon.jpg", "IMAGE-2.png",
        "IMAGE-2_icon.jpg", "MIRCdocument.xml",
    ]  # fmt: skip


def test_an_image_awaiting_pixel_review_is_never_exported(client, people):
    case = _full_case(people)
    image = case.images.get(series__isnull=False)
    image.pixel_review = PixelReview.NEEDED
    image.save()
    client.force_login(people["erin"])
    data = b"".join(client.get(f"/cases/{case.number}/export/mirc.zip").streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "IMAGE-1.png",
            "IMAGE-1_icon.jpg",
            "MIRCdocument.xml",
        ]


def test_a_draft_is_exported_only_to_those_who_may_read_it(client, people):
    case = make_case(status="draft", visibility="private", created_by=people["alice"])
    assert client.get(f"/cases/{case.number}/export/mirc.zip").status_code == 404
    client.force_login(people["charlie"])
    assert client.get(f"/cases/{case.number}/export/mirc.zip").status_code == 404
    client.force_login(people["alice"])
    assert client.get(f"/cases/{case.number}/export/mirc.zip").status_code == 200
