"""Charts drawn on the server as SVG (no script runs in the browser): bars of a value
per label, and a histogram of values in equal-width bins. Values are ``Decimal``; only
the drawing's coordinates are floats. Every text is escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 80, 40, 16
COLOURS = ("#2b6cb0", "#dd6b20")
MAX_LABELS = 10


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal]]],
    shown: Callable[[Decimal], str],
) -> str:
    """A bar chart: for each label a group of bars, one per series ``(name, values)``;
    the axis marks its highest value with ``shown`` (the page's money format)."""
    if not labels:
        return ""
    top = max([v for _, values in series for v in values] + [Decimal(0)])
    low = min([v for _, values in series for v in values] + [Decimal(0)])
    span = (top - low) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    group = plot_w / len(labels)
    bar = group * 0.8 / max(len(series), 1)
    every = -(-len(labels) // MAX_LABELS)

    def y(value: Decimal) -> float:
        return TOP + float((top - value) / span) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{y(Decimal(0)):.1f}" x2="{WIDTH - 10}" y2="{y(Decimal(0)):.1f}" stroke="#444"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">{escape(shown(top))}</text>',
    ]
    if low < 0:
        out.append(
            f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">{escape(shown(low))}</text>'
        )
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.1
        for j, (name, values) in enumerate(series):
            value = values[i]
            y_top, y_zero = min(y(value), y(Decimal(0))), max(y(value), y(Decimal(0)))
            out.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{y_top:.1f}" width="{bar * 0.95:.1f}" '
                f'height="{max(y_zero - y_top, 0.5):.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                f"<title>{escape(label)} {escape(name)}: {escape(shown(value))}</title></rect>"
            )
        if i % every:
            continue  # labels no closer than MAX_LABELS across the width, to stay legible
        out.append(
            f'<text x="{LEFT + i * group + group / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    for j, (name, _) in enumerate(series):
        out.append(
            f'<rect x="{LEFT + j * 150}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{COLOURS[j % len(COLOURS)]}"/><text x="{LEFT + j * 150 + 14}" '
            f'y="{HEIGHT - 5}" font-size="11">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def histogram(
    title: str, values: Sequence[Decimal], shown: Callable[[Decimal], str], bins: int = 10
) -> str:
    """How many values fall in each of ``bins`` equal ranges from the least to the most,
    drawn as bars labelled with each range's lower bound."""
    if not values:
        return ""
    low, high = min(values), max(values)
    width = (high - low) / bins if high > low else Decimal(1)
    counts = [0] * bins
    for value in values:
        counts[min(int((value - low) / width), bins - 1)] += 1
    labels = [shown(low + width * i) for i in range(bins)]
    return bars(title, labels, [(title, [Decimal(c) for c in counts])], lambda v: f"{v:.0f}")
