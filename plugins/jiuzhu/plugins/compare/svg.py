"""Small server-side SVG charts: no JavaScript, nothing fetched, they render offline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

PALETTE = (
    "#2f6db5",
    "#e07b39",
    "#3a9b5c",
    "#c2423f",
    "#7d5ba6",
    "#8c6d31",
    "#d4a017",
    "#4aa3b5",
    "#a0a0a0",
    "#5c5c5c",
)
FAMILY = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei',sans-serif\""


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    size = "" if "font-size=" in extra else ' font-size="12"'
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FAMILY}{size} {extra}>'
        f"{escape(s)}</text>"
    )


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 640,
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series."""
    label_w, right = 110, 90
    bar_h, gap = 16, 10
    group_h = bar_h * len(series) + gap
    legend_h = 22 if len(series) > 1 else 0
    height = 30 + legend_h + group_h * len(labels) + 10
    peak = max((v for _, vals in series for v in vals), default=0) or 1
    plot_w = width - label_w - right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        _text(0, 16, title, extra='font-weight="bold"'),
    ]
    if legend_h:
        x = label_w
        for s, (name, _) in enumerate(series):
            out.append(
                f'<rect x="{x}" y="26" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>'
            )
            out.append(_text(x + 14, 35, name))
            x += 24 + 13 * len(name)
    y0 = 30 + legend_h
    for g, label in enumerate(labels):
        gy = y0 + g * group_h
        out.append(_text(label_w - 8, gy + group_h / 2, label, "end"))
        for s, (_, vals) in enumerate(series):
            v = vals[g]
            w = max(plot_w * v / peak, 0)
            y = gy + s * bar_h
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 3}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"/>'
            )
            out.append(_text(label_w + w + 4, y + bar_h - 5, fmt(v)))
    out.append("</svg>")
    return "".join(out)


def stacked(
    title: str,
    labels: Sequence[str],
    parts: Sequence[Sequence[tuple[str, float]]],
    width: int = 640,
) -> str:
    """One 100% bar per label, split into named parts (e.g. funding sources)."""
    label_w, bar_h, gap = 110, 22, 26
    height = 24 + len(labels) * (bar_h + gap)
    plot_w = width - label_w - 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        _text(0, 16, title, extra='font-weight="bold"'),
    ]
    for g, label in enumerate(labels):
        y = 26 + g * (bar_h + gap)
        out.append(_text(label_w - 8, y + 15, label, "end"))
        total = sum(v for _, v in parts[g]) or 1
        x = float(label_w)
        for p, (name, v) in enumerate(parts[g]):
            w = plot_w * v / total
            if w <= 0:
                continue
            colour = PALETTE[p % len(PALETTE)]
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{colour}"><title>{escape(name)}: {v / total:.0%}</title></rect>'
            )
            if w > 34:
                out.append(_text(x + w / 2, y + 15, f"{v / total:.0%}", "middle", 'fill="#fff"'))
            short = name if len(name) <= 12 else name[:11] + "…"
            out.append(
                _text(
                    x + 2,
                    y + bar_h + 13,
                    short if w > 60 else "",
                    extra='font-size="10" fill="#555"',
                )
            )
            x += w
    out.append("</svg>")
    return "".join(out)


def heatmap(
    title: str,
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float | None]],
) -> str:
    """Shares 0..1 as shaded cells (rows x cols); None is shown as a dash (not offered)."""
    label_w, cell_w, cell_h, head = 80, 96, 22, 44
    width = label_w + cell_w * len(cols) + 10
    height = head + cell_h * len(rows) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        _text(0, 16, title, extra='font-weight="bold"'),
    ]
    for c, col in enumerate(cols):
        out.append(_text(label_w + c * cell_w + cell_w / 2, head - 8, col, "middle"))
    for r, row in enumerate(rows):
        y = head + r * cell_h
        out.append(_text(label_w - 6, y + 15, row, "end"))
        for c in range(len(cols)):
            v = values[r][c]
            x = label_w + c * cell_w
            if v is None:
                out.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                    'fill="#eee"/>'
                )
                out.append(
                    _text(x + cell_w / 2, y + 15, "未提供", "middle", 'fill="#888" font-size="11"')
                )
                continue
            shade = int(235 - 170 * max(0.0, min(v, 1.0)))
            fill = f"rgb({shade},{min(shade + 25, 255)},{255 if shade > 120 else 235})"
            ink = "#fff" if shade < 140 else "#222"
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}"/>'
            )
            out.append(_text(x + cell_w / 2, y + 15, f"{v:.0%}", "middle", f'fill="{ink}"'))
    out.append("</svg>")
    return "".join(out)
