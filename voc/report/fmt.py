"""Number and text formatting shared by the headline, the HTML and the Markdown digest.

Plain strings only; escaping is the renderer's job.
"""

from __future__ import annotations

import math

from voc.report.models import Metric

MINUS = "\u2212"


def is_num(x: float | None) -> bool:
    """True for a real number (not None, not NaN)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def count(n: float | None) -> str:
    """1234 -> '1,234'."""
    return "–" if not is_num(n) else f"{round(n):,}"


def signed(x: float, digits: int = 0, suffix: str = "") -> str:
    """+8, −4.5 (typographic minus so it reads well)."""
    s = f"{abs(x):,.{digits}f}"
    if round(abs(x), digits) == 0:
        return f"±0{suffix}"
    return f"{'+' if x > 0 else MINUS}{s}{suffix}"


def pct_change(new: float | None, old: float | None) -> str | None:
    """'+8%' (relative), or None when there is no base."""
    if not is_num(new) or not is_num(old) or old == 0:
        return None
    return signed((new - old) / old * 100.0, 0, "%")


def metric_value(m: Metric) -> str:
    """A KPI's value in its own unit: '1,234', '35%', '+12', '4.20★', '−0.31'."""
    v = m.value
    if not is_num(v):
        return "–"
    if m.unit == "count":
        return count(v)
    if m.unit == "pct":
        return f"{v:.0f}%"
    if m.unit == "nps":
        return signed(v, 0).replace("±", "")
    if m.unit == "stars":
        return f"{v:.2f}★"
    return signed(v, 2).replace("±", "")


def metric_delta(m: Metric, against: str = "prev") -> str | None:
    """Change vs last week ('prev') or the trailing average ('trailing'), in the metric's own terms."""
    base = m.prev if against == "prev" else m.trailing
    if not is_num(m.value) or not is_num(base):
        return None
    if m.unit == "count":
        return pct_change(m.value, base)
    d = m.value - base
    if m.unit == "pct":
        return signed(d, 0, " pts")
    if m.unit == "nps":
        return signed(d, 0)
    return signed(d, 2)


def metric_tone(m: Metric, against: str = "prev") -> str:
    """good/bad/neutral for the change, using a small dead band so noise stays neutral."""
    base = m.prev if against == "prev" else m.trailing
    if m.higher_is_better is None or not is_num(m.value) or not is_num(base):
        return "neutral"
    d = m.value - base
    band = {"count": abs(base) * 0.05, "pct": 2.0, "nps": 3.0, "stars": 0.1, "score": 0.05}[m.unit]
    if abs(d) <= band:
        return "neutral"
    return "good" if (d > 0) == m.higher_is_better else "bad"


def shorten(text: str, limit: int) -> str:
    """Collapse whitespace and cut at a word boundary with an ellipsis."""
    t = " ".join(str(text).split())
    if len(t) <= limit:
        return t
    cut = t[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def money(x: float | None) -> str:
    """$950, $12.5k, $3M."""
    if not is_num(x):
        return "–"
    for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            v = x / div
            return f"${v:.0f}{suf}" if v >= 100 or v == round(v) else f"${v:.1f}{suf}"
    return f"${x:,.0f}"


def share(x: float | None) -> str:
    """0.345 -> '35%'."""
    return "–" if not is_num(x) else f"{x * 100:.0f}%"


def marked(text: str, highlight: list[int] | None, limit: int) -> tuple[str, str, str]:
    """(before, mark, after) of a verbatim, cut to about `limit` characters around the marked mention.

    Plain strings: the renderer escapes each part and wraps the middle one (<mark>, **bold**).
    Without a highlight the whole (shortened) text is `before`.
    """
    t = str(text)
    if not highlight or len(highlight) != 2 or not 0 <= highlight[0] < highlight[1] <= len(t):
        return shorten(t, limit), "", ""
    a, b = highlight
    before, mid, after = t[:a], t[a:b], t[b:]
    room = max(0, limit - len(mid))
    if len(before) + len(after) > room:
        keep_before = min(len(before), room // 3)
        keep_after = min(len(after), room - keep_before)
        keep_before = min(len(before), room - keep_after)
        if keep_before < len(before):
            before = "…" + before[len(before) - keep_before :].lstrip()
        if keep_after < len(after):
            after = after[:keep_after].rstrip() + "…"
    return before, mid, after
