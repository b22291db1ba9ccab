"""The PostgreSQL full-text index: RUM where the extension can be created, GIN where it
cannot (with the system check saying so), and the results PostgreSQL keeps until the
index changes (the machine's copy of the index, which answers searches otherwise, is
turned off here). Each test runs in both passes: on SQLite it checks the same searches
(which must find the same cases) and that the check says nothing there."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction

from lightbox.search import backends, index
from lightbox.search.backends import backend
from lightbox.search.checks import check_rum_index
from lightbox.search.engine import search
from lightbox.test import make_case

ANON = AnonymousUser()

PHRASES = {
    '"follow up"': {"adjacent", "hyphen", "in findings"},
    '"up to follow"': {"reversed"},
    'findings:"follow up"': {"in findings"},
    '"follow up"*': {"adjacent", "hyphen", "in findings", "prefix"},
    '"follow up" -hyphenated': {"adjacent", "in findings"},
    "follow AND up": {"adjacent", "hyphen", "in findings", "reversed", "apart"},
}


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def postgres_searches_itself():
    """These tests are of PostgreSQL's own search: the machine's copy of the index
    (lightbox.search.mirror, tested in test_mirror.py) is not asked."""
    if not on_postgres():
        yield
        return
    search = backend()
    search.mirrored = False
    yield
    search.mirrored = True


def _library() -> dict[str, str]:
    """Case number → name, for cases holding "follow" and "up" in different ways."""
    texts = {
        "adjacent": {"discussion": "Follow up in six weeks."},
        "hyphen": {"discussion": "Hyphenated follow-up imaging."},
        "in findings": {"findings": "Follow up scan showed healing."},
        "reversed": {"discussion": "It was up to follow the patient."},
        "apart": {"discussion": "Follow the tracer; it goes up."},
        "prefix": {"discussion": "Follow upward trends."},
    }
    found = {}
    for name, fields in texts.items():
        fields = {"findings": "Unremarkable.", "followup": "", **fields}
        found[make_case(title=name, **fields).number] = name
    return found


def _found(names: dict[str, str], text: str) -> set[str]:
    return {names[h.number] for h in search(ANON, text, per_page=100).hits if h.number in names}


@pytest.mark.django_db
def test_phrases_find_the_same_cases_with_rum_and_with_gin(monkeypatch):
    names = _library()
    for text, expected in PHRASES.items():
        assert _found(names, text) == expected, text
    if not on_postgres():
        assert check_rum_index(databases=["default"]) == []
        return
    assert backend().uses_rum()
    # A server without the extension: the tables are made again with GIN, and refilled.
    monkeypatch.setattr(backends, "RUM_EXTENSION", "lightbox_no_such_extension")
    assert backend().ensure_schema() is True
    index.rebuild()
    assert not backend().uses_rum()
    for text, expected in PHRASES.items():
        assert _found(names, text) == expected, text
    (warning,) = check_rum_index(databases=["default"])
    assert warning.id == "lightbox.W201"
    assert "no RUM extension" in warning.msg
    assert "apt-get install postgresql-" in warning.hint and "migrate" in warning.hint


@pytest.mark.django_db
def test_the_rum_check_only_reads_the_database_it_is_asked_about():
    assert check_rum_index(databases=None) == []
    assert check_rum_index(databases=["default"]) == []  # RUM here, or SQLite


@pytest.mark.django_db(transaction=True)
def test_a_committed_edit_is_found_by_the_next_search():
    first = make_case(title="Tumour", diagnosis="Giant cell tumour")
    assert [h.number for h in search(ANON, "giant AND tumour").hits] == [first.number]
    if on_postgres():  # kept, for the next search of the same words
        assert len(backend().results.items) == 1
        assert [h.number for h in search(ANON, "giant AND tumour").hits] == [first.number]
    second = make_case(title="Another", diagnosis="Giant cell tumour of the sheath")
    found = {h.number for h in search(ANON, "giant AND tumour").hits}
    assert found == {first.number, second.number}
    second.delete()
    assert [h.number for h in search(ANON, "giant AND tumour").hits] == [first.number]


@pytest.mark.django_db(transaction=True)
def test_what_a_rolled_back_transaction_saw_is_not_kept():
    make_case(title="Kept", diagnosis="Osteoid osteoma")
    with transaction.atomic():
        make_case(title="Rolled back", diagnosis="Osteoid osteoma of the spine")
        assert search(ANON, "osteoid osteoma").total == 2  # its own change, kept by PostgreSQL
        transaction.set_rollback(True)
    assert [h.title for h in search(ANON, "osteoid osteoma").hits] == ["Kept"]


def test_a_kept_result_comes_back_as_it_was_found():
    rng = np.random.default_rng(7)
    for size, top in ((5, 100_000), (40_000, 100_000), (0, 0)):
        ids = np.sort(rng.choice(max(top, 1), size, replace=False)).astype(np.int64)
        scores = np.where(rng.random(size) < 0.1, rng.random(size), 0).astype(np.float32)
        kept = backends._Cached(ids, scores)
        assert kept.packed == (size == 40_000)  # a bitmap only where it is smaller
        got_ids, got_scores = kept.get()
        assert got_ids.dtype == np.int64 and np.array_equal(got_ids, ids)
        assert np.array_equal(got_scores, scores)


def test_kept_results_stay_within_their_size_and_go_when_the_index_changes():
    ids, scores = np.arange(1000, dtype=np.int64), np.zeros(1000, np.float32)
    size = backends._Cached(ids, scores).nbytes
    results = backends._Results(limit=3 * size)
    now, later = (1, 500), (1, 501)  # the same number, written again by another transaction
    assert results.get(now, ("a", 10)) is None
    for key in "abcd":
        results.put(now, (key, 10), ids, scores)
    assert results.get(now, ("a", 10)) is None  # the oldest went first
    assert results.get(now, ("b", 10)) is not None
    results.put(now, ("e", 10), ids, scores)  # "b" was just used: "c" goes
    assert [k for k, _ in results.items] == ["d", "b", "e"]
    assert results.nbytes <= results.limit
    assert results.get(later, ("d", 10)) is None and not results.items  # the index changed
    results.put(now, ("a", 10), ids, scores)  # found before the change: not kept
    assert not results.items


def _plan(sql: str, params: list[str]) -> str:
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


@pytest.mark.django_db
def test_words_are_found_with_gin_and_phrases_with_rum_and_a_refill_keeps_both():
    names = _library()
    assert _found(names, '"follow up"') == PHRASES['"follow up"']
    if not on_postgres():
        return
    table = backends.PostgresBackend.TABLE
    word = f"SELECT case_id FROM {table} WHERE document @@ to_tsquery('simple', %s)"  # noqa: S608
    where = f"WHERE ({backends.PHRASE_DOCUMENT}) @@ to_tsquery('simple', %s)"
    phrase = f"SELECT case_id FROM {table} {where}"  # noqa: S608
    assert f"{table}_gin" in _plan(word, ["follow & up"])
    assert f"{table}_phrase" in _plan(phrase, ["follow <-> up"])
    # Refilled from empty tables, the indexes are dropped and made again at the end.
    backend().clear()
    index.rebuild()
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        made = {row[0] for row in cur.fetchall()}
    assert {f"{table}_gin", f"{table}_phrase"} <= made
    assert _found(names, '"follow up"') == PHRASES['"follow up"']
    assert _found(names, "follow AND up") == PHRASES["follow AND up"]
