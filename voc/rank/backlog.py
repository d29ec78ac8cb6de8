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

from voc.alerts.model import Alert
from voc.config.ranking import RankingConfig, RoutingRule
from voc.rank.impact import score_impact
from voc.rank.metrics import period_metrics
from voc.rank.periods import UNDATED as UNDATED_PERIOD
from voc.rank.periods import Window, week_window
from voc.rank.priority import rank_order, score_themes
from voc.rank.trend import trend_table
from voc.safe import safe_url

VERBATIM_CHARS = 280


class Verbatim(BaseModel):
    """A representative (redacted) quote with a link to its record.

    `text` is the item (cut around the mention when long); `highlight` is the
    [start, end) of the complaint (or praise) mention inside it, which the
    report and backlog.md show marked.
    """

    item_id: str
    text: str
    url: str | None = None
    sentiment: float | None = None
    highlight: list[int] | None = None


class BacklogEntry(BaseModel):
    """One ranked problem (or, in `Backlog.values`, one thing customers value). Field names are a
    contract with the report.

    An entry is a theme's complaints: the items with a negative mention of the
    theme, named by what those mentions say (`theme_label`, e.g. "Runs small");
    `theme_name` is the theme's own, neutral name (e.g. "Sizing and fit").
    """

    rank: int
    theme_id: str
    theme_label: str
    theme_name: str | None = None
    kind: str = "problem"  # problem | value
    group_label: str | None = None
    journey_stage: str | None = None
    pillar: str | None = None
    status: str
    score: float
    breakdown: dict[str, float]
    volume: int
    negative_volume: int = 0
    prev_volume: int = 0
    # Items in the focus period (the one compared with its baseline); None when nothing is compared.
    focus_volume: int | None = None
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
    period: str  # the window's label: '2026-W47', '2015-Q1 to 2020-Q1', 'undated'
    focus_period: str | None = None


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


def excerpt(
    text: str, start: int | None, end: int | None, limit: int = VERBATIM_CHARS
) -> tuple[str, list[int] | None]:
    """`text` cut to about `limit` characters around [start, end), and the span's place in the cut.

    Whitespace runs become one space (offsets follow); cut ends get an ellipsis.
    Without a span the text is cut from its start.
    """
    raw = str(text or "")
    if start is None or end is None or not (0 <= start < end <= len(raw)):
        return _clip(raw), None
    # Collapse whitespace while tracking where the span goes.
    out: list[str] = []
    a = b = None
    prev_space = True
    for i, ch in enumerate(raw):
        if i == start:
            a = len("".join(out)) if a is None else a
        if i == end:
            b = len("".join(out))
        if ch.isspace():
            if not prev_space:
                out.append(" ")
            prev_space = True
        else:
            out.append(ch)
            prev_space = False
    flat = "".join(out).rstrip()
    a = 0 if a is None else min(a, len(flat))
    b = len(flat) if b is None else min(b, len(flat))
    if len(flat) <= limit:
        return flat, [a, b]
    span = b - a
    if span >= limit - 2:
        return flat[a : a + limit - 1].rstrip() + "…", [0, min(span, limit - 1)]
    room = limit - 2 - span
    lo = max(0, a - room // 2)
    hi = min(len(flat), lo + limit - 2)
    lo = max(0, hi - (limit - 2))
    cut = flat[lo:hi]
    lead = "…" if lo > 0 else ""
    tail = "…" if hi < len(flat) else ""
    return f"{lead}{cut}{tail}", [a - lo + len(lead), b - lo + len(lead)]


def _examples(
    g: pd.DataFrame,
    n_verbatims: int,
    n_examples: int,
    template: str | None,
    spans: dict[tuple[str, int], tuple[int, int]] | None = None,
    kind: str = "problem",
) -> tuple[list[Verbatim], list[str], list[str | None]]:
    """Verbatims and example records of one entry, the strongest evidence first.

    A problem's best evidence is a customer unhappy overall who says it plainly:
    items by their overall tone (most negative first), then the complaint
    mention's own sentiment, then how close it is to the theme, then the newest.
    A value entry mirrors that (most positive first). The mention is marked in
    the verbatim.
    """
    sign = 1.0 if kind == "problem" else -1.0
    sent_col = "neg_sent" if kind == "problem" else "pos_sent"
    g = g.assign(
        _tone=(sign * g["item_score"].astype(float)).fillna(0.0),
        _sent=(sign * g["sentiment"].astype(float)).fillna(0.0),
        _score=g["mention_score"].fillna(0),
    )
    g = g.sort_values(
        ["_tone", "_sent", "_score", "created_at", "item_id"],
        ascending=[True, True, False, False, True],
        kind="mergesort",
        na_position="last",
    )
    verbatims: list[Verbatim] = []
    seen: set[str] = set()
    for row in g.to_dict("records"):
        if len(verbatims) >= n_verbatims:
            break
        k = row.get(sent_col)
        span = (
            spans.get((str(row["item_id"]), int(k))) if spans and k is not None and not pd.isna(k) else None
        )
        text, mark = excerpt(row["text"], *(span or (None, None)))
        key = text.lower()
        if not text or key in seen:
            continue
        seen.add(key)
        sent = row.get("sentiment")
        verbatims.append(
            Verbatim(
                item_id=str(row["item_id"]),
                text=text,
                url=_link(pd.Series(row), template),
                sentiment=None if sent is None or pd.isna(sent) else round(float(sent), 3),
                highlight=mark,
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


def entry_label(row: pd.Series | dict[str, Any], kind: str) -> str:
    """What an entry is called: a user's name for the theme, else its complaints' (praise's) own name.

    A theme named before it had complaints of its own falls back to its name, marked.
    """
    label = str(row.get("label") or row.get("theme_id") or "")
    if row.get("label_source") == "user":
        return label
    own = row.get("problem_label" if kind == "problem" else "praise_label")
    if isinstance(own, str) and own.strip():
        return own
    return f"{label} (complaints)" if kind == "problem" else f"{label} (praise)"


def build_entries(
    ti: pd.DataFrame,
    item_periods: pd.DataFrame,
    themes: pd.DataFrame,
    mapping: pd.DataFrame | None,
    window: Window | str,
    cfg: RankingConfig,
    *,
    kind: str = "problem",
    spans: dict[tuple[str, int], tuple[int, int]] | None = None,
    aspect_items: pd.DataFrame | None = None,
) -> list[BacklogEntry]:
    """Rank the themes' complaints (`kind` "problem") or praise ("value") over `window`.

    - `ti`: one row per (item, theme), from `voc.rank.metrics.theme_items`;
    - `item_periods`: every item's item_id, period, rating, rating_scale (exposure and score impact);
    - `themes`: theme_id, label, group_label, and when known problem_label, praise_label,
      label_source, opinion_share;
    - `mapping`: theme_id, journey_stage, pillar (or None);
    - `spans`: (item_id, sent_idx) -> the mention's character range in its item, to mark it in verbatims;
    - `aspect_items` (item_id, period, aspect_id for each entry's theme_id in column theme_id): when
      the entries are problems, the items of their aspect theme, so `share_negative` is the share of
      the aspect's items that raise the problem (else the share of the theme's own items).

    A problem is built from the items with a negative mention of the theme and
    counted, trended and ranked on them; praise never becomes one. A theme that
    is mostly verdicts without an aspect ("Love it", "Not happy": `opinion_share`
    above `ranking.max_opinion_share`) names no problem and is left out. Volume
    and the other metrics count the window's ranked periods; growth and status
    compare its focus period with its baseline. An entry needs `min_volume`
    items in the window, unless it is `resolved` (gone in the focus, clearly
    present before it) so its ticket can be closed.
    """
    if isinstance(window, str):
        window = week_window(window, cfg.baseline_periods, cfg.period)
    polar = "negative" if kind == "problem" else "positive"
    ranked = set(window.ranked_periods)
    focus = window.focus
    baseline = list(window.baseline)
    labels = themes.set_index("theme_id")
    known = set(labels.index)
    if "opinion_share" in labels.columns:
        share = pd.to_numeric(labels["opinion_share"], errors="coerce").fillna(0.0)
        known -= set(share[share > cfg.max_opinion_share].index)
    ti = ti[ti["theme_id"].isin(known)]
    # Labels sort in time order (zero-padded): nothing after the window counts.
    last = window.periods[-1] if window.periods else None
    if last is not None and not window.undated and window.granularity != "all":
        ti = ti[(ti["period"] <= last) | (ti["period"] == UNDATED_PERIOD)]
        item_periods = item_periods[item_periods["period"] <= last]
    theme_size = ti[ti["period"].isin(ranked)].groupby("theme_id").size()
    if aspect_items is not None and len(aspect_items):
        a = aspect_items[aspect_items["period"].isin(ranked)]
        theme_size = a.groupby("theme_id")["item_id"].nunique()
    # Without any sentiment (the stage has not run) every item could be a complaint, as in period_metrics.
    unknown = ~ti["known_sentiment"].astype(bool) if kind == "problem" else False
    ti = ti[ti[polar].astype(bool) | unknown]
    if ti.empty:
        return []
    in_window = ti[ti["period"].isin(ranked)]
    themes_seen = sorted(set(in_window["theme_id"]) | (set(ti[ti["period"].isin(baseline)]["theme_id"])))
    first = in_window.groupby("theme_id")["created_at"].min()
    last_seen = in_window.groupby("theme_id")["created_at"].max()
    if focus is not None:
        trend_periods = [*baseline, focus]
        counts = (
            ti[ti["period"].isin(trend_periods)].groupby(["theme_id", "period"]).size().unstack(fill_value=0)
        )
        counts = counts.reindex(index=themes_seen, fill_value=0)
        exposure = item_periods.groupby("period").size()
        first_period = ti.sort_values("created_at").groupby("theme_id")["period"].first()
        trend = trend_table(
            counts,
            exposure,
            focus,
            baseline,
            first_period,
            alpha=cfg.alpha,
            min_rising_volume=cfg.min_rising_volume,
        )
        # A theme first seen after the focus (in a trailing partial period) is new too.
        later = first_period.reindex(trend.index)
        trend.loc[(later > focus).fillna(False) & (trend["status"] == "steady"), "status"] = "new"
        trend = trend.rename(columns={"volume": "focus_volume"})
    else:
        trend = pd.DataFrame(index=pd.Index(themes_seen, name="theme_id"))
        for col in ("focus_volume", "prev_volume", "base_volume"):
            trend[col] = 0
        for col in ("growth", "growth_p"):
            trend[col] = None
        trend["status"] = "steady"  # nothing to compare with: no claim of change
    metrics = period_metrics(ti, sorted(ranked), cfg.severity_patterns)
    table = trend.join(metrics, how="left")
    table["volume"] = table["volume"].fillna(0).astype(int)
    # The share of the theme's items in the window that carry its complaint (praise).
    sizes = theme_size.reindex(table.index).fillna(0)
    table["share_negative"] = (table["volume"] / sizes.where(sizes > 0)).astype(float).clip(upper=1.0)
    if kind == "value":
        table["negative_volume"] = 0
    keep = (table["volume"] >= cfg.min_volume) | (table["status"] == "resolved")
    table = table[keep].copy()
    if table.empty:
        return []
    for col, fill in (("negative_volume", 0), ("unique_customers", 0), ("severity_share", 0.0)):
        table[col] = table[col].fillna(fill)
    table["severity"] = table["severity"].map(lambda v: v if isinstance(v, list) else [])

    members = {t: set(g["item_id"]) for t, g in in_window.groupby("theme_id")}
    members = {t: members.get(t, set()) for t in table.index}
    rated = item_periods[item_periods["period"].isin(ranked) & item_periods["rating"].notna()]
    nps_rated = rated[rated["rating_scale"] == "nps"]
    csat_rated = rated[rated["rating_scale"].isin(cfg.csat_scales)]
    table["nps_impact"] = pd.Series(score_impact(nps_rated, members, "nps"), dtype=object)
    table["csat_impact"] = pd.Series(score_impact(csat_rated, members, "csat"), dtype=object)
    table["theme_label"] = [entry_label(labels.loc[t].to_dict() | {"theme_id": t}, kind) for t in table.index]
    table.index.name = None
    table["theme_id"] = table.index
    if kind == "problem":
        table = rank_order(score_themes(table, cfg.weights, cfg.severity_full_share)).head(cfg.top_n)
    else:  # what customers value: the most praised first; no priority points
        table = table.assign(score=0.0, breakdown=[{} for _ in range(len(table))])
        table = table.sort_values(["volume", "unique_customers", "theme_label"], ascending=[False, False, True],
                                  kind="mergesort").head(cfg.top_n)  # fmt: skip

    mp = mapping.set_index("theme_id") if mapping is not None and len(mapping) else None
    entries: list[BacklogEntry] = []
    for rank, (t, r) in enumerate(table.iterrows(), start=1):
        stage = _none(mp.at[t, "journey_stage"]) if mp is not None and t in mp.index else None
        pillar = _none(mp.at[t, "pillar"]) if mp is not None and t in mp.index else None
        group = _none(labels.at[t, "group_label"]) if "group_label" in labels.columns else None
        verbatims, ids, urls = _examples(
            in_window[in_window["theme_id"] == t], cfg.verbatims, cfg.examples, cfg.link_template, spans, kind
        )
        entries.append(
            BacklogEntry(
                rank=rank,
                theme_id=str(t),
                theme_label=str(r["theme_label"]),
                theme_name=_none(labels.at[t, "label"]),
                kind=kind,
                group_label=group,
                journey_stage=stage,
                pillar=pillar,
                status=str(r["status"]),
                score=float(r["score"]),
                breakdown=r["breakdown"],
                volume=int(r["volume"]),
                negative_volume=int(r["negative_volume"]),
                prev_volume=int(r["prev_volume"]),
                focus_volume=int(r["focus_volume"]) if focus is not None else None,
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
                last_seen=_iso(last_seen.get(t)),
                owner=route_owner(stage, pillar, group, cfg.routing, cfg.default_owner),
                period=window.label,
                focus_period=focus,
            )
        )
    return entries


def _round(v: Any, digits: int) -> float | None:
    v = _none(v)
    return None if v is None else round(float(v), digits)


class Backlog(BaseModel):
    """The ranked problems of one window, what customers value in it, and the alerts it raised."""

    period: str
    entries: list[BacklogEntry] = Field(default_factory=list)
    values: list[BacklogEntry] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    # What delivering the alerts did (voc.alerts.deliver.DispatchResult); None when alerts are off.
    delivery: Any = Field(default=None, exclude=True)


def _sig(v: Any) -> float | None:
    """Three significant digits: p-values far below 1e-6 must not print as 0."""
    v = _none(v)
    return None if v is None else float(f"{float(v):.3g}")
