"""Bar charts drawn on the server as inline SVG, readable without colour.

Each bar carries its label and its number as text (never colour alone); a second series is
drawn hatched rather than in a second colour; the SVG has a ``<title>`` and ``role="img"``,
and every chart is shown beside a table of the same numbers. Widths are fractions of the
largest value, so the chart reads the same at any size (``viewBox``, no fixed pixels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

ROW = 28
LABEL_WIDTH = 190
BAR_WIDTH = 300
NUMBER_WIDTH = 90
WIDTH = LABEL_WIDTH + BAR_WIDTH + NUMBER_WIDTH
PRIMARY = "#4b2c6f"
HATCH = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
    f'<line x1="0" y1="0" x2="0" y2="6" stroke="{PRIMARY}" stroke-width="3"/></pattern></defs>'
)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    hatched: bool = False  # a second kind of count (people vs events), told apart by pattern


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """A horizontal bar chart: label, bar, number on each row."""
    largest = max((bar.value for bar in bars), default=0) or 1
    height = ROW * max(1, len(bars)) + 8
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        HATCH.format(id=escape(chart_id) + "-hatch"),
    ]
    for index, bar in enumerate(bars):
        y = 4 + index * ROW
        width = round(BAR_WIDTH * bar.value / largest, 1)
        fill = f"url(#{escape(chart_id)}-hatch)" if bar.hatched else PRIMARY
        parts.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{width}" height="{ROW - 8}" '
            f'fill="{fill}" stroke="{PRIMARY}" stroke-width="1"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 18}">{bar.value:,}</text></g>'
        )
    if not bars:
        parts.append(f'<text x="8" y="20">{escape("Nothing to show yet")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
