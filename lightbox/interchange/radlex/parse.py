"""Reading a RadLex OWL file (RDF/XML): each class's RadLex ID, preferred name, synonyms
and broader classes.

Django-free (the standard library's expat and :mod:`lightbox.cases.codes`). The file is
read as a stream, a megabyte at a time, and never held whole: RadLex is tens of megabytes.
What is read of each top-level ``owl:Class`` whose ``rdf:about`` ends in a RadLex ID::

    <owl:Class rdf:about="http://www.radlex.org/RID/#RID3874">
      <rdfs:subClassOf rdf:resource="http://www.radlex.org/RID/#RID3873"/>
      <Preferred_name xml:lang="en">Paget disease of bone</Preferred_name>
      <rdfs:label xml:lang="en">Paget disease of bone</rdfs:label>
      <Synonym xml:lang="en">osteitis deformans</Synonym>
    </owl:Class>

- the name is the English (or untagged) ``Preferred_name`` of any namespace, else the
  ``rdfs:label``; a label that differs from the preferred name is kept as a synonym;
- synonyms are the English (or untagged) ``Synonym`` elements of any namespace;
- broader classes are the ``rdfs:subClassOf`` whose ``rdf:resource`` is a RadLex ID
  (restrictions, ``owl:Restriction`` inside ``rdfs:subClassOf``, are not classes);
- everything else (definitions, other languages, other properties, other classes) is
  passed over.

Hostile input is refused with :class:`RadLexError`, one line, before anything is saved:
not XML, not RDF, nested deeper than :data:`MAX_DEPTH`, larger than the byte limit, more
than :data:`MAX_CLASSES` classes, and entity tricks (parameter or external entities, an
entity that refers to another — the "billion laughs" — or more than
:data:`MAX_ENTITIES`). Plain internal entities, which ontology editors write
(``<!ENTITY owl "http://www.w3.org/2002/07/owl#">``), are allowed. A class that cannot be
used (no name, a term over :data:`~lightbox.cases.codes.MAX_TERM` characters) is passed
over with a warning.

Examples
--------
>>> import io
>>> owl = b'''<?xml version="1.0"?>
... <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
...          xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
...          xmlns:owl="http://www.w3.org/2002/07/owl#"
...          xmlns="http://www.radlex.org/RID/">
...   <owl:Class rdf:about="http://www.radlex.org/RID/#RID3874">
...     <rdfs:subClassOf rdf:resource="http://www.radlex.org/RID/#RID3873"/>
...     <Preferred_name xml:lang="en">Paget disease of bone</Preferred_name>
...     <Synonym xml:lang="en">osteitis deformans</Synonym>
...   </owl:Class>
... </rdf:RDF>'''
>>> found = read_radlex(io.BytesIO(owl))
>>> paget = found.terms["RID3874"]
>>> paget.name, paget.synonyms, paget.parents
('Paget disease of bone', ('osteitis deformans',), ('RID3873',))
>>> try:
...     read_radlex(io.BytesIO(b"<html><body>RID1</body></html>"))
... except RadLexError as e:
...     print(e)
not a RadLex OWL file: the document is <html>, not RDF/XML (<rdf:RDF>)
"""

from __future__ import annotations

import xml.parsers.expat as expat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Final

from lightbox.cases.codes import MAX_TERM, InvalidCode, clean_term, rid_of

__all__ = [
    "MAX_BYTES",
    "MAX_CLASSES",
    "MAX_DEPTH",
    "MAX_ENTITIES",
    "RadLexError",
    "RadLexFile",
    "RadLexTerm",
    "read_radlex",
]

#: Largest file read, in bytes (RadLex's OWL file is well under a tenth of it).
MAX_BYTES: Final = 1 << 30
#: Deepest nesting of elements (RadLex's is 6).
MAX_DEPTH: Final = 64
#: Most classes read (RadLex has under 100,000).
MAX_CLASSES: Final = 1_000_000
#: Most entity declarations, and the longest value of one.
MAX_ENTITIES: Final = 100
MAX_ENTITY_VALUE: Final = 2_000
#: Characters of one element's text kept at most (a term longer than MAX_TERM is refused).
MAX_TEXT: Final = 4 * MAX_TERM
#: Synonyms and broader classes of one class kept at most.
MAX_SYNONYMS: Final = 100
MAX_PARENTS: Final = 50
#: Bytes fed to the parser at a time.
CHUNK: Final = 1 << 20
#: Warnings listed one by one at most; the rest are counted.
MAX_WARNINGS: Final = 20

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SEP = " "  # expat's namespace separator: "namespace localname"
_LANG = f"http://www.w3.org/XML/1998/namespace{_SEP}lang"
_ABOUT, _ID, _RESOURCE = (f"{_RDF}{_SEP}{n}" for n in ("about", "ID", "resource"))
_ROOT = f"{_RDF}{_SEP}RDF"
_CLASS = f"{_OWL}{_SEP}Class"
_ONTOLOGY = f"{_OWL}{_SEP}Ontology"
_VERSION = f"{_OWL}{_SEP}versionInfo"
_LABEL = f"{_RDFS}{_SEP}label"
_SUBCLASS = f"{_RDFS}{_SEP}subClassOf"
_ARCHIVES = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip file"}


class RadLexError(ValueError):
    """The file cannot be read as RadLex; ``str()`` is one line saying why (and where)."""


@dataclass(frozen=True, slots=True)
class RadLexTerm:
    """One RadLex class: its ID, preferred name, other names and broader classes."""

    rid: str
    name: str
    synonyms: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()


@dataclass
class RadLexFile:
    """What a file held: ``terms`` by RadLex ID, the ontology's ``version``
    (``owl:versionInfo``, "" when it gives none), ``classes`` (RadLex classes read,
    usable or not) and ``warnings`` (one line each, for the person importing)."""

    terms: dict[str, RadLexTerm] = field(default_factory=dict)
    version: str = ""
    classes: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Class:
    rid: str
    line: int
    preferred: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)


def _local(name: str) -> str:
    return name.rpartition(_SEP)[2]


def _same(term: str) -> str:
    return " ".join(term.casefold().split())


def _english(attrs: dict[str, str]) -> bool:
    lang = attrs.get(_LANG, "").lower()
    return lang in ("", "en") or lang.startswith("en-")


class _Reader:
    """expat's handlers and what they have gathered so far."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.found = RadLexFile()
        self.depth = 0
        self.entities = 0
        self.cls: _Class | None = None
        self.in_ontology = False
        # The depth-3 element whose text is being gathered: (kind, parts, length).
        self.kind = ""
        self.parts: list[str] = []
        self.length = 0
        self.too_long = False
        self.skipped: dict[str, int] = {}

    # -- errors and warnings -------------------------------------------------------------

    def fail(self, message: str) -> RadLexError:
        return RadLexError(f"line {self.parser.CurrentLineNumber}: {message}")

    def warn(self, key: str, message: str) -> None:
        """A warning, listed while there are few; then only counted under ``key``."""
        if len(self.found.warnings) < MAX_WARNINGS:
            self.found.warnings.append(message)
        else:
            self.skipped[key] = self.skipped.get(key, 0) + 1

    # -- entity declarations ---------------------------------------------------------------

    def entity(
        self,
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        self.entities += 1
        if self.entities > MAX_ENTITIES:
            raise self.fail(f"more than {MAX_ENTITIES} entity declarations")
        if is_parameter:
            raise self.fail(f"parameter entity %{name}; is not allowed")
        if value is None:
            raise self.fail(f"external entity &{name}; is not allowed (nothing is fetched)")
        if "&" in value or "%" in value:
            raise self.fail(f"entity &{name}; refers to another entity, which is not allowed")
        if len(value) > MAX_ENTITY_VALUE:
            raise self.fail(f"entity &{name}; is longer than {MAX_ENTITY_VALUE} characters")

    def external(self, *args: object) -> int:
        raise self.fail("external entities are not read")

    # -- elements --------------------------------------------------------------------------

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"elements are nested more than {MAX_DEPTH} deep")
        if self.depth == 1:
            if name != _ROOT:
                raise RadLexError(
                    f"not a RadLex OWL file: the document is <{_local(name)[:40]}>, not "
                    "RDF/XML (<rdf:RDF>)"
                )
        elif self.depth == 2:
            self._start_class(name, attrs)
        elif self.depth == 3:
            self._start_property(name, attrs)

    def _start_class(self, name: str, attrs: dict[str, str]) -> None:
        self.in_ontology = name == _ONTOLOGY
        if name != _CLASS:
            return
        rid = rid_of(attrs.get(_ABOUT) or attrs.get(_ID) or "")
        if rid is None:
            return  # another ontology's class, or owl:Thing: not a RadLex term
        self.found.classes += 1
        if self.found.classes > MAX_CLASSES:
            raise self.fail(f"more than {MAX_CLASSES:,} classes")
        self.cls = _Class(rid, self.parser.CurrentLineNumber)

    def _start_property(self, name: str, attrs: dict[str, str]) -> None:
        kind = ""
        if self.in_ontology and name == _VERSION:
            kind = "version"
        elif self.cls is None:
            return
        elif name == _SUBCLASS:
            if (rid := rid_of(attrs.get(_RESOURCE, ""))) and rid != self.cls.rid:
                self.cls.parents.append(rid)
            return
        elif name == _LABEL and _english(attrs):
            kind = "label"
        elif _local(name) == "Preferred_name" and _english(attrs):
            kind = "preferred"
        elif _local(name) == "Synonym" and _english(attrs):
            kind = "synonym"
        self.kind, self.parts, self.length, self.too_long = kind, [], 0, False

    def text(self, data: str) -> None:
        if not self.kind:
            return
        if self.length + len(data) > MAX_TEXT:
            self.too_long = True
            return
        self.parts.append(data)
        self.length += len(data)

    def end(self, name: str) -> None:
        if self.depth == 3 and self.kind:
            self._end_property()
        elif self.depth == 2:
            if self.cls is not None:
                self._add(self.cls)
            self.cls, self.in_ontology = None, False
        self.depth -= 1

    def _end_property(self) -> None:
        kind, self.kind = self.kind, ""
        if kind == "version":
            self.found.version = " ".join("".join(self.parts).split())[:100]
            return
        assert self.cls is not None
        try:
            if self.too_long:
                raise InvalidCode(f"a term is at most {MAX_TERM} characters")
            term = clean_term("".join(self.parts))
        except InvalidCode as e:
            where = f"line {self.parser.CurrentLineNumber}"
            self.warn("term", f"{where}: {self.cls.rid}: a {kind} is passed over: {e}")
            return
        {"preferred": self.cls.preferred, "label": self.cls.labels}.get(
            kind, self.cls.synonyms
        ).append(term)

    def _add(self, cls: _Class) -> None:
        names = cls.preferred + cls.labels
        earlier = self.found.terms.get(cls.rid)
        if earlier is not None:
            # The same class described twice: one term with the names of both.
            name, others = earlier.name, [*earlier.synonyms, *names, *cls.synonyms]
            cls.parents = [*earlier.parents, *cls.parents]
        elif names:
            name, others = names[0], names[1:] + cls.synonyms
        else:
            self.warn("name", f"line {cls.line}: {cls.rid} has no English name; passed over")
            return
        # Written forms that differ only in case or spacing are one; "Paget's disease"
        # beside "Paget disease" is kept (a reader may type either).
        seen = {_same(name)}
        synonyms = []
        for term in others:
            if (form := _same(term)) not in seen:
                seen.add(form)
                synonyms.append(term)
        if len(synonyms) > MAX_SYNONYMS:
            self.warn("many", f"{cls.rid}: only the first {MAX_SYNONYMS} synonyms are kept")
        parents = list(dict.fromkeys(cls.parents))
        self.found.terms[cls.rid] = RadLexTerm(
            cls.rid, name, tuple(synonyms[:MAX_SYNONYMS]), tuple(parents[:MAX_PARENTS])
        )

    def finish(self) -> RadLexFile:
        for key, count in self.skipped.items():
            what = {"name": "classes without a name", "term": "terms passed over"}
            self.found.warnings.append(f"… and {count} more {what.get(key, 'warnings')}")
        if not self.found.terms:
            raise RadLexError(
                "no RadLex terms found: expected owl:Class elements whose rdf:about ends in "
                "a RadLex ID (RID…) with a Preferred_name or rdfs:label"
            )
        return self.found


def _parser() -> tuple[Any, _Reader]:
    parser = expat.ParserCreate(namespace_separator=_SEP)
    reader = _Reader(parser)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = reader.entity
    parser.ExternalEntityRefHandler = reader.external
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    return parser, reader


def read_radlex(
    stream: IO[bytes],
    *,
    progress: Callable[[int], object] | None = None,
    max_bytes: int = MAX_BYTES,
) -> RadLexFile:
    """Read a RadLex OWL file from ``stream``; ``progress(n)`` after each ``n`` bytes.

    Raises
    ------
    RadLexError
        When the file is not RadLex OWL, or is hostile (see the module's docstring).
    """
    parser, reader = _parser()
    read = 0
    first = True
    while chunk := stream.read(CHUNK):
        if first:
            for magic, what in _ARCHIVES.items():
                if chunk.startswith(magic):
                    raise RadLexError(f"this is {what}: unpack it and give the .owl file inside")
            first = False
        read += len(chunk)
        if read > max_bytes:
            raise RadLexError(f"the file is larger than {max_bytes:,} bytes, the most read")
        _feed(parser, chunk, final=False)
        if progress is not None:
            progress(len(chunk))
    if first:
        raise RadLexError("the file is empty")
    _feed(parser, b"", final=True)
    return reader.finish()


def _feed(parser: Any, data: bytes, *, final: bool) -> None:
    try:
        parser.Parse(data, final)
    except expat.ExpatError as e:
        message = expat.ErrorString(e.code)
        raise RadLexError(f"line {e.lineno}, column {e.offset + 1}: not XML: {message}") from None
