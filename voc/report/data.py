"""Build the weekly report's content from the store's tables (pure: DataFrames in, `ReportData` out).

`build_report_data` joins items, item sentiment, themes and their stage/pillar
mapping, and the ranked backlog, and computes what a support lead needs for one
ISO week: KPIs against last week and the trailing average, themes that are new,
rising or easing with a customer quote each, plus the detail an analyst needs.
Every optional table may be missing: the report then says what is absent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd

from voc.config.report import ReportConfig
from voc.rank.periods import Window, period_end, period_start
from voc.report import fmt
from voc.report.analyst import coverage_rows, quarantine_counts, run_rows
from voc.report.headline import build_headline
from voc.report.inputs import (
    UNDATED_DAY,
    alert_view,
    backlog_parts,
    backlog_values,
    has,
    looks_like_week,
    prepare_items,
    safe_url,
    theme_pairs,
)
from voc.report.metrics import compute_latest, compute_metrics, week_aggregates
from voc.report.models import BacklogEntryView, Period, Quote, ReportData, ThemeRow
from voc.report.themes import apply_backlog, apply_trends, theme_rows
from voc.report.views import build_accounts, build_heatmap, sentiment_chart, volume_chart
from voc.report.weeks import default_week, parse_week, week_label

__all__ = ["BacklogEntryView", "ReportData", "build_report_data", "safe_url"]

# The default title says "weekly"; a report over a whole export is not.
WINDOW_TITLE = "Customer feedback: themes and issues"


def choose_week(
    weeks_with_data: list[date], week: str | None, backlog_period: str | None, now: datetime
) -> date:
    """Monday of the report week: the one asked for, else the backlog's week (so the two agree),
    else the week just ended (`voc.report.weeks.default_week`)."""
    if week:
        return parse_week(week)
    if backlog_period and looks_like_week(backlog_period):
        return parse_week(backlog_period)
    return default_week(weeks_with_data, now)


def entry_row(e: BacklogEntryView, cfg: ReportConfig) -> ThemeRow:
    """A backlog entry (a problem) in the shape the summary's movers take, with its first verbatim as quote."""
    v = e.verbatims[0] if e.verbatims else None
    quote = None
    if v is not None:
        before, mid, after = fmt.marked(v.text, v.highlight, cfg.quote_chars)
        quote = Quote(item_id=v.item_id, text=f"{before}{mid}{after}", url=safe_url(v.url))
    return ThemeRow(
        theme_id=e.theme_id,
        label=e.theme_label,
        group_label=e.group_label,
        journey_stage=e.journey_stage,
        pillar=e.pillar,
        volume=e.volume,
        focus_volume=e.focus_volume if e.focus_volume is not None else e.volume,
        prev_volume=e.prev_volume or 0,
        share_negative=e.share_negative,
        mean_sentiment=e.mean_sentiment,
        status=e.status if e.status in ("new", "rising", "steady", "falling", "resolved") else "steady",  # type: ignore[arg-type]
        status_source="backlog",
        quote=quote,
    )


def window_period(window: Window, cfg: ReportConfig) -> Period:
    """The report's `Period` for a `voc.rank.periods.Window` (the one-file report)."""
    if window.undated or window.granularity == "all":
        return Period(label=window.label, start=None, end=None, history=[UNDATED_DAY],
                      trailing_weeks=0, granularity="all", scope="window", undated=window.undated)  # fmt: skip
    g = window.granularity
    history = [period_start(p, g) for p in window.periods]
    start = window.first.date() if window.first else history[0]
    end = window.last.date() if window.last else period_end(window.periods[-1], g)
    focus = period_start(window.focus, g) if window.focus else None
    prev_label = window.baseline[-1] if window.baseline else None
    return Period(
        label=window.label,
        start=start,
        end=end,
        history=history,
        trailing_weeks=min(cfg.trailing_weeks, len(window.baseline)),
        granularity=g,
        scope="window",
        focus=focus,
        focus_label=window.focus,
        prev=period_start(prev_label, g) if prev_label else None,
        prev_label=prev_label,
        partial=[period_start(p, g) for p in window.partial],
    )


def _weekly_period(it: pd.DataFrame, week: str | None, backlog_period: str | None, now: datetime,
                   cfg: ReportConfig) -> Period:  # fmt: skip
    start = choose_week(it["week"].dropna().unique().tolist(), week, backlog_period, now)
    history = [start - timedelta(weeks=k) for k in range(cfg.history_weeks - 1, -1, -1)]
    return Period(
        label=week_label(start),
        start=start,
        end=start + timedelta(days=6),
        history=history,
        trailing_weeks=min(cfg.trailing_weeks, cfg.history_weeks - 1),
    )


def build_report_data(
    items: pd.DataFrame,
    *,
    sentiment: pd.DataFrame | None = None,
    themes: pd.DataFrame | None = None,
    item_themes: pd.DataFrame | None = None,
    theme_weekly: pd.DataFrame | None = None,
    theme_mapping: pd.DataFrame | None = None,
    backlog: Any = None,
    alerts: Iterable[Any] = (),
    quarantine: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    week: str | None = None,
    config: ReportConfig | None = None,
    now: datetime | None = None,
    stage_order: list[str] | None = None,
    pillar_order: list[str] | None = None,
    window: Window | None = None,
    trends: pd.DataFrame | None = None,
) -> ReportData:
    """Compute the report: for `week` ('YYYY-Www'; default the week just ended), or over `window`.

    `backlog` is a `voc.rank.backlog.Backlog`, a mapping with `entries`/`alerts`/`period`,
    or a list of entries; `alerts` adds alerts from elsewhere. `trends` are the backlog
    stage's `theme_trends` rows (with `period`, the report's own period's are used): the
    themes' new, rising and falling statuses. `stage_order`/`pillar_order`
    (the taxonomy's entry names) order the heatmap. Only `items` is required. With a
    `window` (the one-file path) the numbers cover the whole window at its granularity,
    and the comparisons are those of its focus period.
    """
    cfg = config or ReportConfig()
    now = now or datetime.now(UTC)
    granularity = window.granularity if window is not None else "week"
    if window is not None and window.undated:
        granularity = "all"
    it = prepare_items(items, sentiment, granularity)
    notes: list[str] = []

    entries, backlog_alerts, backlog_period = backlog_parts(backlog)
    if backlog_period in ("none", "all", "undated"):
        backlog_period = None  # the ranking stage's "no period" / "everything": nothing to compare
    if window is not None:
        period = window_period(window, cfg)
        notes.extend(window.notes)
        if period.partial:
            names = ", ".join(period.label_of(d) for d in period.partial)
            notes.append(f"Partial {period.unit}s (the data cover only part of them): {names}.")
    else:
        period = _weekly_period(it, week, backlog_period, now, cfg)
    scope = set(period.scope_buckets)
    in_scope = it["week"].isin(scope)
    if it.empty:
        notes.append("The store has no feedback items yet: run `voc ingest` first.")
    elif not in_scope.any():
        notes.append(f"No feedback items fall in {period.label} ({period.span_text}).")
    missing: list[str] = []
    if not it["label"].notna().any():
        missing.append("sentiment")
    pairs = theme_pairs(it, item_themes)
    if pairs.empty and not has(theme_weekly, "theme_id"):
        missing.append("themes")
    rows = theme_rows(pairs, themes, theme_weekly, theme_mapping, period, cfg)
    if has(trends, "period"):
        assert trends is not None
        label = window.label if window is not None else period.label
        trends = trends[trends["period"].astype(str) == label]
    apply_trends(rows, trends, period)
    if rows and not has(theme_mapping, "theme_id"):
        missing.append("journey stages and pillars")

    backlog_applied = False
    if entries is not None:
        if window is None and backlog_period and backlog_period not in (period.label, str(period.start)):
            notes.append(
                f"The backlog is for {backlog_period}, not {period.label}: its statuses were not used."
            )
        else:
            apply_backlog(rows, entries, cfg)
            backlog_applied = True
    else:
        missing.append("ranked backlog")
    if missing and not it.empty:
        notes.append(
            f"Not in this report yet: {', '.join(missing)}. Those stages have not written their tables "
            "to this store; `voc run` runs every stage."
        )

    agg = week_aggregates(it, period.history)
    metrics = compute_metrics(agg, period)
    latest = compute_latest(agg, period) if period.scope == "window" else []
    active = [r for r in rows if r.volume > 0]
    top = active[: cfg.top_themes]
    # With this period's backlog its problems, with their significance-tested statuses, are the movers;
    # without one, the themes with the statuses the same test gave them (theme_trends), if stored.
    movers = [entry_row(e, cfg) for e in entries] if backlog_applied and entries is not None else rows
    if period.focus is None:
        movers = []  # nothing to compare with: no claim of change
    rising = sorted(
        (r for r in movers if r.status == "rising" and r.focus_volume > 0),
        key=lambda r: -(r.focus_volume - r.prev_volume),
    )
    new = sorted((r for r in movers if r.status == "new" and r.volume > 0), key=lambda r: -r.focus_volume)
    falling = sorted(
        (r for r in movers if r.status == "falling"), key=lambda r: r.focus_volume - r.prev_volume
    )
    alert_views = [alert_view(a) for a in [*backlog_alerts, *alerts]]

    return ReportData(
        title=cfg.title if window is None or cfg.title != ReportConfig().title else WINDOW_TITLE,
        period=period,
        generated_at=now,
        metrics=metrics,
        latest=latest,
        headline=build_headline(metrics, active, top, rising, new, falling, alert_views, period, latest),
        volume_chart=volume_chart(it, period),
        top_themes=top,
        rising=rising,
        new=new,
        falling=falling,
        alerts=alert_views,
        themes=rows,
        heatmap=build_heatmap(pairs, theme_mapping, period, stage_order, pillar_order),
        sentiment_chart=sentiment_chart(it, period),
        backlog=entries[: cfg.backlog_entries] if entries is not None else None,
        values=backlog_values(backlog)[: cfg.backlog_entries],
        backlog_period=backlog_period,
        accounts=build_accounts(it, pairs, rows, period, cfg),
        coverage=coverage_rows(it, pairs, rows, period),
        quarantine=quarantine_counts(quarantine, period),
        runs=run_rows(runs),
        notes=notes,
    )
