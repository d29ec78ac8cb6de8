"""KPIs per period (volume, negative share, sentiment, NPS, CSAT, stars) against the last period and the trailing ones."""

from __future__ import annotations

from datetime import date

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


_SPEC = [
    ("volume", "Feedback items", "count", None),
    ("negative", "Negative", "pct", False),
    ("sentiment", "Mean sentiment", "score", True),
    ("nps", "NPS", "nps", True),
    ("csat", "CSAT (satisfied)", "pct", True),
    ("stars", "Review rating", "stars", True),
]
_COUNT_COL = {
    "nps": "nps_n",
    "csat": "csat_n",
    "stars": "stars_n",
    "negative": "with_sent",
    "sentiment": "score_n",
}


def _metrics(
    agg: pd.DataFrame,
    cur_periods: list[date],
    prev_period: date | None,
    trailing: list[date],
    history: list[date],
) -> list[Metric]:
    """KPI cards: the pooled `cur_periods` against `prev_period` and the mean of the `trailing` periods."""
    known = [p for p in cur_periods if p in agg.index]
    cur = _metric_values(agg.loc[known].sum() if known else agg.iloc[:0].sum())
    prev = (
        _metric_values(agg.loc[prev_period]) if prev_period is not None and prev_period in agg.index else {}
    )
    trailing = [w for w in trailing if w in agg.index]
    trail = _metric_values(agg.loc[trailing].sum()) if trailing else {}
    if trail:  # volume is a per-period mean, the rates are pooled over the trailing periods
        v = trail["volume"]
        trail["volume"] = (v[0] / len(trailing) if v[0] is not None else None, v[1])
    out: list[Metric] = []
    for key, label, unit, better in _SPEC:
        value, n = cur[key]
        has_history = any(agg.loc[w, _COUNT_COL.get(key, "volume")] > 0 for w in history if w in agg.index)
        if key in _COUNT_COL and not has_history:
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


def compute_metrics(agg: pd.DataFrame, period: Period) -> list[Metric]:
    """The KPI cards for the report's scope; rating KPIs only when that kind of rating exists.

    The weekly report compares its week with the last one and the trailing weeks; a
    window report's cards cover the whole window and carry no comparison (see `compute_latest`).
    """
    if period.scope == "window":
        return _metrics(agg, period.scope_buckets, None, [], period.history)
    trailing = [w for w in period.history if w < period.start][-period.trailing_weeks :]
    return _metrics(agg, period.scope_buckets, period.prev, trailing, period.history)


def compute_latest(agg: pd.DataFrame, period: Period) -> list[Metric]:
    """The focus period's KPIs against the period before it and its trailing average; [] without a focus."""
    if period.focus is None:
        return []
    trailing = (
        [w for w in period.history if w < period.focus][-period.trailing_weeks :]
        if period.trailing_weeks
        else []
    )
    return _metrics(agg, [period.focus], period.prev, trailing, period.history)
