"""Snippets: the words found highlighted, the text escaped, long and hostile text handled."""

import time

from lightbox.search.text.snippets import best, snippet


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


def test_the_quick_ways_agree_with_reading_every_word():
    """Plain ASCII text takes a regular expression; other text is read word by word.
    Both must find the same hits and make the same snippet."""
    import random

    from lightbox.search.text import snippets

    rng = random.Random(3)
    vocabulary = "uptake Uptake UPTAKE osteoid bone bone_scan x-ray 99m tc mdp a1c café naïve "
    vocabulary += "don't <b> &amp; _ - ."
    vocabulary = vocabulary.split()
    for _ in range(300):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 80)))
        words = frozenset(rng.sample(["uptake", "bone", "scan", "99m", "a1c", "x"], 2))
        prefixes = tuple(rng.sample(["oste", "up", "ra"], rng.randint(0, 1)))
        tokens = set(snippets.tokenize(text))
        by_word = not tokens.isdisjoint(words) or any(t.startswith(prefixes) for t in tokens)
        assert snippets._has_hit(text, words, prefixes) == by_word, (text, words, prefixes)
        marked = snippet(text, words, prefixes)
        assert ("<mark>" in marked) == by_word, (text, marked)
