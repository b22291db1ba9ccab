"""Snippets: the words found highlighted, the text escaped, long and hostile text handled."""

import time

from lightbox.search.snippets import best, snippet


def test_it_highlights_words_as_the_index_folds_them():
    html = snippet("Intense uptake in the <b>left</b> femur; Pagét's disease.", {"pagets"})
    assert html == (
        "Intense uptake in the &lt;b&gt;left&lt;/b&gt; femur; <mark>Pagét&#x27;s</mark> disease."
    )


def test_prefixes_and_hyphenated_words():
    html = snippet("Osteomyelitis and osteoid, bone-scan.", {"bone", "scan"}, ["osteo"])
    assert html == (
        "<mark>Osteomyelitis</mark> and <mark>osteoid</mark>, <mark>bone</mark>-<mark>scan</mark>."
    )


def test_it_cuts_a_long_text_around_its_hits():
    text = " ".join(f"w{i}" for i in range(300)) + " osteomyelitis here " + "x " * 300
    html = snippet(text, {"osteomyelitis"})
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>osteomyelitis</mark>" in html and len(html) < 400


def test_a_text_without_hits_gives_its_beginning():
    assert snippet("First words. " + "more " * 100, {"absent"}).startswith("First words.")
    assert best(["", "Findings here.", "Other"], {"nothing"}) == "Findings here."
    assert best(["No hit.", "A hit: bone."], {"bone"}) == "A hit: <mark>bone</mark>."


def test_hostile_text_is_escaped_and_quick():
    hostile = ["<script>alert(1)</script> bone", '"><img src=x onerror=alert(1)> bone',
               "\x00bone\x00", "\u202ebone", "bone " * 200_000, "ß" * 9999 + " bone"]  # fmt: skip
    for text in hostile:
        start = time.perf_counter()
        html = snippet(text, {"bone"})
        assert time.perf_counter() - start < 1.0
        assert "<script>" not in html and "<img" not in html
        assert "<mark>" in html
