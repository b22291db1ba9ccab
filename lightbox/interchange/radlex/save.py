"""Saving RadLex terms in the codes table, in one transaction: all of a file or nothing.

Each term becomes (or updates) the ``RADLEX`` :class:`~lightbox.cases.models.Code` with its
ID, its preferred name as the meaning, its broader classes as ``parents``, and its
synonyms as :class:`~lightbox.cases.models.CodeSynonym` rows. A code of the table that the
file does not have is kept (a case may carry it; an older RadLex had it), and codes typed
in the case editor that RadLex does not know are named in a warning. The codes are
written in bulk, which sends no signals, so the cases carrying a code whose terms changed
are brought up to date here: their stored pages are re-rendered on their next read, and
they are re-indexed for search (a synonym is searched) before the transaction commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.utils import timezone

from lightbox.cases import codes
from lightbox.cases.models import Case, CaseCode, Code, CodeSynonym
from lightbox.interchange.radlex.parse import RadLexFile, RadLexTerm
from lightbox.search import index

__all__ = ["SaveResult", "save_terms", "source_of"]

#: Terms written per statement (and between two calls of ``progress``).
BATCH = 1000
#: Codes typed in the editor but unknown to RadLex named in a warning at most.
NAMED = 10


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: RadLex codes of the table that the file does not have (kept).
    kept: int = 0
    #: Cases that carry a code whose term or synonyms changed.
    cases: int = 0
    warnings: list[str] = field(default_factory=list)


def source_of(file_name: str, version: str) -> str:
    """What a code's ``source`` says it came from: "RadLex OWL file RadLex.owl (4.2)"."""
    text = f"RadLex OWL file {file_name}" + (f" ({version})" if version else "")
    return text[:300]


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@dataclass
class _Table:
    """The RadLex codes and synonyms already in the table."""

    codes: dict[str, tuple[int, str, list[str], str]]  # rid → (pk, meaning, parents, source)
    synonyms: dict[int, dict[str, int]]  # code pk → {term: synonym pk}

    @classmethod
    def load(cls) -> _Table:
        rows = Code.objects.filter(system=codes.RADLEX).values_list(
            "code", "pk", "meaning", "parents", "source"
        )
        synonyms: dict[int, dict[str, int]] = defaultdict(dict)
        for pk, code_id, term in CodeSynonym.objects.filter(code__system=codes.RADLEX).values_list(
            "pk", "code_id", "term"
        ):
            synonyms[code_id][term] = pk
        return cls({c: (pk, m, list(p or []), s) for c, pk, m, p, s in rows}, synonyms)


def save_terms(
    found: RadLexFile, *, source: str, progress: Callable[[int], object] | None = None
) -> SaveResult:
    """Write ``found``'s terms into the codes table; ``progress(n)`` after each ``n``."""
    result = SaveResult()
    now = timezone.now()
    with index.batch():  # one transaction
        table = _Table.load()
        touched: set[int] = set()
        for chunk in _chunks(list(found.terms.values()), BATCH):
            touched |= _save_chunk(chunk, table, source, now, result)
            if progress is not None:
                progress(len(chunk))
        result.kept = len(set(table.codes) - set(found.terms))
        _warn_unknown(found, result)
        result.cases = _bring_up_to_date(touched, now)
    return result


def _save_chunk(
    terms: list[RadLexTerm], table: _Table, source: str, now: Any, result: SaveResult
) -> set[int]:
    """Create and update the codes of ``terms``; the pks of the codes already in the
    table whose term or synonyms changed (those a case may show)."""
    new: list[Code] = []
    changed: list[tuple[str, Code]] = []
    content: set[int] = set()  # pks of known codes whose meaning or parents changed
    touched: set[int] = set()
    for term in terms:
        parents = list(term.parents)
        known = table.codes.get(term.rid)
        if known is None:
            new.append(
                Code(
                    system=codes.RADLEX,
                    code=term.rid,
                    meaning=term.name,
                    key=codes.term_key(term.name),
                    parents=parents,
                    source=source,
                )
            )
            continue
        pk, meaning, old_parents, old_source = known
        if (meaning, old_parents, old_source) == (term.name, parents, source):
            continue
        changed.append(
            (
                term.rid,
                Code(
                    pk=pk,
                    meaning=term.name,
                    key=codes.term_key(term.name),
                    parents=parents,
                    source=source,
                    updated=now,
                ),
            )
        )
        if (meaning, old_parents) != (term.name, parents):
            content.add(pk)
        if meaning != term.name:
            touched.add(pk)
    Code.objects.bulk_create(new, batch_size=BATCH)
    Code.objects.bulk_update(
        [code for _, code in changed], ["meaning", "key", "parents", "source", "updated"]
    )
    for code in new:
        table.codes[code.code] = (code.pk, code.meaning, code.parents, source)
    for rid, code in changed:
        table.codes[rid] = (code.pk, code.meaning, code.parents, source)
    synonyms = _save_synonyms(terms, table, {code.pk for code in new})
    result.created += len(new)
    result.updated += len(content | synonyms)
    result.unchanged += len(terms) - len(new) - len(content | synonyms)
    return touched | synonyms


def _save_synonyms(terms: list[RadLexTerm], table: _Table, new: set[int]) -> set[int]:
    """Make each code's synonyms the file's; the pks of codes (not ``new``) changed."""
    gone: list[int] = []
    added: list[CodeSynonym] = []
    changed: set[int] = set()
    for term in terms:
        pk = table.codes[term.rid][0]
        have = table.synonyms.get(pk, {})
        want = set(term.synonyms)
        stale = [syn_pk for text, syn_pk in have.items() if text not in want]
        fresh = [t for t in term.synonyms if t not in have]
        if not (stale or fresh):
            continue
        gone += stale
        added += [CodeSynonym(code_id=pk, term=t, key=codes.term_key(t)) for t in fresh]
        table.synonyms[pk] = {t: have[t] for t in term.synonyms if t in have}
        if pk not in new:
            changed.add(pk)
    for chunk in _chunks(gone, BATCH):
        CodeSynonym.objects.filter(pk__in=chunk).delete()
    CodeSynonym.objects.bulk_create(added, batch_size=BATCH)
    for synonym in added:
        table.synonyms[synonym.code_id][synonym.term] = synonym.pk
    return changed


def _warn_unknown(found: RadLexFile, result: SaveResult) -> None:
    """Name the RadLex codes typed in the editor that this RadLex does not have: a
    mistyped ID, or a term RadLex has since retired."""
    typed = Code.objects.filter(system=codes.RADLEX, source=Code.EDITOR_SOURCE)
    unknown = [c for c in typed.values_list("code", flat=True) if c not in found.terms]
    if unknown:
        shown = ", ".join(unknown[:NAMED]) + (", …" if len(unknown) > NAMED else "")
        result.warnings.append(
            f"{len(unknown)} RadLex code(s) typed in the case editor are not in this file "
            f"(mistyped, or retired from RadLex): {shown}"
        )


def _bring_up_to_date(code_pks: set[int], now: Any) -> int:
    """Re-stamp and re-index the cases carrying these codes; how many there are."""
    case_ids: set[int] = set()
    for chunk in _chunks(sorted(code_pks), BATCH):
        case_ids.update(
            CaseCode.objects.filter(code_id__in=chunk).values_list("case_id", flat=True)
        )
    for chunk in _chunks(sorted(case_ids), BATCH):
        # Their stored pages are re-rendered on the next read (see lightbox.cases.pages).
        Case.objects.filter(pk__in=chunk).update(updated=now)
        index.index_cases(chunk)
    return len(case_ids)
