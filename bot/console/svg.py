"""Charts as inline SVG, drawn on the server: readable without JavaScript, every bar with a
<title> (a tooltip, and what screen readers announce), the chart itself with a title and
role="img". Pure functions from numbers to markup; every text is XML-escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Colours of the outcomes (answered / clarified / not answered) and of the votes.
COLOURS = {"answer": "#2e7d32", "clarify": "#f9a825", "fallback": "#c62828",
           "helpful": "#2e7d32", "unhelpful": "#c62828", "bar": "#1565c0"}

Series = tuple[str, str, Sequence[int]]  # (label, colour, one value per column)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}"><title>{_e(title)}</title>')


def _axis(width: int, top: int, plot_h: int, peak: int, left: int) -> str:
    base = top + plot_h
    return (f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#888"/>'
            f'<text x="{left - 4}" y="{top + 8}" font-size="10" text-anchor="end">{peak}</text>'
            f'<text x="{left - 4}" y="{base}" font-size="10" text-anchor="end">0</text>')


def stacked_bars(labels: Sequence[str], series: Sequence[Series], title: str, *,
                 width: int = 720, height: int = 200) -> str:
    """One column per label, the series stacked bottom-up (e.g. questions per day by outcome)."""
    left, top, bottom = 36, 8, 22
    plot_w, plot_h = width - left, height - top - bottom
    n = max(len(labels), 1)
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = plot_w / n
    bar = max(step * 0.8, 1.0)
    parts = [_open(width, height, title), _axis(width, top, plot_h, peak, left)]
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar) / 2
        y = float(top + plot_h)
        parts.append("<g>")
        for name, colour, values in series:
            v = values[i]
            if v <= 0:
                continue
            h = plot_h * v / peak
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{_e(colour)}"><title>{_e(label)} {_e(name)}: {v}</title></rect>')
        parts.append("</g>")
    # A few labels along the axis (first, middle, last) keep it readable at 90 columns.
    for i in sorted({0, len(labels) // 2, len(labels) - 1} if labels else set()):
        x = left + i * step + step / 2
        anchor = "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
        x = left if anchor == "start" else width if anchor == "end" else x
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="10" '
                     f'text-anchor="{anchor}">{_e(labels[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(labels: Sequence[str], values: Sequence[int], title: str, *, width: int = 720,
         height: int = 160, colour: str = COLOURS["bar"]) -> str:
    """Vertical bars, one per label (e.g. questions per hour of the day)."""
    return stacked_bars(labels, [("", colour, values)], title, width=width, height=height)


def hbars(items: Sequence[tuple[str, int]], title: str, *, width: int = 340,
          colour: str = COLOURS["bar"]) -> str:
    """Horizontal bars with their label and number (e.g. questions by region)."""
    row, label_w, num_w = 20, 120, 56
    height = max(len(items), 1) * row + 4
    peak = max((v for _, v in items), default=0) or 1
    plot = width - label_w - num_w
    parts = [_open(width, height, title)]
    for i, (label, v) in enumerate(items):
        y = 2 + i * row
        w = max(plot * v / peak, 1.0 if v else 0.0)
        parts.append(
            f'<g><text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f'{_e(label)}</text><rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="14" '
            f'fill="{_e(colour)}"><title>{_e(label)}: {v}</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{v}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
