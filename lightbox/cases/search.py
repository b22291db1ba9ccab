"""What the cases app makes searchable: every section, the lists, authors, doses, topics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from lightbox.cases.models import Case, CaseAuthor, Radiopharmaceutical, Topic
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
    for case_id, doc in docs.items():
        doc["author"] = _join(*authors[case_id])
        doc["agent"] = _join(*agents[case_id])
    return docs


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
        },
    )
)
register(
    Source(
        name="topics",
        columns=(Column("topic", 3.0, "B"),),
        collect=collect_topics,
        watch={Topic: lambda topic: topic.cases.values_list("pk", flat=True)},
    )
)
