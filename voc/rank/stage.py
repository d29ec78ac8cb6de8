"""The backlog stage (store in, files and store out): rank themes, write the backlog, raise alerts.

Reads `items`, `mentions` (+ `sentence_sentiment`, `item_sentiment`),
`themes` and `theme_mapping`; writes backlog.csv, backlog.json, backlog.md
and backlog_jira.csv to `out_dir`, the period's rows of the `backlog`
table, and (when `alerts.enabled`) delivers new alerts through the outbox
in `alerts_sent`.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from voc.alerts.deliver import dispatch, known_keys, muted_themes
from voc.alerts.rules import evaluate_alerts
from voc.config import VocConfig
from voc.rank.backlog import Backlog, build_entries
from voc.rank.metrics import theme_items
from voc.rank.periods import parse_period, period_labels
from voc.rank.writers import write_backlog

log = logging.getLogger(__name__)

UNASSIGNED = "unassigned"
TABLE = "backlog"


def load_inputs(
    store: Any, granularity: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """(theme items, item periods, themes, mapping) frames from the store."""
    items = store.query(
        "SELECT id, external_id, created_at, text, rating, rating_scale, customer_id, "
        # Stores written before revenue was checked at ingest may hold inf or negatives.
        "CASE WHEN isfinite(revenue) AND revenue >= 0 THEN revenue END AS revenue, url FROM items"
    )
    if store.table_exists("sentence_sentiment"):
        mentions = store.query(
            "SELECT m.item_id, m.sent_idx, m.theme_id, m.score, s.label, s.score AS sentiment FROM mentions m "
            "LEFT JOIN sentence_sentiment s USING (item_id, sent_idx)"
        )
    else:
        mentions = store.query("SELECT item_id, sent_idx, theme_id, score FROM mentions")
    isent = (
        store.query("SELECT item_id, label, score FROM item_sentiment")
        if store.table_exists("item_sentiment")
        else None
    )
    themes = store.query(f"SELECT * FROM themes WHERE theme_id <> '{UNASSIGNED}'")
    if "group_label" not in themes.columns:
        themes["group_label"] = None
    mapping = (
        store.query("SELECT theme_id, journey_stage, pillar FROM theme_mapping")
        if store.table_exists("theme_mapping")
        else None
    )
    ti = theme_items(items, mentions, isent, granularity)
    item_periods = pd.DataFrame(
        {
            "item_id": items["id"],
            "period": period_labels(items["created_at"], granularity),
            "rating": items["rating"],
            "rating_scale": items["rating_scale"],
        }
    )
    return ti, item_periods, themes[["theme_id", "label", "group_label"]], mapping


def default_period(periods: pd.Series, granularity: str, now: datetime | None = None) -> str | None:
    """The latest period with data, unless that is the still-running one: then the one before it."""
    if granularity == "all":
        return "all"
    labels = sorted(set(periods.dropna()))
    if not labels:
        return None
    latest = labels[-1]
    now = now or datetime.now(UTC)
    current = period_labels(pd.Series([pd.Timestamp(now)]), granularity).iloc[0]
    if latest < current:
        return latest
    prev = _previous(current, granularity)
    # Data only in the running period (a fresh export): rank that rather than nothing.
    return prev if prev in labels else latest


def _previous(label: str, granularity: str) -> str:
    from voc.rank.periods import previous_periods

    return previous_periods(label, granularity, 1)[0]


def _table_frame(backlog: Backlog) -> pd.DataFrame:
    rows = []
    for e in backlog.entries:
        d = e.model_dump()
        for k in ("breakdown", "severity", "verbatims", "example_ids", "example_urls"):
            d[k] = json.dumps(d[k], ensure_ascii=False)
        rows.append(d)
    frame = pd.DataFrame(rows)
    # Fixed types, so a first run with all-empty columns does not create them as the wrong type.
    floats = ["score", "share_negative", "mean_sentiment", "growth", "growth_p", "nps_impact", "csat_impact",
              "revenue_at_risk"]  # fmt: skip
    ints = ["rank", "volume", "negative_volume", "prev_volume", "unique_customers"]
    for col in frame.columns:
        if col in floats:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        elif col in ints:
            frame[col] = frame[col].astype("int64")
        else:
            frame[col] = (
                frame[col]
                .astype(object)
                .where(frame[col].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
    return frame


def build_backlog(
    store: Any, config: VocConfig, out_dir: Path, period: str | None = None, *, now: datetime | None = None
) -> Backlog:
    """Rank the period's themes, write the four backlog files and the `backlog` table, raise alerts."""
    t0 = time.perf_counter()
    cfg = config.ranking
    if not store.table_exists("themes") or not store.table_exists("mentions"):
        log.info("backlog: no themes yet (run the themes stage first); writing an empty backlog")
        backlog = Backlog(period=period or "none")
        write_backlog(backlog, Path(out_dir), cfg.jira_project, cfg.jira_issue_type)
        return backlog
    ti, item_periods, themes, mapping = load_inputs(store, cfg.period)
    if period is None:
        period = default_period(item_periods["period"], cfg.period, now) or "none"
    elif cfg.period != "all":
        parse_period(period, cfg.period)  # a clear error for a label that does not fit
    entries = build_entries(ti, item_periods, themes, mapping, period, cfg) if period != "none" else []
    backlog = Backlog(period=period, entries=entries)

    already = known_keys(store) if config.alerts.enabled else set()
    muted = muted_themes(store) if store.table_exists("alert_mutes") else set()
    backlog.alerts = evaluate_alerts(entries, config.alerts, muted=muted, already_sent=already)

    # The backlog is written before any delivery, so a bad alert setting cannot cost it.
    paths = write_backlog(backlog, Path(out_dir), cfg.jira_project, cfg.jira_issue_type)
    frame = _table_frame(backlog)
    with store.transaction():
        if store.table_exists(TABLE):
            store.execute(f"DELETE FROM {TABLE} WHERE period = ?", [period])
        if len(frame):
            store.write_frame(TABLE, frame)
    if config.alerts.enabled:
        backlog.delivery = dispatch(store, backlog.alerts, config.alerts)
    statuses = pd.Series([e.status for e in entries]).value_counts().to_dict() if entries else {}
    # Alerts are always evaluated (the report lists them); ops must see whether they went out.
    sent = backlog.delivery.summary() if backlog.delivery is not None else "not sent: alerts.enabled is false"
    log.info(
        "backlog: ranked %d themes for %s (%s), %d alerts (%s), wrote %s in %.1f s",
        len(entries), period, ", ".join(f"{v} {k}" for k, v in statuses.items()) or "none",
        len(backlog.alerts), sent, ", ".join(p.name for p in paths.values()), time.perf_counter() - t0,
    )  # fmt: skip
    return backlog
