"""Charts as server-side SVG: readable without JavaScript, allowed by a `'self'`-only CSP (no
inline style: colours are SVG presentation attributes), each with a title and a description
for screen readers, and always next to the table that holds the same numbers.

* `trend_chart`: received and completed per month (lines), the on-time rate under each month;
* `bar_chart`: one horizontal bar per row (departments), the on-time rate at the bar's end;
* `region_grid`: a tile per town (a map-like grid), coloured by its on-time rate band.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import MonthPoint, Row

INK = "#1f2328"
MUTED = "#57606a"
LINE = "#d0d7de"
RED = "#b3261e"
BLUE = "#0969da"
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"

# on-time rate bands of the grid: (lowest rate, fill, text colour, label)
BANDS: list[tuple[float, str, str, str]] = [
    (0.95, "#1a7f37", "#ffffff", "95% 及以上"),
    (0.85, "#8fd19e", INK, "85%–95%"),
    (0.70, "#f2cc60", INK, "70%–85%"),
    (0.0, "#cf222e", "#ffffff", "70% 以下"),
]
NO_DATA = ("#eef1f4", MUTED, "无办结件")

_ids = count(1)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def svg(width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    n = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="chart{n}t chart{n}d" class="chart" '
        f'font-family="{FONT}" font-size="13" fill="{INK}">'
        f'<title id="chart{n}t">{escape(title)}</title><desc id="chart{n}d">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text is escaped


def nice_max(value: int) -> int:
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    for m in (1, 2, 2.5, 5, 10):
        top = int(m * step)
        if top >= value:
            return top
    return value


def trend_chart(points: Sequence[MonthPoint], *, title: str = "月度办件趋势") -> SafeString:
    width, height = 760, 300
    left, right, top, bottom = 48, 16, 36, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max([p.received for p in points] + [p.completed for p in points] + [1]))
    n = max(len(points), 1)
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: int) -> float:
        return top + plot_h - v / peak * plot_h

    body: list[str] = []
    for k in range(5):  # grid lines and y labels
        value = peak * k / 4
        yy = y(int(value)) if value == int(value) else top + plot_h - k / 4 * plot_h
        body.append(
            f'<line x1="{left}" y1="{yy:.1f}" x2="{width - right}" y2="{yy:.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{value:g}</text>"
        )
    for series, colour, dash in (("received", BLUE, ""), ("completed", RED, "")):
        coords = " ".join(f"{x(i):.1f},{y(getattr(p, series)):.1f}" for i, p in enumerate(points))
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        for i, p in enumerate(points):
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(getattr(p, series)):.1f}" r="3.5" '
                f'fill="{colour}"/>'
            )
    for i, p in enumerate(points):
        body.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
            f"{p.period.start.month}月</text>"
            f'<text x="{x(i):.1f}" y="{top + plot_h + 36}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="11">{percent(p.on_time_rate)}</text>'
        )
    body.append(
        f'<text x="{left}" y="{top + plot_h + 56}" fill="{MUTED}" font-size="11">'
        "月份下方为当月按时办结率</text>"
    )
    legend_x = width - right - 220
    for j, (label, colour) in enumerate((("收件", BLUE), ("办结", RED))):
        lx = legend_x + j * 110
        body.append(
            f'<line x1="{lx}" y1="16" x2="{lx + 24}" y2="16" stroke="{colour}" '
            f'stroke-width="3"/><text x="{lx + 30}" y="20">{label}</text>'
        )
    first, last = (points[0].period, points[-1].period) if points else (None, None)
    desc = "；".join(
        f"{p.period.start.year}年{p.period.start.month}月 收件{p.received}件、办结{p.completed}件、"
        f"按时办结率{percent(p.on_time_rate)}"
        for p in points
    )
    span = f"{first.label}至{last.label}" if first and last else ""
    return svg(width, height, f"{title}（{span}）", desc, body)


def bar_chart(
    rows: Sequence[Row], *, title: str, value: str = "completed", limit: int = 12
) -> SafeString:
    shown = [r for r in rows if getattr(r, value)][:limit]
    bar_h, gap, label_w, width = 22, 8, 180, 760
    top = 10
    height = top + max(len(shown), 1) * (bar_h + gap) + 24
    plot_w = width - label_w - 150
    peak = max([getattr(r, value) for r in shown] + [1])
    body: list[str] = []
    for i, row in enumerate(shown):
        yy = top + i * (bar_h + gap)
        v = getattr(row, value)
        w = max(v / peak * plot_w, 2)
        name = row.label if len(row.label) <= 13 else row.label[:12] + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{yy + 16}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h}" fill="{RED}" rx="3"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{yy + 16}">{v} 件 · 按时 '
            f"{percent(row.on_time_rate)}</text>"
        )
    if not shown:
        body.append(f'<text x="{label_w}" y="{top + 16}" fill="{MUTED}">本期没有办结件</text>')
    desc = "；".join(
        f"{r.label} {getattr(r, value)}件，按时办结率{percent(r.on_time_rate)}" for r in shown
    )
    return svg(width, height, title, desc or "本期没有办结件", body)


def band_of(rate: float | None) -> tuple[str, str, str]:
    if rate is None:
        return NO_DATA
    for low, fill, text, label in BANDS:
        if rate >= low:
            return fill, text, label
    return NO_DATA


def region_grid(
    tiles: Sequence[tuple[str, str, Row | None]],
    *,
    title: str,
    columns: int = 5,
    link: str = "",
) -> SafeString:
    """`tiles`: (region code, name, its figures or None) in map order. With `link`, each tile
    is a link to `link` + the region's code (the page narrowed to that town)."""
    tile_w, tile_h, gap = 140, 74, 8
    rows_n = max((len(tiles) + columns - 1) // columns, 1)
    width = columns * (tile_w + gap) + gap
    legend_h = 34
    height = rows_n * (tile_h + gap) + gap + legend_h
    body: list[str] = []
    for i, (code, name, row) in enumerate(tiles):
        cx = gap + (i % columns) * (tile_w + gap)
        cy = gap + (i // columns) * (tile_h + gap)
        rate = row.on_time_rate if row is not None else None
        fill, text, _label = band_of(rate)
        done = row.completed if row is not None else 0
        if link:
            body.append(
                f'<a href="{escape(link + code)}" aria-label="{escape(name)}：按时办结率'
                f'{percent(rate)}，办结{done}件，查看{escape(name)}的统计">'
            )
        body.append(
            f'<rect x="{cx}" y="{cy}" width="{tile_w}" height="{tile_h}" rx="6" fill="{fill}" '
            f'stroke="{LINE}"/>'
            f'<text x="{cx + tile_w / 2}" y="{cy + 24}" text-anchor="middle" fill="{text}" '
            f'font-weight="bold">{escape(name)}</text>'
            f'<text x="{cx + tile_w / 2}" y="{cy + 46}" text-anchor="middle" fill="{text}" '
            f'font-size="16">{percent(rate)}</text>'
            f'<text x="{cx + tile_w / 2}" y="{cy + 64}" text-anchor="middle" fill="{text}" '
            f'font-size="11">办结 {done} 件</text>'
        )
        if link:
            body.append("</a>")
    ly = rows_n * (tile_h + gap) + gap + 8
    legend = [(fill, label) for _low, fill, _t, label in BANDS] + [(NO_DATA[0], NO_DATA[2])]
    for j, (fill, label) in enumerate(legend):
        lx = gap + j * 140
        body.append(
            f'<rect x="{lx}" y="{ly}" width="18" height="18" fill="{fill}" stroke="{LINE}"/>'
            f'<text x="{lx + 24}" y="{ly + 14}" font-size="12">{escape(label)}</text>'
        )
    desc = "；".join(
        f"{name}：按时办结率{percent(row.on_time_rate if row else None)}，"
        f"办结{row.completed if row else 0}件"
        for _code, name, row in tiles
    )
    return svg(width, height, title, desc or "没有下级区划", body)
