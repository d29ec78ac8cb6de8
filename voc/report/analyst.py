"""The analyst section's detail: data coverage, quarantined rows, recent runs."""

from __future__ import annotations

import pandas as pd

from voc.report.inputs import UNMAPPED, has, opt_str
from voc.report.models import (
    CountRow,
    Period,
    QuarantineCount,
    RunRow,
    ThemeRow,
)
from voc.report.weeks import week_starts


def coverage_rows(
    it: pd.DataFrame, pairs: pd.DataFrame, rows: list[ThemeRow], period: Period
) -> list[CountRow]:
    """How much of the data each stage covered, overall and for the report week."""
    n = len(it)
    scope = set(period.scope_buckets)
    week = it[it["week"].isin(scope)]
    where = "this week" if period.scope == "period" else "in the window"

    def pct(k: int, of: int) -> str:
        return f"{k / of * 100:.0f}%" if of else "–"

    out = [
        CountRow(
            label="Items stored",
            value=f"{n:,}",
            detail=(
                f"{it['created_at'].min():%Y-%m-%d} to {it['created_at'].max():%Y-%m-%d}"
                if n and it["created_at"].notna().any()
                else ("no dates" if n else "no items")
            ),
        ),
        CountRow(label=f"Items in {period.label}", value=f"{len(week):,}"),
    ]
    for (src, kind), g in it.groupby(["source", "kind"], dropna=False) if n else []:
        out.append(
            CountRow(
                label=f"Source {src if opt_str(src) else '(none)'} ({kind})",
                value=f"{int(g['week'].isin(scope).sum()):,} {where}",
                detail=f"{len(g):,} in all",
            )
        )
    with_sent = int(week["label"].notna().sum())
    themed = int(pairs.loc[pairs["week"].isin(scope), "id"].nunique()) if len(pairs) else 0
    rated = int(week["rating"].notna().sum())
    mapped = sum(
        1 for r in rows if r.journey_stage and r.pillar and UNMAPPED not in (r.journey_stage, r.pillar)
    )
    out += [
        CountRow(
            label=f"With sentiment ({where})", value=pct(with_sent, len(week)), detail=f"{with_sent:,} items"
        ),
        CountRow(label=f"With a theme ({where})", value=pct(themed, len(week)), detail=f"{themed:,} items"),
        CountRow(
            label="Themes mapped to stage and pillar",
            value=pct(mapped, len(rows)),
            detail=f"{mapped} of {len(rows)} themes",
        ),
        CountRow(label=f"With a rating ({where})", value=pct(rated, len(week)), detail=f"{rated:,} items"),
        CountRow(
            label=f"With a customer id / revenue ({where})",
            value=f"{pct(int(week['customer_id'].notna().sum()), len(week))} / "
            f"{pct(int(week['revenue'].notna().sum()), len(week))}",
        ),
    ]
    return out


def quarantine_counts(q: pd.DataFrame | None, period: Period) -> list[QuarantineCount]:
    """Quarantined rows by source and reason, all time and in the report week."""
    if not has(q, "source", "reason"):
        return []
    q = q.copy()
    if period.scope == "window":
        q["_this"] = 1  # a one-file run: every quarantined row is from this run
    elif "quarantined_at" in q.columns:
        wk = week_starts(q["quarantined_at"])
        q["_this"] = (wk == period.start).astype(int)
    else:
        q["_this"] = 0
    g = (
        q.groupby(["source", "reason"])
        .agg(count=("reason", "size"), this_week=("_this", "sum"))
        .reset_index()
    )
    g = g.sort_values(["count", "source", "reason"], ascending=[False, True, True])
    return [
        QuarantineCount(
            source=str(r.source), reason=str(r.reason), count=int(r.count), this_week=int(r.this_week)
        )
        for r in g.itertuples(index=False)
    ]


def run_rows(runs: pd.DataFrame | None, limit: int = 10) -> list[RunRow]:
    """The most recent runs from the `runs` table, newest first."""
    if not has(runs, "job", "status"):
        return []
    r = (
        runs.sort_values("started_at", ascending=False).head(limit)
        if "started_at" in runs.columns
        else runs.head(limit)
    )
    out = []
    for rec in r.to_dict("records"):
        out.append(
            RunRow(
                job=str(rec["job"]),
                target=opt_str(rec.get("target")),
                status=str(rec["status"]),
                started_at=None
                if pd.isna(rec.get("started_at"))
                else pd.Timestamp(rec["started_at"]).to_pydatetime(),
                finished_at=None
                if pd.isna(rec.get("finished_at"))
                else pd.Timestamp(rec["finished_at"]).to_pydatetime(),
                rows_read=None if pd.isna(rec.get("rows_read")) else int(rec["rows_read"]),
                stored=None if pd.isna(rec.get("stored")) else int(rec["stored"]),
                quarantined=None if pd.isna(rec.get("quarantined")) else int(rec["quarantined"]),
                error=opt_str(rec.get("error")),
            )
        )
    return out
