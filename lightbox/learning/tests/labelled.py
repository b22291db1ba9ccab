"""The labelled grading set (``grading_set.toml``), read for the tests and the bench.

Django-free, so that ``bench/grading.py`` runs without a database.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lightbox.learning.grading import Lexicon, Outcome, Verdict, grade

SET_FILE = Path(__file__).resolve().parent / "grading_set.toml"


@dataclass(frozen=True)
class Row:
    """One labelled answer to one case."""

    answer: str
    diagnosis: str
    accepted: tuple[str, ...]
    differential: tuple[str, ...]
    expected: Outcome
    near_miss: bool  # a dangerous near miss: must never be accepted

    def grade(self, lexicon: Lexicon) -> Verdict:
        return grade(
            self.answer,
            self.diagnosis,
            accepted=self.accepted,
            differential=self.differential,
            lexicon=lexicon,
        )


@cache
def rows() -> tuple[Row, ...]:
    data = tomllib.loads(SET_FILE.read_text(encoding="utf-8"))
    out = []
    for case in data["case"]:
        for answer, expected, *flags in case["answers"]:
            out.append(
                Row(
                    answer=answer,
                    diagnosis=case["diagnosis"],
                    accepted=tuple(case.get("accepted", ())),
                    differential=tuple(case.get("differential", ())),
                    expected=Outcome(expected),
                    near_miss="near" in flags,
                )
            )
    return tuple(out)


def known_texts() -> Iterator[str]:
    """The set's own diagnoses, accepted answers and differential items."""
    for row in rows():
        yield row.diagnosis
        yield from row.accepted
        yield from row.differential


def lexicon() -> Lexicon:
    """The set's lexicon: the shipped common diagnoses, and every text of the set's cases."""
    lex = Lexicon()
    lex.update(known_texts())
    return lex


def is_accept(outcome: Outcome) -> bool:
    return outcome in (Outcome.CORRECT, Outcome.SPELLING)
