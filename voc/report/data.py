"""Build the weekly report's content from the store's tables (pure: DataFrames in, `ReportData` out).

`build_report_data` joins items, item sentiment, themes and their stage/pillar
mapping, and the ranked backlog, and computes what a support lead needs for one
ISO week: KPIs against last week and the trailing average, themes that are new,
rising or easing with a customer quote each, plus the detail an analyst needs.
Every optional table may be missing: the report then says what is absent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from voc.config.report import ReportConfig
from voc.errors import InputError, StageError
from voc.report import fmt
from voc.report.models import (
    Account,
    AccountsView,
    AlertView,
    BacklogEntryView,
    CountRow,
    HeadlineLine,
    HeatCell,
    Heatmap,
    Metric,
    Period,
    QuarantineCount,
    Quote,
    ReportData,
    RunRow,
    Series,
    ThemeRow,
    TimeChart,
)
from voc.report.weeks import default_week, parse_week, week_label, week_starts

__all__ = ["BacklogEntryView", "ReportData", "build_report_data"]

REQUIRED_ITEM_COLUMNS = ("id", "created_at", "text")
UNASSIGNED = "unassigned"  # voc.themes.registry.UNASSIGNED: items no theme claimed
UNMAPPED = "unmapped"  # voc.taxonomy: a theme no stage or pillar fits
KINDS = ("ticket", "review", "survey")
# Customer-journey order for the heatmap rows; stages not listed follow alphabetically.
JOURNEY_ORDER = [
    "awareness", "discovery", "consideration", "evaluation", "purchase", "checkout", "signup", "sign-up",
    "onboarding", "setup", "activation", "usage", "use", "product use", "adoption", "delivery", "billing",
    "payment", "support", "service", "renewal", "retention", "cancellation", "churn", "advocacy",
]  # fmt: skip


# -- small helpers -------------------------------------------------------------------------------------------


def safe_url(url: Any) -> str | None:
    """Keep only http(s) links: a `javascript:` URL in customer data must never become a link."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    return u if u.lower().startswith(("http://", "https://")) else None


def _as_list(value: Any) -> list[str]:
    """theme_ids / keywords arrive as a JSON string, a list, an array or nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return []
        if s.startswith("["):
            try:
                return [str(v) for v in json.loads(s) if v is not None]
            except ValueError:
                pass
        return [p.strip() for p in s.split(",") if p.strip()]
    if isinstance(value, Iterable):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def _opt_float(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _opt_str(x: Any) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    s = str(x).strip()
    return s or None


def _opt_date(x: Any) -> date | None:
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return None
    try:
        ts = pd.Timestamp(x)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()


def _has(df: pd.DataFrame | None, *cols: str) -> bool:
    return df is not None and len(df) > 0 and all(c in df.columns for c in cols)


def _to_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    if isinstance(obj, Mapping):
        return dict(obj)
    return dict(vars(obj))


def _quote_from_row(row: Mapping[str, Any], limit: int) -> Quote:
    return Quote(
        item_id=str(row.get("id", "")),
        text=fmt.shorten(str(row.get("text", "")), limit),
        url=safe_url(row.get("url")),
        sentiment=_opt_str(row.get("label")),
        source=_opt_str(row.get("source")),
    )


def _pick_quote(rows: pd.DataFrame, limit: int) -> Quote | None:
    """The most telling item: negative first, then the strongest score, preferring readable lengths."""
    if rows.empty:
        return None
    r = rows.assign(
        _neg=(rows["label"] != "negative").astype(int),
        _len=(~rows["text"].astype(str).str.len().between(30, 400)).astype(int),
        _score=rows["score"].fillna(0.0),
    ).sort_values(["_neg", "_len", "_score", "id"])
    return _quote_from_row(r.iloc[0].to_dict(), limit)


# -- inputs ----------------------------------------------------------------------------------------------


def _prepare_items(items: pd.DataFrame, sentiment: pd.DataFrame | None) -> pd.DataFrame:
    missing = [c for c in REQUIRED_ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise StageError(
            f"report: the items frame lacks column(s) {', '.join(missing)}; it needs at least "
            f"{', '.join(REQUIRED_ITEM_COLUMNS)} (see voc.schema.ITEM_COLUMNS)",
            code="E560",
        )
    it = items.copy()
    for col in ("source", "kind", "rating", "rating_scale", "customer_id", "segment", "revenue", "url"):
        if col not in it.columns:
            it[col] = None
    it["id"] = it["id"].astype(str)
    it["created_at"] = pd.to_datetime(it["created_at"], utc=True)
    it["week"] = week_starts(it["created_at"])
    it["rating"] = pd.to_numeric(it["rating"], errors="coerce")
    it["revenue"] = pd.to_numeric(it["revenue"], errors="coerce")
    it["kind"] = it["kind"].astype(object).where(it["kind"].notna(), "unknown").astype(str)
    if _has(sentiment, "item_id", "label"):
        s = sentiment[["item_id", "label", *(["score"] if "score" in sentiment.columns else [])]].copy()
        s["item_id"] = s["item_id"].astype(str)
        s = s.drop_duplicates("item_id", keep="last")
        it = it.merge(s, left_on="id", right_on="item_id", how="left").drop(columns=["item_id"])
    else:
        it["label"] = None
    if "score" not in it.columns:
        it["score"] = np.nan
    it["score"] = pd.to_numeric(it["score"], errors="coerce")
    it["label"] = it["label"].astype(object)
    return it


def _theme_pairs(it: pd.DataFrame, item_themes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (item, theme): an item in two themes counts once in each."""
    cols = ["id", "theme_id", "week", "created_at", "label", "score", "text", "url", "source", "kind"]
    if not _has(item_themes, "item_id"):
        return pd.DataFrame(columns=cols)
    f = item_themes.copy()
    f["item_id"] = f["item_id"].astype(str)
    if "theme_ids" in f.columns:
        ids = [
            _as_list(many) or ([str(one)] if _opt_str(one) else [])
            for many, one in zip(f["theme_ids"], f.get("theme_id", [None] * len(f)), strict=True)
        ]
    else:
        ids = [[str(one)] if _opt_str(one) else [] for one in f["theme_id"]]
    f = pd.DataFrame(
        {"item_id": f["item_id"].to_numpy(dtype=object), "theme_id": pd.Series(ids, dtype=object)}
    )
    f = f.explode("theme_id").dropna(subset=["theme_id"]).drop_duplicates()
    f = f[f["theme_id"] != UNASSIGNED]
    pairs = f.merge(it[[c for c in cols if c != "theme_id"]], left_on="item_id", right_on="id", how="inner")
    return pairs[cols].reset_index(drop=True)


def _backlog_parts(backlog: Any) -> tuple[list[BacklogEntryView] | None, list[Any], str | None]:
    """Entries, alerts and period from a `Backlog`, a dict, or a plain list of entries."""
    if backlog is None:
        return None, [], None
    if isinstance(backlog, list | tuple):
        raw_entries, alerts, period = list(backlog), [], None
    else:
        d = _to_dict(backlog)
        raw_entries, alerts, period = (
            list(d.get("entries") or []),
            list(d.get("alerts") or []),
            d.get("period"),
        )
    entries: list[BacklogEntryView] = []
    for e in raw_entries:
        d = _to_dict(e)
        for key in ("breakdown", "verbatims", "severity"):
            if isinstance(d.get(key), str):  # JSON text when read back from a table
                try:
                    d[key] = json.loads(d[key])
                except ValueError:
                    d[key] = [d[key]] if key == "severity" else None
            if d.get(key) is None:
                d.pop(key, None)
        entries.append(BacklogEntryView.model_validate(d))
    entries.sort(key=lambda e: e.rank)
    return entries, alerts, _opt_str(period)


def _looks_like_week(label: str) -> bool:
    try:
        parse_week(label)
    except InputError:
        return False
    return True


def _alert_view(a: Any) -> AlertView:
    if isinstance(a, str):
        return AlertView(title=a)
    d = _to_dict(a)
    title = next(
        (str(d[k]) for k in ("title", "message", "text", "summary", "rule", "kind") if d.get(k)), str(d)
    )
    detail = next((str(d[k]) for k in ("detail", "reason", "description", "why") if d.get(k)), "")
    if not detail and d.get("title") and d.get("text"):
        # voc.alerts.rules.Alert: text is the message body; its 'Why:' and 'Stage:' lines explain it.
        body = [ln for ln in str(d["text"]).splitlines() if ln.startswith(("Why:", "Stage:"))]
        detail = " ".join(body)
    return AlertView(
        severity=str(d.get("severity") or d.get("level") or d.get("kind") or "warning").replace("_", " "),
        title=title,
        detail=detail,
        theme_id=_opt_str(d.get("theme_id")),
    )


# -- metrics ---------------------------------------------------------------------------------------------


def _week_aggregates(it: pd.DataFrame, weeks: list[date]) -> pd.DataFrame:
    """Per week: volume, sentiment counts and rating tallies (sums, so windows can be pooled)."""
    w = it[it["week"].isin(weeks)]
    scale = w["rating_scale"].astype(object)
    r = w["rating"]
    frame = pd.DataFrame(
        {
            "week": w["week"],
            "volume": 1,
            "with_sent": w["label"].notna().astype(int),
            "negative": (w["label"] == "negative").astype(int),
            "score_sum": w["score"].fillna(0.0),
            "score_n": w["score"].notna().astype(int),
            "nps_n": ((scale == "nps") & r.notna()).astype(int),
            "nps_pro": ((scale == "nps") & (r >= 9)).astype(int),
            "nps_det": ((scale == "nps") & (r <= 6)).astype(int),
            "csat_n": ((scale == "csat") & r.notna()).astype(int),
            "csat_sat": ((scale == "csat") & (r >= 4)).astype(int),
            "stars_n": ((scale == "stars") & r.notna()).astype(int),
            "stars_sum": r.where(scale == "stars", 0.0).fillna(0.0),
        }
    )
    agg = frame.groupby("week").sum() if len(frame) else frame.set_index("week")
    return agg.reindex(weeks, fill_value=0)


def _ratio(num: float, den: float, scale: float = 1.0) -> float | None:
    return None if den == 0 else num / den * scale


def _metric_values(a: pd.Series) -> dict[str, tuple[float | None, int]]:
    return {
        "volume": (float(a["volume"]), int(a["volume"])),
        "negative": (_ratio(a["negative"], a["with_sent"], 100.0), int(a["with_sent"])),
        "sentiment": (_ratio(a["score_sum"], a["score_n"]), int(a["score_n"])),
        "nps": (_ratio(a["nps_pro"] - a["nps_det"], a["nps_n"], 100.0), int(a["nps_n"])),
        "csat": (_ratio(a["csat_sat"], a["csat_n"], 100.0), int(a["csat_n"])),
        "stars": (_ratio(a["stars_sum"], a["stars_n"]), int(a["stars_n"])),
    }


def _metrics(agg: pd.DataFrame, period: Period) -> list[Metric]:
    cur = _metric_values(agg.loc[period.start])
    prev_week = period.start - timedelta(days=7)
    prev = _metric_values(agg.loc[prev_week]) if prev_week in agg.index else {}
    trailing_weeks = [w for w in period.history if w < period.start][-period.trailing_weeks :]
    trail_sum = agg.loc[trailing_weeks].sum() if trailing_weeks else None
    trail = _metric_values(trail_sum) if trail_sum is not None else {}
    if trail and trailing_weeks:  # volume is a weekly mean, the rates are pooled over the window
        v = trail["volume"]
        trail["volume"] = (v[0] / len(trailing_weeks) if v[0] is not None else None, v[1])
    spec = [
        ("volume", "Feedback items", "count", None),
        ("negative", "Negative", "pct", False),
        ("sentiment", "Mean sentiment", "score", True),
        ("nps", "NPS", "nps", True),
        ("csat", "CSAT (satisfied)", "pct", True),
        ("stars", "Review rating", "stars", True),
    ]
    out: list[Metric] = []
    for key, label, unit, better in spec:
        value, n = cur[key]
        col = {
            "nps": "nps_n",
            "csat": "csat_n",
            "stars": "stars_n",
            "negative": "with_sent",
            "sentiment": "score_n",
        }
        has_history = any(agg.loc[w, col.get(key, "volume")] > 0 for w in period.history)
        if key in ("nps", "csat", "stars", "negative", "sentiment") and not has_history:
            continue  # that kind of rating (or sentiment) is not in this data at all
        out.append(
            Metric(
                key=key,
                label=label,
                value=value,
                prev=prev.get(key, (None, 0))[0],
                trailing=trail.get(key, (None, 0))[0],
                n=n,
                unit=unit,  # type: ignore[arg-type]
                higher_is_better=better,
            )
        )
    return out


# -- themes ----------------------------------------------------------------------------------------------


def _theme_rows(
    pairs: pd.DataFrame,
    themes: pd.DataFrame | None,
    theme_weekly: pd.DataFrame | None,
    mapping: pd.DataFrame | None,
    period: Period,
    cfg: ReportConfig,
) -> list[ThemeRow]:
    hist = period.history
    registry: dict[str, dict[str, Any]] = {}
    if _has(themes, "theme_id"):
        for rec in themes.to_dict("records"):
            registry[str(rec["theme_id"])] = rec
    maps: dict[str, dict[str, Any]] = {}
    if _has(mapping, "theme_id"):
        for rec in mapping.to_dict("records"):
            maps[str(rec["theme_id"])] = rec

    if len(pairs):
        counts = pairs.groupby(["theme_id", "week"]).size()
        first = pairs.groupby("theme_id")["created_at"].min()
        last = pairs.groupby("theme_id")["created_at"].max()
    elif _has(theme_weekly, "theme_id", "week"):
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
    this_week = pairs[pairs["week"] == period.start] if len(pairs) else pairs
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
        cur, prev = weekly[-1], (weekly[-2] if len(weekly) > 1 else 0)
        trailing = weekly[-1 - period.trailing_weeks : -1]
        trailing_avg = float(np.mean(trailing)) if trailing else 0.0
        tw = this_week[this_week["theme_id"] == tid] if len(this_week) else this_week
        with_sent = tw[tw["label"].notna()] if len(tw) else tw
        first_seen = _opt_date(first.get(tid)) if len(first) else None
        first_seen = first_seen or _opt_date(reg.get("first_seen"))
        last_seen = (_opt_date(last.get(tid)) if len(last) else None) or _opt_date(reg.get("last_seen"))
        total = int(sum(int(v) for w, v in per_week.items() if w in week_set))
        if total == 0 and str(reg.get("status", "")).lower() in ("retired", "merged"):
            continue  # gone from the registry and silent in the window

        status: str
        if str(reg.get("status", "")).lower() == "resolved" and cur == 0:
            status = "resolved"
        elif cur > 0 and first_seen is not None and first_seen >= period.start:
            status = "new"
        elif cur >= cfg.rising_min_mentions and cur >= cfg.rising_ratio * max(prev, trailing_avg, 1.0):
            status = "rising"
        elif prev >= cfg.rising_min_mentions and cur <= cfg.falling_ratio * prev:
            status = "falling"
        elif cur == 0:
            status = "quiet"
        else:
            status = "steady"

        label = _opt_str(reg.get("label")) or _opt_str(reg.get("theme_label")) or tid
        rows.append(
            ThemeRow(
                theme_id=tid,
                label=label,
                group_label=_opt_str(reg.get("group_label")),
                keywords=_as_list(reg.get("keywords"))[:12],
                journey_stage=_opt_str(mp.get("journey_stage")),
                stage_confidence=_opt_float(mp.get("stage_confidence")),
                stage_evidence=_opt_str(mp.get("stage_evidence")),
                pillar=_opt_str(mp.get("pillar")),
                pillar_confidence=_opt_float(mp.get("pillar_confidence")),
                pillar_evidence=_opt_str(mp.get("pillar_evidence")),
                volume=cur,
                prev_volume=prev,
                trailing_avg=trailing_avg,
                total=total,
                share_negative=(float((with_sent["label"] == "negative").mean()) if len(with_sent) else None),
                mean_sentiment=(float(tw["score"].mean()) if len(tw) and tw["score"].notna().any() else None),
                weekly=weekly,
                status=status,  # type: ignore[arg-type]
                first_seen=first_seen,
                last_seen=last_seen,
                quote=_pick_quote(tw, cfg.quote_chars) if len(tw) else None,
            )
        )
    rows.sort(key=lambda r: (-r.volume, -r.total, r.label.lower()))
    return rows


def _apply_backlog(rows: list[ThemeRow], entries: list[BacklogEntryView], cfg: ReportConfig) -> None:
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


# -- headline --------------------------------------------------------------------------------------------


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


def _headline(
    metrics: list[Metric],
    themes: list[ThemeRow],
    top: list[ThemeRow],
    rising: list[ThemeRow],
    new: list[ThemeRow],
    falling: list[ThemeRow],
    alerts: list[AlertView],
    period: Period,
) -> list[HeadlineLine]:
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


# -- charts' data -----------------------------------------------------------------------------------------


def _order_key(order: list[str]):
    low = [o.lower() for o in order]

    def key(name: str) -> tuple[int, str]:
        s = name.lower()
        return (low.index(s), s) if s in low else (len(low), s)

    return key


def _heatmap(
    pairs: pd.DataFrame,
    mapping: pd.DataFrame | None,
    period: Period,
    stage_order: list[str] | None = None,
    pillar_order: list[str] | None = None,
) -> Heatmap | None:
    if not _has(mapping, "theme_id", "journey_stage", "pillar") or not len(pairs):
        return None
    m = mapping[["theme_id", "journey_stage", "pillar"]].copy()
    m["theme_id"] = m["theme_id"].astype(str)
    p = pairs[pairs["week"] == period.start].merge(m, on="theme_id", how="left")
    if p.empty:
        return None
    mapped = (
        p["journey_stage"].notna()
        & p["pillar"].notna()
        & (p["journey_stage"] != UNMAPPED)
        & (p["pillar"] != UNMAPPED)
    )
    unmapped = int((~mapped).sum())
    p = p[mapped]
    if p.empty:
        return Heatmap(stages=[], pillars=[], cells=[], unmapped=unmapped)
    stages = sorted({str(s) for s in p["journey_stage"]}, key=_order_key(stage_order or JOURNEY_ORDER))
    by_volume = list(p.groupby("pillar").size().sort_values(ascending=False, kind="stable").index.astype(str))
    pillars = sorted(by_volume, key=_order_key(pillar_order)) if pillar_order else by_volume
    cells: list[list[HeatCell]] = []
    for s in stages:
        row = []
        for pl in pillars:
            c = p[(p["journey_stage"] == s) & (p["pillar"] == pl)]
            ws = c[c["label"].notna()]
            row.append(
                HeatCell(
                    count=len(c),
                    share_negative=float((ws["label"] == "negative").mean()) if len(ws) else None,
                )
            )
        cells.append(row)
    return Heatmap(stages=stages, pillars=pillars, cells=cells, unmapped=unmapped)


def _volume_chart(it: pd.DataFrame, period: Period) -> TimeChart:
    w = it[it["week"].isin(period.history)]
    kinds = [k for k in KINDS if (w["kind"] == k).any()] + sorted(set(w["kind"]) - set(KINDS))
    series = []
    for k in kinds:
        per = w[w["kind"] == k].groupby("week").size()
        vals = [int(per.get(d, 0)) for d in period.history]
        series.append(Series(name=k, values=[float(v) for v in vals], counts=vals))
    return TimeChart(labels=period.history_labels, series=series, unit="count")


def _sentiment_chart(it: pd.DataFrame, period: Period) -> TimeChart | None:
    w = it[it["week"].isin(period.history) & it["label"].notna()]
    if w.empty:
        return None
    kinds = [k for k in KINDS if (w["kind"] == k).any()] + sorted(set(w["kind"]) - set(KINDS))
    series = []
    for name, sub in [("all feedback", w), *[(k, w[w["kind"] == k]) for k in kinds]]:
        g = sub.groupby("week")["label"]
        n = g.size()
        neg = g.apply(lambda s: (s == "negative").sum())
        vals = [float(neg.get(d, 0)) / n[d] * 100.0 if n.get(d, 0) else None for d in period.history]
        series.append(Series(name=name, values=vals, counts=[int(n.get(d, 0)) for d in period.history]))
    return TimeChart(labels=period.history_labels, series=series, unit="pct")


def _rated_satisfaction(it: pd.DataFrame) -> pd.Series:
    """Per item 0-100 from its rating (stars/CSAT 1-5, NPS 0-10); NaN when unrated.

    An account's satisfaction is the mean of these when it gave any rating, else the
    sentiment of what it wrote: tickets are complaints by nature, so judged by ticket
    sentiment alone every account that asks for help would look unhappy.
    """
    scale = it["rating_scale"].astype(object)
    r = it["rating"]
    sat = pd.Series(np.nan, index=it.index)
    five = scale.isin(["stars", "csat"]) & r.notna()
    sat[five] = (r[five] - 1.0) / 4.0 * 100.0
    nps = (scale == "nps") & r.notna()
    sat[nps] = r[nps] * 10.0
    return sat.clip(0, 100)


def _accounts(
    it: pd.DataFrame, pairs: pd.DataFrame, rows: list[ThemeRow], period: Period, cfg: ReportConfig
) -> AccountsView | None:
    weeks = [w for w in period.history if w <= period.start][-(cfg.trailing_weeks + 1) :]
    w = it[it["week"].isin(weeks) & it["customer_id"].notna() & it["revenue"].notna()].copy()
    if w.empty:
        return None
    w["customer_id"] = w["customer_id"].astype(str)
    w["rated_sat"] = _rated_satisfaction(w)
    labels = {r.theme_id: r.label for r in rows}
    top_theme: dict[str, str] = {}
    if len(pairs):
        p = pairs[pairs["id"].isin(set(w["id"]))].merge(w[["id", "customer_id"]], on="id")
        if len(p):
            tops = p.groupby(["customer_id", "theme_id"]).size().reset_index(name="n")
            tops = tops.sort_values(["customer_id", "n", "theme_id"], ascending=[True, False, True])
            top_theme = {
                c: labels.get(t, t) for c, t in tops.drop_duplicates("customer_id")[["customer_id", "theme_id"]].itertuples(index=False)
            }  # fmt: skip
    # Vectorised per account: a weekly report may cover thousands of accounts.
    w["sent_sat"] = ((w["score"] + 1.0) * 50.0).clip(0, 100)
    w["neg"] = (w["label"] == "negative").astype(float).where(w["label"].notna())
    agg = w.groupby("customer_id").agg(
        revenue=("revenue", "max"),
        items=("id", "size"),
        rated=("rated_sat", "mean"),
        sent=("sent_sat", "mean"),
        share_negative=("neg", "mean"),
        segment=("segment", "last"),
    )
    agg["satisfaction"] = agg["rated"].fillna(agg["sent"])  # ratings first, see _account_satisfaction
    agg = agg[agg["satisfaction"].notna()]
    if agg.empty:
        return None
    threshold = float(np.quantile(agg["revenue"].to_numpy(), cfg.at_risk_revenue_quantile))
    # One bad survey answer is not a pattern: flag only accounts with enough items behind them.
    agg["at_risk"] = (
        (agg["revenue"] >= threshold)
        & (agg["satisfaction"] < cfg.at_risk_satisfaction)
        & (agg["items"] >= cfg.at_risk_min_items)
    )
    accounts = [
        Account(
            customer_id=str(cid),
            segment=_opt_str(r.segment),
            revenue=float(r.revenue),
            satisfaction=float(r.satisfaction),
            items=int(r.items),
            share_negative=_opt_float(r.share_negative),
            top_theme=top_theme.get(str(cid)),
            at_risk=bool(r.at_risk),
        )
        for cid, r in zip(agg.index, agg.itertuples(index=False), strict=True)
    ]
    at_risk = sorted((a for a in accounts if a.at_risk), key=lambda a: (-a.revenue, a.satisfaction))
    shown = {a.customer_id: a for a in at_risk[: cfg.max_accounts_listed]}
    for cid, g in w[w["customer_id"].isin(set(shown))].groupby("customer_id"):
        shown[cid].quote = _pick_quote(g, cfg.quote_chars)  # quotes only where the report shows them
    return AccountsView(
        accounts=accounts,
        revenue_threshold=threshold,
        satisfaction_threshold=cfg.at_risk_satisfaction,
        weeks=len(weeks),
        at_risk=at_risk,
        revenue_at_risk=float(sum(a.revenue for a in at_risk)),
    )


# -- analyst detail ----------------------------------------------------------------------------------------


def _coverage(it: pd.DataFrame, pairs: pd.DataFrame, rows: list[ThemeRow], period: Period) -> list[CountRow]:
    n = len(it)
    week = it[it["week"] == period.start]

    def pct(k: int, of: int) -> str:
        return f"{k / of * 100:.0f}%" if of else "–"

    out = [
        CountRow(
            label="Items stored",
            value=f"{n:,}",
            detail=(
                f"{it['created_at'].min():%Y-%m-%d} to {it['created_at'].max():%Y-%m-%d}" if n else "no items"
            ),
        ),
        CountRow(label=f"Items in {period.label}", value=f"{len(week):,}"),
    ]
    for (src, kind), g in it.groupby(["source", "kind"], dropna=False) if n else []:
        out.append(
            CountRow(
                label=f"Source {src if _opt_str(src) else '(none)'} ({kind})",
                value=f"{int((g['week'] == period.start).sum()):,} this week",
                detail=f"{len(g):,} in all",
            )
        )
    with_sent = int(week["label"].notna().sum())
    themed = int(pairs.loc[pairs["week"] == period.start, "id"].nunique()) if len(pairs) else 0
    rated = int(week["rating"].notna().sum())
    mapped = sum(
        1 for r in rows if r.journey_stage and r.pillar and UNMAPPED not in (r.journey_stage, r.pillar)
    )
    out += [
        CountRow(
            label="With sentiment (this week)", value=pct(with_sent, len(week)), detail=f"{with_sent:,} items"
        ),
        CountRow(label="With a theme (this week)", value=pct(themed, len(week)), detail=f"{themed:,} items"),
        CountRow(
            label="Themes mapped to stage and pillar",
            value=pct(mapped, len(rows)),
            detail=f"{mapped} of {len(rows)} themes",
        ),
        CountRow(label="With a rating (this week)", value=pct(rated, len(week)), detail=f"{rated:,} items"),
        CountRow(
            label="With a customer id / revenue (this week)",
            value=f"{pct(int(week['customer_id'].notna().sum()), len(week))} / "
            f"{pct(int(week['revenue'].notna().sum()), len(week))}",
        ),
    ]
    return out


def _quarantine(q: pd.DataFrame | None, period: Period) -> list[QuarantineCount]:
    if not _has(q, "source", "reason"):
        return []
    q = q.copy()
    if "quarantined_at" in q.columns:
        wk = week_starts(q["quarantined_at"])
        q["_this"] = (wk == period.start).astype(int)
    else:
        q["_this"] = 0
    g = (
        q.groupby(["source", "reason"])
        .agg(count=("reason", "size"), this_week=("_this", "sum"))
        .reset_index()
    )
    g = g.sort_values(["count", "source", "reason"], ascending=[False, True, True])
    return [
        QuarantineCount(
            source=str(r.source), reason=str(r.reason), count=int(r.count), this_week=int(r.this_week)
        )
        for r in g.itertuples(index=False)
    ]


def _runs(runs: pd.DataFrame | None, limit: int = 10) -> list[RunRow]:
    if not _has(runs, "job", "status"):
        return []
    r = (
        runs.sort_values("started_at", ascending=False).head(limit)
        if "started_at" in runs.columns
        else runs.head(limit)
    )
    out = []
    for rec in r.to_dict("records"):
        out.append(
            RunRow(
                job=str(rec["job"]),
                target=_opt_str(rec.get("target")),
                status=str(rec["status"]),
                started_at=None
                if pd.isna(rec.get("started_at"))
                else pd.Timestamp(rec["started_at"]).to_pydatetime(),
                finished_at=None
                if pd.isna(rec.get("finished_at"))
                else pd.Timestamp(rec["finished_at"]).to_pydatetime(),
                rows_read=None if pd.isna(rec.get("rows_read")) else int(rec["rows_read"]),
                stored=None if pd.isna(rec.get("stored")) else int(rec["stored"]),
                quarantined=None if pd.isna(rec.get("quarantined")) else int(rec["quarantined"]),
                error=_opt_str(rec.get("error")),
            )
        )
    return out


# -- entry point -------------------------------------------------------------------------------------------


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
) -> ReportData:
    """Compute the weekly report for `week` ('YYYY-Www'; default: the week just ended).

    `backlog` is a `voc.rank.backlog.Backlog`, a mapping with `entries`/`alerts`/`period`,
    or a list of entries; `alerts` adds alerts from elsewhere. `stage_order`/`pillar_order`
    (the taxonomy's entry names) order the heatmap. Only `items` is required.
    """
    cfg = config or ReportConfig()
    now = now or datetime.now(UTC)
    it = _prepare_items(items, sentiment)
    notes: list[str] = []

    entries, backlog_alerts, backlog_period = _backlog_parts(backlog)
    if backlog_period in ("none", "all"):
        backlog_period = None  # the ranking stage's "no period" / "everything": nothing to compare
    if week is None and backlog_period and _looks_like_week(backlog_period):
        week = backlog_period  # report on the week the backlog ranked, so the two agree
    start = parse_week(week) if week else default_week(it["week"].unique().tolist(), now)
    history = [start - timedelta(weeks=k) for k in range(cfg.history_weeks - 1, -1, -1)]
    period = Period(
        label=week_label(start),
        start=start,
        end=start + timedelta(days=6),
        history=history,
        trailing_weeks=min(cfg.trailing_weeks, cfg.history_weeks - 1),
    )
    if it.empty:
        notes.append("The store has no feedback items yet: run `voc ingest` first.")
    elif not (it["week"] == start).any():
        notes.append(f"No feedback items fall in {period.label} ({start:%d %b} to {period.end:%d %b %Y}).")
    missing: list[str] = []
    if not it["label"].notna().any():
        missing.append("sentiment")
    pairs = _theme_pairs(it, item_themes)
    if pairs.empty and not _has(theme_weekly, "theme_id"):
        missing.append("themes")
    rows = _theme_rows(pairs, themes, theme_weekly, theme_mapping, period, cfg)
    if rows and not _has(theme_mapping, "theme_id"):
        missing.append("journey stages and pillars")

    if entries is not None:
        if backlog_period and backlog_period not in (period.label, str(period.start)):
            notes.append(
                f"The backlog is for {backlog_period}, not {period.label}: its statuses were not used."
            )
        else:
            _apply_backlog(rows, entries, cfg)
    else:
        missing.append("ranked backlog")
    if missing and not it.empty:
        notes.append(
            f"Not in this report yet: {', '.join(missing)}. Those stages have not written their tables "
            "to this store; `voc run` runs every stage."
        )

    agg = _week_aggregates(it, history)
    metrics = _metrics(agg, period)
    active = [r for r in rows if r.volume > 0]
    top = active[: cfg.top_themes]
    rising = sorted((r for r in active if r.status == "rising"), key=lambda r: -(r.volume - r.prev_volume))
    new = sorted((r for r in active if r.status == "new"), key=lambda r: -r.volume)
    falling = sorted((r for r in rows if r.status == "falling"), key=lambda r: r.volume - r.prev_volume)
    alert_views = [_alert_view(a) for a in [*backlog_alerts, *alerts]]

    return ReportData(
        title=cfg.title,
        period=period,
        generated_at=now,
        metrics=metrics,
        headline=_headline(metrics, active, top, rising, new, falling, alert_views, period),
        volume_chart=_volume_chart(it, period),
        top_themes=top,
        rising=rising,
        new=new,
        falling=falling,
        alerts=alert_views,
        themes=rows,
        heatmap=_heatmap(pairs, theme_mapping, period, stage_order, pillar_order),
        sentiment_chart=_sentiment_chart(it, period),
        backlog=entries[: cfg.backlog_entries] if entries is not None else None,
        backlog_period=backlog_period,
        accounts=_accounts(it, pairs, rows, period, cfg),
        coverage=_coverage(it, pairs, rows, period),
        quarantine=_quarantine(quarantine, period),
        runs=_runs(runs),
        notes=notes,
    )
