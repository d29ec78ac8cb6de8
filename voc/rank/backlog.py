"""The backlog entry model and building entries from the stage tables' frames (pure).

`build_entries` joins per-theme metrics (volume, customers, negativity,
sentiment, severity), score impact, trend/status and the taxonomy mapping,
scores and ranks them, and picks verbatims and example records.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from voc.alerts.rules import Alert
from voc.config.ranking import RankingConfig, RoutingRule
from voc.rank.impact import score_impact
from voc.rank.metrics import period_metrics
from voc.rank.periods import previous_periods
from voc.rank.priority import rank_order, score_themes
from voc.rank.trend import trend_table
from voc.safe import safe_url

VERBATIM_CHARS = 280


class Verbatim(BaseModel):
    """A representative (redacted) quote with a link to its record."""

    item_id: str
    text: str
    url: str | None = None
    sentiment: float | None = None


class BacklogEntry(BaseModel):
    """One ranked theme. Field names are a contract with the report."""

    rank: int
    theme_id: str
    theme_label: str
    group_label: str | None = None
    journey_stage: str | None = None
    pillar: str | None = None
    status: str
    score: float
    breakdown: dict[str, float]
    volume: int
    negative_volume: int = 0
    prev_volume: int = 0
    unique_customers: int = 0
    share_negative: float | None = None
    mean_sentiment: float | None = None
    growth: float | None = None
    growth_p: float | None = None
    nps_impact: float | None = None
    csat_impact: float | None = None
    revenue_at_risk: float | None = None
    severity: list[str] = Field(default_factory=list)
    verbatims: list[Verbatim] = Field(default_factory=list)
    example_ids: list[str] = Field(default_factory=list)
    example_urls: list[str | None] = Field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    owner: str | None = None
    period: str


def route_owner(
    stage: str | None, pillar: str | None, group: str | None, rules: list[RoutingRule], default: str
) -> str:
    """The owner of the first routing rule whose given fields all match."""
    for r in rules:
        checks = [(r.journey_stage, stage), (r.pillar, pillar), (r.group, group)]
        if all(want is None or want == have for want, have in checks) and any(
            w is not None for w, _ in checks
        ):
            return r.owner
    return default


def _link(row: pd.Series, template: str | None) -> str | None:
    # Only http(s) links back to records: a `javascript:` url column stays out
    # of every backlog file and alert.
    url = row.get("url")
    if isinstance(url, str) and url:
        return safe_url(url)
    if template:
        ext = row.get("external_id")
        values = {
            "id": row["item_id"],
            "external_id": ext if isinstance(ext, str) and ext else row["item_id"],
        }
        try:
            return safe_url(template.format(**values))
        except (KeyError, IndexError):
            return None
    return None


def _clip(text: Any) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= VERBATIM_CHARS else s[: VERBATIM_CHARS - 1].rstrip() + "…"


def _examples(
    g: pd.DataFrame, n_verbatims: int, n_examples: int, template: str | None
) -> tuple[list[Verbatim], list[str], list[str | None]]:
    # Negative items first (the backlog is about problems), then the closest to the theme, then newest.
    g = g.assign(_neg=g["negative"].astype(bool), _score=g["mention_score"].fillna(0))
    g = g.sort_values(
        ["_neg", "_score", "created_at", "item_id"], ascending=[False, False, False, True], kind="mergesort"
    )
    verbatims: list[Verbatim] = []
    seen: set[str] = set()
    for _, row in g.iterrows():
        if len(verbatims) >= n_verbatims:
            break
        text = _clip(row["text"])
        key = text.lower()
        if not text or key in seen:
            continue
        seen.add(key)
        sent = row.get("sentiment")
        verbatims.append(
            Verbatim(
                item_id=str(row["item_id"]),
                text=text,
                url=_link(row, template),
                sentiment=None if sent is None or pd.isna(sent) else round(float(sent), 3),
            )
        )
    ex = g.head(n_examples)
    return verbatims, [str(i) for i in ex["item_id"]], [_link(r, template) for _, r in ex.iterrows()]


def _iso(ts: Any) -> str | None:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)) or pd.isna(ts):
        return None
    return pd.Timestamp(ts).isoformat()


def _none(v: Any) -> Any:
    if v is None:
        return None
    try:
        return None if pd.isna(v) else v
    except (TypeError, ValueError):
        return v


def build_entries(
    ti: pd.DataFrame,
    item_periods: pd.DataFrame,
    themes: pd.DataFrame,
    mapping: pd.DataFrame | None,
    period: str,
    cfg: RankingConfig,
) -> list[BacklogEntry]:
    """Rank the themes for `period`.

    - `ti`: one row per (item, theme), from `voc.rank.metrics.theme_items`;
    - `item_periods`: every item's item_id, period, rating, rating_scale (exposure and score impact);
    - `themes`: theme_id, label, group_label;
    - `mapping`: theme_id, journey_stage, pillar (or None).
    A theme is ranked when it has at least `min_volume` items in the period,
    or is `resolved` (silent now, seen in the baseline) so its ticket can be closed.
    """
    baseline = previous_periods(period, cfg.period, cfg.baseline_periods)
    window = [*baseline, period]
    # Labels sort in time order (zero-padded), so this drops anything after the period.
    ti = ti[ti["period"] <= period]
    item_periods = item_periods[item_periods["period"] <= period]
    labels = themes.set_index("theme_id")
    known = set(labels.index)
    ti = ti[ti["theme_id"].isin(known)]
    if ti.empty:
        return []
    counts = ti[ti["period"].isin(window)].groupby(["theme_id", "period"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=sorted(set(ti["theme_id"])), fill_value=0)
    exposure = item_periods.groupby("period").size()
    first = ti.groupby("theme_id")["created_at"].min()
    last = ti.groupby("theme_id")["created_at"].max()
    first_period = ti.sort_values("created_at").groupby("theme_id")["period"].first()
    trend = trend_table(
        counts,
        exposure,
        period,
        baseline,
        first_period,
        alpha=cfg.alpha,
        min_rising_volume=cfg.min_rising_volume,
    )
    metrics = period_metrics(ti, period, cfg.severity_patterns)
    table = trend.join(metrics.drop(columns=["volume"], errors="ignore"), how="left")
    keep = (table["volume"] >= cfg.min_volume) | (table["status"] == "resolved")
    table = table[keep].copy()
    if table.empty:
        return []
    for col, fill in (("negative_volume", 0), ("unique_customers", 0), ("severity_share", 0.0)):
        table[col] = table[col].fillna(fill)
    table["severity"] = table["severity"].map(lambda v: v if isinstance(v, list) else [])

    cur_items = ti[ti["period"] == period]
    members = {t: set(g["item_id"]) for t, g in cur_items.groupby("theme_id")}
    members = {t: members.get(t, set()) for t in table.index}
    rated = item_periods[(item_periods["period"] == period) & item_periods["rating"].notna()]
    nps_rated = rated[rated["rating_scale"] == "nps"]
    csat_rated = rated[rated["rating_scale"].isin(cfg.csat_scales)]
    table["nps_impact"] = pd.Series(score_impact(nps_rated, members, "nps"), dtype=object)
    table["csat_impact"] = pd.Series(score_impact(csat_rated, members, "csat"), dtype=object)
    table["theme_label"] = [str(labels.at[t, "label"]) for t in table.index]
    table.index.name = None
    table["theme_id"] = table.index
    table = rank_order(score_themes(table, cfg.weights, cfg.severity_full_share)).head(cfg.top_n)

    mp = mapping.set_index("theme_id") if mapping is not None and len(mapping) else None
    entries: list[BacklogEntry] = []
    for rank, (t, r) in enumerate(table.iterrows(), start=1):
        stage = _none(mp.at[t, "journey_stage"]) if mp is not None and t in mp.index else None
        pillar = _none(mp.at[t, "pillar"]) if mp is not None and t in mp.index else None
        group = _none(labels.at[t, "group_label"]) if "group_label" in labels.columns else None
        verbatims, ids, urls = _examples(
            cur_items[cur_items["theme_id"] == t], cfg.verbatims, cfg.examples, cfg.link_template
        )
        entries.append(
            BacklogEntry(
                rank=rank,
                theme_id=str(t),
                theme_label=str(r["theme_label"]),
                group_label=group,
                journey_stage=stage,
                pillar=pillar,
                status=str(r["status"]),
                score=float(r["score"]),
                breakdown=r["breakdown"],
                volume=int(r["volume"]),
                negative_volume=int(r["negative_volume"]),
                prev_volume=int(r["prev_volume"]),
                unique_customers=int(r["unique_customers"]),
                share_negative=_round(r.get("share_negative"), 4),
                mean_sentiment=_round(r.get("mean_sentiment"), 4),
                growth=_round(r.get("growth"), 4),
                growth_p=_sig(r.get("growth_p")),
                nps_impact=_round(r.get("nps_impact"), 2),
                csat_impact=_round(r.get("csat_impact"), 2),
                revenue_at_risk=_round(r.get("revenue_at_risk"), 2),
                severity=list(r["severity"]),
                verbatims=verbatims,
                example_ids=ids,
                example_urls=urls,
                first_seen=_iso(first.get(t)),
                last_seen=_iso(last.get(t)),
                owner=route_owner(stage, pillar, group, cfg.routing, cfg.default_owner),
                period=period,
            )
        )
    return entries


def _round(v: Any, digits: int) -> float | None:
    v = _none(v)
    return None if v is None else round(float(v), digits)


class Backlog(BaseModel):
    """The ranked backlog of one period and the alerts it raised."""

    period: str
    entries: list[BacklogEntry] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)


def _sig(v: Any) -> float | None:
    """Three significant digits: p-values far below 1e-6 must not print as 0."""
    v = _none(v)
    return None if v is None else float(f"{float(v):.3g}")
