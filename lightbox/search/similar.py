""" "Search for similar cases": a ranked list of cases like a case, or like pasted text,
each with the reasons it matched.

Every visible case is scored at once, with arrays (see :mod:`lightbox.search.store`):

* ACR code: the same code, else the same anatomic field and category, else the same field;
* the same topic;
* shared differential diagnoses and keywords (up to three each count);
* the same modality and radiopharmaceutical;
* *lexical* similarity: the distinctive words of the findings and diagnosis searched
  for in the index (abbreviations expanded, misspellings corrected against the
  index vocabulary), scored by the backend and scaled to 0–1;
* *semantic* similarity: the cosine of sentence embeddings (all-MiniLM-L6-v2), scaled
  to 0–1 from a floor below which texts are unrelated.

The text work (words, abbreviations, embeddings) is :mod:`lightbox.search.text`'s; this
module scores cases with it.

The weights are in :data:`WEIGHTS` and can be changed with the setting
``LIGHTBOX_SIMILAR_WEIGHTS`` (see docs/search.md). In *unknown* mode a reason names only
what the unknown page shows (:data:`REASON_SOURCES`, :mod:`lightbox.cases.unknown`): the
modality, not the code, keyword, field, category or radiopharmaceutical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings

from lightbox.cases import acr
from lightbox.cases import unknown as unknown_case
from lightbox.search import store, suggest
from lightbox.search.backends import SearchTimeout, backend
from lightbox.search.text import query as q
from lightbox.search.text.abbreviations import expand
from lightbox.search.text.compiler import compile_for
from lightbox.search.text.words import tokenize

__all__ = ["WEIGHTS", "Similar", "like_case", "like_text", "weights"]

WEIGHTS: dict[str, float] = {
    "acr_code": 6.0,
    "field_category": 3.0,
    "field": 1.0,
    "topic": 2.0,
    "differential": 1.0,
    "keyword": 0.75,
    "modality": 0.5,
    "agent": 1.0,
    "lexical": 4.0,
    "semantic": 8.0,
}
SEMANTIC_FLOOR = 0.25  # cosines below this are unrelated text
LEXICAL_WORDS = 24  # distinctive words searched for
COMMON = 0.2  # a word in more than this share of cases is not distinctive
OUTLIER = 1.5  # a best lexical score this many times the next is a near-copy
POSTINGS = 5000  # cases the lexical search may score, at most (about 5 ms)
STOP_WORDS = (
    "a an and are as at be but by for from has have he her his in into is it its no not of "
    "on or she than that the their there these this to was were which with without"
)
STOP = frozenset(STOP_WORDS.split())


#: The longest text compared (the page and the API refuse longer ones).
MAX_TEXT = 20_000


def weights() -> dict[str, float]:
    return {**WEIGHTS, **getattr(settings, "LIGHTBOX_SIMILAR_WEIGHTS", {})}


@dataclass
class Similar:
    case_id: int
    number: str
    score: float
    reasons: list[str] = field(default_factory=list)
    case: Any = None


def with_cards(
    user: Any, found: list[Similar], thumbnails: bool = True, unknown: bool = False
) -> list[Similar]:
    """The list with each case's card (see :func:`engine.load_cases`; an unknown's card
    with ``unknown``) in ``case``, dropping any case the reader may no longer see."""
    from lightbox.search.engine import load_cases

    ids = [s.case_id for s in found]
    cards = {c.pk: c for c in load_cases(user, ids, thumbnails, unknown=unknown)}
    out = []
    for s in found:
        if s.case_id in cards:
            s.case = cards[s.case_id]
            out.append(s)
    return out


def _distinctive(text: str, vocabulary: dict[str, int], total: int, seq: int) -> list[str]:
    words: dict[str, int] = {}
    for word in tokenize(expand(text)):
        if word in STOP or len(word) < 3 or word in words:
            continue
        docs = vocabulary.get(word, 0)
        if docs == 0 and len(word) >= 5 and word.isalpha():
            word = suggest.closest(word, seq) or word  # a misspelling: the index's spelling
            docs = vocabulary.get(word, 0)
        if 0 < docs <= max(2, COMMON * total):
            words[word] = docs
    # The rarest words first, while the cases they are in stay within POSTINGS: BM25
    # costs about a microsecond per case found, and the rarest words say the most.
    chosen: list[str] = []
    postings = 0
    for word in sorted(words, key=words.__getitem__)[:LEXICAL_WORDS]:
        if chosen and postings + words[word] > POSTINGS:
            break
        chosen.append(word)
        postings += words[word]
    return chosen


def _as_written(word: str) -> list[str]:
    """Each distinctive word is searched as written, not in its other forms: a stem
    ("enhanc") is not distinctive, and asking for it made similar cases worse
    (bench/similar_quality.py: MRR 0.833 as written, 0.817 with every form)."""
    return [word]


def _lexical(text: str, st: store.Store, reference: np.ndarray | int) -> np.ndarray:
    """Each row's lexical similarity to ``text``, 0 to 1.

    Scores are divided by a reference: with a row number (a case's own text), that row's
    score, so a score is the share of the case's match with itself; with a mask (what the
    reader may see), the best score among those rows — or the next best when the best
    stands far out, a near-copy of the text, which must not flatten every other score.
    A case nobody may see never sets the scale.
    """
    scores = np.zeros(st.size, np.float64)
    vocabulary = suggest.vocabulary(st.seq)
    chosen = _distinctive(text, vocabulary, max(1, st.size), st.seq)
    if not chosen:
        return scores
    query = q.Query(
        q.Or(tuple(q.Term(w) for w in chosen)) if len(chosen) > 1 else q.Term(chosen[0])
    )
    try:
        compiled = compile_for(query, _as_written)
        ids, found = backend().match(compiled, rank_all=POSTINGS)
    except SearchTimeout:
        return scores
    rows = st.rows(ids)
    ok = rows >= 0
    scores[rows[ok]] = found[ok]
    if isinstance(reference, int):
        top = float(scores[reference]) or float(scores.max())
    else:
        top = _reference(scores[reference])
    return np.minimum(scores / top, 1.0) if top > 0 else scores


def _reference(scores: np.ndarray) -> float:
    """The score that counts as a full lexical match: the best one, unless it stands out
    by far from the next (the pasted text is a case's own, or nearly): then the next,
    so that one near-copy does not flatten every other case's score."""
    if len(scores) == 0:
        return 0.0
    if len(scores) == 1:
        return float(scores[0])
    second, first = np.partition(scores, len(scores) - 2)[-2:]
    return float(second if first > OUTLIER * second else first)


def _semantic(vector: np.ndarray | None, st: store.Store) -> np.ndarray:
    if vector is None or not st.has_vector[: st.size].any():
        return np.zeros(st.size, np.float64)
    cos = st.vectors[: st.size] @ vector.astype(np.float32)
    cos[~st.has_vector[: st.size]] = 0.0
    return np.clip((cos.astype(np.float64) - SEMANTIC_FLOOR) / (1 - SEMANTIC_FLOOR), 0, 1)


def _rows_with(index: dict[str, np.ndarray], items: Any, size: int) -> np.ndarray:
    counts = np.zeros(size, np.int64)
    for item in items:
        rows = index.get(item)
        if rows is not None:
            counts[rows] += 1
    return counts


def _top(scores: np.ndarray, mask: np.ndarray, st: store.Store, limit: int) -> np.ndarray:
    scores = np.where(mask, scores, 0.0)
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) > limit:
        keep = np.argpartition(-scores[candidates], limit - 1)[:limit]
        candidates = candidates[keep]
    order = np.lexsort((st.case_ids[candidates], -scores[candidates]))
    return candidates[order]


def like_case(case: Any, user: Any, limit: int = 10, unknown: bool = False) -> list[Similar]:
    """The cases most like ``case`` that ``user`` may see, best first."""
    w = weights()
    st = store.get()
    with st.lock:
        row = int(st.rows(np.array([case.pk]))[0])
        if row < 0:
            return []
        mask = st.visible(user)
        mask[row] = False
        parts: dict[str, np.ndarray] = {}
        # A code of only field and category ("4.3") says no more than the field and
        # category do: only a more specific code counts as the same code.
        codes = [c for c in st.acr[row] if _specific(c)]
        exact = _rows_with(st.acr_index(), codes, st.size) > 0
        f, c = st.single["field"], st.single["category"]
        f, c = f[: st.size], c[: st.size]
        same_field = (f == f[row]) & (f[row] >= 0)
        same_fc = same_field & (c == c[row]) & (c[row] >= 0)
        parts["acr_code"] = exact.astype(np.float64)
        parts["field_category"] = (same_fc & ~exact).astype(np.float64)
        parts["field"] = (same_field & ~same_fc & ~exact).astype(np.float64)
        topic = st.topic[: st.size]
        parts["topic"] = ((topic == topic[row]) & (topic[row] > 0)).astype(np.float64)
        ddx = _rows_with(st.item_index("differential"), st.differential[row], st.size)
        kw = _rows_with(st.item_index("keywords"), st.keywords[row], st.size)
        parts["differential"] = np.minimum(ddx, 3).astype(np.float64)
        parts["keyword"] = np.minimum(kw, 3).astype(np.float64)
        m = st.single["modality"][: st.size]
        parts["modality"] = ((m == m[row]) & (m[row] >= 0)).astype(np.float64)
        agents = st.values_of("agents", row)
        parts["agent"] = st.facet_mask("agents", agents).astype(np.float64)
        parts["lexical"] = _lexical(_case_text(case), st, row)
        parts["semantic"] = _semantic(st.vectors[row] if st.has_vector[row] else None, st)
        # What most cases share tells little: in a file of bone scans, the same field,
        # modality and radiopharmaceutical say nothing of the disease. Each of these is
        # weighed by the share of the reader's cases that do NOT have it, as IDF would.
        seen = max(int(mask.sum()), 1)
        sharing = {"field": same_field, "field_category": same_fc,
                   "modality": parts["modality"] > 0, "agent": parts["agent"] > 0}  # fmt: skip
        rarity = {name: 1.0 - np.count_nonzero(has & mask) / seen for name, has in sharing.items()}
        total = sum(
            (w[name] * rarity.get(name, 1.0) * values for name, values in parts.items()),
            np.zeros(st.size),
        )
        top = _top(total, mask, st, limit)
        out = []
        for r in top:
            reasons = _reasons(st, row, int(r), parts, ddx, kw, unknown)
            out.append(
                Similar(int(st.case_ids[r]), st.numbers[r], round(float(total[r]), 3), reasons)
            )
    return out


def like_text(text: str, user: Any, limit: int = 10) -> list[Similar]:
    """The cases most like a pasted paragraph (findings, history) that ``user`` may see."""
    from lightbox.search.text import embeddings

    w = weights()
    text = text[:MAX_TEXT]
    vector = embeddings.embed_one(expand(text)) if text.strip() else None
    st = store.get()
    with st.lock:
        mask = st.visible(user)
        lexical = _lexical(text, st, mask)
        semantic = _semantic(vector, st)
        total = w["lexical"] * lexical + w["semantic"] * semantic
        out = []
        for r in _top(total, mask, st, limit):
            reasons = []
            if semantic[r] > 0:
                reasons.append("similar in meaning")
            if lexical[r] > 0:
                reasons.append("similar wording")
            out.append(
                Similar(int(st.case_ids[r]), st.numbers[r], round(float(total[r]), 3), reasons)
            )
    return out


def _specific(code: str) -> bool:
    """More than the anatomic field and pathology category (``4.3`` is not, ``41.3`` and
    ``4.31`` are)."""
    anatomy, _, pathology = code.partition(".")
    return len(anatomy) > 1 or len(pathology) > 1


def _case_text(case: Any) -> str:
    return "\n".join(
        x for x in (case.title, case.diagnosis, case.findings, *case.differential) if x
    )


#: The case attributes whose values a reason would name. In unknown mode a reason names
#: a value only when the unknown page shows that attribute (:mod:`lightbox.cases.unknown`);
#: otherwise it says only that the two cases share one.
REASON_SOURCES = {
    "acr_code": "acr_codes",
    "field_category": "category",
    "field": "anatomic_field",
    "keyword": "keywords",
    "agent": "radiopharmaceuticals",
    "modality": "modality",
}


def _reasons(
    st: store.Store,
    row: int,
    other: int,
    parts: dict[str, np.ndarray],
    ddx: np.ndarray,
    kw: np.ndarray,
    unknown: bool,
) -> list[str]:
    """Why ``other`` is like ``row``, in words. The topic, differential, wording and
    meaning reasons name no value in either mode."""

    def named(part: str) -> bool:
        return not unknown or unknown_case.shows(REASON_SOURCES[part])

    reasons = []
    if parts["acr_code"][other]:
        shared = [c for c in st.acr[other] if c in set(st.acr[row]) and _specific(c)]
        reasons.append("same ACR code" + (" " + ", ".join(shared) if named("acr_code") else ""))
    elif parts["field_category"][other]:
        if named("field_category") and named("field"):
            fv, cv = st.values["field"], st.values["category"]
            field_name = acr.field_name(fv[st.single["field"][row]])
            category = acr.category_name(cv[st.single["category"][row]])
            reasons.append(f"same field and category: {field_name} / {category}")
        else:
            reasons.append("same anatomic field and category")
    elif parts["field"][other]:
        if named("field"):
            name = acr.field_name(st.values["field"][st.single["field"][row]])
            reasons.append(f"same anatomic field: {name}")
        else:
            reasons.append("same anatomic field")
    if parts["topic"][other]:
        reasons.append("same topic")
    if n := int(ddx[other]):
        reasons.append(f"shares {n} differential diagnos{'is' if n == 1 else 'es'}")
    if n := int(kw[other]):
        if named("keyword"):
            shared_kw = sorted(st.keywords[row] & st.keywords[other])
            reasons.append("shared keywords: " + ", ".join(shared_kw))
        else:
            reasons.append(f"shares {n} keyword{'' if n == 1 else 's'}")
    if parts["agent"][other]:
        if named("agent"):
            agents = [a for a in st.values_of("agents", row) if a in st.values_of("agents", other)]
            reasons.append("same radiopharmaceutical " + ", ".join(agents))
        else:
            reasons.append("same radiopharmaceutical")
    elif parts["modality"][other]:
        if named("modality"):
            reasons.append(f"same modality {st.values['modality'][st.single['modality'][row]]}")
        else:
            reasons.append("same modality")
    if parts["lexical"][other] > 0.3:
        reasons.append("similar findings")
    if parts["semantic"][other] > 0.3:
        reasons.append("similar in meaning")
    return reasons
