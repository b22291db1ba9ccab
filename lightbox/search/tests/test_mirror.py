"""The machine's copy of PostgreSQL's full-text index (lightbox.search.mirror): it finds
what PostgreSQL finds, follows every change (committed, rolled back, emptied), is filled
by a thread when far behind, and never fails a search when it is busy or damaged. Each
test runs in both passes: on SQLite, which has no copy, it checks the same searches."""

from __future__ import annotations

import fcntl
import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction

from lightbox.search import mirror as mirrors
from lightbox.search.backends import PostgresBackend, backend, decode, encode
from lightbox.search.engine import search
from lightbox.test import make_case

ANON = AnonymousUser()
QUERIES = [
    "giant AND tumour",  # typed AND: not followed by the cases with one of the words
    '"giant cell"',
    "giant*",
    "tumour NOT sheath",
    "diagnosis:osteoma",
    "osteoid OR sheath",
    "nothingatall",
]


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def copy(settings, tmp_path):
    """A copy of its own for the test (None on SQLite), and a count of the searches
    PostgreSQL answered itself."""
    settings.SEARCH_MIRROR = tmp_path / "mirror"
    mirrors.reset()
    if not on_postgres():
        yield None
        return
    pg = backend()
    assert isinstance(pg, PostgresBackend)
    pg.results.clear()
    answered = {"postgres": 0}
    match = pg._match

    def counted(*args, **kwargs):
        answered["postgres"] += 1
        return match(*args, **kwargs)

    pg._match = counted  # type: ignore[method-assign]
    copy = mirrors.mirror()
    copy.answered = answered  # type: ignore[union-attr]
    yield copy
    del pg._match
    if copy.filler is not None:  # type: ignore[union-attr]
        copy.filler.join(30)  # type: ignore[union-attr]
    mirrors.reset()


def _library() -> dict[str, str]:
    texts = {
        "gct": {"title": "Knee", "diagnosis": "Giant cell tumour"},
        "sheath": {"title": "Hand", "diagnosis": "Giant cell tumour of the tendon sheath"},
        "osteoma": {"title": "Spine", "diagnosis": "Osteoid osteoma"},
        "mention": {"title": "Femur", "discussion": "Unlike a giant cell tumour, this..."},
    }
    return {make_case(**fields).number: name for name, fields in texts.items()}


def _found(names: dict[str, str], text: str) -> list[str]:
    return [names.get(h.number, h.number) for h in search(ANON, text, per_page=100).hits]


def _fresh() -> None:
    if on_postgres():
        backend().results.clear()  # type: ignore[attr-defined]


def _by_postgres(names: dict[str, str]) -> dict[str, set[str]]:
    """What PostgreSQL's own search finds for QUERIES."""
    if not on_postgres():
        return {q: set(_found(names, q)) for q in QUERIES}
    pg = backend()
    pg.mirrored = False  # type: ignore[attr-defined]
    try:
        _fresh()
        return {q: set(_found(names, q)) for q in QUERIES}
    finally:
        pg.mirrored = True  # type: ignore[attr-defined]
        _fresh()


def _postgres_generation() -> tuple[int, int]:
    with connection.cursor() as cur:
        return backend()._generation(cur)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_copy_answers_searches_and_finds_what_postgresql_finds(copy):
    names = _library()
    expected = _by_postgres(names)
    assert expected["giant AND tumour"] == {"gct", "sheath", "mention"}
    assert expected['"giant cell"'] == {"gct", "sheath", "mention"}
    assert expected["tumour NOT sheath"] == {"gct", "mention"}
    if copy is not None:
        copy.answered["postgres"] = 0
    assert {q: set(_found(names, q)) for q in QUERIES} == expected
    # Ranked by BM25 with the column weights: a diagnosis before a discussion.
    assert _found(names, "giant AND tumour")[-1] == "mention"
    if copy is not None:
        assert copy.answered["postgres"] == 0  # every search was the copy's
        assert copy.generation() == _postgres_generation()
        assert copy.path.parent == copy.directory and copy.path.exists()
        assert "osteoma" in backend().vocabulary()  # the copy's words, as PostgreSQL's


@pytest.mark.django_db
def test_the_copy_follows_edits_and_deletions(copy):
    names = _library()
    assert "osteoma" in _found(names, "osteoid")
    case = next(c for c in _cases(names) if names[c.number] == "osteoma")
    case.diagnosis = "Osteoblastoma"
    case.save()
    assert _found(names, "osteoid") == []
    assert _found(names, "osteoblastoma") == ["osteoma"]
    gone = next(c for c in _cases(names) if names[c.number] == "gct")
    gone.delete()
    assert set(_found(names, "giant AND tumour")) == {"sheath", "mention"}
    if copy is not None:
        assert copy.answered["postgres"] == 0
        assert copy.generation() == _postgres_generation()


def _cases(names: dict[str, str]):
    from lightbox.cases.models import Case

    return list(Case.objects.filter(number__in=list(names)))


@pytest.mark.django_db(transaction=True)
def test_what_the_copy_saw_of_a_rolled_back_write_is_undone(copy):
    names = _library()
    with transaction.atomic():
        ghost = make_case(title="Ghost", diagnosis="Osteoid osteoma of the rib")
        names[ghost.number] = "ghost"
        assert set(_found(names, "osteoid")) == {"osteoma", "ghost"}  # seen by the copy
        transaction.set_rollback(True)
    # The rolled-back write's number is handed out again, to another write.
    other = make_case(title="Other", diagnosis="Ewing sarcoma")
    names[other.number] = "other"
    assert _found(names, "osteoid") == ["osteoma"]
    assert _found(names, "ewing") == ["other"]
    assert {q: set(_found(names, q)) for q in QUERIES} == _by_postgres(names)
    if copy is not None:
        assert copy.answered["postgres"] == len(QUERIES)  # only _by_postgres's
        assert copy.generation() == _postgres_generation()


@pytest.mark.django_db(transaction=True)
def test_a_copy_far_behind_is_filled_by_a_thread_while_postgresql_answers(copy, monkeypatch):
    monkeypatch.setattr(mirrors, "CATCH_UP", 2)
    monkeypatch.setattr(mirrors, "CHUNK", 2)  # filled in chunks, each committed
    names = _library()  # four cases: more than the copy catches up with by itself
    assert set(_found(names, "giant")) == {"gct", "sheath", "mention"}
    if copy is not None:
        assert copy.answered["postgres"] == 1  # PostgreSQL answered while the thread fills
        copy.filler.join(30)
        assert copy.generation() == _postgres_generation()
        _fresh()
    assert set(_found(names, "giant")) == {"gct", "sheath", "mention"}
    one = make_case(title="Wrist", diagnosis="Giant cell reparative granuloma")
    names[one.number] = "wrist"
    sums = []
    if copy is not None:  # committed writes, read outside a transaction: no check needed
        monkeypatch.setattr(copy, "_sums", lambda *a, **k: sums.append(1) or (0, 0, 0))
    assert set(_found(names, "giant")) == {"gct", "sheath", "mention", "wrist"}
    if copy is not None:
        assert copy.answered["postgres"] == 1  # the rest from the copy (one case behind)
        assert sums == []


@pytest.mark.django_db(transaction=True)
def test_an_emptied_database_empties_the_copy(copy):
    names = _library()
    assert len(_found(names, "giant")) == 3
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)
    again = make_case(title="After", diagnosis="Giant cell tumour")
    assert _found({again.number: "after"}, "giant") == ["after"]
    if copy is not None:
        assert copy.generation() == _postgres_generation()


@pytest.mark.django_db
def test_while_another_process_writes_the_copy_postgresql_answers(copy):
    names = _library()
    if copy is None:
        assert len(_found(names, "giant")) == 3
        return
    assert len(_found(names, "giant")) == 3  # the copy made and filled
    make_case(title="New", diagnosis="Giant cell tumour of bone")
    _fresh()
    with open(copy.path.with_suffix(".lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another process catching up would
        assert len(_found(names, "giant")) == 4  # at once, not waiting for the lock
        assert copy.answered["postgres"] == 1
    _fresh()
    assert len(_found(names, "giant")) == 4
    assert copy.answered["postgres"] == 1


@pytest.mark.django_db
def test_a_damaged_copy_is_left_alone_and_said_once(copy, caplog):
    names = _library()
    if copy is None:
        assert len(_found(names, "giant")) == 3
        return
    assert len(_found(names, "giant")) == 3
    copy.db().close()
    copy.path.write_bytes(b"not a database " * 1000)
    for wal in copy.path.parent.glob("*-wal"):
        wal.unlink()
    make_case(title="New", diagnosis="Giant cell tumour of bone")
    _fresh()
    with caplog.at_level(logging.WARNING, "lightbox.search.mirror"):
        assert len(_found(names, "giant")) == 4
        _fresh()
        assert len(_found(names, "giant")) == 4
    assert copy.broken and copy.answered["postgres"] == 2
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "Delete the file to have it made again" in said[0]


def test_texts_are_kept_as_they_were_written():
    docs = [
        {},
        {"title": "Pagét's disease", "discussion": "x" * 200_000},
        {"findings": "NUL \x00 and \ud7ff \U0001f600 ‮right-to-left"},
        {"history": '{"not": "json"} \\ " \''},
    ]
    for doc in docs:
        assert decode(encode(doc)) == doc
    assert decode(None) is None
    assert len(encode(docs[1])) < 2_000  # compressed


@pytest.mark.django_db
def test_a_case_whose_text_did_not_change_is_not_copied_again(copy, monkeypatch):
    """An entry takes a new number when only its embedding changed (or a reindex wrote the
    same text): the copy takes the number, and reads the text only if it differs."""
    from lightbox.search import index

    names = _library()
    assert len(_found(names, "giant")) == 3
    ids = [c.pk for c in _cases(names)]
    copied: list[list[int]] = []
    if copy is not None:
        replace = copy.search.replace
        monkeypatch.setattr(
            copy.search, "replace", lambda docs: copied.append(sorted(docs)) or replace(docs)
        )
    index.index_cases(ids)  # the same texts, new numbers
    _fresh()
    assert len(_found(names, "giant")) == 3
    edited = _cases(names)[0]
    edited.discussion = "Now about a brown tumour."
    edited.save()
    _fresh()
    assert [names[edited.number]] == _found(names, "brown")
    if copy is not None:
        assert copied == [[], [edited.pk]]
        assert copy.generation() == _postgres_generation()
