"""What the cases app makes searchable: every section, the lists, authors, doses, topics,
and the RadLex and SNOMED CT codes with their terms and synonyms."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from lightbox.cases.models import (
    Case,
    CaseAuthor,
    CaseCode,
    Code,
    CodeSynonym,
    Radiopharmaceutical,
    Topic,
)
from lightbox.search.registry import Column, Source, register


def _join(*parts: object) -> str:
    return "\n".join(str(p) for p in parts if p)


def collect_cases(ids: Sequence[int]) -> Mapping[int, Mapping[str, str]]:
    docs: dict[int, dict[str, str]] = {}
    rows = Case.objects.filter(pk__in=ids).values(
        "pk", "title", *Case.SECTIONS, "exam", "differential", "keywords", "acr_codes",
        "references",
    )  # fmt: skip
    for r in rows:
        refs = [ref.get("text", "") for ref in r["references"] if isinstance(ref, dict)]
        docs[r["pk"]] = {
            "title": r["title"],
            "diagnosis": r["diagnosis"],
            "keyword": _join(*r["keywords"], *r["acr_codes"]),
            "differential": _join(*r["differential"]),
            "findings": r["findings"],
            "history": _join(r["brief_history"], r["full_history"]),
            "discussion": r["discussion"],
            "other": _join(r["followup"], r["exam"], *refs),
        }
    authors: dict[int, list[str]] = defaultdict(list)
    for case_id, name, credentials in CaseAuthor.objects.filter(case_id__in=ids).values_list(
        "case_id", "name", "credentials"
    ):
        authors[case_id].append(f"{name} {credentials}")
    agents: dict[int, list[str]] = defaultdict(list)
    for case_id, agent, route in Radiopharmaceutical.objects.filter(case_id__in=ids).values_list(
        "case_id", "agent", "route"
    ):
        agents[case_id].append(f"{agent} {route}")
    terms = _code_terms(ids)
    for case_id, doc in docs.items():
        doc["author"] = _join(*authors[case_id])
        doc["agent"] = _join(*agents[case_id])
        doc["code"] = _join(*terms[case_id])
    return docs


def _code_terms(ids: Sequence[int]) -> dict[int, list[str]]:
    """Each case's codes as text: the identifier, the term and every synonym, so that
    "osteitis deformans" finds a case coded as Paget disease of bone, and RID3874 finds
    it too."""
    rows = CaseCode.objects.filter(case_id__in=ids).values_list(
        "case_id", "code_id", "code__code", "code__meaning"
    )
    by_case: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for case_id, code_id, number, meaning in rows:
        by_case[case_id].append((code_id, number, meaning))
    synonyms: dict[int, list[str]] = defaultdict(list)
    code_ids = {code_id for codes in by_case.values() for code_id, _, _ in codes}
    for code_id, term in CodeSynonym.objects.filter(code_id__in=code_ids).values_list(
        "code_id", "term"
    ):
        synonyms[code_id].append(term)
    out: dict[int, list[str]] = defaultdict(list)
    for case_id, codes in by_case.items():
        for code_id, number, meaning in codes:
            out[case_id] += [number, meaning, *synonyms[code_id]]
    return out


def _cases_of_code(code_id: int) -> list[int]:
    return list(CaseCode.objects.filter(code_id=code_id).values_list("case_id", flat=True))


def collect_topics(ids: Sequence[int]) -> Mapping[int, Mapping[str, str]]:
    rows = Case.objects.filter(pk__in=ids, topic__isnull=False).values_list("pk", "topic__title")
    return {pk: {"topic": title} for pk, title in rows}


register(
    Source(
        name="cases",
        columns=(
            Column("title", 6.0, "A"),
            Column("diagnosis", 10.0, "A"),
            Column("keyword", 5.0, "A"),
            Column("code", 5.0, "A"),
            Column("differential", 3.0, "B"),
            Column("findings", 2.0, "B"),
            Column("agent", 3.0, "B"),
            Column("history", 1.5, "C"),
            Column("author", 2.0, "C"),
            Column("discussion", 0.6, "D"),
            Column("other", 0.4, "D"),
        ),
        collect=collect_cases,
        watch={
            Case: lambda case: [case.pk],
            CaseAuthor: lambda author: [author.case_id],
            Radiopharmaceutical: lambda dose: [dose.case_id],
            CaseCode: lambda row: [row.case_id],
            Code: lambda code: _cases_of_code(code.pk),
            CodeSynonym: lambda synonym: _cases_of_code(synonym.code_id),
        },
    )
)
register(
    Source(
        name="topics",
        # A topic's title says what its cases are grouped under, not what a case
        # shows: below the case's own findings and history.
        columns=(Column("topic", 1.0, "C"),),
        collect=collect_topics,
        watch={Topic: lambda topic: topic.cases.values_list("pk", flat=True)},
    )
)
