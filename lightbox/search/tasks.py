"""Sentence embeddings of cases, computed after the change commits.

The text embedded is what a reader would paste to find a case like it: the diagnosis,
the findings and the brief history, abbreviations expanded (the first 128 word pieces).
Its SHA-256 is kept, so a save that does not change that text recomputes nothing.
:mod:`lightbox.search.index` enqueues :func:`embed_cases` after it indexes cases; nothing
here imports the index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db import transaction
from django.tasks import task

from lightbox.search.models import Entry, Generation
from lightbox.search.text.abbreviations import expand

BATCH = 64


def embedding_text(title: str, diagnosis: str, findings: str, history: str) -> str:
    """What a case's embedding is computed from, abbreviations expanded."""
    return expand("\n".join(part for part in (diagnosis or title, findings, history) if part))


def embed_after_commit(ids: Sequence[int]) -> None:
    ids = list(ids)
    transaction.on_commit(lambda: embed_cases.enqueue(ids))


@task()
def embed_cases(ids: list[int]) -> int:
    return embed(ids)


def embed(ids: Sequence[int], progress: object = None) -> int:
    """Compute the missing or outdated embeddings of these cases; returns how many."""
    from lightbox.cases.models import Case
    from lightbox.search.text import embeddings

    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = Case.objects.filter(pk__in=chunk).values_list(
            "pk", "title", "diagnosis", "findings", "brief_history"
        )
        texts = {pk: embedding_text(*rest) for pk, *rest in rows}
        digests = {pk: hashlib.sha256(t.encode()).hexdigest() for pk, t in texts.items()}
        current = dict(
            Entry.objects.filter(case_id__in=list(texts)).values_list("case_id", "embedded_text")
        )
        todo = [pk for pk in texts if pk in current and current[pk] != digests[pk]]
        if todo:
            vectors = embeddings.embed([texts[pk] for pk in todo])
            with transaction.atomic():
                seq = Generation.next_seq()
                for pk, vector in zip(todo, vectors, strict=True):
                    Entry.objects.filter(case_id=pk).update(
                        seq=seq, embedded_text=digests[pk], vector=embeddings.to_bytes(vector)
                    )
            done += len(todo)
        if callable(progress):
            progress(len(chunk))
    return done
