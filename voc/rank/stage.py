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
from voc.alerts.rules import Alert, evaluate_alerts
from voc.config import VocConfig
from voc.rank.backlog import TREND_COLUMNS, Backlog, build_entries, theme_trends
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
    sp = store.read("sentences", ["item_id", "sent_idx", "start_char", "end_char"]).dropna()
    return {(str(i), int(k)): (int(a), int(b)) for i, k, a, b in sp.itertuples(index=False, name=None)}


def _with_sentiment(mentions: pd.DataFrame, sentiment: pd.DataFrame) -> pd.DataFrame:
    """Mentions with their own sentiment label and score (`sentiment`) where scored."""
    s = sentiment.rename(columns={"score": "sentiment"})
    return mentions.merge(s, on=["item_id", "sent_idx"], how="left")


def load_inputs(store: Any, granularity: str) -> RankInputs:
    """Theme items, item periods, themes, mapping, mention spans and the problems, from the store.

    The spans ((item_id, sent_idx) -> character range) let a verbatim mark the mention it was chosen for.
    """
    items = store.query(
        "SELECT id, external_id, created_at, text, rating, rating_scale, customer_id, "
        # Stores written before revenue was checked at ingest may hold inf or negatives.
        "CASE WHEN isfinite(revenue) AND revenue >= 0 THEN revenue END AS revenue, url FROM items"
    )
    has_sentiment = store.written("sentence_sentiment")
    sentiment = store.read("sentence_sentiment", ["item_id", "sent_idx", "label", "score"])
    # `negative`: each mention's complaint flag as the themes stage stored it (voc.nlp.complaints).
    mentions = store.read("mentions", ["item_id", "sent_idx", "theme_id", "score", "negative"])
    if has_sentiment:
        mentions = _with_sentiment(mentions, sentiment)
    isent = store.read("item_sentiment", ["item_id", "label", "score"])
    themes = store.read("themes", THEME_COLUMNS, where=f"theme_id <> '{UNASSIGNED}'")
    mapping = store.read("theme_mapping", ["theme_id", "journey_stage", "pillar"])
    ti = theme_items(items, mentions, isent, granularity)
    item_periods = pd.DataFrame(
        {
            "item_id": items["id"],
            "period": period_labels(items["created_at"], granularity),
            "rating": items["rating"],
            "rating_scale": items["rating_scale"],
        }
    )
    out = RankInputs(ti, item_periods, themes, mapping, _spans(store))
    # A store from before problems were found has no problems table: the themes' complaints stand in.
    if has_sentiment and store.written("problems") and store.written("problem_mentions"):
        pm = store.read("problem_mentions", ["item_id", "sent_idx", "problem_id", "score"])
        pm = _with_sentiment(pm.rename(columns={"problem_id": "theme_id"}), sentiment)
        out.problem_ti = theme_items(items, pm, isent, granularity)
        # A problem's own name (a user's rename included) is its problem_label; `label` is its aspect's.
        reg = store.read(
            "problems", ["problem_id", "label", "opinion_share", "theme_id"], where="status <> 'retired'"
        )
        reg = reg.rename(
            columns={"problem_id": "theme_id", "label": "problem_label", "theme_id": "aspect_id"}
        )
        names = store.read("themes", ["theme_id", "label"]).drop_duplicates("theme_id").set_index("theme_id")
        reg["group_label"] = reg["aspect_id"].map(names["label"])
        reg["label_source"] = None
        reg["label"] = reg["group_label"].where(reg["group_label"].notna(), reg["problem_label"])
        reg["praise_label"] = None
        out.problems = reg[["theme_id", "problem_label", "group_label", "label_source", "opinion_share",
                            "aspect_id", "label", "praise_label"]]  # fmt: skip
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
    if not store.written("themes") or not store.written("mentions"):
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
    evaluated: list[Alert] = []
    trends = pd.DataFrame(columns=TREND_COLUMNS)
    if window is not None:
        trends = theme_trends(inp.ti, inp.item_periods, window, cfg)
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
    muted = muted_themes(store)
    if window is not None and window.focus is None and window.granularity != "all":
        # No period to compare: nothing is new or rising, and a volume rule alone would re-raise
        # the same standing counts on every run of an export.
        log.info(
            "backlog: no alerts evaluated for %s: %s", label, "; ".join(window.notes) or "no focus period"
        )
    elif window is not None and window.undated:
        log.info("backlog: no alerts evaluated: the data carry no dates, so there is no baseline")
    else:
        evaluated = evaluate_alerts(entries, config.alerts, muted=muted)
        # Every alert of the period is stored (the report lists them); only those not sent yet go out.
        backlog.alerts = [a for a in evaluated if a.key not in already]

    # The backlog is written before any delivery, so a bad alert setting cannot cost it.
    paths = write_backlog(backlog, Path(out_dir), cfg.jira_project, cfg.jira_issue_type)
    frame = _table_frame(backlog)  # the problems; the values are the report's, not a ticket list
    with store.transaction():  # this period's rows replace the last run's
        store.write(TABLE, frame, partition=label)
        store.write("alerts", store.typed("alerts", [a.model_dump() for a in evaluated]), partition=label)
        # Each theme's movement, by the backlog's own test: the report's theme table shows it.
        rows = trends.assign(period=label).to_dict("records")
        store.write("theme_trends", store.typed("theme_trends", rows), partition=label)
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
