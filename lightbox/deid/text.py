"""Look for possible patient identifiers in the free text of a teaching case. Django-free.

Authors paste from reports and clinic letters, and a name, a record number or a date of
examination slips into a history or a caption more often than anyone would like. Before a
case is published its text fields are scanned here; publication waits until the author has
removed each finding or acknowledged it (an acknowledgement is stored by
:attr:`Finding.fingerprint`).

This is a safety net, not a guarantee. It looks for the shapes identifiers usually take
(names after a title or a label, record and accession numbers, telephone numbers, e-mail
and web addresses, full dates, ages over 89, street addresses, social security numbers);
it cannot know that "the harbour master" or "the only case at our hospital this year"
identifies someone. The author stays responsible for what is published.

Radiology prose is full of numbers ("3.2 cm", "L4-L5", "Tc-99m MDP 20 mCi", "SUV 12.4",
"Radiology 2019;290(2):123-130"), so each pattern is anchored on context to keep false
alarms rare; where precision and recall pull apart, recall wins.

Every pattern runs in time linear in the length of the text: quantifiers are bounded or
cannot overlap, and a match may only start where the previous character could not have
continued it, so 1 MB of hostile input is scanned in under a second (a few tenths of a
second unless it is packed with findings).

Matching is done on an NFKC-normalised copy of the text (full-width digits become ASCII,
no-break spaces become spaces), with zero-width and other invisible format characters
dropped and control characters such as NUL turned into spaces, so that "０３/１４/２０２４"
or "555\\u200b-123-4567" are still found. Offsets are always into the text as given, not
the normalised copy. Each character is normalised on its own, so the normalised copy is a
character-by-character translation: when every character maps to exactly one character
(the usual case, full-width forms included) offsets are the same in both texts; otherwise
an offset map, built from where the dropped or expanded characters (ligatures, "½") sit,
takes each match back to the original. Normalising character by character skips
canonical composition across characters, which the patterns (digits, punctuation, Latin
letters) do not need.

Examples
--------
>>> [(f.kind.name, f.text) for f in scan("Mrs. Jane Doe, MRN 00123456, seen 14 March 2024.")]
[('NAME', 'Mrs. Jane Doe'), ('MRN', '00123456'), ('DATE', '14 March 2024')]
>>> scan("A 3.2 cm lesion at L4-L5; SUV 12.4 on 2019 PET (Tc-99m MDP 20 mCi).")
[]
"""

from __future__ import annotations

import bisect
import enum
import hashlib
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

__all__ = [
    "DEFAULT_ALLOWED_URLS",
    "Finding",
    "Kind",
    "scan",
    "scan_fields",
    "unresolved",
]

# References to these are citations, not identifiers.
DEFAULT_ALLOWED_URLS: tuple[str, ...] = (
    "pubmed.ncbi.nlm.nih.gov",
    "doi.org",
    "dx.doi.org",
    "radiopaedia.org",
)


class Kind(enum.Enum):
    """What a finding looks like. The value is a stable name for storage and the API."""

    NAME = "name"
    MRN = "mrn"
    PHONE = "phone"
    EMAIL = "email"
    DATE = "date"
    AGE_OVER_89 = "age_over_89"
    ADDRESS = "address"
    URL = "url"
    ACCESSION = "accession"
    SSN = "ssn"

    @property
    def label(self) -> str:
        """A short label for the author, e.g. ``"possible name"``."""
        return _LABELS[self]


_LABELS = {
    Kind.NAME: "possible name",
    Kind.MRN: "possible medical record number",
    Kind.PHONE: "possible telephone number",
    Kind.EMAIL: "e-mail address",
    Kind.DATE: "full date",
    Kind.AGE_OVER_89: "age over 89",
    Kind.ADDRESS: "possible street address",
    Kind.URL: "web address",
    Kind.ACCESSION: "possible accession number",
    Kind.SSN: "possible social security number",
}


_AS_SPACE = str.maketrans("\n\r\t\x0b\x0c", "     ")


@dataclass(frozen=True, slots=True)
class Finding:
    """One possible identifier: what it looks like, where it is, and the text matched.

    ``start`` and ``end`` are offsets into the text of ``field`` as given to :func:`scan`.
    """

    kind: Kind
    field: str
    start: int
    end: int
    text: str

    @property
    def fingerprint(self) -> str:
        """A stable id for acknowledging this finding: 16 hex digits.

        The SHA-256 of the kind, the field and the matched text with case, Unicode
        compatibility forms and runs of white space normalised. It does not depend on the
        offsets, so an acknowledgement survives edits elsewhere in the text; it changes
        when the matched text itself changes.
        """
        normalised = " ".join(_normalise(self.text)[0].casefold().split())
        digest = hashlib.sha256(
            "\x1f".join((self.kind.value, self.field, normalised)).encode("utf-8", "surrogatepass")
        )
        return digest.hexdigest()[:16]

    def context(self, source: str, width: int = 30) -> str:
        """An excerpt of ``source`` around the match, for showing the author.

        Up to ``width`` characters either side, line breaks shown as spaces, and "…"
        where the excerpt was cut.

        Examples
        --------
        >>> text = "History: seen by Dr. Jones in the emergency department yesterday."
        >>> scan(text)[0].context(text, width=10)
        '…: seen by Dr. Jones in the em…'
        """
        start = max(0, min(self.start, len(source)))
        end = max(start, min(self.end, len(source)))
        lo = max(0, start - width)
        hi = min(len(source), end + width)
        excerpt = source[lo:hi].translate(_AS_SPACE)
        return ("…" if lo > 0 else "") + excerpt + ("…" if hi < len(source) else "")


def scan(
    text: str,
    field: str = "",
    *,
    allowed_url_prefixes: Iterable[str] = DEFAULT_ALLOWED_URLS,
) -> list[Finding]:
    """Find possible patient identifiers in ``text``.

    Parameters
    ----------
    text
        The text an author wrote (Markdown is fine).
    field
        The name of the field the text came from; it is part of each finding and of its
        fingerprint.
    allowed_url_prefixes
        Web addresses starting with one of these (scheme and a leading ``www.`` ignored,
        e.g. ``"doi.org"`` or ``"example.org/atlas/"``) are citations, not findings.

    Returns
    -------
    list of Finding
        Sorted by ``start``. Overlapping matches are merged into one finding covering
        them all, of the most specific kind among them.

    Raises
    ------
    TypeError
        When ``text`` or ``field`` is not a ``str``.

    Examples
    --------
    >>> for f in scan("72-year-old man. Referred by Dr. Smith, tel. (555) 123-4567."):
    ...     print(f.kind.name, repr(f.text), f.start, f.end)
    NAME 'Dr. Smith' 29 38
    PHONE '(555) 123-4567' 45 59
    >>> scan("Bone scan (Tc-99m MDP 20 mCi), March 2024: uptake at T12 and L4-L5.")
    []
    """
    if not isinstance(text, str):
        raise TypeError(f"scan() needs text as a str, not {type(text).__name__}")
    if not isinstance(field, str):
        raise TypeError(f"scan() needs field as a str, not {type(field).__name__}")
    allowed = _url_keys(allowed_url_prefixes)
    norm, offsets = _normalise(text)
    lowered = norm.lower()

    masks = [
        m.span()
        for regex, needs in _MASKS
        if any(n in lowered for n in needs)
        for m in regex.finditer(norm)
    ]
    hits: list[tuple[int, int, int, Kind]] = []  # start, end, rank, kind
    for rule in _RULES:
        if rule.needs and not any(n in lowered for n in rule.needs):
            continue
        group = "hit" if "hit" in rule.regex.groupindex else 0
        for match in rule.regex.finditer(norm):
            if rule.check is not None and not rule.check(match):
                continue
            if rule.kind is Kind.URL and _allowed_url(match[0], allowed):
                masks.append(match.span())
                continue
            start, end = match.span(group)
            if norm[end - 1] in rule.strip:
                end = _trim(norm, start, end, rule.strip)
            if end > start:
                hits.append((start, end, rule.rank, rule.kind))
    masks.sort()
    disjoint = _disjoint(masks)
    hits = [h for h in hits if not _inside(disjoint, h[0], h[1])]

    findings = []
    for start, end, kind in _merge(hits):
        if offsets is not None:
            start, end = offsets.original(start), offsets.original(end - 1) + 1
        findings.append(Finding(kind, field, start, end, text[start:end]))
    return findings


def scan_fields(
    fields: Mapping[str, str],
    *,
    allowed_url_prefixes: Iterable[str] = DEFAULT_ALLOWED_URLS,
) -> list[Finding]:
    """Scan every field of a case: ``{field name: text}``.

    Parameters
    ----------
    fields
        Field name to text, e.g. ``{"history": ..., "findings": ...}``.
    allowed_url_prefixes
        As for :func:`scan`.

    Returns
    -------
    list of Finding
        The findings of each field in the mapping's order, each field's sorted by start.

    Examples
    --------
    >>> [(f.field, f.text) for f in scan_fields({"history": "95 yo", "findings": "Normal."})]
    [('history', '95 yo')]
    """
    allowed = tuple(_as_strings(allowed_url_prefixes))
    out: list[Finding] = []
    for name, value in fields.items():
        out.extend(scan(value, name, allowed_url_prefixes=allowed))
    return out


def unresolved(findings: Iterable[Finding], acknowledged: Iterable[str]) -> list[Finding]:
    """The findings the author has not acknowledged, in the order given.

    Parameters
    ----------
    findings
        From :func:`scan` or :func:`scan_fields`.
    acknowledged
        Fingerprints the author has acknowledged.

    Examples
    --------
    >>> found = scan("Mr. Smith, 555-123-4567")
    >>> [f.text for f in unresolved(found, [found[0].fingerprint])]
    ['555-123-4567']
    """
    done = set(_as_strings(acknowledged))
    return [f for f in findings if f.fingerprint not in done]


# --- Normalisation -------------------------------------------------------------------------

_PLAIN = frozenset(map(chr, range(0x20, 0x7F))) | frozenset("\t\n\r\x0b\x0c")
_KEEP_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85")


@lru_cache(maxsize=4096)
def _normalise_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category == "Cf":  # zero-width spaces, direction marks, soft hyphens, BOM: invisible
        return ""
    if category == "Cc" and ch not in _KEEP_CONTROLS:  # NUL and friends: a separator
        return " "
    if category in ("Cs", "Co", "Cn"):  # lone surrogates, private use, unassigned
        return "\ufffd"
    return unicodedata.normalize("NFKC", ch)


class _OffsetMap:
    """Normalised offsets back to original ones.

    Only the characters whose normalised form is not exactly one character long (dropped,
    or expanded like "ﬁ" → "fi") are listed; between them the two texts run in step. The
    lists are built on first use: most texts with such characters have no findings.
    """

    __slots__ = ("_odd", "_origins", "_starts", "_text", "_width", "_widths")

    def __init__(self, text: str, odd: re.Pattern[str], width: dict[str, int]) -> None:
        self._text = text
        self._odd = odd
        self._width = width  # odd character → length of its replacement
        self._starts: list[int] = []  # where each replacement starts, normalised
        self._origins: list[int] = []  # the odd character's offset in the original
        self._widths: list[int] = []

    def _build(self) -> None:
        # There may be a million odd characters: keep the iteration in C. The offset of
        # each is the sum of the lengths of the pieces before it, plus one for each odd
        # character before it.
        pieces = self._odd.split(self._text)[:-1]
        self._origins = list(map((-1).__add__, accumulate(map((1).__add__, map(len, pieces)))))
        self._widths = list(map(self._width.__getitem__, self._odd.findall(self._text)))
        shifts = accumulate(map((-1).__add__, self._widths), initial=0)
        self._starts = list(map(operator.add, self._origins, shifts))

    def original(self, j: int) -> int:
        """The original offset of the character that produced normalised character ``j``."""
        if not self._origins:
            self._build()
        k = bisect.bisect_right(self._starts, j) - 1
        if k < 0:
            return j
        after = j - self._starts[k] - self._widths[k]
        return self._origins[k] if after < 0 else self._origins[k] + 1 + after


def _normalise(text: str) -> tuple[str, _OffsetMap | None]:
    """The text to match on, and the map back to ``text`` when offsets differ."""
    special = [c for c in set(text) if c not in _PLAIN]
    if not special:
        return text, None
    table = {ord(c): _normalise_char(c) for c in special}
    norm = text.translate(table)
    odd = [c for c in special if len(table[ord(c)]) != 1]
    if not odd:  # every character kept its place: offsets are the same
        return norm, None
    odd_re = re.compile("[" + "".join(map(re.escape, odd)) + "]")
    return norm, _OffsetMap(text, odd_re, {c: len(table[ord(c)]) for c in odd})


# --- Patterns ------------------------------------------------------------------------------
#
# Every pattern opens with a plain character class or literal, so that re can skip in C to
# the places a match could start, and checks what comes before with a look-behind that
# includes that first character: "\d(?<![\w.]\d)" is a digit not preceded by a word
# character or a point. The look-behind also means a match never starts inside a run it
# could have started at the beginning of, which keeps the work linear. Quantifiers are
# bounded or cannot overlap; white space between tokens is bounded (\s{1,3}).


def _words(*alternatives: str, before: str = r"\w") -> str:
    """Case-insensitive label words (each a pattern starting with a letter), at a word start.

    Written as a class of first letters, then one branch per first letter, so that re can
    find the candidates quickly; ``(?i:...)`` on the whole would make it test every
    position.
    """
    groups: dict[str, list[str]] = {}
    for alt in alternatives:
        groups.setdefault(alt[0].lower(), []).append(alt[1:])
    letters = "".join(sorted(groups))
    first = f"[{letters}{letters.upper()}]"
    branches = "|".join(
        f"(?<=[{c}{c.upper()}])(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
        for c, rests in sorted(groups.items())
    )
    return f"{first}(?<![{before}]{first})(?i:{branches})"


_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
)  # fmt: skip
_MONTH = _words(*_MONTHS) + r"(?![a-z])"
_ORD = r"(?:st|nd|rd|th)?"

# A capitalised name word: "Smith", "McDonald", "O'Brien", "Smith-Jones", "SMITH", "J.".
_NW = (
    r"(?:[A-Z]'[A-Z][a-z]{1,30}"
    r"|[A-Z][a-z]{0,2}[A-Z]?[a-z]{1,30}(?:[-'’][A-Z][a-z]{1,30})?"
    r"|[A-Z]{2,30}(?![a-z])"
    r"|[A-Z]\.?(?![\w'’]))"
)
# One to four name words, with a comma after the first for "Doe, Jane".
_NAME = rf"{_NW}(?:(?:,\s{{0,2}}|\s{{1,2}}){_NW}){{0,3}}"

# An identifier after a label: letters, digits, hyphens, slashes, with at least 3 digits
# (checked afterwards); a few space-separated digit groups ("943 476 5919") are kept on.
_ID = r"[A-Za-z0-9][A-Za-z0-9/-]{2,24}(?:[ ]\d{2,6}(?![\w-])){0,3}"
_ID_JOIN = r"\s{0,3}(?i:(?:is|was|number|no\.?)\s{1,2})?[:#=]{0,2}\s{0,3}"

_STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
)  # fmt: skip

_SUFFIXES = "Street Avenue Road Boulevard Lane Drive Court Way Place Terrace Parkway Highway"
# Abbreviations only with a capital then lower case: upper-case "CT", "DR", "LN", "ST"
# are far likelier to be imaging and anatomy than streets; lower-case only for the words
# that cannot be anything else.
_SUFFIX = (
    "(?:(?:"
    + "|".join([*_SUFFIXES.split(), *_SUFFIXES.upper().split(), "street", "avenue", "road"])
    + ")|(?:"
    + "|".join(["St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Pl", "Pkwy", "Hwy", "Ter", "AVE", "BLVD"])
    + r")(?![\w'’])\.?)(?![\w'’])"
)
# Capitalised words, ordinals and compass points; not the small words of a title-case
# caption ("Figure 2 The Wrong Way Round").
_STREET_WORD = (
    r"(?:(?!(?:The|A|An|And|Of|In|On|At|To|For|From|With|Is|Are|Was|Were|This|That)\s)"
    r"[A-Z][A-Za-z'’-]{0,30}\.?|\d{1,3}(?:st|nd|rd|th)|[NSEW]\.?)"
)


Check = Callable[[re.Match[str]], bool]


def _digits(s: str) -> int:
    return sum(c.isdigit() for c in s)


def _has_digits(n: int) -> Check:
    def check(match: re.Match[str]) -> bool:
        return _digits(match["hit"]) >= n

    return check


def _phone_digits(lo: int, hi: int) -> Check:
    def check(match: re.Match[str]) -> bool:
        return lo <= _digits(match[0]) <= hi

    return check


def _year_ok(y: str) -> bool:
    return len(y) == 2 or 1900 <= int(y) <= 2099


def _ymd_ok(match: re.Match[str]) -> bool:
    return _year_ok(match["y"]) and 1 <= int(match["m"]) <= 12 and 1 <= int(match["d"]) <= 31


def _numeric_date_ok(match: re.Match[str]) -> bool:
    a, b = int(match["a"]), int(match["b"])
    in_range = (1 <= a <= 12 and 1 <= b <= 31) or (1 <= a <= 31 and 1 <= b <= 12)
    return in_range and _year_ok(match["y"])


def _text_date_ok(match: re.Match[str]) -> bool:
    return 1 <= int(match["d"]) <= 31 and _year_ok(match["y"])


def _age_ok(match: re.Match[str]) -> bool:
    return 90 <= int(match["n"]) <= 125


# Words that follow a name label but are not names ("Patient: Female, 45").
_NOT_NAMES = frozenset((
    "male", "female", "man", "woman", "boy", "girl", "infant", "child", "adult", "elderly",
    "unknown", "anonymous", "anonymised", "anonymized", "withheld", "redacted", "removed",
    "none", "not", "n", "na", "nil", "see", "case", "patient", "pending", "the", "a", "an",
    "yes", "no", "same", "as", "above", "below", "normal", "negative", "positive", "dr", "mr",
    "mrs", "ms", "prof", "radiology", "radiologist", "nuclear", "medicine", "surgery",
    "department", "team", "service", "clinic", "hospital", "on-call", "oncall", "resident",
    "fellow", "consultant", "staff", "attending", "oncology", "cardiology", "neurology",
    "orthopaedics", "orthopedics", "emergency", "er", "ed", "gp", "icu", "ward",
))  # fmt: skip
# "Trade name: Omnipaque", "Study ID: 2019-04" label things, not people.
_THING = (
    r"(?i:\b(?:trade|brand|drug|generic|product|device|disease|eponym|file|sequence|series|"
    r"protocol|study|scanner|model|code|user|field|section|tag|attribute|journal|pubmed|pmc|"
    r"trial|instance|sop|grant|orcid|project|case|image|scopus|dataset|station|session|"
    r"order|software)\W{0,3})$"
)
_THING_BEFORE = re.compile(_THING)


def _thing_before(match: re.Match[str]) -> bool:
    return (
        _THING_BEFORE.search(match.string, max(0, match.start() - 24), match.start()) is not None
    )


_ET_AL = re.compile(r"\s{0,2}(?i:et\.?\s?al|and\s+(?:colleagues|co-?workers))")
_WORD_END = re.compile(r"[\s,.]")


def _name_ok(match: re.Match[str]) -> bool:
    first = _WORD_END.split(match["hit"], maxsplit=1)[0].casefold()
    if first in _NOT_NAMES or _thing_before(match):
        return False
    return _ET_AL.match(match.string, match.end()) is None


def _labelled_id_ok(match: re.Match[str]) -> bool:
    return _digits(match["hit"]) >= 3 and not _thing_before(match)


def _dicom_name_ok(match: re.Match[str]) -> bool:
    return match[0].split("^", 1)[0].casefold() != "lightbox"  # our own pseudonyms


_QUANTITY = re.compile(r"[1-9]\d?0{5,}")  # "2000000": two significant figures, then zeros
# "1500000 counts", "1234567 mm3": a quantity with its unit, not an identifier.
_UNIT_AFTER = re.compile(
    r"\s{0,2}(?i:counts?|cts|kcts|mcts|events|cells|copies|iu|u|units?|[kmgt]?bq|[mμu]?ci|"
    r"[mμnk]?g|[cdmμu]?l|[cmμn]?m[23]?|voxels?|pixels?|hu|[cm]?gy|ms|s|min|%)(?![A-Za-z])"
    r"|\s{0,2}/"
)


def _bare_number_ok(match: re.Match[str]) -> bool:
    if match[0].startswith(("NCT", "PMC")) or _QUANTITY.fullmatch(match["n"]):
        return False
    return _UNIT_AFTER.match(match.string, match.end()) is None


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: Kind
    rank: int  # lower wins when findings overlap: the more specific kind
    regex: re.Pattern[str]
    check: Check | None
    needs: tuple[str, ...]  # skip the rule unless the lower-cased text holds one of these
    strip: str  # characters trimmed from the end of a match


# Trailing characters that are punctuation around a match rather than part of it.
_STRIP = {Kind.URL: ".,;:!?*_'\"", Kind.NAME: ",;:-"}


def _rule(
    kind: Kind, rank: int, pattern: str, check: Check | None = None, needs: str = ""
) -> _Rule:
    strip = _STRIP.get(kind, "") + " \t\n\r\x0b\x0c"
    return _Rule(kind, rank, re.compile(pattern), check, tuple(needs.split()), strip)


_BY_VERBS = (
    "dictated", "signed", "transcribed", "verified", "reported", "referred", "interpreted",
    "authorised", "authorized",
)  # fmt: skip
_LABEL_WORDS = "mr record hospital patient pt nhs chart unit id"
_RULES: tuple[_Rule, ...] = (
    # --- e-mail and web addresses
    _rule(
        Kind.EMAIL,
        0,
        r"[A-Za-z0-9._%+-](?<![\w.%+-][A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9]"
        r"(?:[A-Za-z0-9-]{0,62}\.){1,8}[A-Za-z]{2,24}(?![\w-])",
        needs="@",
    ),
    _rule(
        Kind.URL,
        1,
        _words(r"https?://", r"ftp://", r"www\.", before=r"\w@.-") + r"[^\s<>\"'()\[\]{}|\\^`]+",
        needs="http ftp www.",
    ),
    # --- social security numbers
    _rule(Kind.SSN, 2, r"\d(?<![\w-]\d)\d\d-\d{2}-\d{4}(?![\w]|-\d)", needs="-"),
    _rule(
        Kind.SSN,
        2,
        _words("ssn", r"social\s{1,2}security(?:\s{1,2}(?:number|no\.?|#))?")
        + r"\s{0,3}[:#]?\s{0,3}(?P<hit>\d{3}[ -]?\d{2}[ -]?\d{4})(?!\d)",
        needs="ssn social",
    ),
    # --- accession numbers: "Accession: A12345", "acc# 123456", "acc no 98765"
    _rule(
        Kind.ACCESSION,
        3,
        _words(
            r"accession(?:\s{1,2}(?:number|num|no\.?|#))?",
            r"acc\.?\s{0,2}(?:#|no\.?|num(?:ber)?\b)",
            r"acc(?=\s{0,2}[:#])",
        )
        + rf"\s{{0,3}}[:#=]?\s{{0,3}}(?P<hit>{_ID})",
        _labelled_id_ok,
        needs="acc",
    ),
    # --- record numbers after a label: "MRN 1234567", "Patient ID: AB12345", "MR# 55443"
    _rule(
        Kind.MRN,
        4,
        _words(
            "mrn",
            r"mr\s?#",
            r"mr\s?(?:number|num|no\.?)",
            r"medical\s{1,2}record(?:\s{1,2}(?:number|num|no\.?|#))?",
            r"hospital\s{1,2}(?:number|num|no\.?|#|identifier|id)",
            r"patient\.?\s{0,2}(?:identifier|number|num|no\.|id|#)",
            r"pt\.?\s{0,2}(?:identifier|number|num|no\.|id|#)",
            r"nhs\s{1,2}(?:number|num|no\.?)",
            r"chart\s{1,2}(?:number|num|no\.?|#)",
            r"unit\s{1,2}(?:number|num|no\.?)",
            r"record\s{1,2}(?:number|num|no\.?)",
            r"id\s{1,2}(?:number|num|no\.?)",
        )
        + rf"(?![A-Za-z]){_ID_JOIN}(?P<hit>{_ID})",
        _labelled_id_ok,
        needs=_LABEL_WORDS,
    ),
    _rule(  # ID: 12345, Id# 12345, id: A1234
        Kind.MRN,
        4,
        rf"[Ii](?<![\w.][Ii])(?:(?<=I)[Dd]|(?<=i)d)(?=\s{{0,2}}[:#]){_ID_JOIN}(?P<hit>{_ID})",
        _labelled_id_ok,
        needs="id",
    ),
    # --- telephone numbers
    _rule(  # (555) 123-4567
        Kind.PHONE,
        5,
        r"\((?<![\w+.\/-]\()\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?![\w]|[-./]\d)",
        needs="(",
    ),
    _rule(  # 555-123-4567, 555.123.4567, 555 123 4567, 1-800-555-1234
        Kind.PHONE,
        5,
        r"\d(?<![\w+.\/-]\d)(?:(?<=1)[ .-]\d{3}|\d\d)[ .-]\d{3}[ .-]\d{4}(?![\w]|[-./]\d)",
    ),
    _rule(  # international: +44 20 7946 0958, +49 (0)30 123456, +33 1 23 45 67 89
        Kind.PHONE,
        5,
        r"\+(?<![\w+]\+)\d{1,3}(?:[ .-]?\(\d{1,4}\)\d{0,5}|[ .-]\d{1,6}){1,6}(?![\d]|[.-]\d)",
        _phone_digits(8, 15),
        needs="+",
    ),
    _rule(  # national with a trunk zero: 020 7946 0958, (01632) 960 983
        Kind.PHONE,
        5,
        r"[0(](?<![\w+.\/-][0(])(?:(?<=\()0\d{2,4}\)|(?<=0)\d{2,4})[ -]?\d{3,4}[ -]?\d{3,4}"
        r"(?![\w]|[-./]\d)",
        _phone_digits(10, 11),
        needs="0",
    ),
    _rule(  # after a label: "tel. 555 1234", "pager: 12-345-678", "fax +1 555 0100"
        Kind.PHONE,
        5,
        _words(
            "tel",
            "telephone",
            "phone",
            "mobile",
            r"cell(?=\s{0,2}:)",
            "fax",
            "pager",
            "bleep",
            "ext",
        )
        + r"\b\.?(?:\s{1,2}(?i:no\.?|number|#))?\s{0,3}[:#]?\s{0,3}"
        r"(?P<hit>\+?\(?\d[\d ().-]{2,20}\d)(?![\w]|[.-]\d)",
        _has_digits(4),
        needs="tel phone mobile cell fax pager bleep ext",
    ),
    # --- full dates
    _rule(  # 2024-03-14, 2024/3/14, 2024.03.14
        Kind.DATE,
        6,
        r"(?P<y>\d(?<![\w.\/-]\d)\d{3})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
        r"(?![\d]|[-/.]\d)",
        _ymd_ok,
    ),
    _rule(  # 03/14/2024, 14.03.2024, 14-03-2024, 3/14/24 (two-digit years only with "/")
        Kind.DATE,
        6,
        r"(?P<a>\d(?<![\w.\/-]\d)\d?)(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)"
        r"(?P<y>\d{4}|(?<=/)\d{2})(?![\d]|[-/.]\d)",
        _numeric_date_ok,
    ),
    _rule(  # 20240314
        Kind.DATE,
        6,
        r"[12](?<![\w.\/][12])(?:(?<=1)9|(?<=2)0)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
        r"(?![\d]|[.,]\d)",
    ),
    _rule(  # 14 March 2024, 14th of March, 2024, 14-Mar-2024, 14-MAR-24
        Kind.DATE,
        6,
        rf"(?P<d>\d(?<![\w.]\d)\d?){_ORD}(?:\s{{1,2}}of)?(?:\s{{1,2}}|-)(?P<m>{_MONTH})\.?,?"
        r"(?:\s{1,2}|-)(?P<y>\d{4}|(?<=-)\d{2})(?![\w]|[.,]\d)",
        _text_date_ok,
        needs="jan feb mar apr may jun jul aug sep oct nov dec",
    ),
    _rule(  # March 14, 2024, Mar 14 2024, Mar. 14th, 2024
        Kind.DATE,
        6,
        rf"(?P<m>{_MONTH})\.?\s{{1,2}}(?P<d>\d{{1,2}}){_ORD},?\s{{1,2}}(?P<y>\d{{4}})"
        r"(?![\w]|[.,]\d)",
        _text_date_ok,
        needs="jan feb mar apr may jun jul aug sep oct nov dec",
    ),
    # --- ages over 89
    _rule(  # 92-year-old, 92 years old, 92-yr-old
        Kind.AGE_OVER_89,
        7,
        r"(?P<n>\d(?<![\w.]\d)\d{1,2})\s?-?\s?(?i:years?|yrs?|y)\.?(?:\s{1,2}|-)(?i:old)\b",
        _age_ok,
        needs="old",
    ),
    _rule(  # 95 y/o, 95yo, 95 y.o., 95 years of age, 095Y
        Kind.AGE_OVER_89,
        7,
        r"(?P<n>\d(?<![\w.]\d)\d{1,2})\s?(?:(?i:y\s?/\s?o|y\.\s?o\.?|yoa?|yrs?\.?\s{1,2}of\s{1,2}age"
        r"|years?\s{1,2}of\s{1,2}age)|(?<=\d)Y)(?![\w/])",
        _age_ok,
        needs="y",
    ),
    _rule(  # aged 95, age 91, Age: 93, at the age of 96
        Kind.AGE_OVER_89,
        7,
        _words(r"aged?") + r"(?:\s{1,2}of)?\s{0,2}[:=]?\s{0,2}(?P<n>\d{2,3})(?![\d]|[.,]\d|\s?%)"
        r"(?!\s{0,2}(?i:months?|mos?\b|weeks?|wks?\b|days?|d\b|hours?|h\b))",
        _age_ok,
        needs="age",
    ),
    _rule(  # ninety-two-year-old, one hundred years old
        Kind.AGE_OVER_89,
        7,
        _words("ninety", r"one\s{1,2}hundred(?:\s{1,2}and)?", r"a\s{1,2}hundred", "hundred")
        + r"(?i:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?[\s-]{1,2}"
        r"(?i:years?|yrs?)[\s-]{1,2}(?i:old)",
        needs="ninety hundred",
    ),
    _rule(
        Kind.AGE_OVER_89,
        7,
        _words("centenarian", "supercentenarian", "nonagenarian"),
        needs="narian",
    ),
    # --- street addresses, ZIP codes and postcodes, PO boxes
    _rule(  # 123 Main Street, 42 Elm St., 350 5th Avenue, 10 Downing Street
        Kind.ADDRESS,
        8,
        rf"\d(?<![\w.,\/-]\d)\d{{0,5}}[A-Za-z]?(?:-\d{{1,4}})?\s{{1,2}}"
        rf"(?:{_STREET_WORD}\s{{1,2}}){{1,4}}{_SUFFIX}",
    ),
    _rule(  # Boston, MA 02115
        Kind.ADDRESS,
        8,
        rf",\s{{0,2}}(?P<hit>(?:{'|'.join(_STATES)})\.?\s{{1,2}}\d{{5}}(?:-\d{{4}})?)(?![\w]|-\d)",
        needs=",",
    ),
    _rule(
        Kind.ADDRESS,
        8,
        _words("zip", r"zip\s{0,2}code", r"post\s{0,2}code", r"postal\s{1,2}code")
        + r"\s{0,3}[:#]?\s{0,3}"
        r"(?P<hit>\d{5}(?:-\d{4})?|[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2})(?![\w])",
        needs="zip post",
    ),
    _rule(  # UK postcodes: SW1A 1AA, M1 1AE
        Kind.ADDRESS,
        8,
        r"[A-Z](?<![\w-][A-Z])[A-Z]?\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}(?![\w-])",
    ),
    _rule(
        Kind.ADDRESS,
        8,
        _words(r"p\.?\s?o\.?\s{0,2}box", r"post\s{1,2}office\s{1,2}box")
        + r"\s{0,3}#?\s{0,2}\d{1,8}\b",
        needs="box",
    ),
    # --- names
    _rule(  # Mr. Smith, Mrs Jane Doe, Dr. J. Jones, Prof Li
        Kind.NAME,
        9,
        r"[MDP](?<![\w.][MDP])(?:(?<=M)(?:rs|r|s|x|iss|RS\.|R\.)|(?<=D)(?:r|octor|R\.)"
        r"|(?<=P)(?:rof|rofessor))"
        rf"(?:\.\s{{0,2}}|\s{{1,2}}){_NW}(?:\s{{1,2}}{_NW}){{0,2}}",
        needs="mr ms mx miss dr prof doctor",
    ),
    _rule(  # Patient name: Doe, Jane; Name: Jane Doe; Referring physician: John Smith
        Kind.NAME,
        9,
        _words(
            r"patient(?:'s|’s)?\s{0,2}name",
            r"pt(?:'s|’s)?\.?\s{0,2}name",
            r"full\s?name",
            r"first\s?name",
            r"last\s?name",
            r"given\s?name",
            r"family\s?name",
            r"maiden\s?name",
            "surname",
            "name",
            "patient",
            "pt",
            r"referring(?:\s{1,2}(?:physician|doctor|clinician|consultant|provider))?",
            r"ordering(?:\s{1,2}(?:physician|doctor|clinician|consultant|provider))?",
            r"requesting(?:\s{1,2}(?:physician|doctor|clinician|consultant|provider))?",
            r"attending(?:\s{1,2}(?:physician|doctor|clinician|consultant|provider))?",
            "consultant",
            "radiologist",
            "physician",
            r"next\s{1,2}of\s{1,2}kin",
            "nok",
        )
        + rf"\s{{0,3}}[:=]\s{{0,3}}(?P<hit>{_NAME})",
        _name_ok,
        needs="name pt patient referring ordering requesting attending consultant "
        "radiologist physician kin nok",
    ),
    _rule(  # dictated by: John Smith; electronically signed by Jane Roe
        Kind.NAME,
        9,
        _words(*(rf"{verb}\s{{1,2}}by" for verb in _BY_VERBS))
        + rf"\s{{0,3}}:?\s{{0,3}}(?P<hit>{_NAME})",
        _name_ok,
        needs="by",
    ),
    _rule(  # DICOM person names: DOE^JANE, Doe^Jane^M
        Kind.NAME,
        9,
        r"[A-Z](?<![\w^][A-Z])[A-Za-z'’-]{0,40}\^[A-Z][A-Za-z'’-]{0,40}"
        r"(?:\^[A-Za-z'’.-]{0,40}){0,3}",
        _dicom_name_ok,
        needs="^",
    ),
    # --- unlabelled long numbers: 7 or more digits, alone or after 1–3 capitals
    _rule(
        Kind.MRN,
        10,
        r"(?P<n>\d(?<![\w.\/]\d)\d{6,})[A-Z]?(?![\w]|[.,]\d)",
        _bare_number_ok,
    ),
    _rule(
        Kind.MRN,
        10,
        r"[A-Z](?<![\w.\/][A-Z])[A-Z]{0,2}-?(?P<n>\d{7,})[A-Z]?(?![\w]|[.,]\d)",
        _bare_number_ok,
    ),
)

# Spans that are references, not identifiers: whatever would be found inside is dropped.
_MASKS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), tuple(needs.split()))
    for pattern, needs in (
        (r"1(?<![\w.]1)0\.\d{4,9}/[^\s\"<>]+", "10."),  # DOI
        (
            _words("pmid", "pmcid", r"pubmed(?:\s{1,2}id)?", "pmc")
            + r"\s{0,3}[:#]?\s{0,3}(?:PMC)?\d{1,10}(?:\s{0,2}[,;]\s{0,2}\d{1,10}){0,20}",
            "pm pubmed",
        ),
        (_words("isbn", "issn") + r"(?:-1[03])?\s{0,3}:?\s{0,3}[\dXx][\dXx -]{6,20}[\dXx]", "is"),
        (r"N(?<!\wN)CT\d{8}\b", "nct"),
        (r"\d(?<![\w.]\d)\d{0,19}(?:\.\d{1,40}){3,100}", "."),  # DICOM UIDs, OIDs
    )
)


def _trim(norm: str, start: int, end: int, strip: str) -> int:
    """The end of the match without trailing white space and ``strip`` characters."""
    while end > start and (norm[end - 1] in strip or norm[end - 1].isspace()):
        end -= 1
    return end


def _disjoint(spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Union sorted, possibly overlapping spans; return the starts and ends."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in spans:
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _inside(masks: tuple[list[int], list[int]], start: int, end: int) -> bool:
    """Whether [start, end) lies within one of the ``masks`` made by :func:`_disjoint`."""
    starts, ends = masks
    i = bisect.bisect_right(starts, start) - 1
    return i >= 0 and end <= ends[i]


def _merge(hits: list[tuple[int, int, int, Kind]]) -> list[tuple[int, int, Kind]]:
    """Union overlapping hits; the merged finding takes the most specific kind."""
    hits.sort(key=lambda h: (h[0], -h[1], h[2]))
    merged: list[list[int]] = []  # start, end, rank, index of the hit giving the kind
    for i, (start, end, rank, _kind) in enumerate(hits):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if rank < last[2]:
                last[2], last[3] = rank, i
        else:
            merged.append([start, end, rank, i])
    return [(start, end, hits[i][3]) for start, end, _rank, i in merged]


# --- URL allow-list ------------------------------------------------------------------------

_SCHEME = re.compile(r"^(?i:[a-z][a-z0-9+.-]{0,20}://)?(?i:www\.)?")


def _url_key(url: str) -> str:
    return _SCHEME.sub("", url.strip()).casefold()


def _as_strings(values: Iterable[str]) -> list[str]:
    if isinstance(values, str):  # one prefix or fingerprint, not its characters
        return [values]
    out = list(values)
    for v in out:
        if not isinstance(v, str):
            raise TypeError(f"expected str values, not {type(v).__name__}")
    return out


def _url_keys(prefixes: Iterable[str]) -> tuple[str, ...]:
    return tuple(k for k in (_url_key(p) for p in _as_strings(prefixes)) if k)


def _allowed_url(url: str, allowed: tuple[str, ...]) -> bool:
    key = _url_key(url)
    for prefix in allowed:
        if key == prefix or (
            key.startswith(prefix) and (prefix[-1] in "/?#" or key[len(prefix)] in "/?#:")
        ):
            return True
    return False
