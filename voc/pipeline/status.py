"""What is in the store: counts per source, kind and week, quarantine, runs."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from voc.store import DuckDBStore


@dataclass
class StatusReport:
    """Everything `voc status` shows, as DataFrames."""

    items_total: int
    per_source: pd.DataFrame  # source, kind, items, first, last
    per_week: pd.DataFrame  # week, kind, items
    quarantine_reasons: pd.DataFrame  # source, reason, rows
    runs: pd.DataFrame  # last runs
    totals: dict[str, int]  # read, stored, updated, duplicates, quarantined over all ingest runs

    @property
    def adds_up(self) -> bool:
        t = self.totals
        return t["read"] == t["stored"] + t["duplicates"] + t["quarantined"]


def store_status(store: DuckDBStore, *, last_runs: int = 8) -> StatusReport:
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
