"""Inline SVG charts for the report: sparklines, weekly bars, trend lines, the accounts scatter.

Hand-made SVG instead of plotly: plotly.js inlined once weighs about 4.7 MB,
which would make a weekly e-mail attachment 50 times larger than the report
itself; these charts are a few kB, need no script, and print. Every text that
goes into the SVG (theme labels, customer ids) is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from voc.report import fmt
from voc.report.models import AccountsView, TimeChart

SERIES_COLORS = {
    "all feedback": "#1e293b",
    "ticket": "#2563eb",
    "review": "#d97706",
    "survey": "#059669",
}
EXTRA_COLORS = ["#7c3aed", "#db2777", "#0891b2", "#65a30d"]
BREAKDOWN_COLORS = [
    "#2563eb",
    "#dc2626",
    "#d97706",
    "#059669",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#475569",
]


def series_color(name: str, i: int = 0) -> str:
    """The colour of a series: fixed for the source kinds, cycled for anything else."""
    return SERIES_COLORS.get(name, EXTRA_COLORS[i % len(EXTRA_COLORS)])


def _n(x: float) -> str:
    """Compact coordinates keep the file small."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_ticks(lo: float, hi: float, n: int = 4, *, integer: bool = False) -> list[float]:
    """About `n` round tick values covering [lo, hi]; whole numbers only with `integer` (counts)."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1, math.ceil(step))
    start = math.floor(lo / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 28, label: str = "") -> Markup:
    """Weekly counts as a line with the last week marked; the title lists the numbers."""
    vals = [float(v) for v in values]
    if not vals:
        return Markup("")
    hi = max(vals) or 1.0
    pad = 3
    step = (width - 2 * pad) / max(len(vals) - 1, 1)
    pts = [(pad + i * step, height - pad - v / hi * (height - 2 * pad)) for i, v in enumerate(vals)]
    path = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
    area = f"{_n(pts[0][0])},{height - pad} {path} {_n(pts[-1][0])},{height - pad}"
    lx, ly = pts[-1]
    title = f"{label}: " if label else ""
    title += ", ".join(str(round(v)) for v in vals) + " (oldest to newest)"
    return Markup(
        f'<svg class="spark" data-chart="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polygon points="{area}" fill="#dbeafe"/>'
        f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="1.5" stroke-linejoin="round"/>'
        f'<circle cx="{_n(lx)}" cy="{_n(ly)}" r="2.5" fill="#1d4ed8"/></svg>'
    )


def _frame(width: int, height: int, m: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    top, right, bottom, left = m
    return left, top, width - left - right, height - top - bottom


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def tick_label(label: str) -> str:
    """A short axis label for a period label: 'W47', "Nov '19", "Q4 '19", '11-24'."""
    if "-W" in label:
        return label[-3:]
    if "-Q" in label:
        return f"{label[-2:]} '{label[2:4]}"
    if len(label) == 7 and label[4] == "-":
        return f"{_MONTHS[int(label[5:7]) - 1]} '{label[2:4]}"
    return label[-5:]


def _tick_every(n: int) -> int:
    return max(2, math.ceil(n / 12)) if n > 1 else 1


def volume_bars(chart: TimeChart, *, width: int = 560, height: int = 190) -> Markup:
    """Stacked bars per period by kind.

    The focus period (the report week) is solid and the others lighter; in a window
    report every period is alike. A partial period is drawn hatched and labelled
    "partial", so a short last period never reads as a collapse.
    """
    x0, y0, w, h = _frame(width, height, (12, 8, 30, 40))
    n = len(chart.labels)
    totals = [sum(s.values[i] or 0 for s in chart.series) for i in range(n)]
    ticks = nice_ticks(0, max(totals) if totals and max(totals) > 0 else 1, integer=True)
    top = ticks[-1]
    band = w / max(n, 1)
    bw = band * 0.7
    focus = (n - 1 if chart.focus_index == -1 else chart.focus_index) if n else None
    every = _tick_every(n)
    parts = [
        '<defs><pattern id="partial" width="4" height="4" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="2" height="4" fill="#94a3b8"/></pattern></defs>',
        _axes_y(ticks, top, x0, y0, w, h, lambda t: fmt.count(t)),
    ]
    for i in range(n):
        x = x0 + i * band + (band - bw) / 2
        base = y0 + h
        is_focus = i == focus
        partial = bool(chart.partial[i]) if i < len(chart.partial) else False
        opacity = 1 if is_focus or chart.focus_index is None else (0.45 if chart.focus_index == -1 else 0.7)
        for j, s in enumerate(chart.series):
            v = s.values[i] or 0
            if v <= 0:
                continue
            bh = v / top * h
            base -= bh
            fill = "url(#partial)" if partial else series_color(s.name, j)
            note = " (partial: the data cover only part of it)" if partial else ""
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(base)}" width="{_n(bw)}" height="{_n(bh)}" '
                f'fill="{fill}" opacity="{opacity}" data-partial="{str(partial).lower()}">'
                f"<title>{escape(chart.labels[i])} {escape(s.name)}: {fmt.count(v)}{note}</title></rect>"
            )
        if is_focus or i % every == (n - 1) % every:
            weight = ' font-weight="700"' if is_focus else ""
            parts.append(
                f'<text x="{_n(x + bw / 2)}" y="{_n(y0 + h + 14)}" text-anchor="middle" class="tick"{weight}>'
                f"{escape(tick_label(chart.labels[i]))}</text>"
            )
        if partial:
            parts.append(
                f'<text x="{_n(x + bw / 2)}" y="{_n(y0 + h + 26)}" text-anchor="middle" class="tick">partial</text>'
            )
        if is_focus:
            parts.append(
                f'<text x="{_n(x + bw / 2)}" y="{_n(y0 + h - totals[i] / top * h - 4)}" text-anchor="middle" '
                f'class="val">{fmt.count(totals[i])}</text>'
            )
    return _svg("volume", width, height, "Feedback volume per period by kind", "".join(parts))


def trend_lines(chart: TimeChart, *, width: int = 1180, height: int = 240) -> Markup:
    """One line per series (share negative per week); gaps where a week has no data."""
    x0, y0, w, h = _frame(width, height, (12, 130, 30, 44))
    n = len(chart.labels)
    vals = [v for s in chart.series for v in s.values if v is not None]
    hi = max(vals) if vals else 100.0
    ticks = nice_ticks(0, max(hi, 10.0))
    top = ticks[-1]
    step = w / max(n - 1, 1)
    parts = [_axes_y(ticks, top, x0, y0, w, h, lambda t: f"{t:.0f}%")]
    every = _tick_every(n)
    for i, lab in enumerate(chart.labels):
        if n > 13 and i % every != (n - 1) % every:
            continue
        parts.append(
            f'<text x="{_n(x0 + i * step)}" y="{_n(y0 + h + 14)}" text-anchor="middle" class="tick">'
            f"{escape(tick_label(lab))}</text>"
        )
    for j, s in enumerate(chart.series):
        color = series_color(s.name, j)
        segs: list[list[str]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                segs.append([])
                continue
            x, y = x0 + i * step, y0 + h - v / top * h
            segs[-1].append(f"{_n(x)},{_n(y)}")
            partial = " (partial period)" if i < len(chart.partial) and chart.partial[i] else ""
            tip = f"{chart.labels[i]} {s.name}: {v:.0f}% negative of {s.counts[i] if s.counts else '?'}{partial}"
            parts.append(
                f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2.5" fill="{color}"><title>{escape(tip)}</title></circle>'
            )
        sw = 2.5 if s.name == "all feedback" else 1.6
        for seg in segs:
            if len(seg) > 1:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="{sw}"/>'
                )
        ly = y0 + 6 + j * 18
        parts.append(
            f'<rect x="{_n(x0 + w + 12)}" y="{_n(ly - 8)}" width="10" height="10" fill="{color}"/>'
            f'<text x="{_n(x0 + w + 26)}" y="{_n(ly + 1)}" class="legend">{escape(s.name)}</text>'
        )
    return _svg(
        "sentiment", width, height, "Share of negative feedback per period by source kind", "".join(parts)
    )


def _axes_y(ticks: list[float], top: float, x0: float, y0: float, w: float, h: float, label) -> str:
    out = []
    for t in ticks:
        y = y0 + h - t / top * h
        out.append(
            f'<line x1="{_n(x0)}" x2="{_n(x0 + w)}" y1="{_n(y)}" y2="{_n(y)}" stroke="#e2e8f0"/>'
            f'<text x="{_n(x0 - 6)}" y="{_n(y + 4)}" text-anchor="end" class="tick">{escape(label(t))}</text>'
        )
    return "".join(out)


def _svg(name: str, width: int, height: int, title: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" data-chart="{name}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>{body}</svg>'
    )


def plotted_accounts(view: AccountsView, limit: int) -> list:
    """Every at-risk account, then the highest-revenue others, up to `limit` points (keeps the file small)."""
    others = sorted((a for a in view.accounts if not a.at_risk), key=lambda a: -a.revenue)
    return [*view.at_risk, *others][: max(limit, len(view.at_risk))]


def accounts_scatter(view: AccountsView, *, width: int = 620, height: int = 300, limit: int = 600) -> Markup:
    """Revenue (log scale) against satisfaction; the high-revenue, low-satisfaction corner is shaded."""
    x0, y0, w, h = _frame(width, height, (14, 16, 36, 44))
    revs = [a.revenue for a in view.accounts if 0 < a.revenue < math.inf]
    if not revs:
        return Markup("")
    lo, hi = math.log10(min(revs)), math.log10(max(revs))
    lo, hi = math.floor(lo * 2) / 2, math.ceil(hi * 2) / 2
    if hi <= lo:
        hi = lo + 0.5

    def sx(r: float) -> float:
        return x0 + (math.log10(max(r, 10**lo)) - lo) / (hi - lo) * w

    def sy(s: float) -> float:
        return y0 + h - s / 100.0 * h

    qx, qy = sx(view.revenue_threshold), sy(view.satisfaction_threshold)
    parts = [
        f'<rect x="{_n(qx)}" y="{_n(qy)}" width="{_n(x0 + w - qx)}" height="{_n(y0 + h - qy)}" fill="#fee2e2"/>',
        f'<text x="{_n(x0 + w - 4)}" y="{_n(y0 + h - 6)}" text-anchor="end" class="quad">at risk</text>',
        f'<line x1="{_n(qx)}" x2="{_n(qx)}" y1="{_n(y0)}" y2="{_n(y0 + h)}" stroke="#f87171" stroke-dasharray="4 3"/>',
        f'<line x1="{_n(x0)}" x2="{_n(x0 + w)}" y1="{_n(qy)}" y2="{_n(qy)}" stroke="#f87171" stroke-dasharray="4 3"/>',
    ]
    for t in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{_n(x0)}" x2="{_n(x0 + w)}" y1="{_n(sy(t))}" y2="{_n(sy(t))}" stroke="#eef2f7"/>'
            f'<text x="{_n(x0 - 6)}" y="{_n(sy(t) + 4)}" text-anchor="end" class="tick">{t}</text>'
        )
    for k in range(math.floor(lo), math.ceil(hi) + 1):
        for r in (10.0**k, 3 * 10.0**k):  # round money ticks: $1k, $3k, $10k, $30k ...
            if lo - 1e-9 <= math.log10(r) <= hi + 1e-9:
                parts.append(
                    f'<text x="{_n(sx(r))}" y="{_n(y0 + h + 14)}" text-anchor="middle" class="tick">'
                    f"{escape(fmt.money(r))}</text>"
                )
    parts.append(
        f'<text x="{_n(x0 + w / 2)}" y="{_n(height - 4)}" text-anchor="middle" class="axis">revenue (log scale)</text>'
        f'<text transform="translate(12 {_n(y0 + h / 2)}) rotate(-90)" text-anchor="middle" class="axis">'
        "satisfaction (0-100)</text>"
    )
    for a in sorted(plotted_accounts(view, limit), key=lambda a: a.at_risk):
        tip = f"{a.customer_id} ({a.segment or 'no segment'}): {fmt.money(a.revenue)}, satisfaction {a.satisfaction:.0f}, {a.items} items"
        color = "#dc2626" if a.at_risk else "#64748b"
        parts.append(
            f'<circle cx="{_n(sx(a.revenue))}" cy="{_n(sy(a.satisfaction))}" r="{4.5 if a.at_risk else 3.5}" '
            f'fill="{color}" fill-opacity="0.8"><title>{escape(tip)}</title></circle>'
        )
    return _svg("accounts", width, height, "Accounts by revenue and satisfaction", "".join(parts))


def breakdown_bar(breakdown: dict[str, float], *, width: int = 220, height: int = 14) -> Markup:
    """A score's components as one stacked bar; each part's title names it and its points."""
    items = [(k, v) for k, v in breakdown.items() if v and v > 0]
    total = sum(v for _, v in items)
    if total <= 0:
        return Markup("")
    x = 0.0
    parts = []
    for i, (k, v) in enumerate(items):
        bw = v / total * width
        parts.append(
            f'<rect x="{_n(x)}" y="0" width="{_n(bw)}" height="{height}" fill="{BREAKDOWN_COLORS[i % len(BREAKDOWN_COLORS)]}">'
            f"<title>{escape(k)}: {v:.1f} points</title></rect>"
        )
        x += bw
    return Markup(
        f'<svg class="bdbar" data-chart="breakdown" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="score breakdown">{"".join(parts)}</svg>'
    )


def breakdown_color(i: int) -> str:
    """The colour of the i-th score component (bar segment and legend swatch)."""
    return BREAKDOWN_COLORS[i % len(BREAKDOWN_COLORS)]


def heat_color(share_negative: float | None, count: int, max_count: int) -> str:
    """Cell background: red for negative share, paler where there are few items."""
    if count == 0 or share_negative is None:
        return "#f8fafc"
    weight = 0.25 + 0.75 * (count / max_count) ** 0.5 if max_count else 1.0
    # Interpolate white -> red (#dc2626) by share negative, scaled by how much volume stands behind it.
    t = max(0.0, min(1.0, share_negative)) * weight
    r = round(255 + (220 - 255) * t)
    g = round(255 + (38 - 255) * t)
    b = round(255 + (38 - 255) * t)
    return f"rgb({r},{g},{b})"


def heat_text(share_negative: float | None, count: int, max_count: int) -> str:
    """Dark text on pale cells, white on strong red."""
    if count == 0 or share_negative is None or max_count == 0:
        return "#0f172a"
    weight = 0.25 + 0.75 * (count / max_count) ** 0.5
    return "#ffffff" if share_negative * weight > 0.55 else "#0f172a"
