"""The report stage: read the store's tables, write report.html and report.md.

I/O lives here and only here; `build_report_data` and the renderers are pure.
Optional tables (sentiment, themes, mapping, backlog, quarantine, runs) may be
absent: the report then says which step has not run yet instead of failing.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from voc.config import VocConfig
from voc.rank.periods import Window
from voc.report.data import build_report_data, choose_week
from voc.report.inputs import backlog_period_of, to_dict
from voc.report.models import ReportData
from voc.report.render_html import render_html
from voc.report.render_md import render_md
from voc.report.weeks import parse_week, week_label, week_starts

log = logging.getLogger(__name__)

ITEM_FIELDS = [
    "id", "source", "kind", "created_at", "text", "rating", "rating_scale", "customer_id", "segment", "revenue", "url",
]  # fmt: skip
BESIDE = [
    ("ranked backlog", "backlog.md"),
    ("backlog CSV", "backlog.csv"),
    ("Jira import", "backlog_jira.csv"),
]
OPTIONAL_TABLES = [
    "item_sentiment",
    "themes",
    "item_themes",
    "theme_weekly",
    "theme_mapping",
    "quarantine",
    "runs",
]


# Only the columns the report uses where a table carries bulky ones (raw rows, centroids).
COLUMNS = {
    "quarantine": ["source", "reason", "quarantined_at"],
}


def _read(store: Any, table: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    """The table's rows; None when its stage has not run yet, so the report can say so."""
    if not store.written(table):
        return None
    return store.read(table, columns or COLUMNS.get(table))


def load_tables(store: Any, *, text: bool = True) -> dict[str, pd.DataFrame | None]:
    """The tables the report reads; None for each one that does not exist yet.

    With `text=False` items come without their text (the widest column): see `load_texts`.
    """
    fields = ITEM_FIELDS if text else [f for f in ITEM_FIELDS if f != "text"]
    items = _read(store, "items", fields)
    out: dict[str, pd.DataFrame | None] = {
        "items": items if items is not None else pd.DataFrame(columns=fields)
    }
    for t in OPTIONAL_TABLES:
        out[t] = _read(store, t)
    return out


def load_backlog(store: Any, week: str | None) -> list[dict[str, Any]] | None:
    """Entries of the stored `backlog` table for `week` (or its latest period), as dicts; None when absent."""
    df = _read(store, "backlog")
    if df is None or df.empty:
        return None
    if "period" in df.columns:
        periods = sorted(str(p) for p in df["period"].dropna().unique())
        chosen = week if week in periods else (periods[-1] if periods else None)
        if chosen is not None:
            df = df[df["period"].astype(str) == chosen]
    records = df.to_dict("records")
    for r in records:
        for k, v in list(r.items()):
            if isinstance(v, float) and pd.isna(v):
                r[k] = None
    return records


def taxonomy_order(config: VocConfig) -> tuple[list[str] | None, list[str] | None]:
    """Journey stages and pillars in the taxonomy's own order (for the heatmap); None when unavailable."""
    try:
        from voc.taxonomy.taxonomies import load_framework, load_stages

        return load_stages(config).names, load_framework(config).names
    except Exception as exc:  # the report still works, ordered by the built-in list and by volume
        log.info("report: taxonomy order unavailable (%s)", exc)
        return None, None


def stored_alerts(store: Any, period: str | None) -> list[Any]:
    """The alerts the backlog stage evaluated for `period` (the `alerts` table), muted themes already left out.

    `voc report` on its own has no `Backlog` object: it shows the alerts `voc run`
    raised for the period, as stored, without deriving them again.
    """
    from voc.alerts.rules import Alert

    if period is None:
        return []
    rows = store.read("alerts", where="period = ?", params=[period], order_by="rank, key")
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    return [Alert.model_validate(r) for r in records]


def load_texts(store: Any, start: date, weeks_back: int) -> pd.DataFrame:
    """id and text of the items the report may quote: the report week and the `weeks_back` before it."""
    lo = datetime.combine(start - timedelta(weeks=weeks_back), datetime.min.time(), UTC)
    hi = datetime.combine(start + timedelta(days=7), datetime.min.time(), UTC)
    return store.read("items", ["id", "text"], where="created_at >= ? AND created_at < ?", params=[lo, hi])


def load_window_texts(store: Any, window: Window) -> pd.DataFrame:
    """id and text of the items a window report may quote: those inside the window (all when undated)."""
    if window.undated or window.granularity == "all":
        return store.read("items", ["id", "text"])
    conds, params = [], []
    if window.since is not None:
        conds.append("created_at >= ?")
        params.append(window.since)
    if window.until is not None:
        conds.append("created_at < ?")
        params.append(window.until)
    return store.read("items", ["id", "text"], where=" AND ".join(conds) or None, params=params)


def build_from_store(
    store: Any,
    config: VocConfig,
    week: str | None = None,
    backlog: Any = None,
    now: datetime | None = None,
    window: Window | None = None,
) -> ReportData:
    """Everything the report shows, computed from the store (plus a backlog passed in, if any).

    Item texts are read only for the weeks the report can quote from, so a store with
    years of feedback does not load all of it into memory for one week's report.
    """
    t = load_tables(store, text=False)
    stage_order, pillar_order = taxonomy_order(config)
    if backlog is None:
        try:
            entries = load_backlog(store, week)
        except Exception as exc:  # an unreadable backlog must not cost the whole report
            log.warning("report: could not read the backlog table (%s); the report goes without it", exc)
            entries = None
        if entries is not None:
            period = {str(e.get("period")) for e in entries if e.get("period")}
            label = period.pop() if len(period) == 1 else None
            backlog = {"entries": entries, "alerts": stored_alerts(store, label), "period": label}
    elif not isinstance(backlog, list | tuple) and store.written("alerts"):
        # A backlog from this run carries only the alerts not sent before; the report lists the
        # period's alerts as the backlog stage stored them, as `voc report` alone does.
        backlog = {**to_dict(backlog), "alerts": stored_alerts(store, backlog_period_of(backlog))}
    items = t["items"]
    if window is not None:
        texts = load_window_texts(store, window) if len(items) else pd.DataFrame(columns=["id", "text"])
    else:
        weeks = week_starts(items["created_at"]).dropna().unique().tolist() if len(items) else []
        start = choose_week(weeks, week, backlog_period_of(backlog), now or datetime.now(UTC))
        texts = (
            load_texts(store, start, config.report.trailing_weeks)
            if len(items)
            else pd.DataFrame(columns=["id", "text"])
        )
    items = items.merge(texts, on="id", how="left")
    items["text"] = items["text"].fillna("")
    return build_report_data(
        items,
        sentiment=t["item_sentiment"],
        themes=t["themes"],
        item_themes=t["item_themes"],
        theme_weekly=t["theme_weekly"],
        theme_mapping=t["theme_mapping"],
        backlog=backlog,
        quarantine=t["quarantine"],
        runs=t["runs"],
        week=week_label(start) if window is None else None,
        config=config.report,
        now=now,
        stage_order=stage_order,
        pillar_order=pillar_order,
        window=window,
        # The themes' statuses as the backlog stage's trend test decided them, for every period it ranked.
        trends=store.read("theme_trends", ["period", "theme_id", "status"]),
    )


def _write_atomic(path: Path, text: str) -> int:
    """Write via a temp file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared and served
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def write_report(
    store: Any,
    config: VocConfig,
    out_dir: Path | str | None = None,
    week: str | None = None,
    backlog: Any = None,
    *,
    now: datetime | None = None,
    window: Window | None = None,
) -> dict[str, Any]:
    """Write report.html and report.md for `week` (default: the week just ended), or over `window`
    (the one-file path), into `out_dir`.

    `backlog` is a `voc.rank.backlog.Backlog` (or a mapping/list of entries); without one the
    stored `backlog` table is used when it exists. Returns paths, sizes and counts.
    """
    started = time.perf_counter()
    if week is not None:
        week = week_label(parse_week(week))  # normalise '2026-w7' -> '2026-W07', or a clear error
    out = Path(out_dir) if out_dir is not None else config.resolve(config.report.out_dir)
    data = build_from_store(store, config, week=week, backlog=backlog, now=now, window=window)
    html_path, md_path = out / "report.html", out / "report.md"
    # The backlog stage writes its files into the same folder: both outputs link the ones present.
    extra = [(text, name) for text, name in BESIDE if (out / name).exists()]
    html_bytes = _write_atomic(html_path, render_html(data, config.report, links=extra))
    md_bytes = _write_atomic(md_path, render_md(data, config.report, report_link=html_path.name, links=extra))
    volume = next((m.value for m in data.metrics if m.key == "volume"), 0) or 0
    result = {
        "week": data.period.label,
        "granularity": data.period.granularity,
        "focus": data.period.focus_label,
        "html": str(html_path),
        "md": str(md_path),
        "html_bytes": html_bytes,
        "md_bytes": md_bytes,
        "items": int(volume),
        "themes": len(data.themes),
        "rising": len(data.rising),
        "new": len(data.new),
        "alerts": len(data.alerts),
        "notes": data.notes,
        "seconds": round(time.perf_counter() - started, 2),
    }
    log.info(
        "report: wrote %s for %s (%s items, %d themes, %.0f kB) in %.1f s",
        html_path,
        data.period.label,
        f"{result['items']:,}",
        result["themes"],
        html_bytes / 1024,
        result["seconds"],
    )
    return result


def result_json(result: dict[str, Any]) -> str:
    """The stage's result as JSON (for flows and `voc report --json`)."""
    return json.dumps(result, indent=2, default=str)
