"""The first screen's plain-words sentences: what changed, with numbers and quotes."""

from __future__ import annotations

from voc.report import fmt
from voc.report.models import (
    AlertView,
    HeadlineLine,
    Metric,
    Period,
    ThemeRow,
)


def _metric_sentence(m: Metric, period: Period) -> str:
    parts = []
    d_prev = fmt.metric_delta(m, "prev")
    d_trail = fmt.metric_delta(m, "trailing")
    if d_prev:
        parts.append(f"{d_prev} vs {_prev_words(period)}")
    if d_trail:
        parts.append(f"{d_trail} vs the {period.trailing_weeks}-{period.unit} average")
    return f" ({', '.join(parts)})" if parts else ""


def _prev_words(period: Period) -> str:
    """'last week' in the weekly report, else the label of the period before the focus."""
    if period.scope == "period" and period.granularity == "week":
        return "last week"
    return period.prev_label or f"the {period.unit} before"


def _focus_words(period: Period) -> str:
    """'this week' in the weekly report, else 'in 2019-Q4'."""
    if period.scope == "period" and period.granularity == "week":
        return "this week"
    return f"in {period.focus_label}" if period.focus_label else "in the window"


def _in_short(
    by: dict[str, Metric],
    rising: list[ThemeRow],
    new: list[ThemeRow],
    falling: list[ThemeRow],
    period: Period,
    latest: dict[str, Metric],
) -> HeadlineLine:
    """One sentence a support lead can repeat: direction words, the numbers in brackets."""
    parts: list[str] = []
    window = period.scope == "window"
    vol = latest.get("volume") if window else by["volume"]
    if window:
        parts.append(_span_words(by["volume"], period))
    if vol is not None and vol.prev:
        change = (vol.value - vol.prev) / vol.prev * 100.0
        word = "up" if change > 0 else "down"
        where = "feedback" if not window else f"{period.focus_label}"
        parts.append(
            f"{where} {word} {abs(change):.0f}% on {_prev_words(period)}"
            if abs(change) >= 5
            else f"{where} volume steady on {_prev_words(period)}"
        )
    neg = by.get("negative")
    lneg = latest.get("negative") if window else neg
    if window and neg is not None and neg.value is not None:
        parts.append(f"{neg.value:.0f}% negative")
    if lneg is not None and lneg.value is not None and lneg.prev is not None:
        d = lneg.value - lneg.prev
        if d >= 2:
            parts.append(f"more of it negative ({lneg.value:.0f}%, {fmt.signed(d, 0, ' pts')})")
        elif d <= -2:
            parts.append(f"less of it negative ({lneg.value:.0f}%, {fmt.signed(d, 0, ' pts')})")
        elif not window:
            parts.append(f"negative share steady at {lneg.value:.0f}%")
    scores = latest if window else by
    for key, label, band, unit in (("nps", "NPS", 3.0, ""), ("csat", "CSAT", 2.0, " pts")):
        m = scores.get(key)
        if m is not None and m.delta_prev is not None and abs(m.delta_prev) >= band:
            parts.append(f"{label} {'up' if m.delta_prev > 0 else 'down'} {abs(m.delta_prev):.0f}{unit}")
    movers = [
        f"{len(xs)} {name}" for xs, name in ((new, "new"), (rising, "rising"), (falling, "easing")) if xs
    ]
    if period.focus is None:
        parts.append(
            "no trend claims: " + ("the data carry no dates" if period.undated else "nothing to compare")
        )
    elif window:
        parts.append(
            f"themes {_focus_words(period)}: " + ", ".join(movers) if movers else "no new or rising themes"
        )
    else:
        parts.append("themes: " + ", ".join(movers) if movers else "no new or rising themes")
    tone = fmt.metric_tone(lneg) if lneg is not None else "neutral"
    if new or rising:
        tone = "bad"
    text = "In short: " + "; ".join(parts) + "."
    return HeadlineLine(kind="summary", text=text[:10] + text[10].upper() + text[11:], tone=tone)  # type: ignore[arg-type]


def _span_words(vol: Metric, period: Period) -> str:
    n = fmt.count(vol.value)
    if period.undated or period.start is None or period.end is None:
        return f"{n} feedback items (no dates)"
    return f"{n} feedback items from {period.start:%d %b %Y} to {period.end:%d %b %Y}"


def build_headline(
    metrics: list[Metric],
    themes: list[ThemeRow],
    top: list[ThemeRow],
    rising: list[ThemeRow],
    new: list[ThemeRow],
    falling: list[ThemeRow],
    alerts: list[AlertView],
    period: Period,
    latest: list[Metric] | None = None,
) -> list[HeadlineLine]:
    """The first screen's sentences, in reading order: in short, volume, negativity, scores, movers, tops, alerts.

    In a window report (the one-file path) the volume, negativity and scores are the
    window's, and a "latest {unit}" line carries the focus period's comparisons.
    """
    by = {m.key: m for m in metrics}
    lat = {m.key: m for m in latest or []}
    window = period.scope == "window"
    out: list[HeadlineLine] = []
    vol = by["volume"]
    if not vol.value:
        out.append(
            HeadlineLine(kind="volume", text=f"No feedback was recorded in {period.label}.", tone="neutral")
        )
        return out
    out.append(_in_short(by, rising, new, falling, period, lat))
    if window:
        by_unit = "" if period.granularity == "all" else f", shown by {period.unit}"
        out.append(HeadlineLine(kind="volume", text=f"{_span_words(vol, period)}{by_unit}."))
        if period.undated:
            out.append(
                HeadlineLine(
                    kind="volume",
                    text="The data carry no dates: this report describes them as one period and makes no "
                    "trend or growth claims.",
                )
            )
    else:
        out.append(
            HeadlineLine(
                kind="volume",
                text=f"{fmt.count(vol.value)} feedback items this week{_metric_sentence(vol, period)}.",
            )
        )
    neg = by.get("negative")
    if neg is not None and neg.value is not None:
        out.append(
            HeadlineLine(
                kind="negative",
                text=f"{fmt.metric_value(neg)} of it was negative{_metric_sentence(neg, period)}.",
                tone=fmt.metric_tone(neg),  # type: ignore[arg-type]
            )
        )
    scores = []
    tones = []
    for key, label in (("nps", "NPS"), ("csat", "CSAT"), ("stars", "Average review")):
        m = by.get(key)
        if m is None or m.value is None:
            continue
        d = fmt.metric_delta(m, "prev")
        extra = f"{d} vs {_prev_words(period)}, " if d else ""
        unit = " satisfied" if key == "csat" else ""
        scores.append(f"{label} {fmt.metric_value(m)}{unit} ({extra}{m.n:,} responses)")
        tones.append(fmt.metric_tone(m))
    if scores:
        tone = "bad" if "bad" in tones else ("good" if "good" in tones else "neutral")
        out.append(HeadlineLine(kind="scores", text="; ".join(scores) + ".", tone=tone))  # type: ignore[arg-type]
    if window and lat.get("volume") is not None:
        lv = lat["volume"]
        bits = [f"{fmt.count(lv.value)} items{_metric_sentence(lv, period)}"]
        ln = lat.get("negative")
        if ln is not None and ln.value is not None:
            d = fmt.metric_delta(ln, "prev")
            bits.append(
                f"{fmt.metric_value(ln)} negative" + (f" ({d} vs {_prev_words(period)})" if d else "")
            )
        out.append(
            HeadlineLine(
                kind="latest",
                text=f"Latest complete {period.unit} with enough feedback, {period.focus_label}: "
                + "; ".join(bits)
                + ".",
            )
        )
    for r in rising[:3]:
        change = fmt.pct_change(r.focus_volume, r.prev_volume)
        prev_words = _prev_words(period)
        since = f", up from {r.prev_volume} {'in ' if window else ''}{prev_words}" + (
            f" ({change})" if change else ""
        )
        out.append(
            HeadlineLine(
                kind="rising",
                text=f"Rising{' ' + _focus_words(period) if window else ''}: “{r.label}”, {r.focus_volume} items{since}.",
                tone="bad" if (r.share_negative or 0) >= 0.5 else "neutral",
                quote=r.quote,
                theme_id=r.theme_id,
            )
        )
    for r in new[:3]:
        out.append(
            HeadlineLine(
                kind="new",
                text=f"New {_focus_words(period)}: “{r.label}”, {r.focus_volume or r.volume} items.",
                tone="bad" if (r.share_negative or 0) >= 0.5 else "neutral",
                quote=r.quote,
                theme_id=r.theme_id,
            )
        )
    if not rising and not new and period.focus is not None:
        out.append(
            HeadlineLine(kind="rising", text=f"No theme is new or rising sharply {_focus_words(period)}.")
        )
    for r in falling[:2]:
        change = fmt.pct_change(r.focus_volume, r.prev_volume)
        out.append(
            HeadlineLine(
                kind="falling",
                text=f"Easing: “{r.label}”, {r.focus_volume} items, down from {r.prev_volume} "
                f"{'in ' if window else ''}{_prev_words(period)} ({change}).",
                tone="good",
                theme_id=r.theme_id,
            )
        )
    if top:
        names = ", ".join(f"“{r.label}” ({r.volume})" for r in top[:3])
        out.append(HeadlineLine(kind="top", text=f"Most mentioned: {names}."))
    hurting = sorted(
        (r for r in themes if r.share_negative is not None and r.volume * r.share_negative >= 1),
        key=lambda r: (-round(r.volume * (r.share_negative or 0)), r.label),
    )[:3]
    if hurting:
        names = ", ".join(f"“{r.label}” ({round(r.volume * (r.share_negative or 0))})" for r in hurting)
        out.append(HeadlineLine(kind="negative_top", text=f"Most negative items: {names}.", tone="bad"))
    if alerts:
        titles = "; ".join(a.title for a in alerts[:3])
        more = f" and {len(alerts) - 3} more" if len(alerts) > 3 else ""
        n = len(alerts)
        out.append(
            HeadlineLine(kind="alerts", text=f"{n} alert{'s' if n > 1 else ''}: {titles}{more}.", tone="bad")
        )
    return out
