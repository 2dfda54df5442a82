"""A backlog-over-time chart as a small, self-contained SVG: the outage, the drain, and the axes with units.

Written by hand with the standard library's XML escaping; a chart this simple needs no plotting library, and the
output embeds in Markdown as is.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 30, 45


def _nice_count(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _nice_time(seconds: float) -> str:
    if seconds >= 7200:
        return f"{seconds / 3600:.3g} h"
    if seconds >= 120:
        return f"{seconds / 60:.3g} min"
    return f"{seconds:.3g} s"


def backlog_svg(points: list[tuple[float, float]], *, title: str, outage_s: float) -> str:
    """An SVG line chart of (seconds, events waiting), with the outage shaded."""
    if len(points) < 2:
        raise ValueError("a chart needs at least two points")
    t_max = max(t for t, _ in points) or 1.0
    y_max = max(y for _, y in points) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return LEFT + plot_w * t / t_max

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / y_max)

    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    outage_end = x(min(outage_s, t_max))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{outage_end - LEFT:.1f}" height="{plot_h}" fill="#f4cccc"/>',
        f'<text x="{(LEFT + outage_end) / 2:.1f}" y="{TOP + 14}" font-size="11" text-anchor="middle" '
        f'font-family="sans-serif">outage</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
        f'<polyline points="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>',
    ]
    for i in range(5):
        fraction = i / 4
        tick_y = TOP + plot_h * (1 - fraction)
        tick_x = LEFT + plot_w * fraction
        parts.append(
            f'<text x="{LEFT - 6}" y="{tick_y + 4:.1f}" font-size="10" text-anchor="end" '
            f'font-family="sans-serif">{escape(_nice_count(y_max * fraction))}</text>'
        )
        parts.append(
            f'<text x="{tick_x:.1f}" y="{TOP + plot_h + 15}" font-size="10" text-anchor="middle" '
            f'font-family="sans-serif">{escape(_nice_time(t_max * fraction))}</text>'
        )
    parts += [
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle" '
        f'font-family="sans-serif">time since the outage began</text>',
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="11" text-anchor="middle" font-family="sans-serif" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">events waiting</text>',
        f'<text x="{LEFT}" y="{TOP - 10}" font-size="12" font-family="sans-serif">{escape(title)}</text>',
        "</svg>",
    ]
    return "".join(parts)
