"""Theme rows: counts per period, movers (new, rising, falling) and a quote, per theme."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from voc.config.report import ReportConfig
from voc.report import fmt
from voc.report.inputs import UNASSIGNED, as_list, has, opt_date, opt_float, opt_str, pick_quote, safe_url
from voc.report.models import (
    BacklogEntryView,
    Period,
    Quote,
    ThemeRow,
)


def theme_rows(
    pairs: pd.DataFrame,
    themes: pd.DataFrame | None,
    theme_weekly: pd.DataFrame | None,
    mapping: pd.DataFrame | None,
    period: Period,
    cfg: ReportConfig,
) -> list[ThemeRow]:
    """One row per theme: counts per period over the history, negativity in scope, status and a quote.

    Status here is only what needs no test: `resolved` (the registry says so and the theme is
    silent), `quiet` or `steady`; whether a theme is new, rising or falling is the backlog
    stage's trend test, stored in `theme_trends` and laid on with `apply_trends`.
    """
    hist = period.history
    registry: dict[str, dict[str, Any]] = {}
    if has(themes, "theme_id"):
        for rec in themes.to_dict("records"):
            registry[str(rec["theme_id"])] = rec
    maps: dict[str, dict[str, Any]] = {}
    if has(mapping, "theme_id"):
        for rec in mapping.to_dict("records"):
            maps[str(rec["theme_id"])] = rec

    if len(pairs):
        counts = pairs.groupby(["theme_id", "week"]).size()
        first = pairs.groupby("theme_id")["created_at"].min()
        last = pairs.groupby("theme_id")["created_at"].max()
    elif has(theme_weekly, "theme_id", "week"):
        # No item-level assignments: fall back to the themes stage's weekly counts.
        tw = theme_weekly.copy()
        tw["week"] = pd.to_datetime(tw["week"]).dt.date
        col = "items" if "items" in tw.columns else "mentions"
        counts = tw.groupby(["theme_id", "week"])[col].sum()
        first = last = pd.Series(dtype=object)
    else:
        counts = pd.Series(dtype=int)
        first = last = pd.Series(dtype=object)

    week_set = set(hist)
    scope = set(period.scope_buckets)
    this_week = pairs[pairs["week"].isin(scope)] if len(pairs) else pairs
    pos = {d: i for i, d in enumerate(hist)}
    focus_i = pos.get(period.focus) if period.focus is not None else None
    prev_i = pos.get(period.prev) if period.prev is not None else None
    ids = sorted(
        set(registry) | {str(t) for t in counts.index.get_level_values(0)} if len(counts) else set(registry)
    )
    rows: list[ThemeRow] = []
    for tid in ids:
        if tid == UNASSIGNED:
            continue
        reg = registry.get(tid, {})
        mp = maps.get(tid, {})
        per_week = (
            counts.loc[tid]
            if len(counts) and tid in counts.index.get_level_values(0)
            else pd.Series(dtype=int)
        )
        weekly = [int(per_week.get(w, 0)) for w in hist]
        volume = sum(weekly[pos[d]] for d in scope if d in pos)
        cur = weekly[focus_i] if focus_i is not None else 0
        prev = weekly[prev_i] if prev_i is not None else 0
        trailing = weekly[max(0, focus_i - period.trailing_weeks) : focus_i] if focus_i is not None else []
        trailing_avg = float(np.mean(trailing)) if trailing else 0.0
        tw = this_week[this_week["theme_id"] == tid] if len(this_week) else this_week
        with_sent = tw[tw["label"].notna()] if len(tw) else tw
        first_seen = opt_date(first.get(tid)) if len(first) else None
        first_seen = first_seen or opt_date(reg.get("first_seen"))
        last_seen = (opt_date(last.get(tid)) if len(last) else None) or opt_date(reg.get("last_seen"))
        total = int(sum(int(v) for w, v in per_week.items() if w in week_set))
        if total == 0 and str(reg.get("status", "")).lower() in ("retired", "merged"):
            continue  # gone from the registry and silent in the window

        status: str
        if period.focus is None:
            status = "steady" if volume > 0 else "quiet"  # nothing to compare with
        elif str(reg.get("status", "")).lower() == "resolved" and cur == 0:
            status = "resolved"
        elif cur == 0:
            status = "quiet"
        else:
            status = "steady"

        label = opt_str(reg.get("label")) or opt_str(reg.get("theme_label")) or tid
        rows.append(
            ThemeRow(
                theme_id=tid,
                label=label,
                group_label=opt_str(reg.get("group_label")),
                keywords=as_list(reg.get("keywords"))[:12],
                journey_stage=opt_str(mp.get("journey_stage")),
                stage_confidence=opt_float(mp.get("stage_confidence")),
                stage_evidence=opt_str(mp.get("stage_evidence")),
                pillar=opt_str(mp.get("pillar")),
                pillar_confidence=opt_float(mp.get("pillar_confidence")),
                pillar_evidence=opt_str(mp.get("pillar_evidence")),
                volume=volume,
                focus_volume=cur,
                prev_volume=prev,
                trailing_avg=trailing_avg,
                total=total,
                share_negative=(float(with_sent["complaint"].mean()) if len(with_sent) else None),
                mean_sentiment=(float(tw["score"].mean()) if len(tw) and tw["score"].notna().any() else None),
                weekly=weekly,
                status=status,  # type: ignore[arg-type]
                first_seen=first_seen,
                last_seen=last_seen,
                quote=pick_quote(tw, cfg.quote_chars) if len(tw) else None,
            )
        )
    rows.sort(key=lambda r: (-r.volume, -r.total, r.label.lower()))
    return rows


def apply_trends(rows: list[ThemeRow], trends: pd.DataFrame | None, period: Period) -> None:
    """Each theme's status as the backlog stage's trend test decided it (`theme_trends`), in place.

    A theme the test called steady keeps the row's own `quiet` when it was silent in the focus period.
    """
    if period.focus is None or not has(trends, "theme_id", "status"):
        return
    assert trends is not None
    by_id = dict(zip(trends["theme_id"].astype(str), trends["status"].astype(str), strict=True))
    for r in rows:
        status = by_id.get(r.theme_id)
        if status is None or (status == "steady" and r.status in ("quiet", "resolved")):
            continue
        r.status = status  # type: ignore[assignment]
        r.status_source = "backlog"


def apply_backlog(rows: list[ThemeRow], entries: list[BacklogEntryView], cfg: ReportConfig) -> None:
    """The ranking stage's status and verbatims win, so the report and the backlog agree."""
    by_id = {e.theme_id: e for e in entries}
    valid = {"new", "rising", "steady", "falling", "resolved"}
    for r in rows:
        e = by_id.get(r.theme_id)
        if e is None:
            continue
        if e.status in valid:
            r.status = e.status  # type: ignore[assignment]
            r.status_source = "backlog"
        if e.verbatims and r.quote is None:
            v = e.verbatims[0]
            r.quote = Quote(
                item_id=v.item_id,
                text=fmt.shorten(v.text, cfg.quote_chars),
                url=safe_url(v.url),
                sentiment=v.sentiment if isinstance(v.sentiment, str) else None,
            )
