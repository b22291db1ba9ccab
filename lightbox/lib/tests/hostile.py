"""Texts that make text processors take more than linear time. Django-free.

Each pattern is known to make some Markdown parser, HTML sanitiser, diff or regular
expression quadratic (or worse) in the length of the text. The tests feed each of them to
every renderer and endpoint that takes text from a user, and ``bench/hostile_text.py``
prints the time each takes.
"""

from __future__ import annotations

__all__ = ["hostile_texts"]


def hostile_texts(size: int) -> dict[str, str]:
    """About ``size`` characters of each pattern, by name.

    >>> all(0.9 * 10_000 <= len(t) <= 1.1 * 10_000 for t in hostile_texts(10_000).values())
    True
    """
    n = size
    # "- a" indented one step further on each line: the text grows as the depth squared.
    depth = int(n**0.5) - 2
    return {
        "open brackets": "[" * n,
        "stars": "*" * n,
        "underscores": "_" * n,
        "nested quotes": "> " * (n // 2),
        "nested list markers": "- " * (n // 2),
        "nested lists by indentation": "".join("  " * i + "- a\n" for i in range(depth)),
        "backticks": "`" * n,
        "less-than signs": "<" * n,
        "pipes": "|" * n,
        "table rows": "a|b\n-|-\n" + "x|y\n" * (n // 4),
        "wide table": ("|a" * 500 + "|\n" + "|-" * 500 + "|\n")
        + ("|x" * 500 + "|\n") * (n // 1001 - 2),
        "words then a star": "a " * (n // 2) + "*",
        "unclosed links": "[a](" * (n // 4),
        "emphasis alternating": "*a_" * (n // 3),
        "strong openers": "**a" * (n // 3),
        "closing then opening brackets": "]" * (n // 2) + "[" * (n // 2),
        "link references": "[a]: b\n" * (n // 7) + "[a]",
        "entities": "&#" * (n // 2),
        "tag soup with attributes": "".join(f"<b id={i:07}><p>" for i in range(n // 18)),
        "unclosed anchors and paragraphs": "<a><p>" * (n // 6),
        "nested divs": "<div>" * (n // 5),
        "one long word": "x" * n,
        "one long line of words": "lesion " * (n // 7),
    }
