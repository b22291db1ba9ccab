"""Markdown to safe HTML, in time linear in the text. Django-free.

Authors write Markdown (CommonMark, with GitHub's pipe tables); what reaches a browser is
always passed through nh3 (the Ammonia sanitiser) with a small allow-list, so a section can
never carry script, style or event-handler attributes, whatever was typed or imported.

Every text a user can submit (a section, a topic, a comment, a preview) is rendered here,
so the work must stay linear in its length whatever it holds. Three choices make it so:

- The parser is cmark-gfm, GitHub's fork of the CommonMark reference implementation,
  through ``cmarkgfm``: it is designed to run in linear time on any input. Python-Markdown,
  used before, took 21 s on ``"[" * 10_000`` (brackets, emphasis runs, nested lists and
  tables are quadratic or worse there).
- HTML typed into the text is *not* passed on (cmark's safe mode leaves it out; its text
  stays). An HTML5 parser, nh3's included, takes quadratic or worse time on some tag soup
  (``"<b id=1><p>"`` repeated 4,000 times took 72 s), and Markdown never needs it.
- What cmark writes is well formed and nests as deep as the text asks (``"> " * 500_000``
  is half a million nested quotations), and the sanitiser's work grows with the depth of
  each element. Elements deeper than :data:`MAX_DEPTH` are left out, their text kept.

``bench/hostile_text.py`` prints the time of each pathological pattern at 100 KB and 1 MB.

>>> render("**Tc-99m** MDP <script>alert(1)</script>")
'<p><strong>Tc-99m</strong> MDP alert(1)</p>\\n'
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate

import cmarkgfm
import nh3

__all__ = ["MAX_DEPTH", "markup_removed", "render"]

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "sub", "sup", "ul", "ol", "li", "blockquote",
    "code", "pre", "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}  # fmt: skip
# ``start``: a list numbered from 3 is shown from 3.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}, "td": {"colspan"}}
#: GitHub's pipe tables; nothing else beyond CommonMark: bare URLs are not made into links
#: and ``~~`` is not strike-through, as with the renderer this replaced.
EXTENSIONS = ["table"]
#: Elements nest at most this deep; deeper ones are left out and their text kept.
MAX_DEPTH = 40
#: Texts up to this long are cached by the thousand (sections repeat across pages);
#: longer ones only by the handful, so that a stream of large previews cannot fill the
#: memory (a megabyte of table rows is 8 MB of HTML).
CACHED_LENGTH = 20_000

_SURROGATE = re.compile("[\ud800-\udfff]")
# In cmark's output every "<" starts a tag or a comment: text and attribute values are
# escaped, and typed HTML is not passed on. Void elements (br, hr, img, input) do not nest.
_TAG = re.compile(r"<(/?)(?!(?:br|hr|img|input)\b)[a-z][a-z0-9]*[^>]*>")


# Markdown's marks, for a line of plain text (a search result's snippet): each pattern runs
# in time linear in the text (no pairing of marks: a lone "*" goes too).
_LINK = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\n]{0,2000}\)")
_LINE_MARK = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|(?:[-*+]|\d{1,9}[.)])[ \t]+)", re.M)
_MARKS = re.compile(r"[*_]+")
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.M)


def markup_removed(text: str) -> str:
    r"""``text`` without Markdown's marks: links as their text, no emphasis stars or
    underscores, no heading, quote or list marks, code ticks or table pipes. For a
    snippet of plain text; what is shown as HTML goes through :func:`render`.

    >>> markup_removed("## Findings\n* *Malignant* [lesion](http://x.org) of `C5`")
    'Findings\nMalignant lesion of C5'
    """
    if "[" in text:
        text = _LINK.sub(r"\1", text)
    text = _LINE_MARK.sub("", _RULE.sub("", text))
    if "*" in text or "_" in text:
        text = _MARKS.sub(lambda m: _emphasis(m, text), text)
    return text.replace("`", "").replace("|", " ")


def _emphasis(match: re.Match[str], text: str) -> str:
    """A run of stars or underscores goes when it opens or closes emphasis: a letter or
    digit on one side only (``snake_case`` and ``2*3`` keep theirs)."""
    start, end = match.span()
    before = start > 0 and text[start - 1].isalnum()
    after = end < len(text) and text[end].isalnum()
    return "" if before != after else match.group()


def render(text: str) -> str:
    """Render Markdown ``text`` to sanitised HTML, in time linear in its length.

    Lone surrogates (possible in JSON, never in UTF-8) become U+FFFD rather than an error.
    """
    if not text:
        return ""
    if len(text) <= CACHED_LENGTH:
        return _cached(text)
    return _cached_long(text)


@lru_cache(maxsize=4096)
def _cached(text: str) -> str:
    return _render(text)


@lru_cache(maxsize=8)
def _cached_long(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    if not text.isascii():
        # cmark-gfm takes UTF-8, in which a lone surrogate cannot be written.
        text = _SURROGATE.sub("\ufffd", text)
    # Options 0: cmark's safe mode (no raw HTML, no javascript: links).
    html = cmarkgfm.markdown_to_html_with_extensions(text, options=0, extensions=EXTENSIONS)
    return nh3.clean(
        _flatten(html, MAX_DEPTH),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _flatten(html: str, max_depth: int) -> str:
    """``html`` (well formed, as cmark writes it) without the elements nested deeper than
    ``max_depth``; their text is kept where it was.

    >>> _flatten("<blockquote><blockquote><p>a</p></blockquote></blockquote>", 2)
    '<blockquote><blockquote>a</blockquote></blockquote>'
    """
    if html.count("<") <= max_depth:  # too few tags to nest that deep
        return html
    # The depth after each tag, counted in C: most texts stop here.
    depths = list(accumulate(-1 if slash else 1 for slash in _TAG.findall(html)))
    if max(depths) <= max_depth:
        return html
    out: list[str] = []
    kept = 0
    for tag, depth in zip(_TAG.finditer(html), depths, strict=True):
        # An opening tag deeper than allowed, or the closing tag that matches one.
        if depth > max_depth or (tag[1] and depth >= max_depth):
            out.append(html[kept : tag.start()])
            kept = tag.end()
    out.append(html[kept:])
    return "".join(out)
