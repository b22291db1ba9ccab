"""Markdown to safe HTML. Django-free.

Authors write Markdown; what reaches a browser is always passed through nh3 (the Ammonia
sanitiser) with a small allow-list, so a section can never carry script, style or
event-handler attributes, whatever was typed or imported.

>>> render("**Tc-99m** MDP <script>alert(1)</script>")
'<p><strong>Tc-99m</strong> MDP </p>'
"""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3

__all__ = ["render"]

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "sub", "sup", "ul", "ol", "li", "blockquote",
    "code", "pre", "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": {"colspan"}}


@lru_cache(maxsize=4096)
def render(text: str) -> str:
    """Render Markdown ``text`` to sanitised HTML (cached: sections repeat across pages)."""
    if not text:
        return ""
    html = md.markdown(text, extensions=["sane_lists", "tables"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
