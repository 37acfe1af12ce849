"""Inline SVG charts for report.html: a heatmap and horizontal bars with interval whiskers.

Every label passes through html.escape; the charts use presentation attributes only (no
style attributes, no scripts), so the page keeps a strict Content-Security-Policy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

CHAR_WIDTH = 7.2  # width of one 12px sans-serif character, generous for wide letters
LOW_COLOUR = (255, 245, 240)
HIGH_COLOUR = (165, 15, 21)
EMPTY_COLOUR = "#eeeeee"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def percent(value: float | None, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%" if is_number(value) else "–"


def colour(value: float) -> str:
    """A sequential light-to-dark red scale for rates in [0, 1]."""
    t = min(1.0, max(0.0, value))
    rgb = [round(lo + (hi - lo) * t) for lo, hi in zip(LOW_COLOUR, HIGH_COLOUR, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def interval_text(metric: dict[str, Any]) -> str:
    if not is_number(metric.get("value")):
        return "no data"
    text = f"{percent(metric['value'], 1)}"
    if is_number(metric.get("low")) and is_number(metric.get("high")):
        text += f" [{percent(metric['low'], 1)}, {percent(metric['high'], 1)}]"
    if metric.get("n") is not None:
        text += f" n={metric['n']}"
    return text


def heatmap(
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    cells: dict[tuple[str, str], dict[str, Any] | None],
    title: str,
    cell_width: int = 84,
    cell_height: int = 30,
) -> str:
    """Rates in a grid: one row per row label, one column per column label; hover shows the interval."""
    left = max([text_width(r) for r in row_labels] + [40]) + 12
    # column labels are rotated by 35 degrees: they need room above and to the right of the grid
    top = max([text_width(c) * 0.58 for c in col_labels] + [20]) + 16
    n = len(col_labels)
    overhang = max([text_width(c) * 0.82 - (n - j - 0.5) * cell_width for j, c in enumerate(col_labels)] + [0])
    width = left + cell_width * len(col_labels) + overhang + 8
    height = top + cell_height * len(row_labels) + 8
    parts = [_open(width, height, title)]
    for j, col in enumerate(col_labels):
        x = left + j * cell_width + cell_width / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top - 6:.1f}" transform="rotate(-35 {x:.1f} {top - 6:.1f})" '
            f'font-size="12" text-anchor="start" fill="#333">{escape(col)}</text>'
        )
    for i, row in enumerate(row_labels):
        y = top + i * cell_height
        parts.append(
            f'<text x="{left - 8:.1f}" y="{y + cell_height / 2 + 4:.1f}" font-size="12" '
            f'text-anchor="end" fill="#333">{escape(row)}</text>'
        )
        for j, col in enumerate(col_labels):
            x = left + j * cell_width
            metric = cells.get((row, col))
            value = metric.get("value") if metric else None
            fill = colour(value) if is_number(value) else EMPTY_COLOUR
            ink = "#ffffff" if is_number(value) and value > 0.55 else "#222222"
            tip = f"{row} / {col}: {interval_text(metric) if metric else 'not measured'}"
            parts.append(
                f'<g class="hm-cell"><title>{escape(tip)}</title>'
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_width - 2}" height="{cell_height - 2}" '
                f'rx="3" fill="{fill}"/>'
                f'<text x="{x + cell_width / 2 - 1:.1f}" y="{y + cell_height / 2 + 3:.1f}" font-size="12" '
                f'text-anchor="middle" fill="{ink}">{escape(percent(value) if metric else "")}</text></g>'
            )
    parts.append("</svg>")
    return "".join(parts)


def interval_bars(
    bars: Sequence[tuple[str, dict[str, Any]]],
    title: str,
    scale_max: float = 1.0,
    as_percent: bool = True,
    bar_height: int = 20,
    plot_width: int = 360,
) -> str:
    """One horizontal bar per (label, metric) with a whisker from metric["low"] to metric["high"]."""
    left = max([text_width(label) for label, _ in bars] + [40]) + 12
    right = 190
    axis_top = 8
    height = axis_top + len(bars) * (bar_height + 8) + 28
    width = left + plot_width + right
    fmt = (lambda v: percent(v, 1)) if as_percent else (lambda v: f"{v:.3g}")

    def x_of(value: float) -> float:
        return left + plot_width * min(1.0, max(0.0, value / scale_max if scale_max else 0.0))

    parts = [_open(width, height, title)]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + plot_width * tick
        parts.append(f'<line x1="{x:.1f}" y1="{axis_top}" x2="{x:.1f}" y2="{height - 22}" stroke="#e3e3e3"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="#666">'
            f"{escape(fmt(tick * scale_max) if as_percent else f'{tick * scale_max:.3g}')}</text>"
        )
    for i, (label, metric) in enumerate(bars):
        y = axis_top + i * (bar_height + 8)
        value = metric.get("value")
        tip = f"{label}: {interval_text(metric) if as_percent else _plain_interval(metric)}"
        parts.append(f'<g class="bar"><title>{escape(tip)}</title>')
        parts.append(
            f'<text x="{left - 8:.1f}" y="{y + bar_height / 2 + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="#333">{escape(label)}</text>'
        )
        if is_number(value):
            parts.append(
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{max(0.5, x_of(value) - left):.1f}" '
                f'height="{bar_height}" fill="{colour(value / scale_max if scale_max else 0)}" '
                f'stroke="#b0b0b0" stroke-width="0.5"/>'
            )
            low, high = metric.get("low"), metric.get("high")
            if is_number(low) and is_number(high):
                mid = y + bar_height / 2
                parts.append(  # a light halo keeps the whisker visible on dark bars
                    f'<line x1="{x_of(low):.1f}" y1="{mid:.1f}" x2="{x_of(high):.1f}" y2="{mid:.1f}" '
                    f'stroke="#ffffff" stroke-width="4" stroke-opacity="0.8"/>'
                )
                parts.append(
                    f'<line class="whisker" x1="{x_of(low):.1f}" y1="{mid:.1f}" x2="{x_of(high):.1f}" '
                    f'y2="{mid:.1f}" stroke="#222" stroke-width="1.5"/>'
                    f'<line x1="{x_of(low):.1f}" y1="{mid - 5:.1f}" x2="{x_of(low):.1f}" y2="{mid + 5:.1f}" '
                    f'stroke="#222" stroke-width="1.5"/>'
                    f'<line x1="{x_of(high):.1f}" y1="{mid - 5:.1f}" x2="{x_of(high):.1f}" y2="{mid + 5:.1f}" '
                    f'stroke="#222" stroke-width="1.5"/>'
                )
            note = interval_text(metric) if as_percent else _plain_interval(metric)
        else:
            note = "no data"
        parts.append(
            f'<text x="{left + plot_width + 8:.1f}" y="{y + bar_height / 2 + 4:.1f}" font-size="11" '
            f'fill="#444">{escape(note)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _plain_interval(metric: dict[str, Any]) -> str:
    value, low, high = metric.get("value"), metric.get("low"), metric.get("high")
    if not is_number(value):
        return "no data"
    text = f"{value:.3g}"
    if is_number(low) and is_number(high):
        text += f" [{low:.3g}, {high:.3g}]"
    if metric.get("n") is not None:
        text += f" n={metric['n']}"
    return text


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
    )
