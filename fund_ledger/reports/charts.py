"""Charts drawn on the server as inline SVG: pure functions from figures to an SVG string.

No JavaScript and nothing fetched: the page carries the drawing. Every text that comes from the data (a
fund's name, a label) is escaped here, so a name such as ``<童梦&童行>`` is shown, never interpreted. The
drawing scales with its container (``viewBox``, ``width:100%``) and is sized so that its labels stay
readable on a 390-pixel-wide phone; the page puts the same figures in a table beside it for screen readers.
Amounts are in fen; the caller says how an axis value is written (``fmt``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 340, 200
"""The drawing's own units: in a panel on a 390-pixel phone (about 290 px) a 12-unit label is about 10 px tall."""
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 34
FONT = 'font-family="sans-serif" font-size="12"'
COLOURS = ("#1f6f8b", "#c0504d", "#6a8f2b", "#8e5ea2", "#d08a1e", "#3b3b98", "#2a9d8f", "#7f6b5d")
"""Distinct colours, each readable on white (contrast ≥ 3:1 for graphics); series beyond these repeat them
with a dashed line."""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]


def _attr(text: str) -> str:
    return escape(text, quote=True)


def text_width(text: str) -> float:
    """Roughly how wide ``text`` is at the chart's font size: a Chinese character is a full em, Latin half."""
    return sum(12 if ord(ch) > 0x2e7f else 7 for ch in text)


def _fit(name: str, room: float) -> str:
    """``name``, cut with an ellipsis to fit ``room`` units."""
    if text_width(name) <= room:
        return name
    while name and text_width(name) + 12 > room:
        name = name[:-1]
    return name + "…"


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}" if fen >= 0 else f"-¥{-fen // 100:,}"


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ yuan (in fen) at or above ``value`` fen: a round top for an axis."""
    if value <= 0:
        return 0
    yuan = -(-value // 100)
    step = 1
    while True:
        for m in (1, 2, 5, 10):
            if m * step >= yuan:
                return m * step * 100
        step *= 10


def _scale(values: Sequence[int]) -> tuple[int, int]:
    """(low, high) of the axis in fen: zero always shown, round at both ends."""
    high = nice_ceiling(max([0, *values]))
    low = -nice_ceiling(-min([0, *values]))
    if high == low:
        high = 100_00
    return low, high


class _Frame:
    """Maps an index and an amount to the drawing's coordinates."""

    def __init__(self, count: int, low: int, high: int, height: int, left: int = LEFT):
        self.count, self.low, self.high, self.left = max(count, 1), low, high, left
        self.plot_w = WIDTH - left - RIGHT
        self.bottom = height - BOTTOM
        self.plot_h = self.bottom - TOP

    def y(self, fen: int) -> float:
        return round(self.bottom - (fen - self.low) * self.plot_h / (self.high - self.low), 1)

    def slot(self) -> float:
        return self.plot_w / self.count

    def x_mid(self, i: int) -> float:
        return round(self.left + self.slot() * (i + 0.5), 1)

    def ticks(self) -> list[int]:
        return sorted({self.low, self.high, 0, *((self.high // 2,) if self.low == 0 else ())})


def _frame(count: int, values: Sequence[int], fmt: Callable[[int], str]) -> _Frame:
    """The frame for these values, its left margin wide enough for the longest axis label."""
    low, high = _scale(values)
    probe = _Frame(count, low, high, HEIGHT)
    widest = max(len(fmt(t)) for t in probe.ticks())
    return _Frame(count, low, high, HEIGHT, max(LEFT, int(widest * 7) + 8))


def _svg_open(title: str, description: str, height: int) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'role="img" aria-label="{_attr(title)}">',
            f"<title>{escape(title)}</title>", f"<desc>{escape(description)}</desc>"]


def _axes(frame: _Frame, labels: Sequence[str], groups: Sequence[str | None], fmt: Callable[[int], str]) -> list[str]:
    out = []
    for tick in frame.ticks():
        y = frame.y(tick)
        colour = "#555" if tick == 0 else "#ddd"
        out.append(f'<line x1="{frame.left}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="{colour}" stroke-width="1"/>')
        out.append(f'<text x="{frame.left - 4}" y="{y + 4}" text-anchor="end" {FONT} fill="#333">{escape(fmt(tick))}</text>')
    for i, label in enumerate(labels):
        x = frame.x_mid(i)
        out.append(f'<text x="{x}" y="{frame.bottom + 13}" text-anchor="middle" {FONT} fill="#333">{escape(label)}</text>')
        group = groups[i] if i < len(groups) else None
        if group:
            out.append(f'<text x="{x}" y="{frame.bottom + 27}" text-anchor="middle" {FONT} fill="#333" '
                       f'font-weight="bold">{escape(group)}</text>')
    return out


def _legend(names: Sequence[str], y0: int, dashed_from: int = len(COLOURS)) -> list[str]:
    out = []
    per_row, col_w = 2, (WIDTH - 16) // 2
    for i, name in enumerate(names):
        x = 8 + (i % per_row) * col_w
        y = y0 + (i // per_row) * 17
        colour = COLOURS[i % len(COLOURS)]
        dash = ' stroke-dasharray="4 2"' if i >= dashed_from else ""
        out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 16}" y2="{y - 4}" stroke="{colour}" stroke-width="4"{dash}/>')
        out.append(f'<text x="{x + 21}" y="{y}" {FONT} fill="#222">{escape(_fit(name, col_w - 26))}</text>')
    return out


def _legend_height(count: int) -> int:
    return 0 if count == 0 else 8 + ((count + 1) // 2) * 17


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, description: str = "",
              groups: Sequence[str | None] = (), fmt: Callable[[int], str] = _yuan) -> str:
    """Bars side by side for each label (a month), one colour per series (income, spending), with a legend."""
    frame = _frame(len(labels), [v for s in series for v in s.values], fmt)
    height = HEIGHT + _legend_height(len(series))
    out = _svg_open(title, description, height)
    out += _axes(frame, labels, groups, fmt)
    n = max(len(series), 1)
    bar_w = round(frame.slot() * 0.8 / n, 1)
    for si, s in enumerate(series):
        colour = COLOURS[si % len(COLOURS)]
        for i, value in enumerate(s.values[:len(labels)]):
            x = round(frame.left + frame.slot() * i + frame.slot() * 0.1 + bar_w * si, 1)
            top, base = frame.y(max(value, 0)), frame.y(min(value, 0))
            out.append(f'<rect x="{x}" y="{top}" width="{bar_w}" height="{round(base - top, 1)}" fill="{colour}">'
                       f"<title>{escape(s.name)} {escape(labels[i])}: {escape(fmt(value))}</title></rect>")
    out += _legend([s.name for s in series], HEIGHT + 12)
    out.append("</svg>")
    return "\n".join(out)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, description: str = "",
               groups: Sequence[str | None] = (), fmt: Callable[[int], str] = _yuan) -> str:
    """One line per series (a fund's balance at each month's end), dots at the points, with a legend."""
    frame = _frame(len(labels), [v for s in series for v in s.values], fmt)
    height = HEIGHT + _legend_height(len(series))
    out = _svg_open(title, description, height)
    out += _axes(frame, labels, groups, fmt)
    for si, s in enumerate(series):
        colour = COLOURS[si % len(COLOURS)]
        dash = ' stroke-dasharray="4 2"' if si >= len(COLOURS) else ""
        points = [(frame.x_mid(i), frame.y(v)) for i, v in enumerate(s.values[:len(labels)])]
        if not points:
            continue
        path = " ".join(f"{x},{y}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for (x, y), value, label in zip(points, s.values, labels):
            out.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}">'
                       f"<title>{escape(s.name)} {escape(label)}: {escape(fmt(value))}</title></circle>")
    out += _legend([s.name for s in series], HEIGHT + 12)
    out.append("</svg>")
    return "\n".join(out)


__all__ = ["Series", "bar_chart", "line_chart", "nice_ceiling"]
