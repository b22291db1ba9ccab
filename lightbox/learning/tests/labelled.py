"""The labelled grading sets, read for the tests and the bench.

``grading_set.toml`` is the set the grader was developed against; ``grading_holdout.toml``
was written after, to measure grading on cases it was not developed against (see its
header for what its figures mean).

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
HOLDOUT_FILE = Path(__file__).resolve().parent / "grading_holdout.toml"


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
def rows(path: Path = SET_FILE) -> tuple[Row, ...]:
    """The labelled answers of a set (the development set by default)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
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


def holdout_rows() -> tuple[Row, ...]:
    return rows(HOLDOUT_FILE)


def known_texts() -> Iterator[str]:
    """The diagnoses, accepted answers and differential items of both sets' cases."""
    for row in (*rows(), *holdout_rows()):
        yield row.diagnosis
        yield from row.accepted
        yield from row.differential


def lexicon() -> Lexicon:
    """The sets' lexicon: the shipped common diagnoses, and every text of both sets' cases."""
    lex = Lexicon()
    lex.update(known_texts())
    return lex


def is_accept(outcome: Outcome) -> bool:
    return outcome in (Outcome.CORRECT, Outcome.SPELLING)
