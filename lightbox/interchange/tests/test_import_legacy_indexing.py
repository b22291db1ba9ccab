"""`manage.py import_legacy` indexes each case once per import and leaves no case without
its sentence embedding (or says clearly that the worker will compute them)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from lightbox.cases import tasks as case_tasks
from lightbox.cases.models import Case
from lightbox.search import index, tasks
from lightbox.search.models import Entry
from lightbox.search.text import embeddings
from lightbox.test import png_bytes

pytestmark = pytest.mark.django_db

CONDITIONS = [
    ("Paget disease of the pelvis", "Tc-99m MDP", "Bone"),
    ("Osteoid osteoma of the femur", "Tc-99m MDP", "Bone"),
    ("Graves disease", "I-123 sodium iodide", "Thyroid"),
    ("Pulmonary embolism", "Tc-99m MAA", "Lung"),
    ("Meckel diverticulum", "Tc-99m pertechnetate", "Abdomen"),
    ("Acute cholecystitis", "Tc-99m mebrofenin", "Abdomen"),
]


def write_pages(folder: Path, count: int, *, pictures: int = 2) -> list[Path]:
    """Pages of our own, each with captions and pictures beside it (saved one at a time)."""
    pages = []
    for i in range(count):
        diagnosis, agent, field = CONDITIONS[i % len(CONDITIONS)]
        number = f"nm{i + 1:03d}"
        page = folder / f"{number}.txt"
        page.write_text(
            f"Case Author(s): Ann Lee, M.D. and Bo Kim, M.D. , 5/{i % 28 + 1}/97 . "
            "Rating: #D2, #Q3\n\n"
            f"Diagnosis: {diagnosis}.\n\nBrief history:\n\n{40 + i}-year old woman.\n\n"
            "Images:\n\nAnterior view\n\nPosterior view\n\n"
            f"Radiopharmaceutical:\n\n20 mCi {agent} i.v.\n\n"
            f"Findings:\n\nFocal uptake typical of {diagnosis.lower()}.\n\n"
            "Differential Diagnosis List\n\nFracture, infection (bacterial, fungal)\n\n"
            f"References and General Discussion of {field} Scintigraphy "
            "(Anatomic field:Skeletal System, Category:General)\n\n"
            f"Case number: {number}\n"
        )
        for n in range(pictures):
            name = number if n == 0 else f"{number}-{n + 1}"
            (folder / f"{name}.png").write_bytes(png_bytes((40 + n, 30), color=60 + 40 * n))
        pages.append(page)
    return pages


def run(*args: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_legacy", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def index_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Every call of the search indexer, with the case ids it indexed."""
    calls: list[list[int]] = []
    real = index.index_cases

    def counted(ids: object) -> None:
        ids = sorted(set(ids))  # type: ignore[call-overload]
        calls.append(ids)
        real(ids)

    monkeypatch.setattr(index, "index_cases", counted)
    return calls


def test_it_indexes_each_case_once_per_import(tmp_path: Path, index_calls: list[list[int]]):
    write_pages(tmp_path, 14)
    out, _ = run(tmp_path, "--no-embeddings")
    assert "14 created, 0 updated, 0 failed" in out
    ids = sorted(Case.objects.values_list("pk", flat=True))
    indexed = sorted(i for call in index_calls for i in call)
    assert indexed == ids  # each case once: not at every save of it, its authors or images
    assert Entry.objects.filter(case_id__in=ids).count() == 14
    assert Case.objects.get(number="nm003").images.exclude(file="").count() == 2


def test_a_re_import_indexes_each_case_once_again(tmp_path: Path, index_calls: list[list[int]]):
    write_pages(tmp_path, 5)
    run(tmp_path, "--no-embeddings")
    index_calls.clear()
    (tmp_path / "nm002.txt").write_text(
        (tmp_path / "nm002.txt").read_text().replace("Focal uptake", "Intense uptake")
    )
    out, _ = run(tmp_path, "--no-embeddings")
    assert "0 created, 5 updated, 0 failed" in out
    indexed = sorted(i for call in index_calls for i in call)
    assert indexed == sorted(Case.objects.values_list("pk", flat=True))


def test_the_imported_cases_are_found_by_search_when_the_command_ends(
    tmp_path: Path, client
) -> None:
    write_pages(tmp_path, 7)
    run(tmp_path, "--no-embeddings")
    page = client.get("/search/", {"q": "diverticulum"}).content.decode()
    assert "nm005" in page and "nm001" not in page


def test_a_bad_page_in_a_batch_leaves_the_others_indexed(
    tmp_path: Path, index_calls: list[list[int]]
) -> None:
    write_pages(tmp_path, 4)
    (tmp_path / "nm003.txt").write_text("Diagnosis: Gout.\n\nCase number: 12345\n")
    with pytest.raises(CommandError, match="3 created, 0 updated, 1 failed"):
        run(tmp_path, "--no-embeddings")
    numbers = set(Entry.objects.values_list("number", flat=True))
    assert numbers == {"nm001", "nm002", "nm004"}


def test_it_enqueues_each_case_page_rendering_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    enqueued: list[int] = []
    monkeypatch.setattr(case_tasks, "render_case_pages", SimpleNamespace(enqueue=enqueued.append))
    write_pages(tmp_path, 3)
    with django_capture_on_commit_callbacks(execute=True):
        run(tmp_path, "--no-embeddings")
    # Each case is saved with its authors, doses and two images: one rendering each.
    assert sorted(enqueued) == sorted(Case.objects.values_list("pk", flat=True))


def test_it_computes_the_embeddings_of_the_cases_it_imports(tmp_path: Path) -> None:
    write_pages(tmp_path, 6, pictures=0)
    out, _ = run(tmp_path)
    assert "Computed 6 sentence embedding(s) for 6 case(s)." in out
    entries = Entry.objects.all()
    assert len(entries) == 6
    assert all(e.vector and len(e.embedded_text) == 64 for e in entries)
    # The worker's tasks, queued as the cases were indexed, find nothing left to do.
    assert tasks.embed(list(Case.objects.values_list("pk", flat=True))) == 0


def test_without_embeddings_it_says_the_worker_will_compute_them(tmp_path: Path) -> None:
    write_pages(tmp_path, 2, pictures=0)
    out, _ = run(tmp_path, "--no-embeddings")
    assert "Sentence embeddings of 2 case(s) not computed: the task worker" in out
    assert not Entry.objects.exclude(embedded_text="").exists()


def test_a_missing_embedding_model_is_one_warning_and_the_import_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pages(tmp_path, 2, pictures=0)

    def missing() -> None:
        raise embeddings.EmbeddingModelMissing("The ONNX model is not installed.")

    monkeypatch.setattr(embeddings, "model_files", missing)
    monkeypatch.setattr(embeddings, "_runtime", None)
    out, err = run(tmp_path)
    assert "2 created, 0 updated, 0 failed" in out
    assert "warning: embeddings not computed: The ONNX model is not installed." in err
    assert Case.objects.count() == 2


def test_a_dry_run_indexes_and_embeds_nothing(
    tmp_path: Path, index_calls: list[list[int]]
) -> None:
    write_pages(tmp_path, 3, pictures=0)
    out, _ = run(tmp_path, "--dry-run")
    assert "3 would be created" in out
    assert index_calls == [] and not Case.objects.exists() and not Entry.objects.exists()
