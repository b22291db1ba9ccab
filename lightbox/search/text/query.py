"""The search box language: parse what a user typed into a query tree.

Django-free. A query is parsed once into a small tree (:class:`Query`), which is then
compiled for SQLite FTS5 and PostgreSQL (:mod:`lightbox.search.text.compiler`) and
written back as canonical text for the page ("Showing results for …", :func:`describe`).
Nothing here knows about models or the database.

The language, in the order a reader meets it:

* words, case-insensitive, with an implicit AND between them: ``bone scan metastases``;
* phrases in double quotes: ``"superscan pattern"``;
* prefixes, a trailing ``*`` after at least two letters or digits: ``osteo*``;
* ``AND``, ``OR``, ``NOT`` (upper case only: "and" is a word), ``-word`` for NOT, and
  parentheses; NOT binds tighter than AND, and AND tighter than OR;
* fields, one word, phrase or parenthesised group each: ``diagnosis:(paget OR fibrous)``
  (see :data:`FIELDS`; field names are case-insensitive);
* filters, ``acr:`` and ``modality:``, which are exact values rather than text
  (``acr:4.5``, ``acr:41.*``, ``modality:NM``) and come back separately as
  :class:`Filter` for the caller to apply to columns. They combine with the rest by AND
  or NOT only.

Words are cut out of the text the way :func:`~lightbox.search.text.words.tokenize` cuts
them, and the index must be fed text cut the same way: Unicode compatibility forms
folded (NFKC), accents removed, apostrophes dropped ("Paget's" is "pagets"), case
folded, and every run of letters and digits a word. A hyphenated term such as
``Tc-99m`` or ``L4-L5`` is the phrase of its parts.

Whatever the user types, :func:`parse` either raises :class:`QuerySyntaxError` with a
one-line message and the offset of the problem, or returns a query whose FTS5 and
PostgreSQL strings are valid syntax. A search FTS5 cannot run (only NOT) is refused at
parse time, so compiling a parsed query fails only on a mistake in the caller's column
or weight mappings.

Examples
--------
>>> q = parse('diagnosis:Pagét bone scan -"superscan pattern" modality:nm')
>>> describe(q)
'diagnosis:paget AND bone AND scan AND NOT "superscan pattern" AND modality:NM'
>>> split_filters(q.root)[1]
[Filter(field='modality', value='NM', prefix=False, negated=False)]
>>> terms(q)
['paget', 'bone', 'scan', 'superscan', 'pattern']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from types import MappingProxyType
from typing import Final

from lightbox.search.text.words import WORD_RE, tokenize

__all__ = [
    "FIELDS",
    "FILTER_FIELDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_TERMS",
    "And",
    "Field",
    "Filter",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "QuerySyntaxError",
    "Term",
    "describe",
    "parse",
    "prefixes",
    "replace_words",
    "split_filters",
    "terms",
    "with_keys",
    "with_meanings",
    "with_spellings",
    "with_synonyms",
]

#: Field name → what it searches. ``acr`` and ``modality`` are filters (see
#: :data:`FILTER_FIELDS`); the rest are text, mapped to index columns by the caller.
FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "diagnosis": "the diagnosis",
        "findings": "the findings",
        "history": "the brief and the full history",
        "discussion": "the discussion",
        "title": "the case title",
        "caption": "image captions",
        "keyword": "keywords",
        "code": "RadLex and SNOMED CT codes and their terms and synonyms, e.g. "
        'code:RID3874 or code:"osteitis deformans"',
        "author": "author names",
        "agent": 'the radiopharmaceutical, e.g. agent:MDP or agent:"Tc-99m MDP"',
        "acr": "ACR Index code, exact (acr:4.5) or prefix (acr:4*, acr:41.*)",
        "modality": "modality code, e.g. modality:NM",
        "topic": "topics the case belongs to",
    }
)

#: The fields whose values are exact codes matched against columns, not text.
FILTER_FIELDS: Final[frozenset[str]] = frozenset({"acr", "modality"})

#: Longest query accepted, in characters.
MAX_LENGTH: Final = 500
#: Most words, phrases and filter values in one query.
MAX_TERMS: Final = 50
#: Deepest nesting of parentheses.
MAX_DEPTH: Final = 10


class QuerySyntaxError(ValueError):
    """What the user typed is not a search: a one-line ``message`` and where.

    ``position`` is a 0-based offset into the text given to :func:`parse`, for pointing
    at the problem; ``str()`` of the error is the message alone.

    Examples
    --------
    >>> try:
    ...     parse("bone AND")
    ... except QuerySyntaxError as e:
    ...     print(e, "at", e.position)
    AND needs something to search for after it at 5
    """

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


# --- The tree --------------------------------------------------------------------------------
#
# Every node has a position (where it starts in the text typed) for error messages; it is
# left out of equality and repr, so that trees compare by meaning.


@dataclass(frozen=True, slots=True)
class Term:
    """One word, normalised as :func:`tokenize` does; ``prefix`` for ``word*``."""

    word: str
    prefix: bool = False
    position: int = _field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear in this order, next to each other.

    ``prefix`` makes the last word a prefix (``"bone sc"*``). A phrase always has at least
    two words: one word is a :class:`Term`.
    """

    words: tuple[str, ...]
    prefix: bool = False
    position: int = _field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Field:
    """A text field (``name`` from :data:`FIELDS`) applied to a term, phrase or group."""

    name: str
    child: Node
    position: int = _field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Filter:
    """An exact-value condition, ``acr:`` or ``modality:``, for the caller's columns.

    ``value`` is normalised: modality codes upper case, ACR codes as typed without the
    ``*``. With ``prefix``, codes starting with ``value`` match (``acr:41.*`` is value
    ``"41."``); with ``negated``, cases matching are excluded.
    """

    field: str
    value: str
    prefix: bool = False
    negated: bool = False
    position: int = _field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    """Everything except what ``child`` finds."""

    child: Node
    position: int = _field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    """All of ``children`` (at least two; nested ANDs are flattened)."""

    children: tuple[Node, ...]
    position: int = _field(default=0, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    """Any of ``children`` (at least two; nested ORs are flattened)."""

    children: tuple[Node, ...]
    position: int = _field(default=0, compare=False, repr=False)


type Node = Term | Phrase | Field | Filter | Not | And | Or


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed search: the tree, and the text it came from.

    Built by :func:`parse`. A query made by hand is checked on construction the same way
    (filters only at the top, at least one thing to find) and raises
    :class:`QuerySyntaxError` when it is not a search FTS5 can run.
    """

    root: Node
    source: str = _field(default="", compare=False)

    def __post_init__(self) -> None:
        _check(self.root)


# --- Lexer -----------------------------------------------------------------------------------

_SEPARATORS = r"\s\x00-\x1f\x7f-\x9f"
_LEX_RE = re.compile(
    rf"(?P<space>[{_SEPARATORS}]+)|(?P<open>\()|(?P<close>\))|(?P<quote>\")"
    rf"|(?P<chunk>[^{_SEPARATORS}()\"]+)"
)
_FIELD_RE = re.compile(r"([A-Za-z]+):")
_KEYWORDS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", AND, OR, NOT, FIELD, WORD, PHRASE, END
    position: int
    text: str = ""  # the operator or "-"; the field name; the word or phrase as typed
    words: tuple[str, ...] = ()
    prefix: bool = False


_OPERAND_STARTS = frozenset({"(", "NOT", "FIELD", "WORD", "PHRASE"})


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    open_at: list[int] = []  # positions of the "(" not yet closed
    terms = 0

    def add(token: _Token) -> None:
        nonlocal terms
        if token.kind in ("WORD", "PHRASE"):
            terms += 1
            if terms > MAX_TERMS:
                start = tokens[-1] if tokens and tokens[-1].kind == "FIELD" else token
                raise QuerySyntaxError(
                    f"a search can have at most {MAX_TERMS} terms", start.position
                )
        tokens.append(token)

    pos = 0
    while pos < len(text):
        match = _LEX_RE.match(text, pos)
        assert match is not None  # the alternatives cover every character
        kind, end = match.lastgroup, match.end()
        # A value after "field:" is kept even without letters, so that the parser can
        # say what is wrong with it instead of reading on past it.
        after_field = bool(tokens) and tokens[-1].kind == "FIELD"
        if kind == "open":
            open_at.append(pos)
            if len(open_at) > MAX_DEPTH:
                raise QuerySyntaxError(f"parentheses can be nested at most {MAX_DEPTH} deep", pos)
            tokens.append(_Token("(", pos))
        elif kind == "close":
            if not open_at:
                raise QuerySyntaxError("this ) has no matching (", pos)
            open_at.pop()
            tokens.append(_Token(")", pos))
        elif kind == "quote":
            close = text.find('"', pos + 1)
            if close < 0:
                raise QuerySyntaxError('this " is never closed', pos)
            end = close + 1
            while end < len(text) and text[end] == "*":
                end += 1
            inside = text[pos + 1 : close]
            words = tuple(tokenize(inside))
            if words or after_field:
                add(_Token("PHRASE", pos, inside, words, end > close + 1))
        elif kind == "chunk":
            _lex_chunk(match.group(), pos, text, after_field, add)
        pos = end
    if open_at:
        raise QuerySyntaxError("this ( is never closed", open_at[-1])
    tokens.append(_Token("END", len(text)))
    return tokens


def _lex_chunk(
    chunk: str, pos: int, text: str, after_field: bool, add: Callable[[_Token], None]
) -> None:
    """One run of characters between spaces, parentheses and quotes."""
    if chunk in _KEYWORDS:
        add(_Token(chunk, pos, chunk))
        return
    rest = chunk.lstrip("-")
    dashes = len(chunk) - len(rest)
    if dashes:
        after = pos + len(chunk)
        if not rest and (after >= len(text) or text[after] not in '("'):
            if after_field:
                add(_Token("WORD", pos, chunk))
            return  # otherwise a lone "-" between words is punctuation
        for i in range(dashes):
            add(_Token("NOT", pos + i, "-"))
        pos += dashes
        if not rest:
            return
    field_match = _FIELD_RE.match(rest)
    if field_match:
        name = field_match[1].lower()
        if name not in FIELDS:
            raise QuerySyntaxError(
                f"unknown field {field_match[1]}: (fields are {', '.join(sorted(FIELDS))})",
                pos,
            )
        add(_Token("FIELD", pos, name))
        value = rest[field_match.end() :]
        if value:
            stem = value.rstrip("*")
            words = tuple(tokenize(stem))
            add(_Token("WORD", pos + field_match.end(), value, words, stem != value))
        return
    stem = rest.rstrip("*")
    words = tuple(tokenize(stem))
    if words or after_field:  # anything else is punctuation, dropped like spaces
        add(_Token("WORD", pos, rest, words, stem != rest))


# --- Parser ----------------------------------------------------------------------------------

_ACR_RE = re.compile(r"(\d{1,6}(?:\.\d{0,8})?)(\**)")
_MODALITY_RE = re.compile(r"[A-Z0-9_]{1,16}")
_FILTER_HELP = {
    "acr": "acr: needs an ACR code such as 4.5, 4* or 41.*",
    "modality": "modality: needs a modality code such as NM or CT",
}
_PREFIX_HELP = "a prefix search needs at least 2 letters or digits before the *"


def parse(text: str) -> Query:
    """Parse what the user typed in the search box.

    Parameters
    ----------
    text
        The search, at most :data:`MAX_LENGTH` characters.

    Returns
    -------
    Query
        Ready for :func:`~lightbox.search.text.compiler.compile_query`, :func:`describe`
        and :func:`terms`.

    Raises
    ------
    QuerySyntaxError
        When ``text`` is not a search, with a message for the user and the offset of the
        problem.
    TypeError
        When ``text`` is not a ``str``.

    Examples
    --------
    >>> parse("bone scan OR osteo*").root
    Or(children=(And(children=(Term(word='bone', prefix=False), Term(word='scan', \
prefix=False))), Term(word='osteo', prefix=True)))
    >>> parse("NOT x")
    Traceback (most recent call last):
      ...
    lightbox.search.text.query.QuerySyntaxError: a search needs at least one thing to find
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() needs text as a str, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(f"a search can be at most {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise QuerySyntaxError("type something to search for", 0)
    tokens = _lex(text)
    if len(tokens) == 1:
        raise QuerySyntaxError("type some letters or digits to search for", 0)
    return Query(_Parser(tokens).parse(), text)


class _Parser:
    """Recursive descent over the tokens; nesting is bounded by :data:`MAX_DEPTH`."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.field: str | None = None  # the field whose group we are inside

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token.kind != "END":  # cannot happen: the lexer balanced the parentheses
            raise QuerySyntaxError(f"unexpected {token.text or token.kind}", token.position)
        return node

    def operand_after(self, op: _Token) -> None:
        if self.peek().kind not in _OPERAND_STARTS:
            raise QuerySyntaxError(
                f"{op.text} needs something to search for after it", op.position
            )

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.peek().kind == "OR":
            self.operand_after(self.take())
            children.append(self.parse_and())
        return _or(children)

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.operand_after(self.take())
            elif kind not in _OPERAND_STARTS:
                return _and(children)
            children.append(self.parse_unary())

    def parse_unary(self) -> Node:
        nots: list[_Token] = []
        while self.peek().kind == "NOT":
            nots.append(self.take())
        if nots:
            self.operand_after(nots[-1])
        node = self.parse_primary()
        if len(nots) % 2 == 0:  # NOT NOT x is x
            return node
        if isinstance(node, Filter):
            return Filter(node.field, node.value, node.prefix, not node.negated, nots[-1].position)
        return Not(node, nots[-1].position)

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind in ("WORD", "PHRASE"):
            return _text(token)
        if token.kind == "(":
            return self.parse_group(token)
        if token.kind == "FIELD":
            return self.parse_field(token)
        # AND or OR where a term should be; END and ")" are caught by operand_after
        raise QuerySyntaxError(
            f"{token.text} needs something to search for before it", token.position
        )

    def parse_group(self, open_paren: _Token) -> Node:
        if self.peek().kind == ")":
            raise QuerySyntaxError("() has nothing inside to search for", open_paren.position)
        node = self.parse_or()
        self.take()  # ")": the lexer checked the balance
        return node

    def parse_field(self, token: _Token) -> Node:
        name = token.text
        if self.field is not None:
            raise QuerySyntaxError(
                f"{self.field}: cannot contain another field ({name}:)", token.position
            )
        value = self.peek()
        if value.kind not in ("WORD", "PHRASE", "(") or (
            name not in FILTER_FIELDS and value.kind != "(" and not value.words
        ):
            raise QuerySyntaxError(
                f"{name}: needs a word, phrase or group after it", token.position
            )
        self.take()
        if name in FILTER_FIELDS:
            return _filter(name, value, token.position)
        if value.kind == "(":
            self.field = name
            child = self.parse_group(value)
            self.field = None
        else:
            child = _text(value)
        return Field(name, child, token.position)


def _text(token: _Token) -> Term | Phrase:
    words = token.words
    if token.prefix and len(words[-1]) < 2:
        raise QuerySyntaxError(_PREFIX_HELP, token.position)
    if len(words) == 1:
        return Term(words[0], token.prefix, token.position)
    return Phrase(words, token.prefix, token.position)


def _filter(name: str, token: _Token, position: int) -> Filter:
    raw = unicodedata.normalize("NFKC", token.text).strip()
    if token.kind == "PHRASE" and token.prefix:
        raw += "*"
    if name == "acr":
        match = _ACR_RE.fullmatch(raw)
        if match:
            return Filter(name, match[1], bool(match[2]), False, position)
    else:
        value = raw.upper()
        if _MODALITY_RE.fullmatch(value):
            return Filter(name, value, False, False, position)
    raise QuerySyntaxError(_FILTER_HELP[name], token.position)


def _and(children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, And) else (child,))
    return flat[0] if len(flat) == 1 else And(tuple(flat), flat[0].position)


def _or(children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, Or) else (child,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat), flat[0].position)


# --- Checks every query passes ---------------------------------------------------------------

_FILTER_IN_OR = "acr: and modality: can be combined with AND or NOT, not OR"
_FILTER_IN_NOT = "acr: and modality: can only be negated on their own, e.g. NOT modality:CT"
_FILTER_NESTED = "acr: and modality: must not be inside parentheses with other terms"
_NOTHING_WANTED = "a search needs at least one thing to find"
_FILTERS_ARE_NOT_TEXT = (
    "NOT needs a word or phrase to find alongside it, not only acr: or modality:"
)
_NOT_IN_OR = "NOT inside OR would find nearly everything: did you mean AND NOT?"
_NOT_EVERYTHING = "this NOT would find nearly everything: put what you want to find outside it"


def split_filters(root: Node) -> tuple[Node | None, list[Filter]]:
    """The text part of a query (None if there is none) and its top-level filters."""
    conjuncts = root.children if isinstance(root, And) else (root,)
    filters = [c for c in conjuncts if isinstance(c, Filter)]
    text = [c for c in conjuncts if not isinstance(c, Filter)]
    if not text:
        return None, filters
    return (text[0] if len(text) == 1 else And(tuple(text), text[0].position)), filters


def _walk(node: Node, inside: str = "", field: str = "") -> Iterator[tuple[Node, str, str]]:
    """``node`` and every node below it, each with the innermost OR or NOT above it and
    the field it is in ("" for none)."""
    yield node, inside, field
    if isinstance(node, Field):
        yield from _walk(node.child, inside, node.name)
    elif isinstance(node, Not):
        yield from _walk(node.child, "NOT", field)
    elif isinstance(node, And | Or):
        here = "OR" if isinstance(node, Or) else inside
        for child in node.children:
            yield from _walk(child, here, field)


def _negative(node: Node) -> bool:
    """Whether ``node`` finds everything except something (FTS5 cannot run that alone)."""
    if isinstance(node, Not):
        return not _negative(node.child)
    if isinstance(node, Field):
        return _negative(node.child)
    if isinstance(node, And):
        return all(map(_negative, node.children))
    if isinstance(node, Or):
        return any(map(_negative, node.children))
    return False


def _wanted(node: Node, negated: bool = False) -> bool:
    """Whether some word or phrase in ``node`` is looked for, not excluded."""
    if isinstance(node, Term | Phrase):
        return not negated
    if isinstance(node, Not):
        return _wanted(node.child, not negated)
    if isinstance(node, Field):
        return _wanted(node.child, negated)
    if isinstance(node, And | Or):
        return any(_wanted(c, negated) for c in node.children)
    return False


def _check(root: Node) -> None:
    """Raise QuerySyntaxError unless ``root`` is a search the compilers can express."""
    conjuncts = root.children if isinstance(root, And) else (root,)
    for top in conjuncts:
        for node, inside, field_name in _walk(top):
            if isinstance(node, Field | Filter) and field_name:
                name = node.name if isinstance(node, Field) else node.field
                raise QuerySyntaxError(
                    f"{field_name}: cannot contain another field ({name}:)", node.position
                )
            if isinstance(node, Filter) and node is not top:
                if inside == "OR":
                    raise QuerySyntaxError(_FILTER_IN_OR, node.position)
                if inside == "NOT":
                    raise QuerySyntaxError(_FILTER_IN_NOT, node.position)
                raise QuerySyntaxError(_FILTER_NESTED, node.position)
    text, filters = split_filters(root)
    wanted_filter = any(not f.negated for f in filters)
    if text is None:
        if not wanted_filter:
            raise QuerySyntaxError(_NOTHING_WANTED, root.position)
        return
    if not _negative(text):
        return
    if not _wanted(text):
        if wanted_filter:
            raise QuerySyntaxError(_FILTERS_ARE_NOT_TEXT, text.position)
        raise QuerySyntaxError(_NOTHING_WANTED, root.position)
    for node, _, _ in _walk(text):
        if isinstance(node, Or):
            for child in node.children:
                if _negative(child):
                    raise QuerySyntaxError(_NOT_IN_OR, child.position)
    raise QuerySyntaxError(_NOT_EVERYTHING, text.position)


# --- Describing, terms -------------------------------------------------------------------------


def describe(query: Query) -> str:
    """The query in canonical form, for "Showing results for …".

    Words as searched for (normalised), operators in upper case and explicit, filters
    where they were typed. Parsing the result gives the same query.

    Examples
    --------
    >>> describe(parse("(Bone  scan -Tc-99m OR DIAGNOSIS:Paget's) acr:4*"))
    '((bone AND scan AND NOT "tc 99m") OR diagnosis:pagets) AND acr:4*'
    """
    return _describe(query.root)


def _describe(node: Node) -> str:
    if isinstance(node, Term):
        return node.word + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return '"' + " ".join(node.words) + '"' + ("*" if node.prefix else "")
    if isinstance(node, Filter):
        value = f"{node.field}:{node.value}{'*' if node.prefix else ''}"
        return "NOT " + value if node.negated else value
    if isinstance(node, Field | Not):
        inner = _describe(node.child)
        if isinstance(node.child, Not | And | Or):
            inner = f"({inner})"
        return f"{node.name}:{inner}" if isinstance(node, Field) else "NOT " + inner
    op, wrap = (" AND ", Or) if isinstance(node, And) else (" OR ", And)
    return op.join(
        f"({_describe(c)})" if isinstance(c, wrap) else _describe(c) for c in node.children
    )


def terms(query: Query) -> list[str]:
    """The words searched for, each once, for "did you mean".

    Filters and prefix words (``osteo*``, meant to be partial) are left out.

    Examples
    --------
    >>> terms(parse('(osteomyelitis "bone scan" OR osteo*) NOT bone modality:NM'))
    ['osteomyelitis', 'bone', 'scan']
    """
    found: dict[str, None] = {}
    stack: list[Node] = [query.root]
    while stack:
        node = stack.pop()
        if isinstance(node, Term) and not node.prefix:
            found.setdefault(node.word)
        elif isinstance(node, Phrase):
            for word in node.words[:-1] if node.prefix else node.words:
                found.setdefault(word)
        elif isinstance(node, Field | Not):
            stack.append(node.child)
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.children))
    return list(found)


def prefixes(query: Query) -> list[str]:
    """The parts before a ``*``, for highlighting what a prefix found.

    Examples
    --------
    >>> prefixes(parse('osteo* "bone sc"* -diagnosis:meta*'))
    ['osteo', 'sc', 'meta']
    """
    found: list[str] = []
    stack: list[Node] = [query.root]
    while stack:
        node = stack.pop()
        if isinstance(node, Term) and node.prefix:
            found.append(node.word)
        elif isinstance(node, Phrase) and node.prefix:
            found.append(node.words[-1])
        elif isinstance(node, Field | Not):
            stack.append(node.child)
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.children))
    return found


def replace_words(query: Query, mapping: Mapping[str, str]) -> Query:
    """The same query with words replaced (for "did you mean"); prefixes are kept as
    typed.

    Examples
    --------
    >>> describe(replace_words(parse('osteomyelitsi "bone scna" NOT diagnosis:pagt'),
    ...                        {"osteomyelitsi": "osteomyelitis", "scna": "scan"}))
    'osteomyelitis AND "bone scan" AND NOT diagnosis:pagt'
    """

    def swap(node: Node) -> Node:
        if isinstance(node, Term):
            word = node.word if node.prefix else mapping.get(node.word, node.word)
            return Term(word, node.prefix, node.position)
        if isinstance(node, Phrase):
            last = len(node.words) - 1
            new = tuple(
                w if (node.prefix and i == last) else mapping.get(w, w)
                for i, w in enumerate(node.words)
            )
            return Phrase(new, node.prefix, node.position)
        if isinstance(node, Field):
            return Field(node.name, swap(node.child), node.position)
        if isinstance(node, Not):
            return Not(swap(node.child), node.position)
        if isinstance(node, And):
            return And(tuple(swap(c) for c in node.children), node.position)
        if isinstance(node, Or):
            return Or(tuple(swap(c) for c in node.children), node.position)
        return node

    return Query(swap(query.root), query.source)


#: A hyphenated abbreviation as typed, not in quotes: "ATTR-CM", "Tc-PYP".
_HYPHENATED: Final = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def with_meanings(
    query: Query, meanings: Callable[[str], Sequence[str]]
) -> tuple[Query, dict[str, tuple[str, ...]]]:
    """The query with each abbreviation typed as a word also finding each of its
    meanings (``PE`` finds "pulmonary embolism" too), and the abbreviations expanded.
    ``meanings`` is given a word as it was typed (capitals and all) and gives its
    meanings, none for a word that is not an abbreviation; a hyphenated one
    ("ATTR-CM", a phrase of its parts) is given as typed too. A prefix, a quoted phrase
    or a field's word stays as typed.

    Examples
    --------
    >>> table = {"pe": ["pulmonary embolism"], "ms": ["multiple sclerosis", "mitral stenosis"]}
    >>> query, expanded = with_meanings(parse("PE NOT dvt* MS"),
    ...                                 lambda typed: table.get(typed.lower(), ()))
    >>> for part in describe(query).split(" AND "):
    ...     print(part)
    (pe OR "pulmonary embolism")
    NOT dvt*
    (ms OR "multiple sclerosis" OR "mitral stenosis")
    >>> expanded["ms"]
    ('multiple sclerosis', 'mitral stenosis')
    """
    expanded: dict[str, tuple[str, ...]] = {}

    def typed(node: Term | Phrase) -> str:
        """The word as typed; for a phrase, its hyphenated chunk ("ATTR-CM"), or "" when
        it was typed in quotes."""
        if not query.source:
            return node.word if isinstance(node, Term) else ""
        pattern = WORD_RE if isinstance(node, Term) else _HYPHENATED
        found = pattern.match(query.source, node.position)
        return found.group() if found else ""

    def swap(node: Node, in_field: bool) -> Node:
        if isinstance(node, Term | Phrase):
            written = typed(node) if not (node.prefix or in_field) else ""
            if not written:
                return node
            others: list[Node] = []
            said: list[str] = []
            for meaning in meanings(written):
                words = tuple(tokenize(meaning))
                if words and words != (node.words if isinstance(node, Phrase) else (node.word,)):
                    others.append(Phrase(words, False, node.position) if len(words) > 1
                                  else Term(words[0], False, node.position))  # fmt: skip
                    said.append(meaning)
            if not others:
                return node
            expanded[written.lower()] = tuple(said)
            return Or((node, *others), node.position)
        if isinstance(node, Field):
            return Field(node.name, swap(node.child, True), node.position)
        if isinstance(node, Not):
            return Not(swap(node.child, in_field), node.position)
        if isinstance(node, And):
            return And(tuple(swap(c, in_field) for c in node.children), node.position)
        if isinstance(node, Or):
            return Or(_flat_or(swap(c, in_field) for c in node.children), node.position)
        return node

    new = swap(query.root, False)
    return (Query(new, query.source) if expanded else query), expanded


def with_synonyms(
    query: Query, names: Mapping[tuple[str, ...], tuple[str, ...]], key: Callable[[str], str]
) -> tuple[Query, dict[str, str]]:
    """The query with each run of its words that is a known synonym or eponym also finding
    the name it stands for: ``names`` maps a variant's keys (``key`` of each word, see
    :mod:`lightbox.search.text.forms`) to the name's words. Only plain words side by side
    at the top of the query (or of an AND) are read; the longest variant wins. Also gives
    what was expanded, variant → name, as typed words.

    Examples
    --------
    >>> names = {("osteitis", "deforman"): ("paget",), ("plummer",): ("toxic", "goitre")}
    >>> query, said = with_synonyms(parse("osteitis deformans skull"), names, lambda w: w[:8])
    >>> describe(query), said
    ('((osteitis AND deformans) OR paget) AND skull', {'osteitis deformans': 'paget'})
    >>> describe(with_synonyms(parse("Plummer"), names, lambda w: w[:8])[0])
    'plummer OR "toxic goitre"'
    """
    if not names:
        return query, {}
    span = max(map(len, names))
    said: dict[str, str] = {}

    def plain(node: Node) -> bool:
        return isinstance(node, Term) and not node.prefix

    def name_of(words: tuple[str, ...]) -> Node:
        return Term(words[0]) if len(words) == 1 else Phrase(words)

    def runs(children: tuple[Node, ...]) -> tuple[Node, ...]:
        out: list[Node] = []
        i = 0
        while i < len(children):
            for n in range(min(span, len(children) - i), 0, -1):
                run = children[i : i + n]
                if not all(map(plain, run)):
                    continue
                words = tuple(t.word for t in run if isinstance(t, Term))
                name = names.get(tuple(map(key, words)))
                if name is None or name == words:
                    continue
                said[" ".join(words)] = " ".join(name)
                typed = run[0] if n == 1 else And(run, run[0].position)
                out.append(Or((typed, name_of(name)), run[0].position))
                i += n
                break
            else:
                out.append(children[i])
                i += 1
        return tuple(out)

    root = query.root
    if isinstance(root, And):
        new: Node = _and(list(runs(root.children)))
    else:
        new = runs((root,))[0]
    return (Query(new, query.source) if said else query), said


def with_keys(
    query: Query,
    keyed: Callable[[str], str],
    forms: Callable[[str], Sequence[str]] | None = None,
) -> Query:
    """The query with each word and phrase finding every form of it: ``keyed`` gives
    the index's token for a word's key (:func:`lightbox.search.text.forms.keyed`).
    Prefixes stay as typed.

    ``forms`` lists the indexed words that share a word's key (the word itself among
    them if it is indexed). With it, a word that has other indexed forms is asked for
    as itself or its key, so that a case holding the form typed matches both and ranks
    above one holding another form; a word that is its key's only indexed form is asked
    for alone (its key would find the same cases, reading a list for nothing); one not
    indexed in that form, by its key. Without it, every word is asked for by its key:
    every form found, none preferred.

    Examples
    --------
    >>> describe(with_keys(parse('tumours -"oedema" osteo*'), lambda w: "k" + w[:5]))
    'ktumou AND NOT koedem AND osteo*'
    >>> indexed = {"tumours": ["tumour", "tumours"], "tumour": ["tumour", "tumours"],
    ...            "tumor": ["tumour", "tumours"], "bone": ["bone"]}
    >>> describe(with_keys(parse('tumours tumor bone "bone tumour"'), lambda w: "k" + w[:5],
    ...                    lambda w: indexed.get(w, [])))
    '(tumours OR ktumou) AND ktumor AND bone AND ("bone tumour" OR "kbone ktumou")'
    """

    def one(word: str) -> list[str]:
        """The words and keys to ask for ``word``."""
        if forms is None:
            return [keyed(word)]
        found = forms(word)
        if not found or list(found) == [word]:
            return [word]
        return [word, keyed(word)] if word in found else [keyed(word)]

    def swap(node: Node) -> Node:
        if isinstance(node, Term):
            if node.prefix:
                return node
            asked = [Term(w, False, node.position) for w in one(node.word)]
            return asked[0] if len(asked) == 1 else Or(tuple(asked), node.position)
        if isinstance(node, Phrase):
            if node.prefix:
                return node
            keys = Phrase(tuple(map(keyed, node.words)), False, node.position)
            if forms is None:
                return keys
            if all(one(w) == [w] for w in node.words):
                return node
            return Or((node, keys), node.position)
        if isinstance(node, Field):
            return Field(node.name, swap(node.child), node.position)
        if isinstance(node, Not):
            return Not(swap(node.child), node.position)
        if isinstance(node, And):
            return And(tuple(swap(c) for c in node.children), node.position)
        if isinstance(node, Or):  # spellings of one word share their key: once
            children = tuple(dict.fromkeys(_flat_or(swap(c) for c in node.children)))
            return children[0] if len(children) == 1 else Or(children, node.position)
        return node

    return Query(swap(query.root), query.source)


def with_spellings(query: Query, spellings: Callable[[str], Sequence[str]]) -> Query:
    """The query with each word also finding its other spellings (``spellings`` gives
    them: "haemangioma" for "hemangioma"), as the very word typed would: a case spelling
    it the other way ranks as one spelling it so. Prefixes and phrases stay as typed.

    Examples
    --------
    >>> describe(with_spellings(parse("liver hemangioma"),
    ...                         lambda w: ["haemangioma"] if w == "hemangioma" else []))
    'liver AND (hemangioma OR haemangioma)'
    """

    def swap(node: Node) -> Node:
        if isinstance(node, Term):
            others = [] if node.prefix else [w for w in spellings(node.word) if w != node.word]
            if not others:
                return node
            return Or((node, *(Term(w, False, node.position) for w in others)), node.position)
        if isinstance(node, Field):
            return Field(node.name, swap(node.child), node.position)
        if isinstance(node, Not):
            return Not(swap(node.child), node.position)
        if isinstance(node, And):
            return And(tuple(swap(c) for c in node.children), node.position)
        if isinstance(node, Or):
            return Or(_flat_or(swap(c) for c in node.children), node.position)
        return node

    new = swap(query.root)
    return query if new == query.root else Query(new, query.source)


def _flat_or(children: Iterable[Node]) -> tuple[Node, ...]:
    out: list[Node] = []
    for child in children:
        out.extend(child.children if isinstance(child, Or) else (child,))
    return tuple(out)


def completed(query: Query, known: Callable[[str], bool], begins: Callable[[str], bool],
              shortest: int = 4) -> tuple[Query, list[str]]:  # fmt: skip
    """The query with each plain word that no case holds (``known`` false) but that
    begins indexed words (``begins`` true) made a prefix: ``rhabdo`` finds
    "rhabdomyolysis" without a ``*``. Words shorter than ``shortest`` stay as typed.

    Examples
    --------
    >>> words = {"rhabdomyolysis", "renal"}
    >>> query, done = completed(parse("rhabdo renal"), words.__contains__,
    ...                         lambda w: any(x.startswith(w) for x in words))
    >>> describe(query), done
    ('rhabdo* AND renal', ['rhabdo'])
    """
    done: list[str] = []

    def swap(node: Node) -> Node:
        if isinstance(node, Term):
            word = node.word
            if node.prefix or len(word) < shortest or known(word) or not begins(word):
                return node
            done.append(word)
            return Term(word, True, node.position)
        if isinstance(node, Field):
            return Field(node.name, swap(node.child), node.position)
        if isinstance(node, Not):
            return node  # "NOT rhabdo" means that word: leave it
        if isinstance(node, And):
            return And(tuple(swap(c) for c in node.children), node.position)
        if isinstance(node, Or):
            return Or(tuple(swap(c) for c in node.children), node.position)
        return node

    new = swap(query.root)
    return (Query(new, query.source) if done else query), done
