"""Small inline SVG charts for reports: no script, no external file, readable when printed.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` stating its
figures in words, so a screen reader (or a reader of the raw HTML) gets the numbers too.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 48
PAD_BOTTOM = 28
PAD_TOP = 12
PAD_RIGHT = 12
COLOURS = ("#b03a2e", "#2e86c1", "#239b56", "#7d3c98", "#b9770e", "#566573")


def _frame(title: str, desc: str, body: str, *, height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{body}</svg>"
    )


def _axis(peak: float, height: int) -> str:
    bottom = height - PAD_BOTTOM
    return (
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}" '
        'stroke="#333"/>'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}" stroke="#333"/>'
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">{_number(peak)}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{bottom}" text-anchor="end">0</text>'
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def step_chart(title: str, points: Sequence[tuple[str, float]]) -> str:
    """A cumulative count over time: ``points`` are (label, value) in time order."""
    if not points:
        return _frame(title, "no data", "")
    peak = max(max(v for _, v in points), 1)
    bottom = HEIGHT - PAD_BOTTOM
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    step = span / max(len(points), 1)
    path = []
    for i, (_, value) in enumerate(points):
        x0 = PAD_LEFT + i * step
        y = bottom - (bottom - PAD_TOP) * value / peak
        path.append(f"{'M' if i == 0 else 'L'}{x0:.1f},{y:.1f} L{x0 + step:.1f},{y:.1f}")
    labels = _x_labels([label for label, _ in points], step)
    desc = "; ".join(f"{label}: {_number(value)}" for label, value in points[-20:])
    body = (
        _axis(peak, HEIGHT)
        + f'<path d="{" ".join(path)}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>'
        + labels
    )
    return _frame(title, desc, body)


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> str:
    """Grouped bars: one group per label, one bar per series (name, values), with a key."""
    if not labels or not series:
        return _frame(title, "no data", "")
    peak = max(max((max(values, default=0) for _, values in series), default=0), 1)
    bottom = HEIGHT - PAD_BOTTOM
    span = WIDTH - PAD_LEFT - PAD_RIGHT
    group = span / len(labels)
    bar = max(group * 0.8 / len(series), 1)
    bars = []
    for s, (_name, values) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        for i, value in enumerate(values):
            h = (bottom - PAD_TOP) * value / peak
            x = PAD_LEFT + i * group + group * 0.1 + s * bar
            bars.append(
                f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"/>'
            )
    key = "".join(
        f'<rect x="{WIDTH - 150}" y="{PAD_TOP + 14 * s}" width="10" height="10" '
        f'fill="{COLOURS[s % len(COLOURS)]}"/>'
        f'<text x="{WIDTH - 136}" y="{PAD_TOP + 9 + 14 * s}">{escape(name)}</text>'
        for s, (name, _) in enumerate(series)
    )
    desc = "; ".join(
        f"{label}: "
        + ", ".join(f"{name} {_number(values[i])}" for name, values in series if i < len(values))
        for i, label in enumerate(labels[:30])
    )
    body = _axis(peak, HEIGHT) + "".join(bars) + key + _x_labels(list(labels), group)
    return _frame(title, desc, body)


def _x_labels(labels: Sequence[str], step: float) -> str:
    """About eight labels along the bottom, evenly spaced."""
    every = max(1, len(labels) // 8)
    y = HEIGHT - PAD_BOTTOM + 14
    return "".join(
        f'<text x="{PAD_LEFT + i * step + step / 2:.1f}" y="{y}" text-anchor="middle">'
        f"{escape(label)}</text>"
        for i, label in enumerate(labels)
        if i % every == 0
    )
