"""Search: a query, facet choices, a sort and a page in; ranked, faceted results out.

The backend finds the cases whose text matches and scores them
(:mod:`lightbox.search.backends`); everything else happens on the in-memory entries
(:mod:`lightbox.search.store`): who may see each case, the ``acr:`` and ``modality:``
filters, the facet choices, the facet counts, the sort and the page. Facet counts are
*disjunctive*: the counts shown for a facet ignore that facet's own choices, so a reader
who ticked "CT" still sees how many "MR" cases there would be. Whether the reader may
see the page's cases is then checked once more on the rows loaded
(:func:`lightbox.cases.access.only_visible`), so a case that stopped being visible a
moment ago is dropped rather than shown.

In *unknown* mode a result carries only the case number, modality, brief history (with
the words found highlighted) and thumbnail: no title, no diagnosis, no answer text; and
only the facets whose values the unknown page shows are counted. What unknown mode may
show is defined once, in :mod:`lightbox.cases.unknown`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection
from django.urls import reverse

from lightbox.cases import acr
from lightbox.cases import unknown as unknown_case
from lightbox.cases.access import only_visible
from lightbox.cases.models import Case, Modality, Sex, Status, Topic, rating
from lightbox.imaging.models import Image, PixelReview
from lightbox.lib.markdown import markup_removed
from lightbox.lib.params import parse_int
from lightbox.lib.schema import column
from lightbox.search import store, suggest
from lightbox.search.backends import RANK_ALL, SearchTimeout, backend
from lightbox.search.text import abbreviations, forms, snippets
from lightbox.search.text import query as q
from lightbox.search.text.compiler import compile_for
from lightbox.search.text.words import tokenize

__all__ = ["FACETS", "SORTS", "Results", "search"]

#: URL/JSON name → (store facet, heading).
FACETS = {
    "field": ("field", "Anatomic field"),
    "category": ("category", "Category"),
    "modality": ("modality", "Modality"),
    "agent": ("agents", "Radiopharmaceutical"),
    "series": ("series", "Series"),
    "difficulty": ("difficulty", "Difficulty"),
    "quality": ("quality", "Quality"),
    "author": ("authors", "Author"),
    "year": ("year", "Year"),
    "age": ("age", "Patient age"),
    "sex": ("sex", "Sex"),
}
#: URL/JSON name → the case attribute whose values the facet lists. In unknown mode a
#: facet is shown only when the unknown page shows that attribute (:mod:`lightbox.cases.unknown`).
FACET_SOURCES = {
    "field": "anatomic_field",
    "category": "category",
    "modality": "modality",
    "agent": "radiopharmaceuticals",
    "series": "series",
    "difficulty": "difficulty",
    "quality": "quality",
    "author": "authors",
    "year": "case_date",  # else the publication year, which says nothing of the answer
    "age": "patient_age",
    "sex": "patient_sex",
}
ORDERED_FACETS = {"field", "category", "difficulty", "quality", "year", "age"}
SORTS = {
    "relevance": "Best match",
    "newest": "Newest",
    "oldest": "Oldest",
    "number": "Case number",
    "difficulty": "Easiest first",
    "quality": "Best quality first",
}
PER_PAGE = 20
MAX_PER_PAGE = 100
#: Results beyond this position are not paged to (refine the search instead).
MAX_OFFSET = 10_000
FACET_VALUES = 15
FEW = 3  # at most this many results: look for a better spelling
#: A search of more words than this that finds nothing is not relaxed (each word is a
#: search of its own).
RELAX_MAX = 8
#: A search that finds fewer cases than this is followed by the cases with most of its
#: words (see _relaxed).
MORE_BELOW = 10


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    """A facet's values with their counts. ``counted`` is False for a facet of the answer
    in unknown mode: only the reader's own choices are listed, without counts, so that
    they can be taken back (see :func:`_facets`)."""

    name: str
    label: str
    values: list[FacetValue]
    counted: bool = True

    @property
    def chosen(self) -> bool:
        """Whether the reader chose one of its values (its group is shown open)."""
        return any(v.selected for v in self.values)


@dataclass
class Hit:
    case: Card
    number: str
    title: str
    snippet: str
    score: float


@dataclass
class Suggestion:
    text: str
    total: int


@dataclass
class Results:
    text: str = ""
    described: str = ""
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    selected: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "newest"
    page: int = 1
    pages: int = 1
    per_page: int = PER_PAGE
    unknown: bool = False
    suggestion: Suggestion | None = None
    # Abbreviations also searched for each of their meanings, and words no case holds
    # searched as the beginning of words ("rhabdo" as rhabdo*), to say so on the page.
    expanded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Synonyms and eponyms also searched for the name they stand for (words → name).
    synonyms: dict[str, str] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)
    # What was typed, when it found nothing and the results are for its correction
    # (``described``): "Showing results for chance fracture — search instead for …".
    corrected: str = ""
    # No case had every word: the results are the cases with most of them.
    relaxed: bool = False
    # Only this many cases had every word (they come first): the cases with most of the
    # words follow them. 0: not so.
    complete: int = 0
    # Searched as typed: no abbreviation expanded, no correction, nothing relaxed.
    literal: bool = False
    error: str = ""
    error_position: int | None = None
    timed_out: bool = False

    @property
    def first(self) -> int:
        """Position of the page's first result, from 1."""
        return (self.page - 1) * self.per_page + 1


def _label(facet: str, value: str) -> str:
    if facet == "field":
        return f"{value} {acr.field_name(value)}"
    if facet == "category":
        return f".{value} {acr.category_name(value)}"
    if facet == "modality":
        return Modality(value).label if value in Modality.values else value
    if facet == "sex":
        return Sex(value).label if value in Sex.values else value
    if facet == "difficulty":
        return f"#D{value}"
    if facet == "quality":
        return f"#Q{value}"
    if facet == "age":
        return "90 or older" if value == "90+" else value
    return value


def _order_key(facet: str, value: str) -> tuple[Any, ...]:
    """Years newest first, ages youngest first. A value chosen in the URL may be anything
    ("year=abc" is shown, ticked, with no cases): what is not a number goes last."""
    if facet == "year":
        year = parse_int(value)
        return (year is None, -(year or 0), value)
    if facet == "age":
        youngest = parse_int(value.split("–")[0].rstrip("+"))
        return (youngest is None, youngest or 0, value)
    return (value,)


def _top(primary: np.ndarray, secondary: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest (primary, secondary) pairs, in order."""
    if len(primary) > k:
        kth = np.partition(primary, k - 1)[k - 1]
        keep = np.flatnonzero(primary <= kth)
    else:
        keep = np.arange(len(primary))
    return keep[np.lexsort((secondary[keep], primary[keep]))][:k]


class _Run:
    """One search over the store, before the page's cases are loaded."""

    def __init__(self, st: store.Store, user: Any, query: q.Query | None) -> None:
        self.st = st
        self.base = st.visible(user)
        self.scores: np.ndarray | None = None
        self.masks: dict[str, np.ndarray] = {}
        if query is None:
            return
        # Each word's other spellings count as the word itself ("haemangioma" finds
        # "hemangioma" as well as it finds itself); other forms, through its key.
        suggest.vocabulary(st.seq)
        spelt = q.with_spellings(query, suggest.spellings)
        compiled = compile_for(spelt, suggest.indexed_forms(st.seq))
        for f in compiled.filters:
            if f.field == "modality":
                mask = st.facet_mask("modality", [f.value])
            else:
                mask = st.acr_mask(f.value, f.prefix)
            self.base &= ~mask if f.negated else mask
        if compiled.fts5 is not None:
            ids, scores = backend().match(compiled)
            rows = st.rows(ids)
            found = rows >= 0
            matched = np.zeros(st.size, bool)
            matched[rows[found]] = True
            self.base &= matched
            self.scores = np.zeros(st.size, np.float64)
            self.scores[rows[found]] = scores[found]

    def chosen(self, selected: dict[str, list[str]], leave_out: str = "") -> np.ndarray:
        """The rows found, narrowed by the facet choices (except ``leave_out``'s)."""
        mask = self.base.copy()
        for name, values in selected.items():
            if name != leave_out and values:
                if name not in self.masks:  # each facet's mask once per search
                    self.masks[name] = self.st.facet_mask(FACETS[name][0], values)
                mask &= self.masks[name]
        return mask


def _facets(
    run: _Run, selected: dict[str, list[str]], found: store.Found, unknown: bool
) -> list[Facet]:
    """Each facet's values with their counts; ``found`` is what every choice selects.

    In ``unknown`` mode a facet whose values the unknown page does not show (the
    anatomic field, the category, the radiopharmaceutical) is not counted: its counts
    would tell the reader the answer of the cases listed. Values the reader chose
    themselves are still listed, uncounted, so that the choice can be undone."""
    out = []
    for name, (key, label) in FACETS.items():
        if unknown and not unknown_case.shows(FACET_SOURCES[name]):
            chosen = selected.get(name, [])
            if chosen:
                values = [FacetValue(v, _label(name, v), 0, True) for v in chosen]
                out.append(Facet(name, label, values, counted=False))
            continue
        # A facet's own choices are left out of its counts (see the module's docstring).
        within = store.Found(run.chosen(selected, leave_out=name)) if name in selected else found
        counts = run.st.counts(key, within)
        names = run.st.values[key]
        picked = set(selected.get(name, []))
        codes = np.flatnonzero(counts)
        if name not in ORDERED_FACETS:
            codes = codes[np.argsort(-counts[codes], kind="stable")][:FACET_VALUES]
        values = [
            FacetValue(names[c], _label(name, names[c]), int(counts[c]), names[c] in picked)
            for c in codes
        ]
        shown = {v.value for v in values}
        values += [FacetValue(v, _label(name, v), 0, True) for v in picked if v not in shown]
        if name in ORDERED_FACETS:
            values.sort(key=lambda v: _order_key(name, v.value))
        if values:
            out.append(Facet(name, label, values))
    return out


def _sorted_rows(run: _Run, found: store.Found, sort: str, k: int) -> np.ndarray:
    st = run.st
    rows = found.rows
    ids = st.case_ids[rows]
    published = st.published[rows]
    if sort == "relevance" and run.scores is not None:
        primary = -run.scores[rows] * 1e6 - published / 1e10  # ties: newest first
    elif sort == "oldest":
        primary = published
    elif sort == "number":
        primary = st.number_rank()[rows].astype(np.float64)
    elif sort in ("difficulty", "quality"):
        codes = st.single[sort][rows]
        levels = np.array([float(v) for v in st.values[sort]] + [0.0])[codes]
        levels[codes < 0] = 9.0 if sort == "difficulty" else -9.0  # unrated last
        primary = (levels if sort == "difficulty" else -levels) * 1e10 - published
    else:
        primary = -published
    return rows[_top(primary, ids, k)]


def _snippet(card: Card, words: list[str], prefixes: list[str], unknown: bool) -> str:
    if unknown:
        history = card.brief_history
        return snippets.snippet(history, words, prefixes, clean=markup_removed) if history else ""
    t = dict(zip(SNIPPET_FIELDS, card.texts, strict=True))
    texts = [
        t["findings"], card.brief_history, t["full_history"], t["discussion"], card.diagnosis,
        t["differential"], t["keywords"], t["followup"],
    ]  # fmt: skip
    if t["topic"]:  # a case found by its topic's title says so, the words highlighted
        texts.append(f"Topic: {t['topic']}")
    # The texts are Markdown: a snippet is a line of plain text, not "*malignant*".
    return snippets.best([text for text in texts if text], words, prefixes, clean=markup_removed)


def result_title(case: Card, unknown: bool) -> str:
    """What a result is called: in unknown mode only its number (a title often names
    the diagnosis)."""
    if unknown:
        return f"Case {case.number}"
    return case.title or case.diagnosis or case.number


@dataclass
class Card:
    """What a result shows of a case, read in one SELECT (see :func:`load_cases`). Not a
    model instance: the ORM made building twenty of them cost more than the query, and
    a template cannot trigger a query per result by reading a field not loaded."""

    pk: int
    number: str
    title: str
    diagnosis: str
    modality: str
    difficulty: int | None
    quality: int | None
    status: str
    visibility: str
    created_by_id: int | None
    brief_history: str
    #: The other texts a snippet may come from, as TEXT_FIELDS (empty unless asked for).
    texts: tuple[str, ...] = ()
    #: The main image, when it has a thumbnail that may be shown.
    thumbnail_id: int | None = None

    def get_absolute_url(self) -> str:
        return reverse("lightbox-case-detail", args=[self.number])

    @property
    def thumbnail_url(self) -> str:
        """Made when shown (the API does not show it)."""
        if self.thumbnail_id is None:
            return ""
        return reverse("lightbox-image-file", args=[self.number, self.thumbnail_id, "thumb"])

    @property
    def rating(self) -> str:
        return rating(self.difficulty, self.quality)

    def get_status_display(self) -> str:
        return str(Status(self.status).label)


#: The columns of a card, in the order of Card's fields …
CARD_FIELDS = (
    "id", "number", "title", "diagnosis", "modality", "difficulty", "quality", "status",
    "visibility", "created_by", "brief_history",
)  # fmt: skip
#: … and the other texts a snippet may come from (see _snippet for the order): the
#: case's sections not on the card, and two of its lists.
TEXT_FIELDS = (
    *[name for name in Case.SECTIONS if name not in CARD_FIELDS], "differential", "keywords",
)  # fmt: skip
#: … and, last, the title of the case's topic (a case found by it says so).
SNIPPET_FIELDS = (*TEXT_FIELDS, "topic")
_LISTS = {"differential", "keywords"}


@functools.cache
def _page_sql(vendor: str, count: int, texts: bool, thumbnails: bool) -> str:
    """One SELECT for a page of cases with their main thumbnail. Written once per shape
    from the models' own names: building it through the ORM took longer (about 1 ms)
    than the database took to answer it."""
    qn = connection.ops.quote_name
    names = CARD_FIELDS + (TEXT_FIELDS if texts else ())
    columns = [f"c.{qn(column(Case, n))}" for n in names]
    joins = ""
    if texts:
        columns.append(f"t.{qn(column(Topic, 'title'))}")
        joins = (
            f" LEFT JOIN {qn(Topic._meta.db_table)} t ON t.{qn(column(Topic, 'pk'))} = "
            f"c.{qn(column(Case, 'topic'))}"
        )
    if thumbnails:
        columns += [f"i.{qn(column(Image, 'pk'))}", f"i.{qn(column(Image, 'thumbnail'))}"]
        joins += (
            f" LEFT JOIN {qn(Image._meta.db_table)} i ON i.{qn(column(Image, 'case'))} = "
            f"c.{qn(column(Case, 'pk'))} AND i.{qn(column(Image, 'is_main'))} = %s "
            f"AND i.{qn(column(Image, 'pixel_review'))} <> %s"
        )
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT {', '.join(columns)} FROM {qn(Case._meta.db_table)} c{joins} "  # noqa: S608 (model names; values are parameters)
        f"WHERE c.{qn(column(Case, 'pk'))} IN ({marks})"
    )


def _text(name: str, value: Any) -> str:
    if name not in _LISTS:
        return value or ""
    items = json.loads(value) if isinstance(value, str) else value  # SQLite: JSON text
    return "; ".join(str(i) for i in items or [])


def load_cases(
    user: Any,
    ids: list[int],
    thumbnails: bool = True,
    texts: bool = False,
    unknown: bool = False,
) -> list[Card]:
    """Cards of these cases, in this order, with the URL of their main thumbnail
    (unless not wanted) and, with ``texts``, the texts snippets come from. Cases
    ``user`` may not see are left out (checked again here, whatever the store said).
    ``unknown`` cards hold nothing the unknown page does not show (:func:`_as_unknown`)."""
    if not ids:
        return []
    params: list[Any] = [True, PixelReview.NEEDED] if thumbnails else []
    with connection.cursor() as cur:
        cur.execute(_page_sql(connection.vendor, len(ids), texts, thumbnails), params + ids)
        rows = cur.fetchall()
    cards = []
    n = len(CARD_FIELDS)
    for row in rows:
        card = Card(*row[:n])
        if texts:
            card.texts = tuple(
                _text(name, v) for name, v in zip(SNIPPET_FIELDS, row[n:], strict=False)
            )
        if thumbnails and row[-1]:  # the main image, and it has a thumbnail
            card.thumbnail_id = row[-2]
        cards.append(_as_unknown(card) if unknown else card)
    by_id = {c.pk: c for c in only_visible(user, cards)}
    return [by_id[i] for i in ids if i in by_id]


#: Card columns read only to decide who may see the case, never shown.
_CARD_ACCESS = {"id", "created_by"}


def _as_unknown(card: Card) -> Card:
    """``card`` with every column the unknown page does not show blanked (the title and
    diagnosis), so that no template or serializer can show them by mistake."""
    if card.texts:
        raise ValueError("an unknown's card carries no answer text")
    for name, f in zip(CARD_FIELDS, dataclasses.fields(Card), strict=False):
        if name not in _CARD_ACCESS and not unknown_case.shows(name):
            setattr(card, f.name, "" if isinstance(getattr(card, f.name), str) else None)
    return card


def _meanings(typed: str) -> tuple[str, ...]:
    return abbreviations.meanings()[typed.lower()] if abbreviations.counts(typed) else ()


@functools.cache
def _synonyms() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Grading's synonyms and eponyms (``lightbox/learning/terms.toml``), variant keys →
    the name's words: "osteitis deformans" → paget, "plummer" → toxic multinodular goitre."""
    from lightbox.learning.grading import written_synonyms

    table = {}
    for variant, name in written_synonyms().items():
        words, named = tokenize(variant), tuple(tokenize(name))
        if words and named:
            table[tuple(map(forms.key, words))] = named
    return table


def _with_meanings(query: q.Query, res: Results) -> q.Query:
    """An abbreviation finds each of its meanings too ("PE" finds "pulmonary embolism"),
    from the table the grader uses (:mod:`lightbox.search.text.abbreviations`); a
    synonym or an eponym the name it stands for, from grading's ("osteitis deformans"
    finds "Paget")."""
    query, res.expanded = q.with_meanings(query, _meanings)
    query, res.synonyms = q.with_synonyms(query, _synonyms(), forms.key)
    return query


def _completed(query: q.Query, seq: int) -> tuple[q.Query, list[str]]:
    """For a search that found nothing: each word no case holds in any form that begins
    indexed words, searched as a prefix ("rhabdo" finds "rhabdomyolysis"). The index's
    words are read as for "did you mean" (:mod:`lightbox.search.suggest`)."""
    suggest.vocabulary(seq)
    return q.completed(query, suggest.known, suggest.begins)


def _fixes(query: q.Query, seq: int) -> dict[str, str]:
    """Each word of ``query`` no case holds in any form → the closest indexed word."""
    suggest.vocabulary(seq)
    return {
        word: better
        for word in q.terms(query)
        if not suggest.known(word) and (better := suggest.closest(word, seq))
    }


def _suggest(user: Any, query: q.Query, st: store.Store) -> Suggestion | None:
    """Did you mean …, for a search finding few cases: the corrected search, if it finds
    a case ``user`` may see."""
    fixes = _fixes(query, st.seq)
    if not fixes:
        return None
    corrected = q.replace_words(query, fixes)
    total = int(_Run(st, user, corrected).base.sum())
    return Suggestion(q.describe(corrected), total) if total else None


def _cases_with(node: q.Node, words: dict[str, int]) -> int:
    """At most how many cases hold ``node`` (a word, phrase or group), from the index's
    vocabulary: each word's count, its other forms' counts added."""
    if isinstance(node, q.Term):
        if node.prefix:
            return suggest.cases_beginning(node.word, RANK_ALL)
        return sum(words.get(w, 0) for w in suggest.forms_of([node.word]))
    if isinstance(node, q.Phrase):
        return min(_cases_with(q.Term(w), words) for w in node.words)
    if isinstance(node, q.Field):
        return _cases_with(node.child, words)
    if isinstance(node, q.Or):
        return sum(_cases_with(c, words) for c in node.children)
    if isinstance(node, q.And):
        return min(_cases_with(c, words) for c in node.children)
    return 0


def _wanted_words(node: q.Node) -> list[str]:
    """The words ``node`` looks for, phrases cut into words, fields and NOTs left out."""
    if isinstance(node, q.Term):
        return [] if node.prefix else [node.word]
    if isinstance(node, q.Phrase):
        return list(node.words)
    if isinstance(node, q.Field):
        return _wanted_words(node.child)
    if isinstance(node, q.And | q.Or):
        return [w for c in node.children for w in _wanted_words(c)]
    return []


def _relaxed(
    user: Any,
    query: q.Query,
    st: store.Store,
    by_word: bool = False,
    guessed: frozenset[str] = frozenset(),
) -> _Run | None:
    """The cases holding most of the words: for a search that finds few or no cases.

    Each word (or phrase, or group) wanted at the top of the query is searched on its
    own — with ``by_word``, each word of it, phrases and groups taken apart — with the
    query's NOTs and filters; a case's score is how many it holds, then
    the sum of its BM25 scores (which weigh the rare words more), so the cases with the
    most words come first — those with every word, if any, before all others. A word
    that is a correction (in ``guessed``: "osteogenic" read as "osteopenia") counts half:
    the reader may have meant what they typed. Fewer words are taken only as far as
    needed to find :data:`MORE_BELOW` cases."""
    text, filters = q.split_filters(query.root)
    if text is None:
        return None
    conjuncts = text.children if isinstance(text, q.And) else (text,)
    unwanted = [c for c in conjuncts if isinstance(c, q.Not)]
    if by_word:
        wanted: list[q.Node] = [q.Term(w) for w in dict.fromkeys(_wanted_words(text))]
    else:
        wanted = [c for c in conjuncts if not isinstance(c, q.Not)]
    if len(wanted) < 2 or len(wanted) > RELAX_MAX:
        return None
    # A word in more than RANK_ALL cases ("acute", "uptake") is not searched alone: the
    # cases holding it and not the rarer words are many and say little, and reading them
    # all would cost a common word's search per search. Unless every word is common.
    words = suggest.vocabulary(st.seq)
    rare = [c for c in wanted if _cases_with(c, words) <= RANK_ALL]
    if rare and len(rare) < len(wanted):
        wanted = rare
    count = np.zeros(st.size, np.float64)
    score = np.zeros(st.size, np.float64)
    base = None
    for child in wanted:
        parts: list[q.Node] = [child, *unwanted, *filters]
        one = _Run(st, user, q.Query(q.And(tuple(parts)) if len(parts) > 1 else child))
        base = one.base if base is None else base | one.base
        count += one.base * (0.5 if guessed.intersection(_wanted_words(child)) else 1.0)
        if one.scores is not None:
            score += np.where(one.base, one.scores, 0.0)
    if base is None or not base.any():
        return None
    # The cases with the most words, then with fewer, and so on until there are
    # MORE_BELOW of them (a case with one word of several only when that is all there is).
    at_least = float(count.max())
    while at_least > 0.5 and int((count >= at_least).sum()) < MORE_BELOW:
        at_least -= 0.5
    run = _Run(st, user, None)
    run.base &= base & (count >= at_least)
    top = float(score[run.base].max(initial=0.0))
    run.scores = count + (0.99 * score / top if top > 0 else 0.0)
    return run


def _loose(query: q.Query) -> bool:
    """Whether the words of ``query`` were typed without AND: only then do the cases
    with most of them follow the few with all (an AND typed means all, no fewer)."""
    return not any(t == "AND" for t in query.source.split())


def _more_below(
    res: Results,
    user: Any,
    query: q.Query,
    st: store.Store,
    selected: dict[str, list[str]],
    found: store.Found,
) -> tuple[q.Query, _Run, store.Found] | None:
    """For a search that found a few cases: those, then the cases with most of the words
    (noted on ``res``: how many have every word)."""
    more = _relaxed(user, query, st)
    if more is None:
        return None
    wider = store.Found(more.chosen(selected))
    if len(wider.rows) <= len(found.rows):
        return None
    res.complete = len(found.rows)
    return query, more, wider


def _no_dead_end(
    res: Results,
    user: Any,
    typed: q.Query,
    query: q.Query,
    st: store.Store,
    selected: dict[str, list[str]],
) -> tuple[q.Query, _Run, store.Found] | None:
    """For a search (``typed``; ``query`` with its abbreviations expanded) that found
    nothing, the first of these that finds something, noted on ``res``:

    1. each word no case holds that begins indexed words searched as a prefix
       ("rhabdo" as rhabdo*);
    2. each word no case holds in any form replaced by the closest indexed word
       ("chance fracure" as "chance fracture"): the results are the corrected search's;
    3. the cases holding most of the words (of the corrected search, if a word was
       corrected), ranked by how many and how rare.
    """

    def found(candidate: _Run) -> store.Found | None:
        rows = store.Found(candidate.chosen(selected))
        return rows if len(rows.rows) else None

    completed, res.completed = _completed(query, st.seq)
    if res.completed:
        again = _Run(st, user, completed)
        if more := found(again):
            return completed, again, more
        res.completed = []
    fixes = _fixes(query, st.seq)
    if fixes:
        corrected = q.replace_words(query, fixes)
        again = _Run(st, user, corrected)
        if more := found(again):
            res.corrected, res.described = res.described, q.describe(q.replace_words(typed, fixes))
            return corrected, again, more
        query = corrected
    guessed = frozenset(fixes.values())
    relaxed = _relaxed(user, query, st, guessed=guessed)
    if relaxed is None or not found(relaxed):  # then each word alone, phrases taken apart
        relaxed = _relaxed(user, query, st, by_word=True, guessed=guessed)
    if relaxed is not None and (more := found(relaxed)):
        if fixes:
            res.corrected, res.described = res.described, q.describe(q.replace_words(typed, fixes))
        res.relaxed = True
        return query, relaxed, more
    return None


def clean_selection(raw: dict[str, list[str]]) -> dict[str, list[str]]:
    """Facet choices from a request: known facets only, at most 20 short values each."""
    return {
        name: list(dict.fromkeys(v[:200] for v in values if v))[:20]
        for name, values in raw.items()
        if name in FACETS and values
    }


def search(
    user: Any,
    text: str = "",
    selected: dict[str, list[str]] | None = None,
    sort: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
    unknown: bool = False,
    thumbnails: bool = True,
    literal: bool = False,
) -> Results:
    """Run a search as ``user`` sees the library; never raises for what a user typed.
    ``thumbnails=False`` leaves out the results' main images (the API has none).
    ``literal`` searches the words as typed (every form of each still): no abbreviation
    is expanded, and a search finding nothing is neither corrected nor relaxed."""
    text = text.strip()
    selected = clean_selection(selected or {})
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    res = Results(
        text=text, selected=selected, per_page=per_page, unknown=unknown, literal=literal
    )
    query = None
    if text:
        try:
            query = q.parse(text)
        except q.QuerySyntaxError as e:
            res.error, res.error_position = e.message, e.position
            return res
        res.described = q.describe(query)
    res.sort = sort if sort in SORTS else ("relevance" if text else "newest")
    st = store.get()
    typed = query
    if query is not None and not literal:
        query = _with_meanings(query, res)
    with st.lock:
        try:
            run = _Run(st, user, query)
            found = store.Found(run.chosen(selected))
            if query is not None and typed is not None and not literal:
                again = None
                if not len(found.rows):
                    again = _no_dead_end(res, user, typed, query, st, selected)
                elif len(found.rows) < MORE_BELOW and _loose(query):
                    again = _more_below(res, user, query, st, selected, found)
                if again is not None:
                    query, run, found = again
        except SearchTimeout:
            res.error = "This search took too long. Make it more specific, e.g. add a word."
            res.timed_out = True
            return res
        res.total = len(found.rows)
        res.pages = max(1, -(-res.total // per_page))
        res.page = max(1, min(page, res.pages, MAX_OFFSET // per_page))
        offset = (res.page - 1) * per_page
        rows = _sorted_rows(run, found, res.sort, offset + per_page)[offset:]
        res.facets = _facets(run, selected, found, unknown)
        scores = (
            {}
            if run.scores is None
            else dict(zip(st.case_ids[rows].tolist(), run.scores[rows].tolist(), strict=True))
        )
        if query is not None and (res.complete or res.total) <= FEW and not res.corrected:
            with contextlib.suppress(SearchTimeout):  # a suggestion is a nicety
                res.suggestion = _suggest(user, query, st)
    # Every form of the words searched is highlighted ("tumour" finds "tumors" too).
    words = suggest.forms_of(q.terms(query)) if query else []
    prefixes = q.prefixes(query) if query else []
    ids = [int(i) for i in st.case_ids[rows]]
    for case in load_cases(user, ids, thumbnails, texts=not unknown, unknown=unknown):
        res.hits.append(
            Hit(
                case=case,
                number=case.number,
                title=result_title(case, unknown),
                snippet=_snippet(case, words, prefixes, unknown),
                score=float(f"{scores.get(case.pk, 0.0):.6g}"),
            )
        )
    return res
