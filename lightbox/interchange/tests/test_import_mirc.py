"""`manage.py import_mirc`: MIRCdocument zips and folders become draft cases, their DICOM
de-identified through the upload pipeline; patient data never stored; hostile packages
refused in one line with nothing stored."""

from __future__ import annotations

import io
import zipfile
from io import StringIO
from pathlib import Path

import pydicom
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Case, Code, CodeSynonym
from lightbox.history.models import Revision
from lightbox.imaging import uploads
from lightbox.imaging.models import Image, Instance, Upload
from lightbox.interchange.tests.mircfiles import (
    PHI,
    basic_files,
    casemaker_files,
    dicom,
    mstf_files,
    zip_of,
)
from lightbox.search.engine import search
from lightbox.test import make_user, stored_names

pytestmark = pytest.mark.django_db


def _import(*paths, **options):
    out, err = StringIO(), StringIO()
    call_command("import_mirc", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_an_mstf_zip_becomes_a_draft_case_with_its_images_and_dicom(tmp_path):
    alice = make_user("alice", "author")
    out, err = _import(_write(tmp_path / "case.zip", zip_of(mstf_files())), user="alice")
    assert "case.zip:MIRCdocument.xml: created mirc001" in out
    assert "1 document(s): 1 created, 0 failed; 1 DICOM file(s) stored, 0 failed" in out
    case = Case.objects.get()
    assert (case.number, case.status, case.visibility) == ("mirc001", "draft", "public")
    assert case.created_by == alice
    assert case.series.name == "Imported from MIRC"
    assert case.title == "Osteoid osteoma of the proximal femur"
    assert case.diagnosis == "Osteoid osteoma"
    assert list(case.authors.values_list("name", "credentials")) == [
        ("Maria Keller", "M.D."),
        ("Tom Brandt", ""),
    ]
    images = list(case.images.order_by("order"))
    # The CT's DICOM became a series, shown in the place of its MIRC image, with its
    # captions and the main flag; the annotated picture follows; the pinhole view last.
    first, annotated, pinhole = images
    assert first.series is not None and first.series.instance_count == 1
    assert (first.caption, first.answer_caption) == (
        "Axial CT, bone window",
        "Lucent nidus with central mineralisation",
    )
    assert first.is_main and first.file and first.thumbnail
    assert (annotated.caption, annotated.answer_caption) == (
        "",
        "Annotated version of image 1: Lucent nidus with central mineralisation",
    )
    assert (annotated.width, annotated.height) == (140, 100)
    assert (pinhole.caption, pinhole.series, pinhole.is_main) == (
        "Anterior pinhole view of the left hip",
        None,
        False,
    )
    assert "patient data dropped, never stored: <accession-number>, <pt-name>, <pt-id>" in err
    assert "image 1: its annotated version is image 2" in err
    # Its RadLex code, new to the codes table, came with the document's term.
    [code] = case.codes.all()
    assert (code.system, code.code, code.meaning, code.source) == (
        "RADLEX",
        "RID4326",
        "osteoid osteoma",
        Code.MIRC_SOURCE,
    )
    assert Revision.objects.filter(target_id=case.pk, kind="imported").count() == 1
    assert AuditEntry.objects.filter(action="import", target_id=case.number).exists()


def test_no_patient_identifier_is_stored_anywhere(tmp_path):
    _import(
        _write(tmp_path / "a.zip", zip_of(mstf_files())),
        _write(tmp_path / "b.zip", zip_of(basic_files())),
    )
    dump = StringIO()
    call_command("dumpdata", "cases", "imaging", "history", "audit", stdout=dump)
    assert not [value for value in PHI if value in dump.getvalue()]
    for instance in Instance.objects.all():
        with instance.file.open("rb") as fp:
            raw = fp.read()
        ds = pydicom.dcmread(io.BytesIO(raw))
        assert "ZZPLANTED" not in str(ds.PatientName)
        assert ds.PatientIdentityRemoved == "YES"
        assert not [value for value in PHI if value.encode() in raw]
    # The identified originals never left quarantine, and are wiped from it.
    quarantine = Path(settings.QUARANTINE_DIR)
    assert not [p for p in quarantine.rglob("*") if p.is_file()]


def test_a_folder_imports_each_document_and_each_zip_in_it(tmp_path):
    for name, data in casemaker_files().items():
        _write(tmp_path / "store" / name, data)
    _write(tmp_path / "store" / "exports" / "basic.zip", zip_of(basic_files()))
    out, err = _import(tmp_path / "store", series="neu")
    assert "2 document(s): 2 created, 0 failed; 1 DICOM file(s) stored, 0 failed" in out
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == ["neu001", "neu002"]
    fnh = Case.objects.get(title="Focal nodular hyperplasia")
    assert list(fnh.images.values_list("caption", flat=True)) == [
        "Transverse ultrasound of the liver",
        "",
    ]
    chest = Case.objects.get(title="Pneumothorax after central line placement")
    assert chest.visibility == "private"
    assert chest.images.get().series is not None  # its <image href="chest.dcm">


def test_a_missing_file_keeps_the_captions_and_says_so(tmp_path):
    files = mstf_files()
    del files["img2.png"]
    _, err = _import(_write(tmp_path / "a.zip", zip_of(files)))
    assert "image 2: img2.png is not in the package: not imported" in err
    waiting = Case.objects.get().images.get(caption="Anterior pinhole view of the left hip")
    assert not waiting.file


HOSTILE = {
    "zip slip": (
        {"../../outside.xml": b"<MIRCdocument/>"},
        "zip refused: member climbing out of the archive: '../../outside.xml'",
    ),
    "entity expansion": (
        {"MIRCdocument.xml": b'<!DOCTYPE m [<!ENTITY a "a">]><MIRCdocument>&a;</MIRCdocument>'},
        "MIRCdocument.xml: entity declarations are not accepted (<!ENTITY a>)",
    ),
    "external entity": (
        {
            "MIRCdocument.xml": b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<MIRCdocument>&x;</MIRCdocument>"
        },
        "MIRCdocument.xml: entity declarations are not accepted (<!ENTITY x>)",
    ),
    "10,000 elements deep": (
        {"MIRCdocument.xml": b"<MIRCdocument>" + b"<p>" * 10_000 + b"</p>" * 10_000 + b"</MIRC"
         b"document>"},
        "MIRCdocument.xml: elements nested more than 100 deep",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_package_is_refused_in_one_line_and_nothing_is_stored(tmp_path, name):
    files, reason = HOSTILE[name]
    stored = zipfile.ZIP_STORED  # so that the deep document is not refused as a bomb first
    path = _write(tmp_path / "hostile.zip", zip_of({**mstf_files(), **files}, stored))
    with pytest.raises(CommandError) as failed:
        _import(path)
    assert str(failed.value) == (
        "0 document(s): 0 created, 1 failed; 0 DICOM file(s) stored, 0 failed"
    )
    _assert_nothing_stored()


def test_the_refusal_is_one_line_naming_the_package(tmp_path, capsys):
    path = _write(tmp_path / "slip.zip", zip_of({"../x.xml": b"<MIRCdocument/>"}))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_mirc", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue() == (
        f"error: {path}: nothing imported: zip refused: member climbing out of the "
        "archive: '../x.xml'\n"
    )


def test_a_2_gb_member_is_refused_before_anything_is_stored(tmp_path):
    from lightbox.interchange.tests.test_mirc_package import _claiming

    path = _write(tmp_path / "huge.zip", _claiming(2 * 1024**3 + 1))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_mirc", str(path), stdout=StringIO(), stderr=err)
    assert "zip refused: member 'huge.dcm' is too large (2,147,483,649 bytes)" in err.getvalue()
    _assert_nothing_stored()


def test_a_refused_dicom_upload_takes_the_case_with_it(tmp_path, monkeypatch):
    def disk_full(upload, files):
        list(files)[0].read()  # half-way through, the disk fills
        raise uploads.DiskFull(uploads.DISK_FULL)

    monkeypatch.setattr(uploads, "add_files", disk_full)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_mirc",
            str(_write(tmp_path / "a.zip", zip_of(mstf_files()))),
            stdout=StringIO(),
            stderr=err,
        )
    assert "its DICOM was not received: The server is out of disk space" in err.getvalue()
    _assert_nothing_stored()


def _assert_nothing_stored() -> None:
    assert not Case.objects.exists()
    assert not Image.objects.exists()
    assert not Upload.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not [p for p in media.rglob("*") if p.is_file()] if media.exists() else True
    assert not stored_names()  # on disk or in a bucket
    quarantine = Path(settings.QUARANTINE_DIR)
    assert not [p for p in quarantine.rglob("*") if p.is_file()] if quarantine.exists() else True


def test_a_bad_series_or_user_is_one_line(tmp_path):
    path = _write(tmp_path / "a.zip", zip_of(mstf_files()))
    with pytest.raises(CommandError, match=r"^--series 'MIRC!': 2–4 lowercase letters"):
        _import(path, series="MIRC!")
    with pytest.raises(CommandError, match=r"^--user nobody: no such user$"):
        _import(path, user="nobody")
    with pytest.raises(CommandError, match=r"^nowhere\.zip: no such file or folder$"):
        _import("nowhere.zip")


def test_an_image_that_is_its_dicom_shows_the_series_with_its_captions(tmp_path):
    xml = (
        b"<MIRCdocument><title>CT only</title><image-section>"
        b"<image src='slice.dcm'><image-caption display='always'>Axial CT</image-caption>"
        b"</image></image-section></MIRCdocument>"
    )
    out, _ = _import(_write(tmp_path / "a.zip", zip_of({"doc.xml": xml, "slice.dcm": dicom()})))
    assert "1 DICOM file(s) stored, 0 failed" in out
    image = Case.objects.get().images.get()
    assert image.series is not None and image.file
    assert (image.caption, image.is_main) == ("Axial CT", True)


def test_codes_join_the_codes_table_and_a_known_code_keeps_its_term(tmp_path):
    paget = Code.objects.create(
        system="RADLEX", code="RID90010", meaning="Paget disease of bone", source="RadLex test"
    )
    CodeSynonym.objects.create(code=paget, term="osteitis deformans")
    Code.objects.create(system="SCT", code="22298006", meaning="Myocardial infarction", source="x")
    xml = (
        b"<MIRCdocument><title>Coded</title>"
        b"<code coding-system='SNOMED-CT'>233604007<meaning>Pneumonia</meaning></code>"
        b"<code coding-system='RadLex'>RID90010<meaning>Osteitis deformans</meaning></code>"
        b"<code coding-system='SNOMED'>22298006<meaning>Heart attack</meaning></code>"
        b"<code coding-system='RadLex'>RID90011</code>"  # unknown, and no term
        b"<code coding-system='SCT'>22298007<meaning>Typo</meaning></code>"
        b"</MIRCdocument>"
    )
    _, err = _import(_write(tmp_path / "a.zip", zip_of({"doc.xml": xml})))
    case = Case.objects.get()
    assert [(c.system, c.code, c.meaning) for c in case.codes.order_by("case_codes__order")] == [
        ("SCT", "233604007", "Pneumonia"),
        ("RADLEX", "RID90010", "Paget disease of bone"),  # a synonym: not reported
        ("SCT", "22298006", "Myocardial infarction"),
    ]
    assert Code.objects.get(code="233604007").source == Code.MIRC_SOURCE
    assert not Code.objects.filter(code__in=["RID90011", "22298007"]).exists()
    assert case.unparsed.split("\n\n") == ["Code (SCT) 22298007: Typo", "Code (RadLex) RID90011"]
    assert (
        "1 code(s) without a term, unknown to the codes table, kept as unparsed text: "
        "RadLex RID90011"
    ) in err
    assert (
        "1 code(s) keep the term the codes table has, not the document's: "
        "SNOMED CT 22298006 ('Heart attack')"
    ) in err
    assert "'22298007' is not a SNOMED CT concept identifier" in err
    # The codes are searchable at once, and in the case's first revision.
    assert [hit.number for hit in search(make_user("erin", "editor"), "pneumonia").hits] == [
        case.number
    ]
    revision = Revision.objects.get(target_id=case.pk, kind="imported")
    assert [c["code"] for c in revision.snapshot["codes"]] == [
        "233604007",
        "RID90010",
        "22298006",
    ]


def test_a_document_of_thousands_of_codes_imports_the_first_100_and_keeps_the_rest(tmp_path):
    codes = "".join(
        f"<code coding-system='RadLex'>RID{n}<meaning>term {n}</meaning></code>"
        for n in range(1, 5001)
    )
    xml = f"<MIRCdocument><title>Coded</title>{codes}</MIRCdocument>".encode()
    _, err = _import(_write(tmp_path / "a.zip", zip_of({"doc.xml": xml})))
    case = Case.objects.get()
    assert case.case_codes.count() == 100 and Code.objects.count() == 100
    assert "4,900 codes beyond the first 100 kept as unparsed text" in err
    assert case.unparsed.endswith("RadLex RID5000: term 5000")
