"""manage.py import_radlex: RadLex terms and synonyms into the codes table, all or nothing,
and the cases that carry a changed code brought up to date."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.test import Client

from lightbox.cases.models import Case, CaseCode, Code, CodeSynonym
from lightbox.search.engine import search
from lightbox.test import make_case

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "radlex_sample.owl"


def run(path: Path | str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_radlex", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def found(query: str) -> list[str]:
    return [hit.number for hit in search(AnonymousUser(), query).hits]


def test_it_loads_every_term_with_its_synonyms_parents_and_source():
    out, err = run(SAMPLE)
    assert "RadLex 4.2 (test sample): 7 terms from 9 classes: 7 created" in out
    assert "warning: line 86: RID90040 has no English name; passed over" in err
    paget = Code.objects.get(system="RADLEX", code="RID90010")
    assert paget.meaning == "Paget disease of bone"
    assert paget.terms[1:] == ("osteitis deformans", "Paget's disease of bone", "Paget disease")
    assert paget.parents == ["RID90002"]
    assert paget.source == "RadLex OWL file radlex_sample.owl (4.2 (test sample))"
    assert paget.key == "paget disease of bone"
    assert CodeSynonym.objects.get(term="Leri disease").key == "leri disease"


def test_a_second_import_of_the_same_file_changes_nothing():
    run(SAMPLE)
    stamps = dict(Code.objects.values_list("code", "updated"))
    out, _ = run(SAMPLE)
    assert "0 created, 0 updated, 7 unchanged" in out
    assert dict(Code.objects.values_list("code", "updated")) == stamps


def test_a_newer_file_updates_terms_and_the_cases_that_carry_them(tmp_path, settings):
    run(SAMPLE)
    case = make_case(diagnosis="Paget disease of bone", title="Enlarged pelvis")
    CaseCode.objects.create(case=case, code=Code.objects.get(code="RID90010"))
    before = Case.objects.get(pk=case.pk).updated
    newer = tmp_path / "radlex_newer.owl"
    text = SAMPLE.read_text()
    text = text.replace('<Synonym xml:lang="en">osteitis deformans</Synonym>', "")
    text = text.replace(
        "Paget disease of bone</Preferred_name>", "Paget bone disease</Preferred_name>"
    )
    text = text.replace("<Synonym>Leri disease</Synonym>", "<Synonym>candle wax bone</Synonym>")
    newer.write_text(text)

    out, _ = run(newer)
    assert "0 created, 2 updated, 5 unchanged" in out
    assert "1 case(s) brought up to date" in out
    paget = Code.objects.get(code="RID90010")
    assert paget.meaning == "Paget bone disease"
    assert "osteitis deformans" not in paget.terms
    assert Code.objects.get(code="RID90011").terms == (
        "melorheostosis",
        "flowing hyperostosis",
        "candle wax bone",
    )
    # The case's page and search index follow.
    assert Case.objects.get(pk=case.pk).updated > before
    known = Client().get(f"/cases/{case.number}/known/").content.decode()
    assert "Paget bone disease" in known
    assert found('"paget bone disease"') == [case.number]
    assert found('"osteitis deformans"') == []


def test_codes_not_in_the_file_are_kept_and_typed_ones_are_named(tmp_path):
    typed = {"meaning": "mine", "source": Code.EDITOR_SOURCE}
    Code.objects.create(system="RADLEX", code="RID12", **typed)
    Code.objects.create(system="RADLEX", code="RID90011", **typed)
    out, err = run(SAMPLE)
    assert "6 created, 1 updated, 0 unchanged; 1 codes not in the file kept" in out
    assert "1 RadLex code(s) typed in the case editor are not in this file" in err
    assert "RID12" in err
    # A code typed by hand takes RadLex's term once RadLex has it.
    melorheostosis = Code.objects.get(code="RID90011")
    assert (melorheostosis.meaning, melorheostosis.typed_by_hand) == ("melorheostosis", False)


def test_a_dry_run_saves_nothing():
    out, _ = run(SAMPLE, "--dry-run")
    assert "7 would be created" in out
    assert not Code.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"<html><body>RID1</body></html>", "not a RadLex OWL file"),
        (b"PK\x03\x04zip", "this is a zip archive"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><r/>',
            "refers to another entity",
        ),
    ],
)
def test_a_bad_file_is_one_line_and_saves_nothing(tmp_path, content, expected):
    run(SAMPLE)
    before = list(Code.objects.values_list("code", "meaning", "updated"))
    bad = tmp_path / "bad.owl"
    bad.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        run(bad)
    assert str(caught.value).startswith(f"{bad}: ") and expected in str(caught.value)
    assert "\n" not in str(caught.value)
    assert list(Code.objects.values_list("code", "meaning", "updated")) == before


def test_a_file_cut_short_saves_nothing(tmp_path):
    cut = tmp_path / "cut.owl"
    cut.write_bytes(SAMPLE.read_bytes()[:3000])
    with pytest.raises(CommandError, match="not XML"):
        run(cut)
    assert not Code.objects.exists()


def test_a_missing_file_or_a_folder_is_one_line(tmp_path):
    with pytest.raises(CommandError, match="No such file or directory"):
        run(tmp_path / "nothing.owl")
    with pytest.raises(CommandError, match="Is a directory"):
        run(tmp_path)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from lightbox.interchange.management.commands import import_radlex

    monkeypatch.setattr(import_radlex, "MAX_BYTES", 100)
    big = tmp_path / "big.owl"
    shutil.copy(SAMPLE, big)
    with pytest.raises(CommandError, match="is more than the 100 read"):
        run(big)
