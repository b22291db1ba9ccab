"""The legacy importer records each import as a revision; an unchanged re-import does not."""

import pytest

from lightbox.cases.models import Case
from lightbox.history.revisions import for_object
from lightbox.interchange.legacy.save import import_legacy_file

pytestmark = pytest.mark.django_db


def test_an_import_is_revision_1_of_kind_imported(bs068_path):
    import_legacy_file(bs068_path)
    case = Case.objects.get(number="bs068")
    (rev,) = for_object(case)
    assert (rev.number, rev.kind, rev.message) == (1, "imported", "Imported from bs068.txt")
    assert rev.user is None
    assert rev.snapshot["authors"][0]["name"] == "Ed Grishaw"
    assert rev.snapshot["radiopharmaceuticals"][0]["activity"] == "21.6"


def test_the_history_page_lists_the_import(client, people, bs068_path):
    import_legacy_file(bs068_path)
    client.force_login(people["erin"])
    html = client.get("/cases/bs068/history/").content.decode()
    assert "Imported from bs068.txt" in html
    assert "Revision 1" in html


def test_an_unchanged_reimport_records_nothing(bs068_path):
    import_legacy_file(bs068_path)
    import_legacy_file(bs068_path)
    assert for_object(Case.objects.get(number="bs068")).count() == 1


def test_a_reimport_over_unrecorded_edits_keeps_them(bs068_path):
    import_legacy_file(bs068_path)
    case = Case.objects.get(number="bs068")
    case.findings = "Edited outside the editor"
    case.save()
    import_legacy_file(bs068_path)
    revisions = list(for_object(case))
    assert [(r.number, r.kind) for r in revisions] == [
        (3, "imported"),
        (2, "edited"),
        (1, "imported"),
    ]
    assert revisions[1].snapshot["findings"] == "Edited outside the editor"
    assert revisions[0].changed == ["findings"]
