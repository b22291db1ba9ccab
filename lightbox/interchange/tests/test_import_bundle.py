"""manage.py import_bundle: everything comes back, and a bundle that is wrong in any way is
refused in one line with nothing stored."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image as PILImage
from PIL import PngImagePlugin

from lightbox.accounts.roles import role_of
from lightbox.audit.models import AuditEntry
from lightbox.cases.models import Case, Code, Series, Topic
from lightbox.comments.models import Comment
from lightbox.history.models import Revision
from lightbox.history.revisions import latest, record
from lightbox.history.snapshots import case_snapshot
from lightbox.imaging.models import Image, Instance
from lightbox.interchange.bundle import plan as bundle_plan
from lightbox.interchange.bundle import save as bundle_save
from lightbox.interchange.tests.bundle_helpers import (
    case_json,
    dicom_files,
    edit_json,
    export,
    full_case,
    members,
    read_dicom,
    replace_file,
    rewrite,
    write_dicom,
)
from lightbox.test import make_case, png_bytes, stored_names

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(people, tmp_path):
    """A bundle of one full case (bs001), and the case deleted again: ready to import."""
    case = full_case(people)
    bundle = export(tmp_path, "--case", case.number)
    before = case_json(bundle, case.number)
    case.delete()
    return bundle, before


def run(bundle: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_bundle", str(bundle), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def stored(settings) -> tuple:
    """What an import could have stored: rows of every kind, and files."""
    files = stored_names()  # on disk or in a bucket
    counts = tuple(
        m.objects.count() for m in (Case, Image, Instance, Comment, User, Topic, Revision)
    )
    return counts, files


def refused(bundle: Path, settings, *args: str) -> str:
    """Import ``bundle``, which must fail in one line and store nothing; the line."""
    before = stored(settings)
    with pytest.raises(CommandError) as e:
        run(bundle, *args)
    message = str(e.value)
    assert "\n" not in message and "Traceback" not in message
    assert stored(settings) == before, "a refused bundle stored something"
    return message


def forge(exported, tmp_path, change, manifest=True) -> Path:
    bundle, _ = exported
    return rewrite(bundle, tmp_path / "forged.zip", change, manifest=manifest)


# -- everything comes back -----------------------------------------------------------------


def test_it_brings_back_every_field_row_revision_and_file(exported, tmp_path):
    bundle, before = exported
    assert "Imported 1 case(s)" in run(bundle)
    case = Case.objects.get(number="bs001")
    again = export(tmp_path, "--case", "bs001", name="again.zip")
    assert case_json(again, "bs001") == before
    payload = {p: d for p, d in members(again).items() if "/files/" in p}
    assert payload == {p: d for p, d in members(bundle).items() if "/files/" in p}
    # Threads keep their shape, the history its numbers, authors their accounts.
    reply = Comment.objects.get(case=case, parent__isnull=False)
    assert reply.parent.author.username == "bob" and reply.author.username == "alice"
    assert Comment.objects.get(case=case, hidden=True).hidden_by.username == "erin"
    assert [r.number for r in Revision.objects.filter(target_id=case.pk, target_type="case")] == [
        2,
        1,
    ]
    assert case.authors.get(order=0).user.username == "alice"


def test_the_history_points_at_the_imported_images_so_nothing_new_is_recorded(exported):
    bundle, _ = exported
    run(bundle)
    case = Case.objects.get(number="bs001")
    snapshot = latest(case).snapshot
    assert {i["id"] for i in snapshot["images"]} == set(case.images.values_list("pk", flat=True))
    assert snapshot == case_snapshot(case)
    assert record(case) is None  # the latest revision is the case as it is


def test_it_is_findable_and_audited_once_imported(exported, client):
    bundle, _ = exported
    run(bundle)
    found = client.get("/api/v1/search", {"q": "calcification"}).json()
    assert [r["number"] for r in found["results"]] == ["bs001"]
    entry = AuditEntry.objects.get(action="import")
    assert entry.target_id == "bs001" and "bundle.zip" in entry.summary


def test_people_it_names_are_created_as_learners_without_a_usable_password(exported, settings):
    bundle, _ = exported
    User.objects.filter(username__in=["bob", "charlie"]).delete()
    out = run(bundle)
    assert "2 person(s) created" in out
    for name in ("bob", "charlie"):
        user = User.objects.get(username=name)
        assert not user.has_usable_password()
        assert role_of(user) == "learner"
        assert user.first_name == name.title()
    # Those that exist are matched by username, never changed.
    assert User.objects.get(username="alice").has_usable_password()


def test_a_code_this_install_lacks_comes_with_its_synonyms(people, tmp_path):
    case = full_case(people)
    code = Code.objects.get(code="RID99901")
    code.synonyms.create(term="a test synonym")
    bundle = export(tmp_path, "--case", case.number)
    case.delete()
    code.delete()
    run(bundle)
    code = Code.objects.get(code="RID99901")
    assert code.meaning == "myositis ossificans" and code.source == "test"
    assert list(code.synonyms.values_list("term", flat=True)) == ["a test synonym"]
    assert Case.objects.get(number="bs001").case_codes.get().code == code


def test_a_topic_page_that_exists_here_is_kept_as_it_is(exported):
    bundle, _ = exported
    Topic.objects.filter(slug="bone-scintigraphy").update(discussion="Our own words.")
    assert "Topic pages kept as they are here: bone-scintigraphy." in run(bundle)
    topic = Topic.objects.get(slug="bone-scintigraphy")
    assert topic.discussion == "Our own words."
    assert Case.objects.get(number="bs001").topic == topic


def test_a_taken_number_refuses_the_bundle_unless_told(exported, settings):
    bundle, _ = exported
    make_case(title="Ours")  # takes bs001
    message = refused(bundle, settings)
    assert "bs001 exists here already: nothing was imported" in message
    assert "Skipped, their numbers being taken here: bs001." in run(bundle, "--skip-existing")
    assert "bs001 is bs002 here" in run(bundle, "--renumber")
    assert Case.objects.get(number="bs001").title == "Ours"
    assert Case.objects.get(number="bs002").images.count() == 2


def test_a_dry_run_checks_everything_and_stores_nothing(exported, settings):
    bundle, _ = exported
    before = stored(settings)
    assert "a good bundle of 1 case(s)" in run(bundle, "--dry-run")
    assert stored(settings) == before


def test_a_case_that_fails_to_store_leaves_neither_rows_nor_files(
    people, tmp_path, settings, monkeypatch
):
    full_case(people)
    full_case(people, title="Second")
    bundle = export(tmp_path, "--all")
    Case.objects.all().delete()
    files = set(stored_names())
    real = bundle_save._Saver._history

    def full_disk(self, revisions, redactions, target_type, target_id, images):
        if target_type == "case" and self.result.created:
            raise OSError(28, "No space left on device")
        return real(self, revisions, redactions, target_type, target_id, images)

    monkeypatch.setattr(bundle_save._Saver, "_history", full_disk)
    with pytest.raises(CommandError) as e:
        run(bundle)
    assert "bs002 could not be stored (No space left on device)" in str(e.value)
    assert "1 case(s) before it were imported" in str(e.value)
    assert list(Case.objects.values_list("number", flat=True)) == ["bs001"]
    new = set(stored_names()) - files
    assert all(f"/{Case.objects.get().pk}/" in p for p in new), "files of bs002 were left"
    monkeypatch.setattr(bundle_save._Saver, "_history", real)
    assert "Imported 1 case(s)" in run(bundle, "--skip-existing")


# -- the bag --------------------------------------------------------------------------------

PNG = png_bytes((8, 8), 3)
PNG_SHA = hashlib.sha256(PNG).hexdigest()
TAGS = "tagmanifest-sha256.txt"


def test_a_changed_byte_anywhere_is_refused(exported, tmp_path, settings):
    def flip(found):
        path = dicom_files(found)[0]
        data = bytearray(found[path])
        data[-1] ^= 0xFF
        found[path] = bytes(data)

    message = refused(forge(exported, tmp_path, flip, manifest=False), settings)
    assert message.endswith(".dcm does not match its SHA-256 in the manifest")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.pop("manifest-sha256.txt"), "the bag has no manifest-sha256.txt"),
        (lambda f: f.pop("bagit.txt"), "not a bag"),
        (
            lambda f: f.update({f"data/cases/bs001/files/{PNG_SHA}.png": PNG}),
            f"data/cases/bs001/files/{PNG_SHA}.png is in the bag but not in the manifest",
        ),
        (
            lambda f: f.update(
                {
                    "manifest-sha256.txt": f["manifest-sha256.txt"]
                    + b"0" * 64
                    + b"  data/gone.txt\n"
                }
            ),
            "data/gone.txt is in the manifest but not in the bag",
        ),
        (lambda f: f.update({"manifest-sha256.txt": b"nonsense\n"}), "line 1 is not"),
        (
            lambda f: [f.update({"bag-info.txt": b"Payload-Oxum: 1.1\n"}), f.pop(TAGS)],
            "Payload-Oxum 1.1",
        ),
        (lambda f: f.update({"bag-info.txt": b"Payload-Oxum: 1.1\n"}), "bag-info.txt does not"),
        (lambda f: f.update({"bagit.txt": b"BagIt-Version: 9\n"}), "BagIt-Version: 1.0"),
    ],
    ids=[
        "no-manifest",
        "no-bagit",
        "unlisted",
        "listed-missing",
        "bad-line",
        "oxum",
        "tag-manifest",
        "version",
    ],  # fmt: skip
)
def test_a_bag_that_breaks_the_rules_is_refused(exported, tmp_path, settings, change, expected):
    assert expected in refused(forge(exported, tmp_path, change, manifest=False), settings)


def test_a_file_the_bundle_does_not_know_is_refused_even_when_listed(exported, tmp_path, settings):
    def extra(found):
        found["data/cases/bs001/files/notes.txt"] = b"hello"

    assert "not a file a bundle holds" in refused(forge(exported, tmp_path, extra), settings)


def test_a_file_no_row_names_is_refused(exported, tmp_path, settings):
    def stray(found):
        data = png_bytes((8, 8), 7)
        found[f"data/cases/bs001/files/{hashlib.sha256(data).hexdigest()}.png"] = data

    assert "no row of its case.json names this file" in refused(
        forge(exported, tmp_path, stray), settings
    )


# -- hostile zips ---------------------------------------------------------------------------


def _zip(tmp_path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def test_a_member_climbing_out_of_the_bag_is_refused(exported, tmp_path, settings):
    bundle, _ = exported
    entries = [(f"bundle/{p}", d) for p, d in members(bundle).items()]
    path = _zip(tmp_path, [*entries, ("bundle/../../etc/cron.d/evil", b"* * * * * root sh")])
    assert "climbing out of the archive" in refused(path, settings)
    path = _zip(tmp_path, [*entries, ("/etc/passwd", b"root")])
    assert "absolute path" in refused(path, settings)


def test_a_symbolic_link_member_is_refused(exported, tmp_path, settings):
    bundle, _ = exported
    link = zipfile.ZipInfo("bundle/data/link")
    link.external_attr = 0o120777 << 16
    entries = [(f"bundle/{p}", d) for p, d in members(bundle).items()]
    assert "symbolic link" in refused(_zip(tmp_path, [*entries, (link, b"/etc/passwd")]), settings)


def test_a_member_listed_twice_is_refused(exported, tmp_path, settings):
    bundle, _ = exported
    entries = [(f"bundle/{p}", d) for p, d in members(bundle).items()]
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _zip(tmp_path, [*entries, ("bundle/data/bundle.json", b"{}")])
    assert "the zip holds data/bundle.json twice" in refused(path, settings)


def test_a_member_over_the_limit_is_refused_before_it_is_read(
    exported, tmp_path, settings, monkeypatch
):
    bundle, _ = exported
    monkeypatch.setattr(bundle_plan, "MAX_FILE_BYTES", 1000)
    assert "is too large" in refused(bundle, settings)


def test_a_bundle_larger_than_the_free_space_is_refused(exported, settings, monkeypatch):
    bundle, _ = exported
    monkeypatch.setattr(bundle_plan, "free_bytes", lambda: 10_000)
    message = refused(bundle, settings)
    assert message.startswith(f"{bundle}: too large for the free space")


def test_a_member_larger_than_it_says_is_refused(exported, tmp_path, settings):
    bundle, _ = exported
    found = members(bundle)
    path = tmp_path / "lying.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in found.items():
            archive.writestr(f"bundle/{name}", data)
        archive.writestr("bundle/data/zeros.bin", b"\x00" * 1_000_000)
    raw = bytearray(path.read_bytes())
    # Make the central directory and the local header say 1,000 bytes instead of 1,000,000.
    size = (1_000_000).to_bytes(4, "little")
    for at in [i for i in range(len(raw)) if raw[i : i + 4] == size]:
        raw[at : at + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    message = refused(path, settings)
    assert "zeros.bin" in message


@pytest.mark.parametrize(
    "data",
    [b"", b"not a zip at all", b"PK\x03\x04" + os.urandom(200)],
    ids=["empty", "text", "junk"],
)
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, settings, data, db):
    path = tmp_path / "x.zip"
    path.write_bytes(data)
    assert "not a readable zip file" in refused(path, settings)


def test_a_missing_file_is_refused(tmp_path, settings, db):
    assert refused(tmp_path / "nowhere.zip", settings).endswith("no such file")


# -- JSON -----------------------------------------------------------------------------------

CASE = "data/cases/bs001/case.json"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"{", "data/cases/bs001/case.json: not valid JSON"),
        (b'{"number": NaN}', "NaN is not a JSON number"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'"just text"', "expected an object, not text"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"schema_version": 1, "number": "bs001", "x": 1e999999}', "not valid JSON"),
    ],
    ids=["truncated", "nan", "deep", "not-object", "not-utf8", "huge-number"],
)
def test_a_case_json_that_is_not_json_is_refused(exported, tmp_path, settings, document, expected):
    message = refused(forge(exported, tmp_path, lambda f: f.update({CASE: document})), settings)
    assert expected in message


def _case_edit(edit):
    return lambda found: edit_json(found, CASE, edit)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(schema_version=2), "schema version 2 is newer than this Lightbox"),
        (lambda d: d.update(schema_version="1"), "schema_version must be a whole number"),
        (lambda d: d.pop("schema_version"), "schema_version must be a whole number"),
        (lambda d: d.update(novelty=1), "unknown key 'novelty' (made by a newer Lightbox?)"),
        (lambda d: d.update(difficulty="three"), "case.json.difficulty: expected a whole number"),
        (lambda d: d.update(difficulty=9), "case.json.difficulty: Ensure this value is less"),
        (lambda d: d.update(status="gone"), "case.json.status: Value 'gone' is not a valid"),
        (lambda d: d.update(acr_codes=["nonsense"]), "case.json.acr_codes"),
        (lambda d: d.update(case_date="yesterday"), "'yesterday' is not a date"),
        (lambda d: d.update(created="2024-01-01T00:00:00"), "has no UTC offset"),
        (lambda d: d.update(title="x\x00"), "NUL character"),
        (lambda d: d.update(number="bs002"), "its number is not 'bs001'"),
        (lambda d: d.update(topic="no-such-topic"), "topic 'no-such-topic' is neither"),
        (lambda d: d.update(created_by="mallory"), "'mallory' is not in data/bundle.json's users"),
        (lambda d: d.update(created_by="bad name!"), "is not a username"),
        (lambda d: d["images"][0].update(series=99), "images id 1: series 99 is not a row"),
        (lambda d: d["comments"][1].update(parent=42), "parent 42 is not a row of this case"),
        (lambda d: d["comments"].append(d["comments"][0]), "two comments with id 1"),
        (lambda d: d["authors"][0].update(id=0), "expected a positive whole number"),
        (lambda d: d["images"][1].update(file="../../x.png"), "is not a file path"),
        (
            lambda d: d["images"][1].update(file="files/" + "0" * 64 + ".png"),
            "is not in the bundle",
        ),
        (lambda d: d["images"][1].update(sha256="0" * 64), "sha256 is not that of its file"),
        (lambda d: d["studies"][0]["series"][0]["instances"][0].update(size=1), "size is not"),
        (lambda d: d["studies"][0]["series"][0]["instances"][0].pop("file"), "file is missing"),
        (lambda d: d["revisions"].append(d["revisions"][0]), "a revision number appears twice"),
        (lambda d: d["revisions"][0]["snapshot"]["images"].append({"id": 7}), "7 is not an image"),
        (lambda d: d.update(authors={}), "authors: expected a list, not an object"),
    ],
)
def test_a_case_json_with_a_wrong_value_is_refused_naming_it(
    exported, tmp_path, settings, edit, expected
):
    message = refused(forge(exported, tmp_path, _case_edit(edit)), settings)
    assert expected in message, message


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(format="zip"), "format is not 'lightbox-bundle'"),
        (lambda d: d.update(cases=["bs001", "bs001"]), "a name is listed twice"),
        (lambda d: d.update(cases=["../../x"]), "is not a case number"),
        (lambda d: d.update(cases=[]), "data/cases/bs001/case.json is not listed"),
        (lambda d: d.update(cases=["bs001", "bs002"]), "bs002/case.json is listed in"),
        (
            lambda d: d["users"].append({"username": "x", "password": "y"}),
            "unknown key 'password'",
        ),
        (lambda d: d.update(series=[{"prefix": "BS!", "name": "x"}]), "series[0].prefix"),
        (lambda d: d["codes"][0].update(synonyms="bone"), "codes[0].synonyms: expected a list"),
        (lambda d: d["codes"][0].update(synonyms=["a", "a"]), "a term is listed twice"),
        (lambda d: d["codes"][0].update(synonyms=[" "]), "a term is empty"),
        (lambda d: d["codes"][0].update(synonyms=["x" * 301]), "longer than 300 characters"),
        (lambda d: d["codes"][0].update(synonyms=[str(i) for i in range(1001)]), "more than"),
        (lambda d: d["codes"][0].update(system="ICD"), "codes[0]"),
    ],
)
def test_a_bundle_json_with_a_wrong_value_is_refused(exported, tmp_path, settings, edit, expected):
    change = lambda found: edit_json(found, "data/bundle.json", edit)  # noqa: E731
    assert expected in refused(forge(exported, tmp_path, change), settings)


# -- files ----------------------------------------------------------------------------------


def _dicom_edit(edit):
    def change(found):
        old = dicom_files(found)[0]
        ds = read_dicom(found[old])
        edit(ds)
        replace_file(found, "bs001", old.split("/", 3)[3], write_dicom(ds))

    return change


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda ds: setattr(ds, "PatientAddress", "1 Main Street"),
            "PatientAddress would be removed",
        ),
        (
            lambda ds: setattr(ds, "InstitutionName", "General Hospital"),
            "InstitutionName would be",
        ),
        (lambda ds: ds.add_new(0x00091001, "LO", "secret"), "(0009,1001) would be removed"),
        (lambda ds: setattr(ds, "PatientName", "DOE^JOHN"), "Patient's Name is not the case"),
        (
            lambda ds: setattr(ds, "PatientIdentityRemoved", "NO"),
            "Patient Identity Removed is not",
        ),
        (lambda ds: setattr(ds, "DeidentificationMethod", "Other tool"), "does not name Lightbox"),
        (lambda ds: setattr(ds, "preamble", b"MZ" + bytes(126)), "preamble is not zeros"),
    ],
    ids=["address", "institution", "private", "name", "marker", "method", "preamble"],
)
def test_dicom_that_is_not_de_identified_is_refused(exported, tmp_path, settings, edit, expected):
    message = refused(forge(exported, tmp_path, _dicom_edit(edit)), settings)
    assert expected in message, message


def test_dicom_that_may_show_burned_in_text_must_not_claim_it_needs_no_review(
    exported, tmp_path, settings
):
    message = refused(
        forge(
            exported, tmp_path, _dicom_edit(lambda ds: setattr(ds, "BurnedInAnnotation", "YES"))
        ),
        settings,
    )
    assert "may show burned-in text" in message, message


def test_an_image_must_show_the_pixel_review_state_its_instances_give_it(
    exported, tmp_path, settings
):
    change = _case_edit(lambda d: d["images"][0].update(pixel_review="confirmed"))
    assert "pixel_review is not 'not_needed'" in refused(
        forge(exported, tmp_path, change), settings
    )


def _picture(found, ext):
    return next(p for p in sorted(found) if p.endswith(f".{ext}") and "/files/" in p)


def test_a_picture_with_a_text_chunk_is_refused(exported, tmp_path, settings):
    def change(found):
        old = _picture(found, "png")
        img = PILImage.open(io.BytesIO(found[old]))
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "Patient: Jane Doe")
        out = io.BytesIO()
        img.save(out, "PNG", pnginfo=info)
        replace_file(found, "bs001", old.split("/", 3)[3], out.getvalue())

    assert "a PNG tEXt chunk" in refused(forge(exported, tmp_path, change), settings)


def test_a_thumbnail_with_exif_is_refused(exported, tmp_path, settings):
    def change(found):
        old = _picture(found, "jpg")
        img = PILImage.open(io.BytesIO(found[old]))
        exif = PILImage.Exif()
        exif[0x013B] = "Jane Doe"  # Artist
        out = io.BytesIO()
        img.save(out, "JPEG", exif=exif.tobytes())
        replace_file(found, "bs001", old.split("/", 3)[3], out.getvalue())

    assert "a JPEG APP1 segment" in refused(forge(exported, tmp_path, change), settings)


def test_a_polyglot_picture_is_refused(exported, tmp_path, settings):
    def change(found):
        old = _picture(found, "png")
        replace_file(found, "bs001", old.split("/", 3)[3], found[old] + b"<script>x</script>")

    assert "bytes after the end of the PNG" in refused(forge(exported, tmp_path, change), settings)


def test_a_dicom_file_named_as_a_picture_is_refused(exported, tmp_path, settings):
    def change(found):
        dcm = found[dicom_files(found)[0]]
        replace_file(found, "bs001", _picture(found, "png").split("/", 3)[3], dcm)

    assert "not a PNG picture" in refused(forge(exported, tmp_path, change), settings)


def test_case_json_is_read_as_json_not_as_a_file(exported, tmp_path, settings):
    change = _case_edit(lambda d: d.update(unparsed=json.dumps({"a": 1})))
    bundle = forge(exported, tmp_path, change)
    assert "Imported 1 case(s)" in run(bundle)
    assert Case.objects.get(number="bs001").unparsed == '{"a": 1}'


def test_reviewed_dicom_comes_back_reviewed(people, tmp_path):
    """An ultrasound (burned-in text likely) masked by its author: the masked file and
    its state travel, and the check of its pixels still passes."""
    from lightbox.imaging import review
    from lightbox.imaging.dicom.mask import Rect
    from lightbox.interchange.tests.bundle_helpers import ct_bytes, upload_dicom

    case = make_case(title="Ultrasound")
    upload_dicom(case, ct_bytes("US1_UNCR.dcm"))
    image = case.images.get()
    assert image.pixel_review == "needed"
    review.mask(image, [Rect(0, 0, 40, 20)])
    bundle = export(tmp_path, "--case", case.number)
    before = case_json(bundle, case.number)
    case.delete()
    run(bundle)
    case = Case.objects.get(number=before["number"])
    assert case.images.get().pixel_review == "masked"
    assert Instance.objects.get(series__study__case=case).pixel_review == "masked"
    assert (
        case_json(export(tmp_path, "--case", case.number, name="again.zip"), case.number) == before
    )


def test_a_series_neither_in_the_bundle_nor_here_is_refused(exported, tmp_path, settings):
    Series.objects.all().delete()
    change = lambda found: edit_json(found, "data/bundle.json", lambda d: d.update(series=[]))  # noqa: E731
    message = refused(forge(exported, tmp_path, change), settings)
    assert "series 'bs' is neither in the bundle nor here" in message


def test_a_series_that_exists_here_keeps_its_name(exported):
    bundle, _ = exported
    Series.objects.filter(prefix="bs").update(name="Our bone scans")
    run(bundle)
    assert Case.objects.get(number="bs001").series.name == "Our bone scans"


def test_a_series_that_does_not_exist_here_is_created_as_the_bundle_has_it(exported):
    bundle, _ = exported
    Series.objects.all().delete()
    run(bundle)
    assert Series.objects.get(prefix="bs").name == "Bone scintigraphy"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["RADLEX"], "expected system and code"),
        ("RADLEX", "expected system and code"),
        (["RADLEX", ["x"]], "(code): expected text, not a list"),
        (["RADLEX", "RID\x00"], "NUL character"),
        (["RADLEX", True], "(code): expected text, not true or false"),
    ],
)
def test_a_natural_key_of_several_fields_is_read_strictly(monkeypatch, value, expected):
    from lightbox.interchange.bundle import schema

    monkeypatch.setitem(schema.NATURAL_KEYS, Series, ("system", "code"))
    with pytest.raises(schema.BundleError, match=re.escape(expected)):
        schema.natural_key(Series, value, "row.code")
    monkeypatch.setitem(schema.NATURAL_KEYS, Series, ("system", "code"))
    assert schema.natural_key(Series, ["RADLEX", "RID5350"], "x") == ("RADLEX", "RID5350")
