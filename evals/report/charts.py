"""Inline SVG charts for the report, drawn in Python: no script, no font or library fetched, so the page reads
the same offline, in a mail attachment, or years later.

Colours carry meaning only where the heatmap needs it: a five-step scale from red (0–20) to green (80–100),
each cell also printed as its number, so the chart reads without colour vision too. Contestants get a fixed
categorical palette in run order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

# Five steps of 20 points, red to green (ColorBrewer RdYlGn, 5 classes).
HEAT_STEPS: tuple[tuple[float, str], ...] = (
    (20.0, "#d73027"),
    (40.0, "#fc8d59"),
    (60.0, "#fee08b"),
    (80.0, "#91cf60"),
    (100.0, "#1a9850"),
)
FAILED_COLOUR = "#7f7f7f"
# Tableau 10: distinguishable, print-safe.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
TEXT = "#1f2328"
GRID = "#d0d7de"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def heat_colour(value: float) -> str:
    for upper, colour in HEAT_STEPS:
        if value < upper:
            return colour
    return HEAT_STEPS[-1][1]


def contestant_colour(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


def _text(
    x: float,
    y: float,
    body: str,
    *,
    anchor: str = "start",
    size: int = 12,
    weight: str = "normal",
    fill: str = TEXT,
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
        f'text-anchor="{anchor}" dominant-baseline="middle">{escape(body)}</text>'
    )


def _svg(width: float, height: float, body: list[str], label: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" aria-label="{escape(label)}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" style="{FONT}">'
        + "".join(body)
        + "</svg>"
    )


def _label_width(
    labels: Sequence[str], *, size: int = 12, minimum: float = 60.0, maximum: float = 260.0
) -> float:
    longest = max((len(s) for s in labels), default=0)
    return max(minimum, min(maximum, longest * size * 0.6 + 12))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def criterion_bars(
    criteria: Sequence[str],
    contestants: Sequence[str],
    scores: Mapping[str, Mapping[str, float]],
    *,
    width: float = 760.0,
) -> str:
    """Horizontal bars, one group per criterion, one bar per contestant (0–100 axis)."""
    bar, gap, group_gap = 14.0, 2.0, 14.0
    left = _label_width(criteria) + 8
    legend_h = 24.0
    top = legend_h + 22
    plot_w = width - left - 50
    group_h = len(contestants) * (bar + gap) - gap
    height = top + len(criteria) * (group_h + group_gap) + 10
    body: list[str] = []
    x = left
    for i, name in enumerate(contestants):  # legend
        body.append(f'<rect x="{x:.1f}" y="6" width="12" height="12" fill="{contestant_colour(i)}"/>')
        body.append(_text(x + 16, 12, _short(name, 28)))
        x += 16 + min(len(name), 28) * 7.2 + 18
    for tick in range(0, 101, 20):
        tx = left + plot_w * tick / 100
        body.append(
            f'<line x1="{tx:.1f}" y1="{top - 6:.1f}" x2="{tx:.1f}" y2="{height - 10:.1f}" stroke="{GRID}"/>'
        )
        body.append(_text(tx, top - 14, str(tick), anchor="middle", size=10))
    y = top
    for criterion in criteria:
        body.append(_text(left - 8, y + group_h / 2, criterion, anchor="end", weight="600"))
        for i, name in enumerate(contestants):
            value = scores.get(name, {}).get(criterion)
            by = y + i * (bar + gap)
            if value is None:
                body.append(_text(left + 4, by + bar / 2, "n/a", size=10))
                continue
            w = max(0.5, plot_w * max(0.0, min(100.0, value)) / 100)
            body.append(
                f'<rect class="bar" x="{left:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar:.1f}" '
                f'fill="{contestant_colour(i)}"><title>{escape(name)} · {escape(criterion)}: {value:.1f}</title></rect>'
            )
            body.append(_text(left + w + 4, by + bar / 2, f"{value:.1f}", size=10))
        y += group_h + group_gap
    return _svg(width, height, body, "mean score per criterion and contestant", "chart bars")


@dataclass(frozen=True)
class HeatCell:
    value: float | None  # None: no design (failed)
    note: str = ""


def heatmap(
    scenarios: Sequence[str],
    contestants: Sequence[str],
    cells: Mapping[tuple[str, str], HeatCell],
    *,
    cell_w: float = 64.0,
    cell_h: float = 22.0,
) -> str:
    """Scenarios down, contestants across (names slanted so long ones fit), each cell coloured by its total and
    printed with it."""
    left = _label_width(scenarios) + 8
    names = [_short(n, 32) for n in contestants]
    slant = (
        max((len(n) for n in names), default=0) * 12 * 0.6 * 0.72
    )  # sin 46°: the height a slanted name takes
    header = slant + 16
    legend_w = len(HEAT_STEPS) * 70 + 90
    width = max(left + len(contestants) * cell_w, left + legend_w) + slant * 0.7 + 10
    height = header + len(scenarios) * cell_h + 40
    body: list[str] = []
    for j, name in enumerate(names):
        cx = left + j * cell_w + cell_w / 2
        body.append(
            f'<g transform="translate({cx:.1f},{header - 6:.1f}) rotate(-46)">'
            + _text(0, 0, name, weight="600")
            + "</g>"
        )
    for i, scenario in enumerate(scenarios):
        y = header + i * cell_h
        body.append(_text(left - 8, y + cell_h / 2, _short(scenario), anchor="end"))
        for j, name in enumerate(contestants):
            cell = cells.get((scenario, name))
            if cell is None:
                continue
            x = left + j * cell_w
            colour = FAILED_COLOUR if cell.value is None else heat_colour(cell.value)
            label = "failed" if cell.value is None else f"{cell.value:.0f}"
            tip = f"{scenario} · {name}: " + ("no design" if cell.value is None else f"{cell.value:.1f}")
            if cell.note:
                tip += f" ({cell.note})"
            body.append(
                f'<rect class="heat" x="{x + 1:.1f}" y="{y + 1:.1f}" width="{cell_w - 2:.1f}" height="{cell_h - 2:.1f}" '
                f'fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
            ink = "#ffffff" if colour in (HEAT_STEPS[0][1], HEAT_STEPS[-1][1], FAILED_COLOUR) else TEXT
            body.append(_text(x + cell_w / 2, y + cell_h / 2, label, anchor="middle", size=11, fill=ink))
    y = header + len(scenarios) * cell_h + 12
    x = left
    lower = 0
    for upper, colour in HEAT_STEPS:
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{colour}"/>')
        body.append(_text(x + 18, y + 7, f"{lower:.0f}–{upper:.0f}", size=10))
        x += 70
        lower = int(upper)
    body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{FAILED_COLOUR}"/>')
    body.append(_text(x + 18, y + 7, "no design", size=10))
    return _svg(width, height, body, "total per scenario and contestant", "chart heatmap")


@dataclass(frozen=True)
class IntervalRow:
    label: str
    delta: float
    low: float
    high: float


def intervals(rows: Sequence[IntervalRow], *, title: str, width: float = 760.0) -> str:
    """A forest plot: each row's delta as a dot on its confidence interval, around a zero line."""
    row_h = 22.0
    left = _label_width([r.label for r in rows]) + 8
    top = 30.0
    plot_w = width - left - 180
    height = top + len(rows) * row_h + 24
    extent = max([1.0, *(abs(v) for r in rows for v in (r.low, r.high, r.delta))])
    extent = min(100.0, extent * 1.1)

    def sx(value: float) -> float:
        return left + plot_w * (value + extent) / (2 * extent)

    body: list[str] = [_text(left, 12, title, weight="600")]
    for tick in (-extent, -extent / 2, 0.0, extent / 2, extent):
        tx = sx(tick)
        stroke = TEXT if tick == 0 else GRID
        body.append(
            f'<line x1="{tx:.1f}" y1="{top - 6:.1f}" x2="{tx:.1f}" y2="{height - 20:.1f}" stroke="{stroke}"/>'
        )
        body.append(_text(tx, height - 10, f"{tick:+.0f}" if tick else "0", anchor="middle", size=10))
    for i, row in enumerate(rows):
        y = top + i * row_h + row_h / 2
        colour = "#1a7f37" if row.low > 0 else ("#cf222e" if row.high < 0 else "#57606a")
        body.append(_text(left - 8, y, row.label, anchor="end"))
        body.append(
            f'<line class="interval" x1="{sx(row.low):.1f}" y1="{y:.1f}" x2="{sx(row.high):.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
        body.append(
            f'<circle cx="{sx(row.delta):.1f}" cy="{y:.1f}" r="4.5" fill="{colour}">'
            f"<title>{escape(row.label)}: {row.delta:+.1f} [{row.low:+.1f}, {row.high:+.1f}]</title></circle>"
        )
        body.append(
            _text(left + plot_w + 10, y, f"{row.delta:+.1f} [{row.low:+.1f}, {row.high:+.1f}]", size=11)
        )
    return _svg(width, height, body, title, "chart intervals")
