"""What is in the store: counts per source, kind and week, quarantine, runs."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pandas as pd

from voc.store.base import Store

log = logging.getLogger(__name__)

_FRAMES = ("per_source", "per_week", "quarantine_reasons", "runs")


class FileStore(Store, Protocol):
    """A store with a file (`path`, ":memory:" for none); the store module leaves its snapshot through this.

    Typed by protocol, not as `voc.store.DuckDBStore`: the store imports this module to write the
    snapshot, so importing the store class here would make each module need the other.
    """

    path: str


@dataclass
class StatusReport:
    """Everything `voc status` shows, as DataFrames."""

    items_total: int
    per_source: pd.DataFrame  # source, kind, items, first, last
    per_week: pd.DataFrame  # week, kind, items
    quarantine_reasons: pd.DataFrame  # source, reason, rows
    runs: pd.DataFrame  # last runs
    totals: dict[str, int]  # read, stored, updated, duplicates, quarantined over all ingest runs
    snapshot_at: str | None = None  # set when read from the snapshot a writer left (store busy)

    @property
    def adds_up(self) -> bool:
        t = self.totals
        return t["read"] == t["stored"] + t["duplicates"] + t["quarantined"]


def store_status(store: Store, *, last_runs: int = 8) -> StatusReport:
    """Summarise the store for ops: what came in, what was set aside, what ran."""
    per_source = store.query(
        "SELECT source, kind, count(*) AS items, min(created_at) AS first, max(created_at) AS last "
        "FROM items GROUP BY source, kind ORDER BY source, kind"
    )
    per_week = store.query(
        "SELECT CAST(date_trunc('week', created_at) AS DATE) AS week, kind, count(*) AS items "
        "FROM items GROUP BY week, kind ORDER BY week, kind"
    )
    reasons = store.query(
        "SELECT source, reason, count(*) AS rows FROM quarantine GROUP BY source, reason ORDER BY rows DESC, source, reason"
    )
    runs = store.query(
        "SELECT run_id, job, target, status, started_at, finished_at, rows_read, stored, duplicates, quarantined, error "
        "FROM runs ORDER BY started_at DESC LIMIT ?",
        [last_runs],
    )
    tot = store.query(
        "SELECT coalesce(sum(rows_read), 0) AS read, coalesce(sum(stored), 0) AS stored, "
        "coalesce(sum(updated), 0) AS updated, coalesce(sum(duplicates), 0) AS duplicates, "
        "coalesce(sum(quarantined), 0) AS quarantined FROM runs WHERE job = 'ingest'"
    )
    totals = {k: int(v) for k, v in tot.iloc[0].items()}
    return StatusReport(
        items_total=store.count_items(),
        per_source=per_source,
        per_week=per_week,
        quarantine_reasons=reasons,
        runs=runs,
        totals=totals,
    )


# -- the snapshot a writer leaves for readers --------------------------------------------
# DuckDB lets no other process open a database file while one writes it, not even to read.
# Every writer therefore leaves what `voc status` shows beside the store, when a run starts or
# finishes and when it closes, and `voc status` reads that while the store is busy.


def snapshot_path(store_path: str | Path) -> Path:
    """Where the status snapshot of the store at `store_path` lives."""
    return Path(f"{store_path}.status.json")


def save_snapshot(store: FileStore) -> None:
    """Write the store's status next to it (atomically); never fails the caller."""
    if store.path == ":memory:":
        return
    try:
        rep = store_status(store)
        data = {
            "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "items_total": rep.items_total,
            "totals": rep.totals,
            **{
                name: json.loads(getattr(rep, name).to_json(orient="split", date_format="iso"))
                for name in _FRAMES
            },
        }
        target = snapshot_path(store.path)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, target)
    except Exception as exc:  # a status snapshot must never cost a write
        log.warning("status: could not write the snapshot beside %s: %s", store.path, exc)


def load_snapshot(store_path: str | Path) -> StatusReport | None:
    """The status a writer left beside the store; None when there is none (or it cannot be read)."""
    path = snapshot_path(store_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    frames = {}
    for name in _FRAMES:
        d = data[name]
        df = pd.DataFrame(d["data"], columns=d["columns"])
        for col in df.columns:  # text columns: missing is None (pandas' string dtype would make it NaN)
            if not pd.api.types.is_numeric_dtype(df[col]):
                df[col] = df[col].astype(object).where(df[col].notna(), None)
        frames[name] = df
    return StatusReport(
        items_total=int(data["items_total"]),
        totals={k: int(v) for k, v in data["totals"].items()},
        snapshot_at=data["taken_at"],
        **frames,
    )
