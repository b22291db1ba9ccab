"""Grade a learner's free-text answer against a case's diagnosis.

Django-free. A learner reading a case as an unknown types a diagnosis; :func:`grade`
compares it with the case's diagnosis (and the answers its author also accepts, and the
items of its differential) and returns a :class:`Verdict`: correct, correct but misspelt,
partial (an item of the differential), incorrect, or unsure (close, but a human should
decide: the reader then grades themself).

How an answer is read, in order (each step is described in docs/learning.md):

* the text is normalised (:func:`normalise`): Markdown, links and tags dropped, accents
  removed, case folded, possessives and plurals made singular ("Paget's" = "Pagets" =
  "paget", "metastases" = "mets" = "metastasis"), British spelling made American
  ("haemorrhage" = "hemorrhage"), and words that carry no meaning dropped ("the", "of",
  "disease");
* abbreviations are expanded into every meaning they have (the table search shares,
  ``lightbox/search/text/abbreviations.toml``), and
  synonyms replaced by one name (``terms.toml``): :func:`variants`;
* the words are sorted into the names of the diagnosis (which must all be given, each
  spelt right or nearly), qualifiers ("left", "acute": may be left out, never
  contradicted) and sites ("of the tibia": may be left out, unless the name needs one, as
  "adenoma" does). Word order does not matter;
* the terms of a code that names the diagnosis (its RadLex synonyms, say) are accepted
  as it (``synonyms``);
* a case's diagnosis is cut into its core ("Hypertrophic pulmonary osteoarthropathy") and
  what it says besides ("secondary to squamous cell carcinoma of the lung"); only the core,
  or the whole, makes an answer correct. What it says the case is not ("(not a
  metastasis)") never does;
* the rival rule: an answer close to the diagnosis is accepted only if it is strictly
  closer to it than to any other diagnosis Lightbox knows (a :class:`Lexicon`). So
  "pneumothorax" is never accepted for "hemothorax", nor "osteoporosis" for
  "osteopetrosis", however near their spelling.

Examples
--------
>>> grade("Pagets dz of bone", "Paget's disease of bone (polyostotic)").outcome
<Outcome.CORRECT: 'correct'>
>>> grade("pnemothorax", "Tension pneumothorax").outcome
<Outcome.UNSURE: 'unsure'>
>>> grade("tension pnemothorax", "Tension pneumothorax").outcome
<Outcome.SPELLING: 'spelling'>
>>> v = grade("hemothorax", "Pneumothorax")
>>> v.outcome, v.rival
(<Outcome.INCORRECT: 'incorrect'>, 'Hemothorax')
>>> grade("TMNG", "Graves disease", differential=["Toxic multinodular goitre"]).outcome
<Outcome.PARTIAL: 'partial'>
>>> grade("AML", "Renal angiomyolipoma").outcome
<Outcome.CORRECT: 'correct'>
>>> grade("Leri disease", "Melorheostosis of the femur").outcome
<Outcome.INCORRECT: 'incorrect'>
>>> code = [("Melorheostosis", "Leri disease", "Flowing hyperostosis")]
>>> grade("Leri disease", "Melorheostosis of the femur", synonyms=code).outcome
<Outcome.CORRECT: 'correct'>
>>> sorted(variants("AML"))
['acute myeloid leukemia', 'angiomyolipoma']
>>> normalise("The *Pagets'* disease of  bones")
'paget bone'
"""

from __future__ import annotations

import gc
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from functools import cache, lru_cache
from itertools import islice, product
from pathlib import Path
from typing import Final, NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from lightbox.search.text import abbreviations
from lightbox.search.text.forms import singular

__all__ = [
    "MAX_INPUT",
    "MAX_LENGTH",
    "MAX_SYNONYM_GROUPS",
    "MAX_SYNONYMS",
    "Lexicon",
    "Outcome",
    "Verdict",
    "grade",
    "normalise",
    "variants",
    "written_synonyms",
]

#: Characters of an answer or a diagnosis read at most; the rest is ignored.
MAX_INPUT: Final = 2000
#: Characters of normalised text kept at most (a diagnosis is a name, not an essay).
MAX_LENGTH: Final = 300
#: Words of an answer or a diagnosis (or of one clause of it) read at most.
MAX_WORDS: Final = 60
#: Readings of one text at most, when it holds several ambiguous abbreviations.
MAX_FORMS: Final = 8
#: Ambiguous abbreviations of one text read in each of their meanings, at most.
MAX_AMBIGUOUS: Final = 3
#: Synonym groups (codes) read at most by one grade, and terms of each.
MAX_SYNONYM_GROUPS: Final = 20
MAX_SYNONYMS: Final = 20

#: Below this similarity (0-100), an answer that neither names the diagnosis nor a
#: broader or narrower term of it is incorrect, not unsure.
UNSURE_SIMILARITY: Final = 80.0
#: A close answer (unsure) is wrong when it is, this nearly or more, another known
#: diagnosis (all of whose words it gives) that is no broader or narrower term of the
#: diagnosis.
RIVAL_SIMILARITY: Final = 85.0
#: Known diagnoses compared in full with an answer, at most (the closest by name).
RIVAL_CANDIDATES: Final = 100
#: An answer that names the diagnosis among other things (a narrower term, a hedge) is
#: unsure only from this similarity; below it, incorrect.
NARROWER_SIMILARITY: Final = 50.0

_HERE = Path(__file__).resolve().parent
#: The abbreviations table, shared with search (lightbox/search/text/abbreviations.toml).
ABBREVIATIONS_FILE: Final = abbreviations.FILE
TERMS_FILE: Final = _HERE / "terms.toml"
KNOWN_DIAGNOSES_FILE: Final = _HERE / "known_diagnoses.txt"


class Outcome(StrEnum):
    """How an answer was graded."""

    #: The answer names the diagnosis (or an answer its author accepts).
    CORRECT = "correct"
    #: It names the diagnosis, misspelt.
    SPELLING = "spelling"
    #: It names an item of the case's differential, not the diagnosis.
    PARTIAL = "partial"
    #: It is wrong, or names another diagnosis.
    INCORRECT = "incorrect"
    #: It is close (a broader or narrower term, another site, a near spelling): a human
    #: should decide, and the reader grades themself.
    UNSURE = "unsure"


_OUTCOME_RANK: Final = {
    Outcome.CORRECT: 5,
    Outcome.SPELLING: 4,
    Outcome.PARTIAL: 3,
    Outcome.UNSURE: 2,
    Outcome.INCORRECT: 1,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The grade of one answer.

    Attributes
    ----------
    outcome
        See :class:`Outcome`.
    matched
        The text the answer was judged to name: the diagnosis, an accepted answer or a
        differential item, as given to :func:`grade`; ``""`` when incorrect.
    similarity
        How close the answer is to what it was judged against, 0-100 (100: the same
        words after normalisation).
    rival
        When the answer was refused because another known diagnosis is at least as close,
        that diagnosis; else ``""``.
    """

    outcome: Outcome
    matched: str = ""
    similarity: float = 0.0
    rival: str = ""


# -- the vocabulary ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """``terms.toml`` and ``abbreviations.toml``, normalised and indexed."""

    filler: frozenset[str]
    links: tuple[tuple[str, ...], ...]
    negations: tuple[tuple[str, ...], ...]
    classifiers: frozenset[str]
    optional_classifiers: Mapping[str, int]  # classifier → its qualifier group
    prefixes: frozenset[str]
    particles: frozenset[str]
    stops: frozenset[str]  # words no prefix or number is joined to
    qualifier_group: Mapping[str, int]
    position_groups: frozenset[int]
    names: tuple[tuple[str, ...], ...]
    sites: frozenset[str]
    broad_sites: frozenset[str]
    generic: frozenset[str]
    omissible: frozenset[str]
    needs_site: frozenset[str]
    contrasts: tuple[tuple[str, ...], ...]
    endings: tuple[str, ...]
    synonyms: Mapping[tuple[str, ...], tuple[str, ...]]
    synonym_span: int
    fuzzy_synonyms: Mapping[tuple[int, str], tuple[tuple[str, ...], ...]]  # (n, head) → keys
    eponyms: Mapping[str, tuple[str, ...]]
    abbreviations: Mapping[str, tuple[tuple[str, ...], ...]]
    caps_only: frozenset[str]
    spell_targets: Mapping[str, tuple[str, ...]]  # head → site and qualifier words
    known: frozenset[str]  # every word of the vocabulary: never taken for a misspelling
    link_index: Mapping[str, tuple[tuple[str, ...], ...]]  # first word → links, longest first
    negation_index: Mapping[str, tuple[tuple[str, ...], ...]]
    names_by_head: Mapping[str, tuple[tuple[str, ...], ...]]  # first sound → names
    broader: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...]


_LIGATURES: Final = str.maketrans(
    {
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ı": "i",
        "–": "-",
        "—": "-",
    }  # fmt: skip
)
_POSSESSIVE: Final = re.compile(r"(?<=[^\W\d_])['’‘`´ʼ]s\b")
_APOSTROPHES: Final = re.compile(r"['’‘`´ʼ]")
_MD_LINK: Final = re.compile(r"!?\[([^\]\n]{0,300})\]\([^)\n]{0,500}\)")
_URL: Final = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+", re.IGNORECASE)
_TAG: Final = re.compile(r"<[^<>\n]{0,200}>")
_WORD: Final = re.compile(r"[^\W_]+")
_NUMBERISH: Final = re.compile(r"\d+[a-z]?")
_LEVEL: Final = re.compile(r"[ctls]\d{1,2}")  # a vertebral level: C7, T11, L4, S1
_ROMAN: Final = {
    "i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
    "viii": "8", "ix": "9", "x": "10", "xi": "11", "xii": "12",
}  # fmt: skip
_VOWELS: Final = frozenset("aeiouy")


@lru_cache(maxsize=1 << 15)
def _heads(word: str) -> tuple[str, ...]:
    """The sounds a word may start with: its first letter, and what it sounds like
    ("pneumo" and "neumo", "phaeo" and "feo" agree)."""
    for silent, sound in (("pn", "n"), ("ps", "s"), ("pt", "t"), ("ph", "f"), ("kn", "n"),
                          ("gn", "n"), ("rh", "r"), ("wr", "r"), ("ch", "k"), ("c", "k"),
                          ("x", "z")):  # fmt: skip
        if word.startswith(silent) and sound != word[:1]:
            return (word[:1], sound)
    return (word[:1],)


@cache
def _vocabulary() -> _Vocabulary:
    terms = tomllib.loads(TERMS_FILE.read_text(encoding="utf-8"))
    abbr = tomllib.loads(ABBREVIATIONS_FILE.read_text(encoding="utf-8"))
    prefixes = frozenset(terms["prefixes"])
    particles = frozenset(terms["particles"])
    classifiers = frozenset(terms["classifiers"])

    def joined(entry: str) -> tuple[str, ...]:
        text = _APOSTROPHES.sub("", _POSSESSIVE.sub("", entry.lower()))
        toks = [_Tok(singular(w), False) for w in _WORD.findall(text)]
        return tuple(t.text for t in _join(toks, prefixes, particles, classifiers, ()))

    synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
    for variant, name in terms["synonyms"].items():
        synonyms[joined(variant)] = joined(name)
    span = max(len(k) for k in synonyms)
    # A canonical name is written in canonical words ("unicameral bone cyst" → "unicameral
    # osseous cyst"), so that it meets the same name written out.
    synonyms = {
        k: tuple(_replace(list(val), synonyms, span, {}, frozenset(), {})[0])
        for k, val in synonyms.items()
    }
    eponyms = {
        joined(k)[0]: tuple(_replace(list(joined(val)), synonyms, span, {}, frozenset(), {})[0])
        for k, val in terms["eponyms"].items()
    }

    def canonical(entry: str) -> tuple[str, ...]:
        words, _ = _replace(list(joined(entry)), synonyms, span, {}, frozenset(), eponyms)
        return tuple(words)

    filler = frozenset(w for f in terms["filler"] for w in joined(f))
    links = {joined(x) for x in terms["links"]}
    negations = {joined(x) for x in terms["negations"]}

    groups: dict[str, int] = {}
    positions: set[int] = set()
    for i, group in enumerate([*terms["qualifiers"], *terms["positions"]]):
        if i >= len(terms["qualifiers"]):
            positions.add(i)
        for q in group:
            for w in canonical(q):
                groups[w] = i
    optional = {c: 1000 + i for i, c in enumerate(terms["optional_classifiers"])}
    sites = frozenset(w for s in terms["sites"] for w in canonical(s))
    broad = frozenset(w for s in terms["broad_sites"] for w in canonical(s))
    generic = frozenset(w for s in terms["generic"] for w in canonical(s))
    needs_site = frozenset(w for s in terms["needs_site"] for w in canonical(s))
    names = {tuple(w for w in canonical(n) if w not in filler) for n in terms["names"]}
    meanings = {
        key.lower(): tuple(joined(m) for m in values) for key, values in abbr["meanings"].items()
    }
    known = set(filler) | set(groups) | sites | broad | generic | needs_site
    known |= {w for phrase in (*links, *negations, *names) for w in phrase}
    known |= {w for k, v in synonyms.items() for w in (*k, *v)}
    known |= {w for k, v in eponyms.items() for w in (k, *v)}
    known |= {w for ms in meanings.values() for m in ms for w in m}

    fuzzy: dict[tuple[int, str], list[tuple[str, ...]]] = {}
    for key in synonyms:
        if len(" ".join(key)) >= 7:
            for h in _heads(key[0]):
                fuzzy.setdefault((len(key), h), []).append(key)
    targets: dict[str, list[str]] = {}
    for w in sorted(sites | set(groups)):
        if len(w) >= 7:
            for h in _heads(w):
                targets.setdefault(h, []).append(w)
    return _Vocabulary(
        filler=filler,
        links=tuple(sorted(links, key=len, reverse=True)),
        negations=tuple(sorted(negations, key=len, reverse=True)),
        classifiers=classifiers,
        optional_classifiers=optional,
        prefixes=prefixes,
        particles=particles,
        stops=filler | {x[0] for x in links | negations},
        qualifier_group=groups,
        position_groups=frozenset(positions),
        names=tuple(sorted(names, key=len, reverse=True)),
        sites=sites,
        broad_sites=broad,
        generic=generic,
        omissible=frozenset(w for s in terms["omissible"] for w in canonical(s)),
        needs_site=needs_site,
        contrasts=tuple(tuple(g) for g in terms["contrasts"]),
        endings=tuple(sorted(terms["endings"], key=len, reverse=True)),
        synonyms=synonyms,
        synonym_span=span,
        fuzzy_synonyms={k: tuple(v) for k, v in fuzzy.items()},
        eponyms=eponyms,
        abbreviations=meanings,
        caps_only=frozenset(c.lower() for c in abbr["caps_only"]),
        spell_targets={k: tuple(v) for k, v in targets.items()},
        known=frozenset(known),
        link_index=_first_words(links),
        negation_index=_first_words(negations),
        names_by_head=_by_head(names),
        broader=tuple(
            (canonical(broad), tuple(canonical(n) for n in narrow))
            for broad, narrow in terms["broader"].items()
        ),
    )


def _first_words(
    phrases: Iterable[tuple[str, ...]],
) -> Mapping[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for p in sorted(phrases, key=len, reverse=True):
        index.setdefault(p[0], []).append(p)
    return {k: tuple(v) for k, v in index.items()}


def _by_head(phrases: Iterable[tuple[str, ...]]) -> Mapping[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        if p:
            for h in _heads(p[0]):
                index.setdefault(h, []).append(p)
    return {k: tuple(v) for k, v in index.items()}


# -- from text to words --------------------------------------------------------------------


class _Tok(NamedTuple):
    text: str
    abbr: bool  # an abbreviation, to be expanded into its meanings


def _surface(text: str) -> str:
    """``text`` cut to :data:`MAX_INPUT`, without Markdown links, URLs, tags, accents,
    possessives or apostrophes (case kept: capitals tell an abbreviation from a word)."""
    text = text[:MAX_INPUT]
    text = _MD_LINK.sub(r" \1 ", text)
    text = _URL.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = text.translate(_LIGATURES)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _APOSTROPHES.sub("", _POSSESSIVE.sub("", text))


def _words(text: str, *, whole_answer: bool) -> list[_Tok]:
    """The words of surface text, each an abbreviation or a normalised word."""
    v = _vocabulary()
    raw = _WORD.findall(text)[:MAX_WORDS]
    # "NF 1", "MEN 2A", "Tc 99m": a short run of letters and the number after it are one.
    merged: list[str] = []
    for word in raw:
        if (
            merged
            and _NUMBERISH.fullmatch(word.casefold())
            and merged[-1].isalpha()
            and len(merged[-1]) <= 3
            and merged[-1].casefold() not in v.stops
        ):
            merged[-1] += word
        else:
            merged.append(word)
    alone = whole_answer and len(merged) == 1
    out = []
    for word in merged:
        low = word.casefold()
        caps = word.rstrip("s").isupper() or alone
        key = None
        for cand in (low, low[:-1] if low.endswith("s") and len(low) > 2 else ""):
            if cand in v.abbreviations and (caps or cand not in v.caps_only):
                key = cand
                break
        if key is not None:
            out.append(_Tok(key, True))
        else:
            out.append(_Tok(_fixed(low), False))
    return out


@lru_cache(maxsize=1 << 15)
def _fixed(word: str) -> str:
    return singular(word)


def _join(
    toks: Sequence[_Tok],
    prefixes: frozenset[str],
    particles: frozenset[str],
    classifiers: frozenset[str],
    negations: Sequence[tuple[str, ...]],
    stops: frozenset[str] = frozenset(),
) -> list[_Tok]:
    """Join what belongs together: "non small" → "nonsmall", "de quervain" → "dequervain",
    "type ii" → "type:2", and (in answers) "not pneumothorax" → "nonpneumothorax"."""
    toks = list(toks)
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        neg = next((n for n in negations if _starts(toks, i, n)), None)
        if neg and i + len(neg) < len(toks) and not toks[i + len(neg)].abbr:
            toks[i + len(neg)] = _Tok("non" + toks[i + len(neg)].text, False)
            i += len(neg)
            continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and not t.abbr:
            if (
                (t.text in prefixes or t.text in particles)
                and not nxt.abbr
                and nxt.text.isalpha()
                and nxt.text not in stops
            ):
                # "non-hodgkin", "pseudo aneurysm", "de quervain": one word.
                toks[i + 1] = _Tok(t.text + nxt.text, False)
                i += 1
                continue
            if t.text in classifiers:
                value = _ROMAN.get(nxt.text, nxt.text)
                if len(value) == 1 or _NUMBERISH.fullmatch(value):
                    out.append(_Tok(f"{t.text}:{value}", False))
                    i += 2
                    continue
        out.append(t)
        i += 1
    return out


def _phrase_at(
    toks: Sequence[_Tok], i: int, index: Mapping[str, tuple[tuple[str, ...], ...]]
) -> tuple[str, ...] | None:
    """The longest phrase of ``index`` (first word → phrases) that starts at ``i``."""
    if toks[i].abbr:
        return None
    return next((p for p in index.get(toks[i].text, ()) if _starts(toks, i, p)), None)


def _starts(toks: Sequence[_Tok], i: int, phrase: tuple[str, ...]) -> bool:
    if i + len(phrase) > len(toks):
        return False
    return all(not toks[i + j].abbr and toks[i + j].text == w for j, w in enumerate(phrase))


def _replace(
    words: list[str],
    synonyms: Mapping[tuple[str, ...], tuple[str, ...]],
    span: int,
    fuzzy: Mapping[tuple[int, str], tuple[tuple[str, ...], ...]],
    known: frozenset[str],
    eponyms: Mapping[str, tuple[str, ...]],
    stops: frozenset[str] = frozenset(),
) -> tuple[list[str], bool]:
    """Replace each synonym by its canonical name, longest first, left to right; a
    misspelt synonym too (then the second value is true). An eponym alone ("Meckel's")
    becomes the name it stands for."""
    out: list[str] = []
    spelt = False
    i = 0
    while i < len(words):
        hit: tuple[int, tuple[str, ...]] | None = None
        for n in range(min(span, len(words) - i), 0, -1):
            canon = synonyms.get(tuple(words[i : i + n]))
            if canon is not None:
                hit = (n, canon)
                break
        if hit is None and fuzzy:
            hit = _fuzzy_synonym(words, i, span, fuzzy, synonyms, known)
            spelt = spelt or hit is not None
        alone = i + 1 == len(words) or words[i + 1] in stops
        if hit is None and words[i] in eponyms and alone:
            hit = (1, eponyms[words[i]])
        if hit is None:
            out.append(words[i])
            i += 1
        else:
            out.extend(hit[1])
            i += hit[0]
    return out, spelt


def _fuzzy_synonym(
    words: list[str],
    i: int,
    span: int,
    fuzzy: Mapping[tuple[int, str], tuple[tuple[str, ...], ...]],
    synonyms: Mapping[tuple[str, ...], tuple[str, ...]],
    known: frozenset[str],
) -> tuple[int, tuple[str, ...]] | None:
    for n in range(min(span, len(words) - i), 0, -1):
        window = words[i : i + n]
        if all(w in known for w in window):
            continue  # nothing misspelt here: an exact synonym would have matched
        for head in _heads(window[0]):
            for key in fuzzy.get((n, head), ()):
                ok = True
                for w, k in zip(window, key, strict=True):
                    rel = _relation(w, k)[0]
                    if rel is _Relation.EQUAL:
                        continue
                    if rel is not _Relation.SPELL or w in known:
                        ok = False
                        break
                if ok:
                    return n, synonyms[key]
    return None


def _synonyms_on(toks: list[_Tok], *, fuzzy: bool = True) -> tuple[list[_Tok], bool]:
    """:func:`_replace` over the words between abbreviations."""
    v = _vocabulary()
    out: list[_Tok] = []
    run: list[str] = []
    spelt = False
    for t in [*toks, None]:
        if t is None or t.abbr:
            words, s = _replace(
                run, v.synonyms, v.synonym_span, v.fuzzy_synonyms if fuzzy else {}, v.known,
                v.eponyms, v.stops,
            )  # fmt: skip
            spelt = spelt or s
            out.extend(_Tok(w, False) for w in words)
            run = []
            if t is not None:
                out.append(t)
        else:
            run.append(t.text)
    return out, spelt


def _tokens(text: str, *, answer: bool) -> tuple[list[_Tok], bool]:
    """Surface text → joined words with synonyms replaced (abbreviations still whole),
    and whether a misspelt synonym was recognised."""
    v = _vocabulary()
    toks = _words(text, whole_answer=answer)
    negs = [n for n in v.negations if n in (("no",), ("not",), ("without",))] if answer else []
    toks = _join(toks, v.prefixes, v.particles, v.classifiers, negs, v.stops)
    toks, spelt = _synonyms_on(toks)
    return _of_places(toks), spelt


def _of_places(toks: list[_Tok]) -> list[_Tok]:
    """Mark as sites ("@word") the unknown words of an "of the ..." phrase that names a
    place: "colloid cyst of the third ventricle", "insulinoma of the pancreatic tail".
    ("Tetralogy of Fallot" names no place: its words are left alone.)"""
    v = _vocabulary()
    out = list(toks)
    for i, t in enumerate(toks):
        if t.abbr or t.text != "of":
            continue
        end = i + 1
        while end < len(toks) and not (
            toks[end].text in ("of", "and")
            or _phrase_at(toks, end, v.link_index)
            or _phrase_at(toks, end, v.negation_index)
        ):
            end += 1
        phrase = toks[i + 1 : end]
        if not any(_is_site(p) for p in phrase):
            continue
        for j in range(i + 1, end):
            w = toks[j]
            known = _is_site(w) or w.text in v.filler or w.text in v.qualifier_group
            if not w.abbr and w.text.isalpha() and not known:
                out[j] = _Tok("@" + w.text, False)
    return out


def _expand(toks: list[_Tok]) -> list[tuple[str, ...]]:
    """Every reading of ``toks``: each abbreviation replaced by each of its meanings (at
    most :data:`MAX_FORMS` readings), synonyms replaced, filler dropped, words once."""
    v = _vocabulary()
    choices: list[tuple[tuple[str, ...], ...]] = []
    ambiguous = 0
    for t in toks:
        meanings = v.abbreviations[t.text] if t.abbr else ((t.text,),)
        if len(meanings) > 1:
            ambiguous += 1
            if ambiguous > MAX_AMBIGUOUS:  # then take the first meaning only
                meanings = meanings[:1]
        choices.append(meanings)
    readings: list[tuple[str, ...]] = []
    for combo in islice(product(*choices), MAX_FORMS * 4):
        words = [w for part in combo for w in part]
        if any(t.abbr for t in toks):  # the meanings, read like written words
            words, _ = _replace(words, v.synonyms, v.synonym_span, {}, v.known, v.eponyms, v.stops)
            words = [t.text for t in _of_places([_Tok(w, False) for w in words])]
        kept: list[str] = []
        size = 0
        for w in words:
            if w in v.filler or w in kept:
                continue
            size += len(w) + 1
            if size > MAX_LENGTH:
                break
            kept.append(w)
        reading = tuple(kept)
        if reading and reading not in readings:
            readings.append(reading)
        if len(readings) >= MAX_FORMS:
            break
    return readings


def _drop_links(toks: list[_Tok]) -> list[_Tok]:
    v = _vocabulary()
    out: list[_Tok] = []
    i = 0
    while i < len(toks):
        link = _phrase_at(toks, i, v.link_index)
        if link:
            i += len(link)
        else:
            out.append(toks[i])
            i += 1
    return out


def _content(toks: Sequence[_Tok]) -> list[str]:
    v = _vocabulary()
    return [t.text for t in toks if t.abbr or t.text not in v.filler]


def _split_links(toks: list[_Tok]) -> tuple[list[_Tok], list[list[_Tok]]]:
    """A diagnosis piece cut at its link words: (core, [what follows each link]). What
    follows a negation is dropped. A core of nothing but generic words ("uptake in brown
    fat", "lesion in the liver") takes what follows its link."""
    v = _vocabulary()
    parts: list[list[_Tok]] = [[]]
    i = 0
    while i < len(toks):
        if _phrase_at(toks, i, v.negation_index):
            break
        link = _phrase_at(toks, i, v.link_index)
        if link:
            parts.append([])
            i += len(link)
        else:
            parts[-1].append(toks[i])
            i += 1
    parts = [p for p in parts if _content(p)] or [[]]
    while len(parts) > 1 and all(w in v.generic for w in _content(parts[0])):
        parts[0:2] = [parts[0] + parts[1]]
    return parts[0], parts[1:]


# -- forms: a reading sorted into names, sites and qualifiers -------------------------------


class _Relation(IntEnum):
    NONE = 0
    CONFLICT = 1
    SPELL = 2
    EQUAL = 3


def _allowance(n: int) -> int:
    """Edits a word of ``n`` letters may have and still be the same word misspelt."""
    if n < 5:
        return 0
    if n < 12:
        return 1
    if n < 16:
        return 2
    return 3


def _exact_only(word: str) -> bool:
    """Short words, codes and numbers are never 'misspelt': they match exactly or not."""
    return len(word) < 5 or not word.isalpha() or not (_VOWELS & set(word))


def _contradict(x: str, y: str) -> bool:
    """Whether two similar words differ by a part that changes the diagnosis."""
    v = _vocabulary()
    for group in v.contrasts:
        in_x = {m for m in group if m in x}
        in_y = {m for m in group if m in y}
        if in_x - in_y and in_y - in_x:
            return True
    end_x = next((e for e in v.endings if x.endswith(e)), "")
    end_y = next((e for e in v.endings if y.endswith(e)), "")
    return bool(end_x and end_y and not end_x.endswith(end_y) and not end_y.endswith(end_x))


@lru_cache(maxsize=1 << 17)
def _relation(x: str, y: str) -> tuple[_Relation, int]:
    """How word ``x`` relates to word ``y``: equal, a misspelling of it (with the number
    of edits), contradicting it, or neither."""
    if x == y:
        return _Relation.EQUAL, 0
    if x == "non" + y or y == "non" + x:
        return _Relation.CONFLICT, 0
    if ":" in x or ":" in y:
        same_kind = x.split(":")[0] == y.split(":")[0]
        return (_Relation.CONFLICT if same_kind else _Relation.NONE), 0
    if _exact_only(x) or _exact_only(y):
        return _Relation.NONE, 0
    if fuzz.ratio(x, y) < 60:
        return _Relation.NONE, 0
    if _contradict(x, y):
        return _Relation.CONFLICT, 0
    if not set(_heads(x)) & set(_heads(y)):
        return _Relation.NONE, 0
    allow = _allowance(min(len(x), len(y)))
    d = OSA.distance(x, y, score_cutoff=allow + 1)
    if d > allow and x[-1] != y[-1] and "s" in (x[-1], y[-1]):
        # "thyroidits" was read as a plural and lost its "s": count it back.
        d = min(OSA.distance(x + "s", y), OSA.distance(x, y + "s"))
    if d <= allow:
        return _Relation.SPELL, d
    return _Relation.NONE, 0


def _near(x: str, y: str, strict: bool) -> bool:
    rel = _relation(x, y)[0]
    return rel is _Relation.EQUAL or (not strict and rel is _Relation.SPELL)


@lru_cache(maxsize=1 << 14)
def _correct(word: str) -> str:
    """A misspelt site or qualifier ("scaphiod") → the word ("scaphoid"); else ``""``."""
    v = _vocabulary()
    if len(word) < 7 or word in v.known or not word.isalpha():
        return ""
    best: list[tuple[int, str]] = []
    for head in _heads(word):
        for target in v.spell_targets.get(head, ()):
            rel, d = _relation(word, target)
            if rel is _Relation.SPELL:
                best.append((d, target))
    best.sort()
    if best and (len(best) == 1 or best[0][0] < best[1][0]):
        return best[0][1]
    return ""


@cache
def _broader_index() -> Mapping[tuple[str, ...], tuple[frozenset[str], ...]]:
    """Broader term's names → the names of each narrower diagnosis (``[broader]``)."""
    v = _vocabulary()
    index: dict[tuple[str, ...], list[frozenset[str]]] = {}
    for broad, narrow in v.broader:
        key = _classify(tuple(w for w in broad if w not in v.filler)).req
        for n in narrow:
            words = tuple(w for w in n if w not in v.filler)
            index.setdefault(key, []).append(frozenset(_classify(words).req))
    return {k: tuple(v) for k, v in index.items()}


@cache
def _broader_words() -> frozenset[str]:
    """The words of the broader terms themselves ("bowel" of "inflammatory bowel")."""
    return frozenset(w for broad, _ in _vocabulary().broader for w in broad)


def _is_broader(a: _Form, k: _Form) -> bool:
    """Whether ``a`` is, by the ``[broader]`` table, a broader term of ``k``."""
    return any(n <= set(k.req) for n in _broader_index().get(a.req, ()))


@dataclass(frozen=True, slots=True)
class _Form:
    """One reading of an answer or a diagnosis, its words sorted by role."""

    text: str
    req: tuple[str, ...]  # the words that name it (sorted, distinct)
    sites: tuple[str, ...]
    quals: tuple[tuple[int, str], ...]  # (qualifier group, word)
    needs_site: bool  # its names need a site to name a diagnosis ("adenoma")
    specific: bool  # it has a name that is not generic ("fracture" is generic)
    nameless: bool  # nothing but sites and qualifiers ("distal femur")
    spelt: bool = False  # a synonym, site or qualifier in it was misspelt
    loose_sites: bool = False  # its sites were taken from the diagnosis: not required


@lru_cache(maxsize=1 << 16)
def _classify(words: tuple[str, ...], spelt: bool = False) -> _Form:
    v = _vocabulary()
    places = {i for i, w in enumerate(words) if w.startswith("@")}  # see _of_places
    words_l = [w.lstrip("@") for w in words]
    protected: set[int] = set()
    for i in range(len(words_l)):
        for name in {p for h in _heads(words_l[i]) for p in v.names_by_head.get(h, ())}:
            n = len(name)
            if i + n <= len(words_l) and all(
                _near(words_l[i + j], name[j], False) for j in range(n)
            ):
                for j in range(n):
                    spelt = spelt or words_l[i + j] != name[j]
                    words_l[i + j] = name[j]
                    protected.add(i + j)
    req: list[str] = []
    sites: list[str] = []
    quals: list[tuple[int, str]] = []
    for i, w in enumerate(words_l):
        kind = w.split(":")[0] if ":" in w else ""
        if kind in v.optional_classifiers:
            quals.append((v.optional_classifiers[kind], w))
            continue
        if (
            i not in places
            and w not in v.qualifier_group
            and w not in v.sites
            and (fixed := _correct(w))
        ):
            w, spelt = fixed, True
        if i in protected:
            req.append(w)
            if w in v.qualifier_group:  # "multiple" of "multiple sclerosis" still contradicts
                quals.append((v.qualifier_group[w], w))
        elif w in v.qualifier_group:
            quals.append((v.qualifier_group[w], w))
        elif w.isdigit():
            continue  # a bare number ("L4/5", "2 cm") names nothing
        elif i in places or w in v.sites or w in v.broad_sites or _LEVEL.fullmatch(w):
            sites.append(w)
        else:
            req.append(w)
    nameless = not req
    if not req:  # "coronary artery", "left": what there is names it
        req, sites = sites, []
        if not req:
            req, quals = [w for _, w in quals], []
    needs_site = bool(req) and all(w in v.generic or w in v.needs_site for w in req)
    return _Form(
        text=" ".join(words_l),
        req=tuple(sorted(set(req))),
        sites=tuple(sorted(set(sites))),
        quals=tuple(sorted(set(quals))),
        needs_site=needs_site and not nameless,
        specific=any(w not in v.generic for w in req) or bool(sites),
        nameless=nameless,
        spelt=spelt,
    )


class _Level(IntEnum):
    """How an answer's form relates to a diagnosis's form, worst first."""

    CONFLICT = 0  # contradicts it (a word, a qualifier, or a site that is part of the name)
    FUZZY = 1  # neither names it nor a broader or narrower term of it
    NARROWER = 2  # names it and more ("Hodgkin lymphoma" for "lymphoma")
    BROADER = 3  # names part of it ("lymphoma" for "Hodgkin lymphoma")
    SITE = 4  # names it at another site
    SPELLING = 5  # names it, misspelt
    EXACT = 6  # names it


_ACCEPT: Final = (_Level.EXACT, _Level.SPELLING)


def _within(xs: Sequence[str], ys: Sequence[str], strict: bool) -> bool:
    return all(any(_near(x, y, strict) for y in ys) for x in xs)


@lru_cache(maxsize=1 << 16)
def _compare(a: _Form, k: _Form, strict: bool = False) -> tuple[_Level, float]:
    """How form ``a`` (an answer) relates to form ``k``, and their similarity (0-100).
    ``strict``: no word is taken for a misspelling of another (for two known diagnoses)."""
    v = _vocabulary()
    common = set(a.req) & set(k.req)
    # A qualifier that is part of a name ("diffuse" of "diffuse large B-cell lymphoma") is
    # given when the other side gives it, as a name or as a qualifier.
    quals_a = {w for _, w in a.quals}
    quals_k = {w for _, w in k.quals}
    rest_a = [w for w in a.req if w not in common and w not in quals_k]
    rest_k = [w for w in k.req if w not in common and w not in quals_a]
    spelt: list[tuple[int, str, str]] = []
    against: list[tuple[str, str]] = []
    for x in rest_a:
        for y in rest_k:
            rel, d = _relation(x, y)
            if rel is _Relation.SPELL and not strict:
                spelt.append((d, x, y))
            elif rel is _Relation.CONFLICT:
                against.append((x, y))
    spelt.sort()
    pairs: list[tuple[str, str]] = []
    used_a: set[str] = set()
    used_k: set[str] = set()
    for _, x, y in spelt:
        if x not in used_a and y not in used_k:
            pairs.append((x, y))
            used_a.add(x)
            used_k.add(y)
    left_a = [w for w in rest_a if w not in used_a]
    left_k = [w for w in rest_k if w not in used_k]
    conflict = any(x in left_a and y in left_k for x, y in against)
    if not conflict and len(left_a) == 1 and len(left_k) == 1:
        # One word for another, unlike it: a sibling ("lunate" for "scaphoid", "T" for "B").
        conflict = fuzz.ratio(left_a[0], left_k[0]) < 70
    seq_a = sorted(common) + [x for x, _ in sorted(pairs, key=lambda p: p[1])] + sorted(left_a)
    seq_k = sorted(common) + [y for _, y in sorted(pairs, key=lambda p: p[1])] + sorted(left_k)

    sites_a = [s for s in a.sites if s not in v.broad_sites]
    sites_k = [s for s in k.sites if s not in v.broad_sites]
    other_site = missing_site = extra_site = False
    if sites_a and sites_k:
        other_site = not (_within(sites_a, sites_k, strict) or _within(sites_k, sites_a, strict))
        if other_site and (a.needs_site or k.needs_site):
            conflict = True  # "adrenal adenoma" is not "parathyroid adenoma"
    elif sites_k:
        missing_site = k.needs_site and not k.loose_sites
    elif sites_a:
        extra_site = True  # more precise than the diagnosis: fine, unless a name is missing
    if other_site or missing_site:
        seq_a += sites_a
        seq_k += sites_k

    groups_a: dict[int, set[str]] = {}
    groups_k: dict[int, set[str]] = {}
    for g, w in a.quals:
        groups_a.setdefault(g, set()).add(w)
    for g, w in k.quals:
        groups_k.setdefault(g, set()).add(w)
    for g in groups_a.keys() & groups_k.keys():
        if g in v.position_groups and other_site:
            continue  # "proximal tibia" and "distal femur" differ by their sites
        if not groups_a[g] & groups_k[g]:
            conflict = True
            seq_a += sorted(groups_a[g])
            seq_k += sorted(groups_k[g])

    if conflict:
        level = _Level.CONFLICT
    elif not left_a and not left_k:
        if other_site:
            level = _Level.SITE
        elif missing_site:
            level = _Level.BROADER
        else:
            level = _Level.SPELLING if pairs or a.spelt else _Level.EXACT
    elif not left_a:
        level = _Level.FUZZY if other_site or extra_site else _Level.BROADER
        if (
            level is _Level.BROADER
            and not missing_site
            and not a.nameless
            and len(left_k) == 1
            and left_k[0] in v.omissible
            and left_k[0] == next(w for w in reversed(k.text.split()) if w in k.req)
            and any(w not in v.generic for w in a.req)
        ):
            level = _Level.SPELLING if pairs or a.spelt else _Level.EXACT  # "epidermoid"
    elif not left_k:
        level = _Level.FUZZY if other_site or missing_site else _Level.NARROWER
    else:
        level = _Level.FUZZY
    return level, fuzz.ratio(" ".join(seq_a), " ".join(seq_k))


# -- answers and diagnoses, analysed ---------------------------------------------------------


def _forms_of(
    toks: list[_Tok], spelt: bool = False, *, keep_nameless: bool = True
) -> tuple[_Form, ...]:
    forms = []
    for reading in _expand(toks):
        f = _classify(reading, spelt)
        if f.req and (keep_nameless or not f.nameless):
            forms.append(f)
    return tuple(forms)


@lru_cache(maxsize=1 << 12)
def _answer_forms(text: str) -> tuple[_Form, ...]:
    toks, spelt = _tokens(_surface(text), answer=True)
    return _forms_of(_drop_links(toks), spelt)


_PARENS: Final = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
_SENTENCE: Final = re.compile(r"(?<!\d)[.!?](?=\s|$)|\n\s*\n")
_ALTERNATIVES: Final = re.compile(r"\s+(?:or|vs\.?|versus)\s+|\s+/\s+", re.IGNORECASE)
_CLAUSE: Final = re.compile(r"[,;]|\s-+\s")


@dataclass(frozen=True, slots=True)
class _Analysis:
    """A diagnosis read for grading."""

    core: tuple[_Form, ...]  # its core: naming it makes an answer correct
    whole: tuple[_Form, ...]  # core and what it says besides, as one name
    secondary: tuple[_Form, ...]  # what it says besides: naming only that is unsure
    aliases: tuple[_Form, ...]  # what it says in parentheses (of them, secondary too)
    context: frozenset[str]  # every word it says (not what it says the case is not)


def _is_site(tok: _Tok) -> bool:
    v = _vocabulary()
    w = tok.text
    return not tok.abbr and (
        w in v.sites or w in v.broad_sites or w.startswith("@") or bool(_LEVEL.fullmatch(w))
    )


def _where(core: list[_Tok], clause: list[_Tok]) -> list[_Tok]:
    """``clause``, which only says where or which, as words of ``core``: its qualifiers,
    and its sites when the core names none ("Parathyroid adenoma, inferior to the lower
    pole of the thyroid" is not a thyroid adenoma)."""
    if any(_is_site(t) for t in core):
        clause = [t for t in clause if not _is_site(t)]
    return core + clause


def _only_where(toks: list[_Tok]) -> bool:
    """Whether a clause only says where or which ("left", "of a rib", "stage II")."""
    v = _vocabulary()
    words = {w for r in _expand(toks) for w in r}
    return bool(words) and all(
        w in v.qualifier_group
        or w.startswith("@")
        or w in v.sites
        or w in v.broad_sites
        or _LEVEL.fullmatch(w)
        or w.split(":")[0] in v.optional_classifiers
        for w in words
    )


@lru_cache(maxsize=1 << 16)
def _analyse(diagnosis: str) -> _Analysis:
    v = _vocabulary()
    text = _surface(diagnosis)
    inside: list[str] = []

    def aside(m: re.Match[str]) -> str:
        inside.append(m[1] or m[2] or "")
        return " "

    for _ in range(3):  # nested parentheses, innermost first
        text, n = _PARENS.subn(aside, text)
        if not n:
            break
    sentences = [s for s in _SENTENCE.split(text) if s and s.strip()]
    cores: list[list[_Tok]] = []
    wholes: list[list[_Tok]] = []
    secondary: list[list[_Tok]] = []
    aliases: list[list[_Tok]] = []
    for alternative in _ALTERNATIVES.split(sentences[0] if sentences else ""):
        whole: list[_Tok] = []
        for part in alternative.split(":"):
            clauses = _CLAUSE.split(part)
            core, rest = _split_links(_tokens(clauses[0], answer=False)[0])
            for clause in clauses[1:]:
                toks = _tokens(clause, answer=False)[0]
                if toks and _phrase_at(toks, 0, v.negation_index):
                    continue
                c, r = _split_links(toks)
                if _only_where(c):
                    core = _where(core, c)  # ", left", ", of a rib": where the core is
                else:
                    secondary.append(c)
                secondary.extend(r)
            secondary.extend(rest)
            cores.append(core)
            whole += core + [t for r in rest for t in r]
        wholes.append(whole + [t for s in secondary for t in s])
    for extra in inside:
        toks = _tokens(extra, answer=False)[0]
        if not toks or _phrase_at(toks, 0, v.negation_index):
            continue
        c, r = _split_links(toks)
        if _only_where(c):
            cores = [_where(x, c) for x in cores]  # "(polyostotic)", "(left)": of the core
            wholes = [_where(x, c) for x in wholes]
        else:
            aliases.append(c)
            secondary.append(c)
        secondary.extend(r)
    for sentence in sentences[1:]:
        core, rest = _split_links(_tokens(sentence, answer=False)[0])
        secondary += [core, *rest]
    # What a diagnosis says besides is often a list: "(hilar adenopathy and nodules)".
    secondary = [p for s in secondary for p in _and_split(s)]
    aliases = [p for s in aliases for p in _and_split(s)]
    core_forms = _unique(f for c in cores if c for f in _forms_of(c))
    whole_forms = _unique(f for w in wholes if w for f in _forms_of(w) if f not in core_forms)
    second = _unique(
        f
        for s in secondary
        if s
        for f in _forms_of(s, keep_nameless=False)
        if f not in core_forms and f not in whole_forms
    )
    context = frozenset(
        w
        for f in (*core_forms, *whole_forms, *second)
        for w in (*f.req, *f.sites, *(q for _, q in f.quals))
    )
    alias_forms = _unique(
        f for a in aliases if a for f in _forms_of(a, keep_nameless=False) if f in second
    )
    return _Analysis(core_forms, whole_forms, second, alias_forms, context)


def _and_split(toks: list[_Tok]) -> list[list[_Tok]]:
    parts: list[list[_Tok]] = [[]]
    for t in toks:
        if not t.abbr and t.text == "and":
            parts.append([])
        else:
            parts[-1].append(t)
    return [p for p in parts if p]


def _unique(forms: Iterable[_Form]) -> tuple[_Form, ...]:
    return tuple(dict.fromkeys(forms))


def normalise(text: str) -> str:
    """``text`` as grading reads it, before abbreviations and synonyms.

    Markdown emphasis, links, URLs and tags are dropped; accents removed; case folded;
    possessives and apostrophes dropped and plurals made singular; British spelling made
    American; punctuation made space; "non", "pseudo", "de" and the like joined to the next
    word; "type II" made "type:2"; words that carry no meaning dropped (see ``filler`` and
    ``links`` in ``terms.toml``); at most :data:`MAX_LENGTH` characters.

    Examples
    --------
    >>> normalise("Paget's disease of bone")
    'paget bone'
    >>> normalise("Pagets") == normalise("Paget’s") == normalise("PAGET")
    True
    >>> [normalise(w) for w in ("metastases", "metastasis", "mets")]
    ['metastasis', 'metastasis', 'metastasis']
    >>> normalise("**Non-Hodgkin** lymphoma, stage IV")
    'nonhodgkin lymphoma stage:4'
    >>> normalise("Haemorrhagic oesophageal tumours")
    'hemorrhagic esophageal tumor'
    """
    v = _vocabulary()
    words = _words(_surface(text), whole_answer=False)
    toks = _drop_links(_join(words, v.prefixes, v.particles, v.classifiers, (), v.stops))
    kept: list[str] = []
    size = 0
    for t in toks:
        if t.text in v.filler:
            continue
        size += len(t.text) + 1
        if size > MAX_LENGTH + 1:
            break
        kept.append(t.text)
    return " ".join(kept)


@cache
def written_synonyms() -> dict[str, str]:
    """The synonyms of two words or more and the eponyms of ``terms.toml`` as written
    (variant → name), for the search box: "osteitis deformans" → "paget", "plummer" →
    "toxic multinodular goitre". Synonyms of one word ("cancer" → "carcinoma") are left
    out: the search box finds every form of a word, and widening a word made its results
    worse (bench/relevance.py)."""
    terms = tomllib.loads(TERMS_FILE.read_text(encoding="utf-8"))
    longer = {k: v for k, v in terms["synonyms"].items() if len(_WORD.findall(k)) > 1}
    return {**longer, **terms["eponyms"]}


def variants(text: str) -> frozenset[str]:
    """The readings under which an answer is compared: :func:`normalise`, then each
    abbreviation expanded into each of its meanings and synonyms replaced by one name.

    Examples
    --------
    >>> sorted(variants("AVN of the L hip"))
    ['osteonecrosis left hip']
    >>> sorted(variants("MS"))
    ['mitral stenosis', 'multiple sclerosis']
    """
    return frozenset(f.text for f in _answer_forms(text[:MAX_INPUT]))


# -- the lexicon of known diagnoses ---------------------------------------------------------


class Lexicon:
    """Every diagnosis Lightbox knows: the rivals an answer must be further from.

    Built from every case's diagnosis, accepted answers and differential items (and, unless
    ``base=False``, the few hundred common diagnoses shipped in ``known_diagnoses.txt``).
    Indexed for grading: the readings of each diagnosis are filed by the words that name
    them, so that grading an answer scores only the few known diagnoses whose names the
    answer's words could spell, not all of them (about a millisecond at 100,000 cases).

    Parameters
    ----------
    diagnoses
        Diagnosis texts, as written (Markdown is fine).
    base
        Whether to start from the shipped common diagnoses.

    Examples
    --------
    >>> lex = Lexicon(["Arteritis"], base=False)
    >>> grade("arthritis", "Arteritis", lexicon=lex).outcome  # misspelt?
    <Outcome.SPELLING: 'spelling'>
    >>> lex.add("Arthritis")  # no: "arthritis" is another diagnosis
    >>> v = grade("arthritis", "Arteritis", lexicon=lex)
    >>> v.outcome, v.rival
    (<Outcome.INCORRECT: 'incorrect'>, 'Arthritis')
    >>> len(lex), "ARTHRITIS" in lex
    (2, True)
    """

    def __init__(self, diagnoses: Iterable[str] = (), *, base: bool = True) -> None:
        _broader_index()  # built once, before the first grade needs it
        self._texts: set[str] = set()
        self._forms: list[_Form] = []
        self._display: list[str] = []
        self._index: dict[_Form, int] = {}
        self._by_req: dict[tuple[str, ...], list[int]] = {}
        self._words: dict[tuple[str, int], list[str]] = {}
        self._known_words: set[str] = set()
        self._near: dict[str, tuple[str, ...]] = {}
        if base:
            self.update(_base_diagnoses())
        self.update(diagnoses)

    def __len__(self) -> int:
        """The number of distinct diagnoses (after normalisation)."""
        return len(self._texts)

    def __contains__(self, diagnosis: object) -> bool:
        return isinstance(diagnosis, str) and normalise(diagnosis) in self._texts

    def add(self, diagnosis: str) -> None:
        """Add one diagnosis (a diagnosis, an accepted answer or a differential item)."""
        diagnosis = diagnosis[:MAX_INPUT]
        key = normalise(diagnosis)
        if not key or key in self._texts:
            return
        self._texts.add(key)
        display = " ".join(diagnosis.split())[:200]
        analysis = _analyse(diagnosis)
        for form in (*analysis.core, *analysis.whole):
            if form in self._index:
                continue
            i = len(self._forms)
            self._forms.append(form)
            self._display.append(display)
            self._index[form] = i
            self._by_req.setdefault(form.req, []).append(i)
            for w in form.req:
                if w not in self._known_words:
                    self._known_words.add(w)
                    for head in _heads(w):
                        self._words.setdefault((head, len(w)), []).append(w)
                    self._near.clear()

    def update(self, diagnoses: Iterable[str]) -> None:
        """Add many diagnoses.

        A lexicon of 100,000 diagnoses is a few million long-lived objects: after a bulk
        update they are frozen out of the garbage collector's sight (:func:`gc.freeze`),
        so that no grade pauses while the collector walks them all.
        """
        before = len(self._forms)
        for d in diagnoses:
            self.add(d)
        if len(self._forms) - before > 1000:
            gc.collect()
            gc.freeze()

    def _near_words(self, word: str) -> tuple[str, ...]:
        """Known words equal to ``word`` or that it could be a misspelling of."""
        if word in self._near:
            return self._near[word]
        found: dict[str, int] = {}
        if word in self._known_words:
            found[word] = 0
        if not _exact_only(word):
            allow = _allowance(len(word))
            for head in _heads(word):
                for n in range(len(word) - allow, len(word) + allow + 1):
                    bucket = self._words.get((head, n))
                    if not bucket:
                        continue
                    for other, d, _ in process.extract(
                        word, bucket, scorer=OSA.distance, score_cutoff=allow, limit=None
                    ):
                        if other != word and _relation(word, other)[0] is _Relation.SPELL:
                            found[other] = int(d)
        near = tuple(sorted(found, key=lambda w: found[w])[:6])
        if len(self._near) > 50_000:
            self._near.clear()
        self._near[word] = near
        return near

    def _named(self, form: _Form) -> Iterator[tuple[_Form, str]]:
        """The known diagnoses' readings whose names ``form``'s names could be (each word
        equal or a misspelling), with their display text."""
        options = [self._near_words(w) for w in form.req]
        if not all(options):
            return
        seen: set[int] = set()
        for count, combo in enumerate(product(*options)):
            if count >= 512:
                break
            if len(set(combo)) < len(combo):
                continue
            for i in self._by_req.get(tuple(sorted(combo)), ()):
                if i not in seen:
                    seen.add(i)
                    yield self._forms[i], self._display[i]


@cache
def _base_diagnoses() -> tuple[str, ...]:
    lines = KNOWN_DIAGNOSES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(s for line in lines if (s := line.split("#", 1)[0].strip()))


@cache
def _default_lexicon() -> Lexicon:
    _broader_index()
    return Lexicon()


# -- grading -------------------------------------------------------------------------------


class _Target(NamedTuple):
    form: _Form
    display: str
    whole: bool = False  # only naming it counts, not part of it or more
    context: frozenset[str] = frozenset()  # what else its text says


class _Match(NamedTuple):
    level: _Level
    similarity: float
    target: _Target


class _Rival(NamedTuple):
    similarity: float
    form: _Form
    display: str


def _best(form: _Form, targets: Sequence[_Target]) -> _Match | None:
    best: _Match | None = None
    for t in targets:
        level, sim = _compare(form, t.form)
        if level is _Level.NARROWER and t.context and not t.whole:
            # "HPOA due to lung cancer", "clear cell RCC": the core, and words the
            # diagnosis also says.
            extra = [
                w
                for w in (*form.req, *form.sites)
                if not _within([w], (*t.form.req, *t.form.sites), False)
            ]
            if _within(extra, tuple(t.context), False):
                level = _Level.SPELLING if form.spelt else _Level.EXACT
                sim = 100.0
        if level is _Level.FUZZY and form.sites and _within(form.sites, tuple(t.context), False):
            # "renal scarring" for "Chronic pyelonephritic scarring: small scarred left
            # kidney": a broader term, at a site the diagnosis names elsewhere.
            bare, bare_sim = _compare(replace(form, sites=()), t.form)
            if bare is _Level.BROADER:
                level, sim = bare, bare_sim
        if (
            level < _Level.BROADER
            and _is_broader(form, t.form)
            and _within(
                [w for w in form.sites if w not in _broader_words()],
                (*t.form.sites, *t.context),
                False,
            )
        ):
            level = _Level.BROADER  # "hyperthyroidism" for "Graves disease"
        if t.whole and level not in _ACCEPT:
            continue
        if best is None or (level, sim) > (best.level, best.similarity):
            best = _Match(level, sim, t)
    return best


def _rivals(form: _Form, lexicon: Lexicon, extra: Sequence[_Target]) -> list[_Rival]:
    """Every known diagnosis (and extra target) the answer form names, closest first."""
    found: dict[_Form, _Rival] = {}
    candidates = list(
        dict.fromkeys([*lexicon._named(form), *((t.form, t.display) for t in extra)])
    )
    if len(candidates) > RIVAL_CANDIDATES:
        # A crowded name ("metastases"): the decisions look only at the closest rivals,
        # so only the closest by the same measure are compared in full.
        closest = process.extract(
            form.text,
            [c[0].text for c in candidates],
            scorer=fuzz.token_sort_ratio,
            limit=RIVAL_CANDIDATES,
        )
        candidates = [candidates[i] for _, _, i in closest]
    for other, display in candidates:
        if other in found:
            continue
        level, _ = _compare(form, other)
        if level in _ACCEPT:
            # Closeness to a rival counts all its words: "lymphoma" is not closer to
            # "thyroid lymphoma" than to "Hodgkin lymphoma".
            found[other] = _Rival(fuzz.token_sort_ratio(form.text, other.text), other, display)
    # Closest first; among equals, the one whose words are most like the answer's.
    return sorted(found.values(), key=lambda r: (-r[0], -fuzz.ratio(form.text, r.form.text)))


def _same(rival: _Form, targets: Sequence[_Target], own: frozenset[_Form]) -> bool:
    """Whether a known diagnosis is the target itself: one of its readings, or the same in
    other words, or with qualifiers or a site it leaves out ("Appendicitis" for "Acute
    appendicitis")."""
    return rival in own or any(_compare(rival, t.form, True)[0] is _Level.EXACT for t in targets)


def _related(rival: _Form, target: _Form) -> bool:
    """Whether a known diagnosis is a broader or narrower term of the target."""
    return (
        _compare(rival, target, True)[0] in (_Level.BROADER, _Level.NARROWER)
        or _is_broader(rival, target)
        or _is_broader(target, rival)
    )


def _refused(
    match: _Match, rivals: list[_Rival], targets: Sequence[_Target], own: frozenset[_Form]
) -> _Rival | None:
    """The rival that refuses an accepted match: strictly closer, or as close and another
    entity (other names, not merely another site or qualifier)."""
    for r in rivals:
        if r.similarity < match.similarity:
            break
        if _same(r.form, targets, own):
            continue
        if r.similarity > match.similarity or r.form.req != match.target.form.req:
            return r
    return None


def _demoted(
    match: _Match, rivals: list[_Rival], targets: Sequence[_Target], own: frozenset[_Form]
) -> _Rival | None:
    """The rival that makes a close answer wrong: strictly closer, and another entity
    (neither a broader nor a narrower term of the target)."""
    for r in rivals:
        if r.similarity <= match.similarity or r.similarity < RIVAL_SIMILARITY:
            break
        if not _same(r.form, targets, own) and not _related(r.form, match.target.form):
            return r
    return None


def _close(form: _Form, match: _Match) -> bool:
    """Whether a match that is not acceptance is close enough for a human to decide."""
    level, sim = match.level, match.similarity
    return (
        level is _Level.SITE
        or (level is _Level.BROADER and form.specific)
        or (level is _Level.NARROWER and sim >= NARROWER_SIMILARITY)
        or (level is _Level.FUZZY and sim >= UNSURE_SIMILARITY)
    )


def _judge(
    form: _Form,
    gold: Sequence[_Target],
    second: Sequence[_Target],
    ddx: Sequence[Sequence[_Target]],
    lexicon: Lexicon,
) -> Verdict:
    own = frozenset(t.form for t in (*gold, *second))
    rivals = _rivals(form, lexicon, [t for item in ddx for t in item] + list(gold))
    g = _best(form, gold)
    if g is None:
        return Verdict(Outcome.INCORRECT)
    sim = round(g.similarity, 1)
    refused_by = None
    said = [*gold, *second]  # what the diagnosis says is no rival of it
    if g.level in _ACCEPT:
        refused_by = _refused(g, rivals, said, own)
        if refused_by is None:
            outcome = Outcome.CORRECT if g.level is _Level.EXACT else Outcome.SPELLING
            return Verdict(outcome, g.target.display, sim)

    for item in ddx:
        d = _best(form, item)
        item_own = frozenset(t.form for t in item)
        if d is not None and d.level in _ACCEPT and _refused(d, rivals, item, item_own) is None:
            return Verdict(Outcome.PARTIAL, d.target.display, round(d.similarity, 1))

    if refused_by is not None:
        if refused_by.similarity == g.similarity or _related(refused_by.form, g.target.form):
            return Verdict(Outcome.UNSURE, g.target.display, sim, refused_by.display)
        return Verdict(Outcome.INCORRECT, "", sim, refused_by.display)

    if _close(form, g):
        demoted_by = _demoted(g, rivals, said, own)
        if demoted_by is None:
            return Verdict(Outcome.UNSURE, g.target.display, sim)
        return Verdict(Outcome.INCORRECT, "", sim, demoted_by.display)

    for item in ddx:
        d = _best(form, item)
        item_own = frozenset(t.form for t in item)
        if (
            d is not None
            and d.level is _Level.NARROWER
            and _close(form, d)
            and _demoted(d, rivals, item, item_own) is None
        ):
            return Verdict(Outcome.UNSURE, d.target.display, round(d.similarity, 1))

    s = _best(form, second)
    if s is not None and s.level in _ACCEPT:
        return Verdict(Outcome.UNSURE, s.target.display, sim)

    for r in rivals:
        if r.similarity < g.similarity:
            break
        if not _same(r.form, gold, own):
            return Verdict(Outcome.INCORRECT, "", sim, r.display)
    return Verdict(Outcome.INCORRECT, "", sim)


def _inherit(form: _Form, donor: _Form | None, *, positions_only: bool) -> _Form:
    """``form`` with the side, position or other qualifiers and the site of ``donor`` that
    it does not give itself: an accepted answer or a differential item is where the
    diagnosis is."""
    if donor is None:
        return form
    v = _vocabulary()
    have = {g for g, _ in form.quals}
    quals = form.quals + tuple(
        (g, w)
        for g, w in donor.quals
        if g not in have and (not positions_only or g in v.position_groups)
    )
    if form.sites:
        sites, loose = form.sites, form.loose_sites
    else:
        sites, loose = tuple(s for s in donor.sites if s not in v.broad_sites), True
    if quals == form.quals and sites == form.sites:
        return form
    return replace(form, quals=tuple(sorted(set(quals))), sites=sites, loose_sites=loose)


def _synonyms_of(
    diagnosis: str, groups: Iterable[Sequence[str]], lexicon: Lexicon | None
) -> list[str]:
    """The terms of each group one of whose terms names ``diagnosis`` (is graded correct
    against it), in order, each once."""
    out: list[str] = []
    for group in islice(groups, MAX_SYNONYM_GROUPS):
        terms = [t for t in islice(group, MAX_SYNONYMS) if t and t.strip()]
        if any(
            grade(term, diagnosis, lexicon=lexicon).outcome is Outcome.CORRECT for term in terms
        ):
            out += [t for t in terms if t not in out]
    return out


def grade(
    answer: str,
    diagnosis: str,
    *,
    accepted: Iterable[str] = (),
    synonyms: Iterable[Sequence[str]] = (),
    differential: Iterable[str] = (),
    lexicon: Lexicon | None = None,
) -> Verdict:
    """Grade a learner's ``answer`` against a case's ``diagnosis``.

    Parameters
    ----------
    answer
        What the learner typed (free text; anything, of any length, is handled: at most
        :data:`MAX_INPUT` characters are read).
    diagnosis
        The case's diagnosis, as its author wrote it (Markdown is fine).
    accepted
        Other answers the author accepts as correct. They take the diagnosis's side and
        qualifiers when they give none ("Osteonecrosis" accepted for "AVN of the left
        femoral head" does not accept "right osteonecrosis").
    synonyms
        Groups of terms that each name one concept: the preferred name and synonyms of a
        code (RadLex, SNOMED CT). A group one of whose terms names the diagnosis is
        accepted as the diagnosis, like ``accepted``; the others are not ("femur", the
        code of the site, is no answer). At most :data:`MAX_SYNONYM_GROUPS` groups of
        :data:`MAX_SYNONYMS` terms are read.
    differential
        The case's differential items: an answer naming one is :attr:`Outcome.PARTIAL`.
    lexicon
        Every diagnosis Lightbox knows, the rivals of the rival rule; by default the
        common diagnoses shipped with Lightbox.

    Returns
    -------
    Verdict
        ``outcome``, the text ``matched``, the ``similarity`` 0-100 and any ``rival``.
        An empty answer is :attr:`Outcome.INCORRECT` with similarity 0.
    """
    forms = _answer_forms(answer[:MAX_INPUT])
    accepted = [*accepted, *_synonyms_of(diagnosis, synonyms, lexicon)]
    main = _analyse(diagnosis[:MAX_INPUT])
    donor = main.core[0] if main.core else None
    gold: list[_Target] = []
    second: list[_Target] = []
    for i, text in enumerate((diagnosis, *(a for a in accepted if a and a.strip()))):
        analysis = _analyse(text[:MAX_INPUT])
        shown = text.strip()
        ctx = analysis.context
        for f in analysis.core:
            if i:
                f = _inherit(f, donor, positions_only=False)
            gold.append(_Target(f, shown, False, ctx))
        gold += [_Target(f, shown, True) for f in analysis.whole]
        second += [_Target(f, shown) for f in analysis.secondary]
    if not forms or not gold:
        return Verdict(Outcome.INCORRECT)
    ddx: list[list[_Target]] = []
    for item in differential:
        if not item or not item.strip():
            continue
        analysis = _analyse(item[:MAX_INPUT])
        shown = item.strip()
        ddx.append(
            [_Target(_inherit(f, donor, positions_only=True), shown) for f in analysis.core]
            + [_Target(f, shown, True) for f in (*analysis.whole, *analysis.aliases)]
        )
    lex = lexicon if lexicon is not None else _default_lexicon()
    verdicts = [_judge(f, gold, second, ddx, lex) for f in forms]
    return max(verdicts, key=lambda v: (_OUTCOME_RANK[v.outcome], v.similarity))
