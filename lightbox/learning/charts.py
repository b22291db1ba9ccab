"""Small server-rendered SVG charts for the progress page. Django-free.

Each function returns an ``<svg>`` element as a string, every text escaped, with a
``<title>`` and a ``<desc>`` stating the figures in words for screen readers.

Examples
--------
>>> svg = bars([("Skeletal system", 3, 4)], title="Accuracy by anatomic field")
>>> svg.startswith("<svg") and "75%" in svg
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bars", "calibration"]

_WIDTH = 560


def bars(rows: Sequence[tuple[str, int, int]], *, title: str) -> str:
    """Horizontal bars, one per ``(label, right, answered)``: the share right."""
    row_h, label_w, bar_w = 26, 220, 260
    height = max(1, len(rows)) * row_h + 10
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {height}" '
        f'width="{_WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        "<desc>"
        + escape(
            "; ".join(f"{label}: {right} of {n} right" for label, right, n in rows)
            or "No answers yet."
        )
        + "</desc>",
    ]
    for i, (label, right, n) in enumerate(rows):
        y = 5 + i * row_h
        share = right / n if n else 0.0
        parts.append(
            f'<text x="0" y="{y + 17}" class="chart-label">{escape(label[:34])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="16" class="chart-track"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{share * bar_w:.1f}" height="16" '
            f'class="chart-bar"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}" class="chart-value">'
            f"{share:.0%} ({right}/{n})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def calibration(levels: Sequence[tuple[str, float, float | None, int]], *, title: str) -> str:
    """Stated against observed accuracy: one point per ``(label, stated, observed, n)``,
    and the diagonal a calibrated reader lies on."""
    size, pad = 300, 40
    inner = size - 2 * pad

    def xy(stated: float, observed: float) -> tuple[float, float]:
        return pad + stated * inner, size - pad - observed * inner

    described = "; ".join(
        f"{label} (stated {stated:.0%}): "
        + (f"right {observed:.0%} of {n}" if observed is not None else "no answers")
        for label, stated, observed, n in levels
    )
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(described)}</desc>",
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" class="chart-track"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" '
        'class="chart-diagonal"/>',
        f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" class="chart-label">'
        "stated confidence</text>",
        f'<text x="12" y="{size / 2}" text-anchor="middle" class="chart-label" '
        f'transform="rotate(-90 12 {size / 2})">share right</text>',
    ]
    for tick in (0.0, 0.5, 1.0):
        x, y = xy(tick, tick)
        parts.append(
            f'<text x="{x:.0f}" y="{size - pad + 14}" text-anchor="middle" '
            f'class="chart-value">{tick:.0%}</text>'
            f'<text x="{pad - 6}" y="{y + 4:.0f}" text-anchor="end" '
            f'class="chart-value">{tick:.0%}</text>'
        )
    for label, stated, observed, n in levels:
        if observed is None:
            continue
        x, y = xy(stated, observed)
        radius = 4 + min(10, n) / 2
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" class="chart-point">'
            f"<title>{escape(label)}: {observed:.0%} of {n}</title></circle>"
            f'<text x="{x + radius + 3:.1f}" y="{y + 4:.1f}" class="chart-value">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
