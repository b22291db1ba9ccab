"""Reading an XML document without trusting it. Django-free.

MIRCdocuments come from zips found on old servers and from whoever uploads one, so the
XML is hostile until proven otherwise. It is read with the standard library's expat,
event by event, into a small tree of :class:`Node` (mixed content kept in order: a
paragraph's text and its ``<br/>`` and ``<b>`` alike), under limits that no real
document comes near:

- at most :data:`MAX_XML_BYTES` of input;
- no entity declarations at all, internal or external, and no external entity or DTD
  is ever read (the "billion laughs" and XXE attacks need one or the other);
- at most :data:`MAX_DEPTH` elements deep and :data:`MAX_ELEMENTS` elements in all,
  checked as each element opens, so a document 10,000 elements deep stops at the first
  one too many instead of exhausting the stack of whatever walks the tree later.

Every refusal is an :class:`XmlError` whose message is one line.

Examples
--------
>>> root = parse_xml(b"<doc a='1'><p>One <b>two</b> three</p></doc>")
>>> root.tag, root.attrs, root.find("p").text()
('doc', {'a': '1'}, 'One two three')
>>> parse_xml(b"<!DOCTYPE d [<!ENTITY e 'x'>]><d>&e;</d>")
Traceback (most recent call last):
...
lightbox.interchange.mirc.xmltree.XmlError: entity declarations are not accepted (<!ENTITY e>)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "MAX_XML_BYTES", "Node", "XmlError", "parse_xml"]

MAX_XML_BYTES = 5 * 1024 * 1024  # a MIRCdocument is a few kilobytes of text
MAX_DEPTH = 100  # real documents nest about 10 deep (section > table > tr > td > p > b)
MAX_ELEMENTS = 100_000


class XmlError(ValueError):
    """The bytes are not XML we read; the message says why, in one line."""


@dataclass(slots=True)
class Node:
    """One element: its tag, attributes and children (text and elements, in order)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def elements(self) -> Iterator[Node]:
        """The child elements, in order."""
        return (c for c in self.children if isinstance(c, Node))

    def find(self, tag: str) -> Node | None:
        """The first child element named ``tag``."""
        return next((c for c in self.elements() if c.tag == tag), None)

    def find_all(self, tag: str) -> list[Node]:
        return [c for c in self.elements() if c.tag == tag]

    def text(self) -> str:
        """All the text inside, concatenated, whitespace as it is.

        Iterative, not recursive: whatever depth the limits allowed, this never
        exhausts the stack.
        """
        out: list[str] = []
        stack: list[Node | str] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                out.append(item)
            else:
                stack.extend(reversed(item.children))
        return "".join(out)

    def iter(self) -> Iterator[Node]:
        """This element and every element inside it, in document order."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(list(node.elements())))


class _Builder:
    def __init__(self, max_depth: int, max_elements: int) -> None:
        self.max_depth, self.max_elements = max_depth, max_elements
        self.stack: list[Node] = []
        self.root: Node | None = None
        self.count = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.count += 1
        if self.count > self.max_elements:
            raise XmlError(f"more than {self.max_elements:,} elements")
        if len(self.stack) >= self.max_depth:
            raise XmlError(f"elements nested more than {self.max_depth} deep")
        node = Node(tag, dict(attrs))
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if not self.stack:
            return
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += text
        else:
            children.append(text)


def _refuse_entity(name: str, *rest: object) -> None:
    raise XmlError(f"entity declarations are not accepted (<!ENTITY {name}>)")


def _refuse_external(*args: object) -> int:
    raise XmlError("external entities are not accepted")


def _refuse_skipped(name: str, is_parameter: int) -> None:
    raise XmlError(f"undefined entity &{name}; (entities other than XML's own are refused)")


def parse_xml(
    data: bytes, *, max_depth: int = MAX_DEPTH, max_elements: int = MAX_ELEMENTS
) -> Node:
    """The root element of ``data``, read under the limits of the module docstring.

    Raises
    ------
    XmlError
        Too large, not well-formed, declaring or referring to entities, too deep or too
        many elements.
    """
    if len(data) > MAX_XML_BYTES:
        raise XmlError(f"XML too large: {len(data):,} bytes (limit {MAX_XML_BYTES:,})")
    builder = _Builder(max_depth, max_elements)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    # Never read a DTD or entity from anywhere; refuse any attempt to declare one.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SkippedEntityHandler = _refuse_skipped
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        reason = expat.ErrorString(e.code) if e.code is not None else str(e)
        raise XmlError(f"not well-formed XML: {reason} (line {e.lineno})") from None
    except RecursionError:  # belt and braces: the depth limit stops this first
        raise XmlError(f"elements nested more than {max_depth} deep") from None
    if builder.root is None:
        raise XmlError("no XML element found")
    return builder.root
