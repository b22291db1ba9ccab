"""What a MIRCdocument holds, as Lightbox reads and writes it. Django-free.

:func:`~lightbox.interchange.mirc.parse.parse_mirc` returns a :class:`MircDocument` and
:func:`~lightbox.interchange.mirc.write.write_mirc` takes one, so the two are each
other's inverse: ``parse_mirc(write_mirc(doc))`` gives ``doc`` back, field for field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

MBQ_PER_MCI = Decimal(37)

__all__ = [
    "MircAuthor",
    "MircCode",
    "MircDocument",
    "MircDose",
    "MircImage",
    "MircParseError",
    "MircReference",
]


class MircParseError(ValueError):
    """The input is not a MIRCdocument we read. The message is one line."""


@dataclass
class MircAuthor:
    name: str
    credentials: str = ""


@dataclass
class MircReference:
    text: str
    pmid: str = ""
    doi: str = ""


@dataclass
class MircCode:
    """A RadLex or SNOMED CT code of the document, as
    :class:`lightbox.cases.models.Code`: ``system`` is its designator (``RADLEX`` or
    ``SCT``, see :mod:`lightbox.cases.codes`), ``code`` its one written form, ``meaning``
    the term the document gives (at most :data:`~lightbox.cases.codes.MAX_TERM`
    characters; empty when it gives none)."""

    system: str
    code: str
    meaning: str = ""


@dataclass
class MircDose:
    """One radiopharmaceutical, as :class:`lightbox.cases.models.Radiopharmaceutical`."""

    agent: str
    activity: Decimal | None = None
    unit: str = ""
    route: str = ""
    time_to_imaging: str = ""

    def text(self) -> str:
        """The dose as a reader reads it, both units given (1 mCi = 37 MBq):

        >>> MircDose("Tc-99m MDP", Decimal("21.6"), "mCi", "i.v.", "3 hours").text()
        '21.6 mCi (799.2 MBq) Tc-99m MDP i.v., imaged at 3 hours'
        """
        dose = ""
        if self.activity is not None:
            given = f"{self.activity.normalize():f} {self.unit}".strip()
            if self.unit == "mCi":
                dose = f"{given} ({(self.activity * MBQ_PER_MCI).normalize():f} MBq)"
            elif self.unit == "MBq":
                other = (self.activity / MBQ_PER_MCI).quantize(Decimal("0.01"))
                dose = f"{given} ({other:f} mCi)"
            else:
                dose = given
        text = " ".join(part for part in (dose, self.agent, self.route) if part)
        return f"{text}, imaged at {self.time_to_imaging}" if self.time_to_imaging else text


@dataclass
class MircImage:
    """One ``<image>`` and its ``<alternative-image>`` files, named as in the document
    (relative to its folder).

    ``picture`` is the file to show: the ``original-dimensions`` alternative when there
    is one (the full-size picture; ``src`` is often scaled for the page), else ``src``.
    ``dicom`` are the ``original-format`` files; ``annotations`` the ``annotation``
    pictures. Icons are not kept: Lightbox makes its own thumbnails.
    """

    picture: str = ""
    dicom: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    caption: str = ""  # shown with the unknown
    answer_caption: str = ""  # shown after the reveal
    is_main: bool = False


@dataclass
class MircDocument:
    title: str = ""
    authors: list[MircAuthor] = field(default_factory=list)
    case_date: date | None = None
    difficulty: int | None = None
    quality: int | None = None
    modality: str = ""
    exam: str = ""
    patient_age: int | None = None
    patient_sex: str = ""  # "F", "M", "O" or ""
    brief_history: str = ""
    full_history: str = ""
    findings: str = ""
    diagnosis: str = ""
    discussion: str = ""
    followup: str = ""
    differential: list[str] = field(default_factory=list)
    accepted_answers: list[str] = field(default_factory=list)
    references: list[MircReference] = field(default_factory=list)
    acr_codes: list[str] = field(default_factory=list)
    codes: list[MircCode] = field(default_factory=list)  # RadLex and SNOMED CT, in order
    keywords: list[str] = field(default_factory=list)
    anatomic_field: str = ""
    category: str = ""
    topic: str = ""  # a topic page's title
    copyright: str = ""
    visibility: str = "private"  # "public", "institution" or "private"
    radiopharmaceuticals: list[MircDose] = field(default_factory=list)
    images: list[MircImage] = field(default_factory=list)
    unparsed: str = ""
    # What the reader did that a person should know: PHI dropped, elements kept as
    # unparsed text, values cut or ignored. Never a patient's data, only element names.
    report: list[str] = field(default_factory=list)
