"""Points for a graded diagnosis, and confidence-based marks.

Django-free. :mod:`~lightbox.learning.grading` says how an answer was graded; this module
says what it is worth:

* **diagnosis points** (:func:`diagnosis_points`): 2 for a correct answer, misspelt or
  not; 1 for naming an item of the case's differential (partial); 0 for an incorrect one.
  An unsure answer is worth what the reader's own grade says: 2 if they graded it right,
  0 if wrong (and 0 until they have graded it);
* **confidence marks** (:func:`confidence_marks`): before the answer is revealed, the
  reader says how sure they are, 1 (a guess), 2 (fairly sure) or 3 (certain). A right
  answer earns +1, +2 or +3; a wrong one costs 0, 2 or 6 (Gardner-Medwin's
  certainty-based marking). The marks reward honesty: a reader who expects to be right
  with probability p earns most on average by saying 1 when p < 2/3, 2 when
  2/3 < p < 4/5, and 3 only when p > 4/5; saying 1 never costs anything;
* what counts as **right** for marks (:func:`is_right`): correct or misspelt, or unsure
  and graded right by the reader. A partial answer is *not* right: naming an item of the
  differential is worth a point, but a reader certain of a differential item was certain
  of the wrong diagnosis.

Examples
--------
>>> from lightbox.learning.grading import Outcome
>>> diagnosis_points(Outcome.SPELLING), diagnosis_points(Outcome.PARTIAL)
(2, 1)
>>> diagnosis_points(Outcome.UNSURE, self_graded_right=True)
2
>>> right = is_right(Outcome.PARTIAL)
>>> right, confidence_marks(right, 3)
(False, -6)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from lightbox.learning.grading import Outcome

__all__ = [
    "CONFIDENCE_LEVELS",
    "MARKS_RIGHT",
    "MARKS_WRONG",
    "POINTS",
    "confidence_marks",
    "diagnosis_points",
    "is_right",
]

#: Points of each outcome; :attr:`Outcome.UNSURE` is worth what the reader's grade says.
POINTS: Final[Mapping[Outcome, int]] = MappingProxyType(
    {
        Outcome.CORRECT: 2,
        Outcome.SPELLING: 2,
        Outcome.PARTIAL: 1,
        Outcome.INCORRECT: 0,
    }
)
#: Points of an unsure answer the reader graded right.
UNSURE_RIGHT_POINTS: Final = 2

#: The confidence a reader may give: 1 (a guess), 2 (fairly sure), 3 (certain).
CONFIDENCE_LEVELS: Final = (1, 2, 3)
#: Marks for a right answer at each confidence.
MARKS_RIGHT: Final[Mapping[int, int]] = MappingProxyType({1: 1, 2: 2, 3: 3})
#: Marks for a wrong answer at each confidence.
MARKS_WRONG: Final[Mapping[int, int]] = MappingProxyType({1: 0, 2: -2, 3: -6})


def diagnosis_points(outcome: Outcome | str, self_graded_right: bool | None = None) -> int:
    """Points for a graded diagnosis.

    Parameters
    ----------
    outcome
        How the answer was graded (an :class:`~lightbox.learning.grading.Outcome` or its
        value, e.g. ``"partial"``).
    self_graded_right
        For an unsure answer, the reader's own grade: ``True`` right, ``False`` wrong,
        ``None`` not graded yet. Ignored for the other outcomes.

    Returns
    -------
    int
        2 correct or misspelt, 1 partial, 0 incorrect; unsure: 2 if graded right, else 0.

    Raises
    ------
    ValueError
        If ``outcome`` is not an outcome.

    Examples
    --------
    >>> diagnosis_points("correct"), diagnosis_points("incorrect")
    (2, 0)
    >>> diagnosis_points("unsure"), diagnosis_points("unsure", self_graded_right=False)
    (0, 0)
    """
    outcome = Outcome(outcome)
    if outcome is Outcome.UNSURE:
        return UNSURE_RIGHT_POINTS if self_graded_right else 0
    return POINTS[outcome]


def is_right(outcome: Outcome | str, self_graded_right: bool | None = None) -> bool:
    """Whether a graded diagnosis counts as right for marks (and for spaced repetition).

    Correct or misspelt: right. Unsure: what the reader graded (not right until then).
    Partial and incorrect: not right.

    Examples
    --------
    >>> is_right("spelling"), is_right("partial"), is_right("unsure", self_graded_right=True)
    (True, False, True)
    """
    outcome = Outcome(outcome)
    if outcome is Outcome.UNSURE:
        return bool(self_graded_right)
    return outcome in (Outcome.CORRECT, Outcome.SPELLING)


def confidence_marks(right: bool, confidence: int) -> int:
    """Confidence-based marks for one answer.

    Parameters
    ----------
    right
        Whether the answer was right (see :func:`is_right`).
    confidence
        How sure the reader said they were: 1, 2 or 3.

    Returns
    -------
    int
        +1, +2 or +3 when right; 0, -2 or -6 when wrong.

    Raises
    ------
    ValueError
        If ``confidence`` is not 1, 2 or 3.

    Examples
    --------
    >>> [confidence_marks(True, c) for c in (1, 2, 3)]
    [1, 2, 3]
    >>> [confidence_marks(False, c) for c in (1, 2, 3)]
    [0, -2, -6]
    """
    if type(confidence) is not int or confidence not in CONFIDENCE_LEVELS:
        raise ValueError(f"confidence must be 1, 2 or 3, not {confidence!r}")
    return (MARKS_RIGHT if right else MARKS_WRONG)[confidence]
