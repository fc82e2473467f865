"""Inline SVG charts drawn at render time: no script, no CDN, they print and open offline.

Each chart is an ``<svg role="img">`` with a ``<title>`` naming what it shows; the numbers
it draws are also in a table or text next to it, so the chart is never the only source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BINS = 10  # 0-10, 10-20, ..., 90-100 (100 falls into the last bin)


def bin_counts(values: Sequence[float], bins: int = BINS) -> list[int]:
    counts = [0] * bins
    for value in values:
        index = min(bins - 1, max(0, int(value // (100 / bins))))
        counts[index] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # under the bar ("0–10")
    count: int


def histogram(
    bars: Sequence[Bar],
    title: str,
    *,
    edges: Sequence[str] = (),
    width: int = 560,
    height: int = 180,
) -> Markup:
    """A vertical bar chart of counts, each bar labelled with its count.

    The axis is labelled at the bin ``edges`` (one more than the bars: 0, 10, ..., 100) when
    given, else under each bar with its label.
    """
    top, bottom, left = 18, 26, 14
    plot_h = height - top - bottom
    peak = max((b.count for b in bars), default=0) or 1
    step = (width - 2 * left) / max(1, len(bars))
    gap = min(6.0, step * 0.15)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" '
        f'x2="{width - left}" y2="{top + plot_h}"/>',
    ]
    for index, bar in enumerate(bars):
        h = plot_h * bar.count / peak
        x = left + index * step + gap / 2
        y = top + plot_h - h
        w = step - gap
        cx = x + w / 2
        colour = (
            "bar-low"
            if index < len(bars) * 0.5
            else "bar-mid"
            if index < len(bars) * 0.8
            else "bar-high"
        )
        parts.append(
            f'<rect class="{colour}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}">'
            f"<title>{escape(bar.label)}: {bar.count}</title></rect>"
        )
        if bar.count:
            parts.append(
                f'<text class="count" x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
                f"{bar.count}</text>"
            )
        if not edges:
            parts.append(
                f'<text class="tick" x="{cx:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(bar.label)}</text>"
            )
    for index, edge in enumerate(edges):
        parts.append(
            f'<text class="tick" x="{left + index * step:.1f}" y="{height - 8}" '
            f'text-anchor="middle">{escape(edge)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def sparkline(
    values: Sequence[float | None], title: str, *, width: int = 120, height: int = 32
) -> Markup:
    """A small line over 0-100 with a dot on the last value; gaps where a value is None."""
    pad = 4
    n = len(values)
    step = (width - 2 * pad) / max(1, n - 1)

    def point(i: int, v: float) -> tuple[float, float]:
        return pad + i * step, pad + (height - 2 * pad) * (1 - max(0.0, min(100.0, v)) / 100)

    segments: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(point(i, v))
    parts = [
        f'<svg class="spark" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line class="axis" x1="{pad}" y1="{height - pad}" '
        f'x2="{width - pad}" y2="{height - pad}"/>',
    ]
    for seg in segments:
        if len(seg) >= 2:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
            parts.append(f'<polyline points="{path}"/>')
    last = next(((i, v) for i, v in reversed(list(enumerate(values))) if v is not None), None)
    if last is not None:
        x, y = point(*last)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
