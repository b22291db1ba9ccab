r"""Bytes to the lines of a legacy page: decoding, mojibake repair, HTML flattening.

Django-free. :func:`decode` turns the bytes of a page into text and says what it had to
repair; :func:`page_lines` flattens HTML to the plain-text layout (blocks become paragraphs
separated by a blank line) and cuts the text into stripped lines, each line that the HTML
marked as a heading (an ``<h1>``-``<h6>`` or ``<dt>`` element, or a ``<b>``/``<strong>``
label that begins a line) starting with :data:`HEADING_MARK`.

Decoding decides per page:

* valid UTF-8 is UTF-8;
* a page with valid UTF-8 multi-byte characters and a few stray bytes, typically a
  Windows-1252 quote pasted into a UTF-8 file, is read as UTF-8 with each stray byte read
  as Windows-1252, and a warning names them by line, column and byte offset (one valid
  multi-byte character is enough: in Windows-1252 text such byte pairs, "Ã©", occur only
  as mojibake);
* any other page is Windows-1252, what the 1990s pages were saved in (Latin-1 is the same
  but for 0x80-0x9F, where Windows-1252 has the quotes and dashes such pages use);
* the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) become
  U+FFFD, with a warning naming them;
* text that is UTF-8 read as Windows-1252 and saved again ("JosÃ©", "patientâ€™s") is
  repaired with ftfy, with a warning giving an example.

Examples
--------
>>> decode("Diagnosis: caf\u00e9".encode("cp1252"))
('Diagnosis: café', [])
>>> text, warnings = decode("Jos\u00e9 ".encode() + b"\x93gout\x94")
>>> text
'José “gout”'
>>> print(warnings[0])  # doctest: +NORMALIZE_WHITESPACE
2 bytes are not UTF-8 and were read as Windows-1252: 0x93 '“' at line 1, column 6
(byte 6); 0x94 '”' at line 1, column 11 (byte 11)
"""

from __future__ import annotations

import codecs
import itertools
import re
from html.parser import HTMLParser

import ftfy
import ftfy.badness

from lightbox.interchange.legacy.types import MAX_BYTES, LegacyParseError

__all__ = ["HEADING_MARK", "decode", "page_lines"]

# Put by the HTML flattener before a line that the markup made a heading. A private-use
# character, removed from the input first, so that no page can forge it.
HEADING_MARK = "\ue000"

# --------------------------------------------------------------------------------------------
# Bytes to text
# --------------------------------------------------------------------------------------------

_TEXT_CONTROLS = frozenset(b"\t\n\v\f\r")
# Stray bytes are listed in a warning up to this many; the rest are counted.
_LISTED_BYTES = 5
# surrogateescape decodes each byte that is not UTF-8 to one of these code points.
_ESCAPED_RE = re.compile("[\udc80-\udcff]")
# Characters a valid UTF-8 multi-byte sequence decodes to (anything but ASCII or an escape).
_MULTIBYTE_RE = re.compile("[^\x00-\x7f\udc80-\udcff]")
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# Only the steps of ftfy that undo mojibake; quotes, ligatures, widths and line breaks
# are the author's and stay as written.
_MOJIBAKE_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)


def decode(data: bytes | str) -> tuple[str, list[str]]:
    """The text of a page and the warnings about what decoding repaired.

    Size and content are checked before decoding, so hostile input costs little.

    Raises
    ------
    LegacyParseError
        When the input is empty, binary or over :data:`MAX_BYTES`.
    """
    warnings: list[str] = []
    if isinstance(data, str):
        size = len(data.encode("utf-8", "surrogatepass"))
        _check_size(size)
        text = data.removeprefix("\ufeff")
        _check_binary([ord(c) for c in text[:8192]])
    else:
        _check_size(len(data))
        if not data.strip():
            raise LegacyParseError("empty file")
        _check_binary(list(data[:8192]))
        text = _decode_bytes(data, warnings)
    if not text.strip():
        raise LegacyParseError("empty file")
    text = _repair_mojibake(text, warnings)
    return text.replace(HEADING_MARK, ""), warnings


def _check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise LegacyParseError(f"file too large: {size} bytes (limit 5 MiB)")


def _check_binary(codes: list[int]) -> None:
    """NUL bytes, or more than 10% control characters, in the first 8 KB mean binary."""
    controls = sum(1 for c in codes if (c < 32 and c not in _TEXT_CONTROLS) or c == 127)
    if 0 in codes or controls > len(codes) / 10:
        raise LegacyParseError("binary file, not a teaching-file page")


def _decode_bytes(data: bytes, warnings: list[str]) -> str:
    skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = data[skip:]
    # One linear pass: every byte that is not UTF-8 comes out as one escape code point.
    text = body.decode("utf-8", "surrogateescape")
    if _ESCAPED_RE.search(text) is None:
        return text
    utf8 = _MULTIBYTE_RE.search(text) is not None
    if not utf8:
        # Not a UTF-8 page: Windows-1252, one character per byte.
        text = body.decode("cp1252", "surrogateescape")
    if utf8 and (readable := _READABLE_RE.findall(text)):
        warnings.append(
            f"{_bytes(len(readable))} not UTF-8 and {_were(len(readable))} read as "
            f"Windows-1252: {_listing(text, _READABLE_RE, len(readable), skip, utf8=True)}"
        )
    if undefined := _UNDEFINED_RE.findall(text):
        warnings.append(
            f"{_bytes(len(undefined))} not a character in UTF-8 or Windows-1252 and "
            f"{_were(len(undefined))} replaced by U+FFFD: "
            + _listing(text, _UNDEFINED_RE, len(undefined), skip, utf8=utf8)
        )
    return text.translate(_ESCAPED_TO_CP1252)


def _cp1252(byte: int) -> str:
    """The Windows-1252 character of a byte; U+FFFD for the five it leaves undefined."""
    return bytes([byte]).decode("cp1252", "replace")


# The escape of each byte 0x80-0xFF, translated to the byte's Windows-1252 character.
_ESCAPED_TO_CP1252 = {0xDC00 + byte: _cp1252(byte) for byte in range(0x80, 0x100)}
_UNDEFINED = "".join(chr(k) for k, v in _ESCAPED_TO_CP1252.items() if v == "\ufffd")
_UNDEFINED_RE = re.compile(f"[{_UNDEFINED}]")
_READABLE_RE = re.compile(f"(?![{_UNDEFINED}])[\udc80-\udcff]")


def _bytes(count: int) -> str:
    return "1 byte is" if count == 1 else f"{count} bytes are"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _listing(text: str, escapes: re.Pattern[str], count: int, skip: int, *, utf8: bool) -> str:
    """ "0x93 '“' at line 1, column 6 (byte 6); ..." for the first few escaped bytes."""
    entries = []
    for escape in itertools.islice(escapes.finditer(text), _LISTED_BYTES):
        byte = ord(escape[0]) - 0xDC00
        character = _cp1252(byte)
        shown = f" {character!r}" if character != "\ufffd" else ""
        where = _position(text, escape.start(), skip, utf8=utf8)
        entries.append(f"0x{byte:02x}{shown} at {where}")
    more = count - len(entries)
    return "; ".join(entries) + (f"; and {more} more" if more > 0 else "")


def _position(text: str, index: int, skip: int, *, utf8: bool) -> str:
    """ "line 3, column 15 (byte 123)" for the character at ``index`` of ``text``."""
    before = text[:index]
    breaks = list(_LINE_BREAK_RE.finditer(before))
    line = len(breaks) + 1
    column = index - (breaks[-1].end() if breaks else 0) + 1
    offset = len(before.encode("utf-8", "surrogateescape")) if utf8 else index
    return f"line {line}, column {column} (byte {offset + skip})"


# Mojibake of UTF-8 read as Windows-1252 (or Latin-1) always shows a lead byte's reading
# ("Ã", "â") followed by a continuation byte's (0x80-0xBF; a no-break space may have become a
# space). Looking for that pair first spares ftfy's fuller check on ordinary pages.
_CONTINUATIONS = {
    bytes([b]).decode(codec, "ignore")
    for b in range(0x80, 0xC0)
    for codec in ("cp1252", "latin-1")
}
_MOJIBAKE_HINT_RE = re.compile(
    "[\u00c2-\u00f4][" + re.escape("".join(sorted(_CONTINUATIONS - {""}))) + " ]"
)


def _repair_mojibake(text: str, warnings: list[str]) -> str:
    """Undo UTF-8 that was read as Windows-1252 and saved again, saying what changed."""
    if _MOJIBAKE_HINT_RE.search(text) is None or not ftfy.badness.is_bad(text):
        return text
    fixed = ftfy.fix_encoding(text, _MOJIBAKE_ONLY)
    if fixed == text:
        return text
    warnings.append(
        "text was UTF-8 read as Windows-1252 (mojibake) and has been repaired, e.g. "
        f"{_first_change(text, fixed)}"
    )
    return fixed


def _first_change(old: str, new: str) -> str:
    """ "'JosÃ©' → 'José'": the first word that the repair changed, before and after."""
    index = next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )
    start = max(old.rfind(" ", 0, index), old.rfind("\n", 0, index)) + 1

    def word(text: str) -> str:
        end = len(text)
        for stop in (" ", "\n"):
            found = text.find(stop, index)
            if found != -1:
                end = min(end, found)
        return text[start:end][:40]

    return f"{word(old)!r} → {word(new)!r}"


# --------------------------------------------------------------------------------------------
# HTML to text, and lines
# --------------------------------------------------------------------------------------------


def page_lines(text: str) -> list[str]:
    """The page's lines, stripped; HTML flattened first, its headings marked."""
    if _looks_like_html(text):
        text = _html_to_text(text)
    return _clean_lines(text)


_HTML_SNIFF_RE = re.compile(
    r"<(?:!doctype\s+html|/?(?:html|head|body|title|p|br|hr|h[1-6]|div|table|tr|td|ul|ol|li"
    r"|dl|dt|dd|b|i|u|a|font|center|pre|img|strong|em|span|blockquote)\b)",
    re.IGNORECASE,
)


def _looks_like_html(text: str) -> bool:
    return _HTML_SNIFF_RE.search(text[:4096]) is not None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BLOCK_TAGS = _words(
    "address article aside blockquote body caption center dd div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html main nav ol p pre section table "
    "tbody thead tfoot ul"
)
_LINE_TAGS = _words("li tr")
_CELL_TAGS = _words("td th")
# Content that is never page text. Script and style matter for safety; head holds only the
# window title and metadata.
_SKIPPED_TAGS = _words("script style head title template iframe object embed svg math noscript")
# Elements that make their text a heading, and labels that do when they begin a line
# ("<b>Diagnosis:</b> gout<br>"): the section splitter trusts these more than bare text.
_HEADING_TAGS = _words("h1 h2 h3 h4 h5 h6 dt")
_LABEL_TAGS = _words("b strong")
_LAYOUT_TAGS = _BLOCK_TAGS | _LINE_TAGS | _CELL_TAGS | _SKIPPED_TAGS | _LABEL_TAGS | {"br"}
# A case page has a few hundred tags at most; refusing tag soup keeps the parse fast.
_MAX_TAGS = 100_000
# One pass over the markup, linear (possessive quantifiers, and "[^<>]" stops at the next
# "<"): comments, terminated or not; tags; declarations; and a "<" that starts nothing.
_MARKUP_RE = re.compile(
    r"<!--.*?-->|<!--.*"
    r"|<(/?)([A-Za-z][A-Za-z0-9]*+)[^<>]*+>"
    r"|<[!?/][^<>]*+>"
    r"|<",
    re.DOTALL,
)


def _html_to_text(markup: str) -> str:
    """Flatten HTML to the plain-text page layout: blocks become paragraphs."""
    if markup.count("<") > _MAX_TAGS:
        raise LegacyParseError(
            f"not a teaching-file case page: too much markup (over {_MAX_TAGS} tags)"
        )
    parser = _TextExtractor()
    parser.feed(_MARKUP_RE.sub(_simplified_tag, markup))
    parser.close()
    return parser.text()


def _simplified_tag(match: re.Match[str]) -> str:
    """Keep only the name of a tag that shapes the text; drop attributes, comments, the rest.

    HTMLParser before Python 3.13.5 takes quadratic time on some malformed markup
    (CVE-2025-6069); handing it only bare, well-formed tags avoids that, and no attribute
    (event handlers, ``javascript:`` links) ever reaches it.
    """
    name = match[2]
    if name is None:
        return "&lt;" if match[0] == "<" else ""
    name = name.lower()
    return f"<{match[1]}{name}>" if name in _LAYOUT_TAGS else ""


class _TextExtractor(HTMLParser):
    """Turn simplified markup into text: paragraph breaks, line breaks and words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skipping: list[str] = []
        self._pre = 0
        self._line_start = True  # no visible text since the last line break

    def _break(self, breaks: str) -> None:
        self._parts.append(breaks)
        self._line_start = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and "head" in self._skipping:
            # 1990s pages often forget </head>; the body starts the visible text anyway.
            self._skipping = [t for t in self._skipping if t != "head"]
        if tag in _SKIPPED_TAGS:
            self._skipping.append(tag)
        elif tag == "br" or tag in _LINE_TAGS:
            self._break("\n")
        elif tag in _CELL_TAGS:
            self._parts.append(" ")
        elif tag in _BLOCK_TAGS:
            self._break("\n\n")
        if tag == "pre":
            self._pre += 1
        if not self._skipping and (
            tag in _HEADING_TAGS or (tag in _LABEL_TAGS and self._line_start)
        ):
            self._parts.append(HEADING_MARK)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            while self._skipping and self._skipping.pop() != tag:
                pass
        elif tag == "tr":
            self._break("\n")
        elif tag in _BLOCK_TAGS:
            self._break("\n\n")
        if tag == "pre" and self._pre:
            self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        # Outside <pre>, HTML whitespace (newlines included) is a single space.
        self._parts.append(data if self._pre else _WHITESPACE_RUN_RE.sub(" ", data))
        if self._pre and "\n" in data:
            self._line_start = not data.rpartition("\n")[2].strip()
        elif data.strip():
            self._line_start = False

    def text(self) -> str:
        return "".join(self._parts)


_WHITESPACE_RUN_RE = re.compile(r"\s+")


# Tabs and no-break spaces become spaces; form feeds end lines; other C0 controls and
# zero-width characters are noise from old editors and are dropped.
_CLEANUP: dict[int, str | None] = {c: None for c in range(32) if c not in (9, 10, 12, 13)}
_CLEANUP.update({9: " ", 12: "\n", 0x7F: None, 0xA0: " ", 0x200B: None, 0xFEFF: None})


def _clean_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CLEANUP)
    return [line.strip() for line in text.split("\n")]
