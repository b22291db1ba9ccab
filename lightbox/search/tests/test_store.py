"""The in-memory entries: every way of counting facet values gives the plain count, and
facet masks select exactly the rows holding a value (no database needed)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from lightbox.search import store

YEARS = [str(y) for y in range(1990, 2026)]
AUTHORS = [f"Author {i}" for i in range(120)]  # more values than BITMAP_VALUES
AGENTS = ["Tc-99m MDP", "F-18 FDG", "I-131", "Ga-67 citrate"]


def _entry(case_id: int, rng: random.Random) -> dict:
    entry = {name: "" for name in store.FACETS}
    entry |= {
        "case_id": case_id,
        "audience": rng.choice([0, 0, 0, 1, 2, 3]),
        "published": dt.datetime(2020, 1, 1, tzinfo=dt.UTC) if rng.random() < 0.9 else None,
        "topic_id": None,
        "number": f"bs{case_id:05d}",
        "field": rng.choice("123456789"),
        "modality": rng.choice(["NM", "CT", "MR", ""]),
        "year": rng.choice(YEARS),
        "sex": rng.choice(["M", "F", ""]),
        "agents": rng.sample(AGENTS, rng.randint(0, 2)),
        "authors": rng.sample(AUTHORS, rng.randint(0, 3)),
        "acr_codes": [],
        "differential": [],
        "keywords": [],
        "vector": None,
    }
    return entry


@pytest.fixture(scope="module")
def filled() -> tuple[store.Store, list[dict]]:
    rng = random.Random(5)
    st = store.Store()
    entries = [_entry(case_id, rng) for case_id in rng.sample(range(1, 20_000), 3000)]
    for e in entries:
        st._apply(e)
    edited = _entry(entries[7]["case_id"], rng) | {"authors": ["Author 3"]}
    st._apply(edited)  # a case changed: its row is rewritten, not added
    entries[7] = edited
    assert st.size == len(entries)
    return st, entries


def _plain(st: store.Store, entries: list[dict], facet: str, mask: np.ndarray) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        if mask[st.row_of[e["case_id"]]]:
            values = e[facet] if facet in store.MULTI else [e[facet]]
            for v in values:
                if v:
                    counts[v] = counts.get(v, 0) + 1
    return counts


@pytest.mark.parametrize("share", [0.0, 0.003, 0.05, 0.4, 0.6, 0.97, 1.0])
@pytest.mark.parametrize("facet", ["field", "modality", "year", "sex", "agents", "authors"])
def test_every_way_of_counting_gives_the_plain_count(filled, facet, share):
    st, entries = filled
    mask = np.random.default_rng(int(share * 1000)).random(st.size) < share
    counts = st.counts(facet, store.Found(mask))
    got = {st.values[facet][code]: int(n) for code, n in enumerate(counts) if n}
    assert got == _plain(st, entries, facet, mask)


@pytest.mark.parametrize(
    ("facet", "share", "way"),
    [("field", 0.003, "rows"), ("field", 0.5, "bitmaps"), ("authors", 0.97, "outside")],
)
def test_each_way_of_counting_is_the_one_used_somewhere(filled, monkeypatch, facet, share, way):
    """The cases above go through all three ways (bitmaps, rows found, rows not found)."""
    st, _ = filled
    used = []
    real_bitmaps, real_totals = st.bitmaps, st.totals
    monkeypatch.setattr(st, "bitmaps", lambda f: used.append("bitmaps") or real_bitmaps(f))
    monkeypatch.setattr(st, "totals", lambda f: used.append("outside") or real_totals(f))
    st.counts(facet, store.Found(np.random.default_rng(1).random(st.size) < share))
    assert used == ([] if way == "rows" else [way])


@pytest.mark.parametrize("facet", ["modality", "agents", "authors"])
def test_a_facet_mask_holds_exactly_the_rows_with_a_value(filled, facet):
    st, entries = filled
    chosen = {"modality": ["NM", "MR"], "agents": ["I-131"], "authors": ["Author 3", "Author 99"]}
    mask = st.facet_mask(facet, [*chosen[facet], "no such value"])
    for e in entries:
        values = e[facet] if facet in store.MULTI else [e[facet]]
        assert mask[st.row_of[e["case_id"]]] == bool(set(values) & set(chosen[facet]))


def test_an_unknown_value_selects_nothing(filled):
    st, _ = filled
    assert not st.facet_mask("modality", ["XX"]).any()
    assert not st.facet_mask("authors", []).any()
