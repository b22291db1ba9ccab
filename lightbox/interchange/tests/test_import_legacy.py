"""`manage.py import_legacy`: pages become cases, re-imports update, bad files fail alone."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lightbox.cases.models import Case, CaseAuthor, Series, Topic
from lightbox.test import png_bytes, text_of

pytestmark = pytest.mark.django_db


def _import(*paths, **options):
    out, err = StringIO(), StringIO()
    call_command("import_legacy", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_bs068_comes_through_the_api_with_every_field_right(client, bs068_path):
    out, _ = _import(bs068_path)
    assert "1 created, 0 updated, 0 failed" in out
    data = client.get("/api/v1/cases/bs068").json()
    assert data["number"] == "bs068"
    assert data["series"] == "bs"
    assert data["status"] == "published"
    assert data["visibility"] == "public"
    assert data["authors"] == [
        {"name": "Ed Grishaw", "credentials": "M.D.", "username": ""},
        {"name": "Henry Royal", "credentials": "M.D.", "username": ""},
    ]
    assert data["case_date"] == "1996-10-23"
    assert (data["difficulty"], data["quality"]) == (3, 4)
    assert data["modality"] == "NM"
    assert (data["patient_age"], data["patient_sex"]) == (44, "F")
    assert data["diagnosis"] == "Soft tissue calcinosis secondary to lupus erythematosus."
    assert data["brief_history"] == "44-year old woman with systemic lupus erythematosus"
    assert data["full_history"] == (
        "44-year old woman with systemic lupus erythematosus and calcinosis cutis universalis."
    )
    assert data["radiopharmaceuticals"] == [
        {
            "agent": "Tc-99m MDP",
            "activity": 21.6,
            "unit": "mCi",
            "activity_mbq": 799.2,
            "route": "i.v.",
            "time_to_imaging": "",
        }
    ]
    assert data["findings"].startswith("Anterior and posterior whole body scintigrams demonstrate")
    assert data["findings"].endswith("secondary to acute glomerulonephritits")
    assert data["findings"].count("\n\n") == 1
    assert data["discussion"].startswith("Calcinosis cutis in systemic lupus erythematosus")
    assert data["discussion"].count("\n\n") == 2
    assert data["followup"].startswith("To control the dystrophic calcification")
    assert len(data["references"]) == 3
    assert data["references"][0]["text"].startswith("Cuzins, et al. Surgical management")
    assert data["references"][1]["text"].startswith("Rothe, et al.")
    assert data["references"][2]["text"].endswith("Ann Rheum Dis 38:384-386, 1979.")
    assert data["differential"] == [
        "Dermatomyositis",
        "polymyositis",
        "electrical burns",
        "idiopathic calcinosis universalis",
        "scleroderma",
        "mixed connective tissue disease",
    ]
    assert (data["acr_codes"], data["keywords"]) == ([], [])
    assert data["anatomic_field"] == {"code": "4", "name": "Skeletal system"}
    assert data["category"] == {"code": "5", "name": "Metabolic, endocrine, toxic"}
    assert data["topic"] == {"slug": "bone-scintigraphy", "title": "Bone Scintigraphy"}
    assert [{k: v for k, v in i.items() if k != "id"} for i in data["images"]] == [
        {
            # The "Images:" line is read before the answer: the caption before it.
            "caption": "Anterior and posterior whole body scintigrams",
            "answer_caption": "",
            "is_main": True,
            "url": "",
            "thumbnail_url": "",
            "width": 0,
            "height": 0,
        }
    ]
    assert data["copyright"] == "Copyright by Wash U MO"
    assert data["unparsed"] == ""
    topic = Topic.objects.get(slug="bone-scintigraphy")
    assert (topic.anatomic_field, topic.category) == ("4", "5")
    assert Series.objects.get(prefix="bs").name == "Bone scintigraphy"


def test_bs068_reads_as_an_unknown_then_reveals(client, bs068_path):
    _import(bs068_path)
    unknown = text_of(client.get("/cases/bs068/").content.decode())
    assert "Case Author(s): Ed Grishaw, M.D. and Henry Royal, M.D., 23 Oct 1996" in unknown
    assert "Rating: #D3, #Q4" in unknown
    assert "44-year old woman with systemic lupus erythematosus" in unknown
    assert "Anterior and posterior whole body scintigrams" in unknown
    assert "calcinosis" not in unknown.lower()
    known = text_of(client.get("/cases/bs068/known/").content.decode())
    assert "Soft tissue calcinosis secondary to lupus erythematosus." in known
    assert "21.6 mCi (799.2 MBq) Tc-99m MDP i.v." in known
    assert "References and General Discussion of Bone Scintigraphy" in known
    assert "Copyright by Wash U MO" in known


def test_re_import_updates_and_never_duplicates(bs068_path):
    _import(bs068_path)
    case = Case.objects.get(number="bs068")
    case.visibility = "institution"  # an editor's later decision survives a re-import
    case.save()
    out, _ = _import(bs068_path)
    assert "0 created, 1 updated" in out
    assert Case.objects.count() == 1
    assert CaseAuthor.objects.count() == 2
    assert Case.objects.get(number="bs068").visibility == "institution"
    assert case.images.count() == 1


def test_dry_run_saves_nothing(bs068_path):
    out, _ = _import(bs068_path, dry_run=True)
    assert "1 would be created" in out
    assert not Case.objects.exists()
    assert not Series.objects.exists()


VARIANT = (
    "Case number: nm012\r\n\r\n"
    "Findings:\r\nIncreased uptake in both parotid glands.\r\n\r\n\r\n"
    "Diagnosis: Sialadenitis\r\n\r\n"
    "Radiopharmaceuticals:\r\n370 MBq Tc-99m pertechnetate IV\r\n5 mCi Ga-67 citrate i.v.\r\n\r\n"
    "Brief history:\r\nDry mouth.\r\n\r\n"
    "Discussion:\r\nSalivary uptake reflects function.\r\nRef: a classic series.\r\n"
)


def test_a_variant_page_with_crlf_mbq_and_two_tracers(tmp_path, client):
    page = tmp_path / "nm012.txt"
    page.write_bytes(VARIANT.encode())
    _import(page)
    data = client.get("/api/v1/cases/nm012").json()
    assert data["diagnosis"] == "Sialadenitis"
    assert data["brief_history"] == "Dry mouth."
    assert [(r["agent"], r["unit"], r["activity_mbq"]) for r in data["radiopharmaceuticals"]] == [
        ("Tc-99m pertechnetate", "MBq", 370.0),
        ("Ga-67 citrate", "mCi", 185.0),
    ]
    assert "Ref: a classic series." in data["discussion"]
    assert data["references"] == []
    assert (data["difficulty"], data["images"], data["authors"]) == (None, [], [])
    assert Series.objects.get(prefix="nm").name == "Nuclear medicine"


def test_an_html_page_imports_like_its_text(tmp_path, client):
    page = tmp_path / "bs101.html"
    page.write_text(
        "<html><head><title>bs101</title><script>alert(1)</script></head><body>"
        "<p>Case Author(s): Ann Author, M.D., 1/2/97 . Rating: #D2, #Q5</p>"
        "<h3>Diagnosis:</h3><p>Paget disease</p><h3>Brief history:</h3><p>Bone pain.</p>"
        "<h3>Findings:</h3><p onclick='x()'>Expanded <b>hemipelvis</b>.</p>"
        "<p>Case number: bs101</p></body></html>"
    )
    _import(page)
    data = client.get("/api/v1/cases/bs101").json()
    assert data["diagnosis"] == "Paget disease"
    assert data["findings"] == "Expanded hemipelvis."
    assert data["case_date"] == "1997-01-02"
    assert (data["difficulty"], data["quality"]) == (2, 5)
    assert "alert" not in str(data)


def test_text_it_cannot_place_is_kept_and_reported(tmp_path, client):
    page = tmp_path / "bs102.txt"
    page.write_text(
        "A stray paragraph before anything else.\n\nDiagnosis: Fracture\n\nCase number: bs102\n"
    )
    _, err = _import(page)
    assert "warning:" in err
    assert "A stray paragraph before anything else." in Case.objects.get().unparsed


def test_a_picture_beside_the_page_becomes_the_main_image(tmp_path, client):
    (tmp_path / "bs103.txt").write_text(
        "Images:\n\nWhole-body scan\n\nDiagnosis: Metastases\n\nCase number: bs103\n"
    )
    (tmp_path / "bs103.png").write_bytes(png_bytes((100, 300)))
    _import(tmp_path)  # a folder: every page in it
    [image] = client.get("/api/v1/cases/bs103").json()["images"]
    assert image["caption"] == "Whole-body scan"
    assert image["is_main"] is True
    assert client.get(image["url"]).status_code == 200


def test_bad_files_fail_one_by_one_and_the_rest_import(tmp_path, bs068_path):
    bad = {
        "empty.txt": b"",
        "binary.txt": b"\x00\x01\x02ELF" * 100,
        "prose.txt": b"Just a note about the weather, with no case in it at all.",
        "json.txt": b'{"case": "bs001", "diagnosis": "x"}',
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    with (tmp_path / "huge.txt").open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # 50 MB, sparse
    good = tmp_path / "bs068.txt"
    shutil.copy(bs068_path, good)
    paths = [*(tmp_path / n for n in bad), tmp_path / "huge.txt", good, tmp_path / "missing.txt"]
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 created, 0 updated, 6 failed"):
        call_command("import_legacy", *map(str, paths), stdout=out, stderr=err)
    lines = [line for line in err.getvalue().splitlines() if line.startswith("error:")]
    assert len(lines) == 6
    messages = "\n".join(lines)
    assert "empty.txt: empty file" in messages
    assert "binary.txt: binary file" in messages
    assert "prose.txt: not a teaching-file case page" in messages
    assert "huge.txt: file too large" in messages
    assert "missing.txt: cannot read file" in messages
    assert Case.objects.get().number == "bs068"


def test_a_page_without_a_case_number_fails_clearly(tmp_path):
    page = tmp_path / "nonumber.txt"
    page.write_text("Diagnosis: Fracture\n\nFindings: A lucent line.\n")
    with pytest.raises(CommandError, match="1 failed"):
        _import(page)
    assert not Case.objects.exists()


def test_a_page_without_a_diagnosis_says_so_and_which_headings_were_looked_for(tmp_path):
    page = tmp_path / "bs110.txt"
    page.write_text("Findings: Uptake in both thighs.\n\nCase number: bs110\n")
    _, err = _import(page)
    assert f"warning: {page}: no diagnosis found: looked for headings Diagnosis, " in err
    assert "Case Diagnosis, Final Diagnosis" in err and "Dx" in err
    assert Case.objects.get().diagnosis == ""


def test_a_case_diagnosis_heading_gives_the_diagnosis_without_a_warning(tmp_path):
    page = tmp_path / "bs111.txt"
    page.write_text("Case Diagnosis: Heterotopic ossification\n\nCase number: bs111\n")
    _, err = _import(page)
    assert err == ""
    assert Case.objects.get().diagnosis == "Heterotopic ossification"


def test_a_stray_byte_is_named_by_file_line_and_column(tmp_path):
    page = tmp_path / "bs112.txt"
    data = "Diagnosis: Ménétrier disease\n\nFindings: the patient".encode()
    data += b"\x92s folds\n\nCase number: bs112\n"
    page.write_bytes(data)
    _, err = _import(page)
    assert f"warning: {page}: 1 byte is not UTF-8 and was read as Windows-1252: " in err
    assert f"0x92 '’' at line 3, column 22 (byte {data.index(b'\x92')})" in err
    assert Case.objects.get().findings == "the patient’s folds"


def test_pictures_attach_in_number_order_and_extra_ones_are_kept(tmp_path, client):
    (tmp_path / "bs113.txt").write_text(
        "Images:\n\nFirst\n\nSecond\n\nDiagnosis: Metastases\n\nCase number: bs113\n"
    )
    for n, width in ((1, 11), (2, 12), (10, 20), (3, 13)):
        name = "bs113" if n == 1 else f"bs113-{n}"
        (tmp_path / f"{name}.png").write_bytes(png_bytes((width, 10)))
    (tmp_path / "bs1131.png").write_bytes(png_bytes((99, 10)))  # another case's picture
    _, err = _import(tmp_path)
    images = client.get("/api/v1/cases/bs113").json()["images"]
    assert [(i["caption"], i["width"]) for i in images] == [
        ("First", 11),
        ("Second", 12),
        ("", 13),
        ("", 20),
    ]
    assert "more pictures than captions: bs113-3.png, bs113-10.png" in err


def test_a_rating_out_of_range_fails_the_page_in_one_line(tmp_path, monkeypatch):
    from lightbox.interchange.legacy import LegacyCase
    from lightbox.interchange.legacy import save as legacy_import

    page = tmp_path / "bs114.txt"
    page.write_text("Diagnosis: Gout\n\nCase number: bs114\n")
    # The parser keeps ratings in 1-5; one it let through must fail its page with a
    # message (the field validators; the check constraints are the database's).
    monkeypatch.setattr(
        legacy_import, "parse_legacy", lambda data: LegacyCase(number="bs114", difficulty=9)
    )
    with pytest.raises(CommandError, match="0 created, 0 updated, 1 failed"):
        _import(page)
    assert not Case.objects.exists()


def test_a_row_the_database_refuses_fails_the_page_in_one_line(tmp_path, monkeypatch):
    from django.db import IntegrityError

    def refuse(*args, **kwargs):
        raise IntegrityError("UNIQUE constraint failed: cases_case.series_id, sequence")

    page = tmp_path / "bs115.txt"
    page.write_text("Diagnosis: Gout\n\nCase number: bs115\n")
    monkeypatch.setattr(Case, "save", refuse)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="0 created, 0 updated, 1 failed"):
        call_command("import_legacy", str(page), stdout=out, stderr=err)
    assert err.getvalue() == (
        f"error: {page}: invalid case: UNIQUE constraint failed: cases_case.series_id, sequence\n"
    )
