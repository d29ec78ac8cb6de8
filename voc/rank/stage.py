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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from voc.alerts.deliver import dispatch, known_keys, muted_themes
from voc.alerts.rules import evaluate_alerts
from voc.config import VocConfig
from voc.rank.backlog import Backlog, build_entries
from voc.rank.metrics import theme_items
from voc.rank.periods import UNDATED, Window, parse_period, period_labels, week_window
from voc.rank.writers import write_backlog

log = logging.getLogger(__name__)

UNASSIGNED = "unassigned"
TABLE = "backlog"


THEME_COLUMNS = ["theme_id", "label", "group_label", "problem_label", "praise_label", "label_source",
                 "opinion_share"]  # fmt: skip


@dataclass
class RankInputs:
    """What the backlog stage reads from the store, as frames (see `load_inputs`)."""

    ti: pd.DataFrame  # one row per (item, theme): the themes' praise is read from it
    item_periods: pd.DataFrame
    themes: pd.DataFrame
    mapping: pd.DataFrame | None
    spans: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    # The problems (voc.themes.problems): one row per (item, problem), and the problems as
    # "themes" (theme_id = problem id, label, group_label = their aspect). None on a store
    # from before problems were found: the themes' complaints stand in.
    problem_ti: pd.DataFrame | None = None
    problems: pd.DataFrame | None = None
    problem_mapping: pd.DataFrame | None = None


def _spans(store: Any) -> dict[tuple[str, int], tuple[int, int]]:
    cols = set(
        store.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'sentences'")[
            "column_name"
        ]
    )
    if not {"start_char", "end_char"} <= cols:
        return {}
    sp = store.query("SELECT item_id, sent_idx, start_char, end_char FROM sentences")
    return {(str(i), int(k)): (int(a), int(b)) for i, k, a, b in sp.itertuples(index=False, name=None)}


def load_inputs(store: Any, granularity: str) -> RankInputs:
    """Theme items, item periods, themes, mapping, mention spans and the problems, from the store.

    The spans ((item_id, sent_idx) -> character range) let a verbatim mark the mention it was chosen for.
    """
    items = store.query(
        "SELECT id, external_id, created_at, text, rating, rating_scale, customer_id, "
        # Stores written before revenue was checked at ingest may hold inf or negatives.
        "CASE WHEN isfinite(revenue) AND revenue >= 0 THEN revenue END AS revenue, url FROM items"
    )
    has_sentiment = store.table_exists("sentence_sentiment")
    if has_sentiment:
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
    for col in THEME_COLUMNS:
        if col not in themes.columns:
            themes[col] = None
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
    out = RankInputs(ti, item_periods, themes[THEME_COLUMNS], mapping, _spans(store))
    if has_sentiment and store.table_exists("problems") and store.table_exists("problem_mentions"):
        pm = store.query(
            "SELECT p.item_id, p.sent_idx, p.problem_id AS theme_id, p.score, s.label, s.score AS sentiment "
            "FROM problem_mentions p LEFT JOIN sentence_sentiment s USING (item_id, sent_idx)"
        )
        out.problem_ti = theme_items(items, pm, isent, granularity)
        reg = store.query(
            # A problem's own name (a user's rename included) is its problem_label; `label` is its aspect's.
            "SELECT p.problem_id AS theme_id, p.label AS problem_label, t.label AS group_label, "
            "NULL AS label_source, p.opinion_share, p.theme_id AS aspect_id, coalesce(t.label, p.label) AS label "
            "FROM problems p LEFT JOIN themes t ON t.theme_id = p.theme_id WHERE p.status <> 'retired'"
        )
        reg["praise_label"] = None
        out.problems = reg
        if mapping is not None:
            out.problem_mapping = reg[["theme_id", "aspect_id"]].merge(
                mapping.rename(columns={"theme_id": "aspect_id"}), on="aspect_id", how="inner"
            )[["theme_id", "journey_stage", "pillar"]]
    return out


def _aspect_items(inp: RankInputs) -> pd.DataFrame | None:
    """(theme_id = problem id, item_id, period): the items of each problem's aspect theme."""
    if inp.problems is None:
        return None
    link = inp.problems[["theme_id", "aspect_id"]].dropna()
    a = inp.ti[["theme_id", "item_id", "period"]].rename(columns={"theme_id": "aspect_id"})
    return link.merge(a, on="aspect_id", how="inner")[["theme_id", "item_id", "period"]]


def default_period(periods: pd.Series, granularity: str, now: datetime | None = None) -> str | None:
    """The latest period with data, unless that is the still-running one: then the one before it."""
    if granularity == "all":
        return "all"
    labels = sorted(set(periods.dropna()) - {UNDATED})
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
    nullable_ints = ["focus_volume"]
    for col in frame.columns:
        if col in floats:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        elif col in ints:
            frame[col] = frame[col].astype("int64")
        elif col in nullable_ints:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
        else:
            frame[col] = (
                frame[col]
                .astype(object)
                .where(frame[col].notna(), None)
                .map(lambda v: v if v is None else str(v))
            )
    return frame


def build_backlog(
    store: Any,
    config: VocConfig,
    out_dir: Path,
    period: str | None = None,
    *,
    now: datetime | None = None,
    window: Window | None = None,
) -> Backlog:
    """Rank the window's themes, write the four backlog files and the `backlog` table, raise alerts.

    Without `window` this is the scheduled job's backlog: one `ranking.period`
    (default the one just ended) against its trailing baseline. With one (the
    one-file path), the whole window is ranked and its focus period compared.
    """
    t0 = time.perf_counter()
    cfg = config.ranking
    if not store.table_exists("themes") or not store.table_exists("mentions"):
        log.info("backlog: no themes yet (run the themes stage first); writing an empty backlog")
        backlog = Backlog(period=period or (window.label if window else "none"))
        write_backlog(backlog, Path(out_dir), cfg.jira_project, cfg.jira_issue_type)
        return backlog
    granularity = window.granularity if window is not None else cfg.period
    inp = load_inputs(store, granularity)
    if window is None:
        dated = inp.item_periods["period"] != UNDATED
        if len(inp.item_periods) and not dated.any():
            # Every item is undated: one period, whatever the configured granularity.
            window = Window(granularity="all", periods=("all",), focus=None, scope="period", undated=True)
            inp = load_inputs(store, "all")
        else:
            if period is None:
                period = default_period(inp.item_periods["period"], cfg.period, now) or "none"
            elif cfg.period != "all":
                parse_period(period, cfg.period)  # a clear error for a label that does not fit
            window = week_window(period, cfg.baseline_periods, cfg.period) if period != "none" else None
    entries, values = [], []
    if window is not None:
        if inp.problem_ti is not None and inp.problems is not None:
            entries = build_entries(inp.problem_ti, inp.item_periods, inp.problems, inp.problem_mapping, window,
                                    cfg, spans=inp.spans, aspect_items=_aspect_items(inp))  # fmt: skip
        else:
            entries = build_entries(
                inp.ti, inp.item_periods, inp.themes, inp.mapping, window, cfg, spans=inp.spans
            )
        values = build_entries(inp.ti, inp.item_periods, inp.themes, inp.mapping, window, cfg, kind="value",
                               spans=inp.spans)  # fmt: skip
    label = window.label if window is not None else "none"
    backlog = Backlog(period=label, entries=entries, values=values[: cfg.values_top_n])

    already = known_keys(store) if config.alerts.enabled else set()
    muted = muted_themes(store) if store.table_exists("alert_mutes") else set()
    if window is not None and window.focus is None and window.granularity != "all":
        # No period to compare: nothing is new or rising, and a volume rule alone would re-raise
        # the same standing counts on every run of an export.
        log.info(
            "backlog: no alerts evaluated for %s: %s", label, "; ".join(window.notes) or "no focus period"
        )
    elif window is not None and window.undated:
        log.info("backlog: no alerts evaluated: the data carry no dates, so there is no baseline")
    else:
        backlog.alerts = evaluate_alerts(entries, config.alerts, muted=muted, already_sent=already)

    # The backlog is written before any delivery, so a bad alert setting cannot cost it.
    paths = write_backlog(backlog, Path(out_dir), cfg.jira_project, cfg.jira_issue_type)
    frame = _table_frame(backlog)  # the problems; the values are the report's, not a ticket list
    with store.transaction():
        if store.table_exists(TABLE):
            store.execute(f"DELETE FROM {TABLE} WHERE period = ?", [label])
        if len(frame):
            store.write_frame(TABLE, frame)
    if config.alerts.enabled:
        backlog.delivery = dispatch(store, backlog.alerts, config.alerts)
    statuses = pd.Series([e.status for e in entries]).value_counts().to_dict() if entries else {}
    # Alerts are always evaluated (the report lists them); ops must see whether they went out.
    sent = backlog.delivery.summary() if backlog.delivery is not None else "not sent: alerts.enabled is false"
    focus = f", focus {window.focus}" if window is not None and window.focus else ""
    log.info(
        "backlog: ranked %d themes for %s (%s%s), %d alerts (%s), wrote %s in %.1f s",
        len(entries), label, ", ".join(f"{v} {k}" for k, v in statuses.items()) or "none", focus,
        len(backlog.alerts), sent, ", ".join(p.name for p in paths.values()), time.perf_counter() - t0,
    )  # fmt: skip
    return backlog
