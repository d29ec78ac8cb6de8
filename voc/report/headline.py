"""The first screen's plain-words sentences: what changed this week, with numbers and quotes."""

from __future__ import annotations

from voc.report import fmt
from voc.report.models import (
    AlertView,
    HeadlineLine,
    Metric,
    Period,
    ThemeRow,
)


def _metric_sentence(m: Metric, trailing_weeks: int) -> str:
    parts = []
    d_prev = fmt.metric_delta(m, "prev")
    d_trail = fmt.metric_delta(m, "trailing")
    if d_prev:
        parts.append(f"{d_prev} vs last week")
    if d_trail:
        parts.append(f"{d_trail} vs the {trailing_weeks}-week average")
    return f" ({', '.join(parts)})" if parts else ""


def _in_short(
    by: dict[str, Metric], rising: list[ThemeRow], new: list[ThemeRow], falling: list[ThemeRow]
) -> HeadlineLine:
    """One sentence a support lead can repeat: direction words, the numbers in brackets."""
    parts: list[str] = []
    vol = by["volume"]
    if vol.prev:
        change = (vol.value - vol.prev) / vol.prev * 100.0
        word = "up" if change > 0 else "down"
        parts.append(
            f"feedback {word} {abs(change):.0f}% on last week"
            if abs(change) >= 5
            else "feedback volume steady"
        )
    neg = by.get("negative")
    if neg is not None and neg.value is not None and neg.prev is not None:
        d = neg.value - neg.prev
        if d >= 2:
            parts.append(f"more of it negative ({neg.value:.0f}%, {fmt.signed(d, 0, ' pts')})")
        elif d <= -2:
            parts.append(f"less of it negative ({neg.value:.0f}%, {fmt.signed(d, 0, ' pts')})")
        else:
            parts.append(f"negative share steady at {neg.value:.0f}%")
    for key, label, band, unit in (("nps", "NPS", 3.0, ""), ("csat", "CSAT", 2.0, " pts")):
        m = by.get(key)
        if m is not None and m.delta_prev is not None and abs(m.delta_prev) >= band:
            parts.append(f"{label} {'up' if m.delta_prev > 0 else 'down'} {abs(m.delta_prev):.0f}{unit}")
    movers = [
        f"{len(xs)} {name}" for xs, name in ((new, "new"), (rising, "rising"), (falling, "easing")) if xs
    ]
    parts.append("themes: " + ", ".join(movers) if movers else "no new or rising themes")
    tone = fmt.metric_tone(neg) if neg is not None else "neutral"
    if new or rising:
        tone = "bad"
    text = "In short: " + "; ".join(parts) + "."
    return HeadlineLine(kind="summary", text=text[:10] + text[10].upper() + text[11:], tone=tone)  # type: ignore[arg-type]


def build_headline(
    metrics: list[Metric],
    themes: list[ThemeRow],
    top: list[ThemeRow],
    rising: list[ThemeRow],
    new: list[ThemeRow],
    falling: list[ThemeRow],
    alerts: list[AlertView],
    period: Period,
) -> list[HeadlineLine]:
    """The first screen's sentences, in reading order: in short, volume, negativity, scores, movers, tops, alerts."""
    by = {m.key: m for m in metrics}
    out: list[HeadlineLine] = []
    vol = by["volume"]
    if not vol.value:
        out.append(
            HeadlineLine(kind="volume", text=f"No feedback was recorded in {period.label}.", tone="neutral")
        )
        return out
    out.append(_in_short(by, rising, new, falling))
    out.append(
        HeadlineLine(
            kind="volume",
            text=f"{fmt.count(vol.value)} feedback items this week{_metric_sentence(vol, period.trailing_weeks)}.",
        )
    )
    neg = by.get("negative")
    if neg is not None and neg.value is not None:
        out.append(
            HeadlineLine(
                kind="negative",
                text=f"{fmt.metric_value(neg)} of it was negative{_metric_sentence(neg, period.trailing_weeks)}.",
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
        extra = f"{d} vs last week, " if d else ""
        unit = " satisfied" if key == "csat" else ""
        scores.append(f"{label} {fmt.metric_value(m)}{unit} ({extra}{m.n:,} responses)")
        tones.append(fmt.metric_tone(m))
    if scores:
        tone = "bad" if "bad" in tones else ("good" if "good" in tones else "neutral")
        out.append(HeadlineLine(kind="scores", text="; ".join(scores) + ".", tone=tone))  # type: ignore[arg-type]
    for r in rising[:3]:
        change = fmt.pct_change(r.volume, r.prev_volume)
        since = (
            f", up from {r.prev_volume} last week ({change})"
            if change
            else f", up from {r.prev_volume} last week"
        )
        out.append(
            HeadlineLine(
                kind="rising",
                text=f"Rising: “{r.label}”, {r.volume} items{since}.",
                tone="bad" if (r.share_negative or 0) >= 0.5 else "neutral",
                quote=r.quote,
                theme_id=r.theme_id,
            )
        )
    for r in new[:3]:
        out.append(
            HeadlineLine(
                kind="new",
                text=f"New this week: “{r.label}”, {r.volume} items.",
                tone="bad" if (r.share_negative or 0) >= 0.5 else "neutral",
                quote=r.quote,
                theme_id=r.theme_id,
            )
        )
    if not rising and not new:
        out.append(HeadlineLine(kind="rising", text="No theme is new or rising sharply this week."))
    for r in falling[:2]:
        change = fmt.pct_change(r.volume, r.prev_volume)
        out.append(
            HeadlineLine(
                kind="falling",
                text=f"Easing: “{r.label}”, {r.volume} items, down from {r.prev_volume} last week ({change}).",
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
