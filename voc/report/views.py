"""Data behind the charts: stage-by-pillar heatmap, weekly volume and negativity, accounts by revenue and satisfaction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.config.report import ReportConfig
from voc.report.inputs import JOURNEY_ORDER, KINDS, UNMAPPED, has, opt_float, opt_str, pick_quote
from voc.report.models import (
    Account,
    AccountsView,
    HeatCell,
    Heatmap,
    Period,
    Series,
    ThemeRow,
    TimeChart,
)


def _in_order(names: list[str], order: list[str]) -> list[str]:
    """`names` in the order of `order`; names it does not list follow in their incoming order."""
    low = [o.lower() for o in order]
    return sorted(names, key=lambda n: low.index(n.lower()) if n.lower() in low else len(low))  # stable


def build_heatmap(
    pairs: pd.DataFrame,
    mapping: pd.DataFrame | None,
    period: Period,
    stage_order: list[str] | None = None,
    pillar_order: list[str] | None = None,
) -> Heatmap | None:
    """Item-theme pairs of the report week by journey stage and pillar; None without a mapping."""
    if not has(mapping, "theme_id", "journey_stage", "pillar") or not len(pairs):
        return None
    m = mapping[["theme_id", "journey_stage", "pillar"]].copy()
    m["theme_id"] = m["theme_id"].astype(str)
    p = pairs[pairs["week"].isin(set(period.scope_buckets))].merge(m, on="theme_id", how="left")
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
    stages = _in_order(sorted({str(s) for s in p["journey_stage"]}), stage_order or JOURNEY_ORDER)
    by_volume = list(p.groupby("pillar").size().sort_values(ascending=False, kind="stable").index.astype(str))
    pillars = _in_order(by_volume, pillar_order or [])
    cells: list[list[HeatCell]] = []
    for s in stages:
        row = []
        for pl in pillars:
            c = p[(p["journey_stage"] == s) & (p["pillar"] == pl)]
            ws = c[c["label"].notna()]
            row.append(
                HeatCell(
                    count=len(c),
                    share_negative=float(ws["complaint"].mean()) if len(ws) else None,
                )
            )
        cells.append(row)
    return Heatmap(stages=stages, pillars=pillars, cells=cells, unmapped=unmapped)


def _chart_marks(period: Period) -> dict:
    partial = set(period.partial)
    focus = period.history.index(period.focus) if period.focus in period.history else None
    if period.scope == "period":
        focus = -1  # the report week, the last bar
    return {"partial": [d in partial for d in period.history], "focus_index": focus}


def volume_chart(it: pd.DataFrame, period: Period) -> TimeChart:
    """Items per period by source kind, over the history window."""
    w = it[it["week"].isin(period.history)]
    kinds = [k for k in KINDS if (w["kind"] == k).any()] + sorted(set(w["kind"]) - set(KINDS))
    series = []
    for k in kinds:
        per = w[w["kind"] == k].groupby("week").size()
        vals = [int(per.get(d, 0)) for d in period.history]
        series.append(Series(name=k, values=[float(v) for v in vals], counts=vals))
    return TimeChart(labels=period.history_labels, series=series, unit="count", **_chart_marks(period))


def sentiment_chart(it: pd.DataFrame, period: Period) -> TimeChart | None:
    """Share of negative items per week, overall and by source kind; None without sentiment."""
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
    return TimeChart(labels=period.history_labels, series=series, unit="pct", **_chart_marks(period))


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


def build_accounts(
    it: pd.DataFrame, pairs: pd.DataFrame, rows: list[ThemeRow], period: Period, cfg: ReportConfig
) -> AccountsView | None:
    """Accounts with revenue by satisfaction over the recent weeks, and the high-revenue unhappy ones."""
    if period.scope == "window":
        weeks = list(period.scope_buckets)
    else:
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
            segment=opt_str(r.segment),
            revenue=float(r.revenue),
            satisfaction=float(r.satisfaction),
            items=int(r.items),
            share_negative=opt_float(r.share_negative),
            top_theme=top_theme.get(str(cid)),
            at_risk=bool(r.at_risk),
        )
        for cid, r in zip(agg.index, agg.itertuples(index=False), strict=True)
    ]
    at_risk = sorted((a for a in accounts if a.at_risk), key=lambda a: (-a.revenue, a.satisfaction))
    shown = {a.customer_id: a for a in at_risk[: cfg.max_accounts_listed]}
    for cid, g in w[w["customer_id"].isin(set(shown))].groupby("customer_id"):
        shown[cid].quote = pick_quote(g, cfg.quote_chars)  # quotes only where the report shows them
    return AccountsView(
        accounts=accounts,
        revenue_threshold=threshold,
        satisfaction_threshold=cfg.at_risk_satisfaction,
        weeks=len(weeks),
        at_risk=at_risk,
        revenue_at_risk=float(sum(a.revenue for a in at_risk)),
    )
