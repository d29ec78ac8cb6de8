"""KPIs per ISO week (volume, negative share, sentiment, NPS, CSAT, stars) against last week and the trailing weeks."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from voc.report.models import (
    Metric,
    Period,
)


def week_aggregates(it: pd.DataFrame, weeks: list[date]) -> pd.DataFrame:
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


def compute_metrics(agg: pd.DataFrame, period: Period) -> list[Metric]:
    """The KPI cards for the report week; rating KPIs only when that kind of rating exists."""
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
