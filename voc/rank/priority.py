"""The priority score: a sum of points per component, each capped by its weight (pure).

Every component is scaled to [0, 1] and multiplied by its weight from
`ranking.weights`, so the breakdown says exactly where each point came from
and the points add up to the score:

- negative_volume: log(1 + items with a negative mention) / log(1 + the largest such count);
- customers: log(1 + unique customers) / log(1 + the largest count);
- negative_share: share of the theme's items that are negative;
- growth: new themes, and rising ones at min(1, log2(growth) / 2) (4x = full points);
  nothing unless the trend test called the theme new or rising;
- score_impact: NPS points plus CSAT points the theme costs, vs the costliest theme;
- revenue: revenue at risk vs the largest;
- severity: share of items with a cancel/churn/legal/safety signal / `severity_full_share`.
"""

from __future__ import annotations

import math

import pandas as pd

from voc.config.ranking import PriorityWeights

COMPONENTS = (
    "negative_volume",
    "customers",
    "negative_share",
    "growth",
    "score_impact",
    "revenue",
    "severity",
)


def _log_scaled(values: pd.Series) -> pd.Series:
    v = values.fillna(0).astype(float).clip(lower=0)
    top = math.log1p(v.max()) if len(v) else 0.0
    return v.map(lambda x: math.log1p(x) / top) if top > 0 else v * 0.0


def _linear_scaled(values: pd.Series) -> pd.Series:
    v = values.fillna(0).astype(float).clip(lower=0)
    top = v.max() if len(v) else 0.0
    return v / top if top > 0 else v * 0.0


def _growth_factor(status: str, growth: float | None) -> float:
    if status == "new":
        return 1.0
    if status != "rising":
        return 0.0
    if growth is None or not math.isfinite(growth) or growth <= 1:
        return 1.0 if growth is None else 0.0
    return min(1.0, math.log2(growth) / 2)


def score_themes(
    table: pd.DataFrame, weights: PriorityWeights, severity_full_share: float = 0.2
) -> pd.DataFrame:
    """Add `score` and `breakdown` (component -> points) to a per-theme metrics table.

    Needs columns negative_volume, unique_customers, share_negative, status,
    growth, nps_impact, csat_impact, revenue_at_risk, severity_share.
    """
    t = table
    drag = (
        t["nps_impact"].astype(float).clip(upper=0).fillna(0).abs()
        + t["csat_impact"].astype(float).clip(upper=0).fillna(0).abs()
    )
    unit = pd.DataFrame(
        {
            "negative_volume": _log_scaled(t["negative_volume"]),
            "customers": _log_scaled(t["unique_customers"]),
            "negative_share": t["share_negative"].astype(float).fillna(0).clip(0, 1),
            "growth": [
                _growth_factor(s, None if pd.isna(g) else float(g))
                for s, g in zip(t["status"], t["growth"], strict=True)
            ],
            "score_impact": _linear_scaled(drag),
            "revenue": _linear_scaled(t["revenue_at_risk"]),
            "severity": (t["severity_share"].astype(float).fillna(0) / severity_full_share).clip(0, 1),
        },
        index=t.index,
    )
    w = weights.model_dump()
    breakdowns = []
    scores = []
    for idx in t.index:
        points = {c: round(float(unit.at[idx, c]) * w[c], 2) for c in COMPONENTS}
        breakdowns.append(points)
        scores.append(round(sum(points.values()), 2))
    return t.assign(score=scores, breakdown=breakdowns)


def rank_order(table: pd.DataFrame) -> pd.DataFrame:
    """Sort by score; ties go to more negative items, then more items, then label and id (stable, reproducible)."""
    return table.sort_values(
        ["score", "negative_volume", "volume", "theme_label", "theme_id"],
        ascending=[False, False, False, True, True],
        kind="mergesort",
    )
