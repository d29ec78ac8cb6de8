"""Flat CSV exports of the store: items.csv, themes.csv, quarantine.csv.

`items.csv` is a contract other tools read (columns in
`voc.schema.ITEMS_CSV_COLUMNS`); stage columns are empty when a stage has not
run on an item.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from voc.safe import csv_frame
from voc.schema import ITEMS_CSV_COLUMNS
from voc.store import DuckDBStore


def items_frame(store: DuckDBStore) -> pd.DataFrame:
    """One row per stored item with the sentiment, theme and mapping columns joined in."""
    joins: list[str] = []
    cols = ["i.input_row", "i.id", "i.source", "i.kind", "i.created_at", "i.text", "i.rating", "i.language"]
    if store.table_exists("item_sentiment"):
        joins.append("LEFT JOIN item_sentiment s ON s.item_id = i.id")
        cols += ["s.label AS sentiment", "s.score AS sentiment_score"]
    if store.table_exists("item_themes"):
        joins.append("LEFT JOIN item_themes t ON t.item_id = i.id")
        cols += ["t.theme_id", "t.theme_label", "t.theme_ids"]
    if store.table_exists("item_mapping"):
        joins.append("LEFT JOIN item_mapping m ON m.item_id = i.id")
        cols += ["m.journey_stage", "m.pillar"]
    sql = f"SELECT {', '.join(cols)} FROM items i {' '.join(joins)} ORDER BY i.input_file, i.input_row, i.id"
    df = store.query(sql)
    for c in ITEMS_CSV_COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[ITEMS_CSV_COLUMNS]


def write_items_csv(store: DuckDBStore, path: Path) -> int:
    """Write items.csv; returns the row count."""
    # Customer text that starts with "=" must not run as a formula in a spreadsheet.
    df = csv_frame(items_frame(store))
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return len(df)


def write_quarantine_csv(store: DuckDBStore, path: Path) -> int:
    """Write quarantine.csv (every row that could not be used, with its reason)."""
    df = store.query(
        "SELECT source, input_file, input_row, reason, detail, raw, quarantined_at FROM quarantine "
        "ORDER BY input_file, input_row"
    )
    df = csv_frame(df)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return len(df)


def themes_frame(store: DuckDBStore) -> pd.DataFrame:
    """One row per registered theme with its group, size, share negative, dates and mapping."""
    if not store.table_exists("themes"):
        return pd.DataFrame(columns=THEMES_CSV_COLUMNS)
    mapping = store.table_exists("theme_mapping")
    sql = (
        'SELECT t.theme_id AS id, t.label, t.keywords, t.group_label AS "group", t.size, t.share_negative, '
        "t.first_seen, t.last_seen, t.status"
        + (
            ", m.journey_stage, m.pillar FROM themes t LEFT JOIN theme_mapping m USING (theme_id)"
            if mapping
            else " FROM themes t"
        )
        + " ORDER BY t.size DESC, t.theme_id"
    )
    df = store.query(sql)
    for c in THEMES_CSV_COLUMNS:
        if c not in df.columns:
            df[c] = None
    return df[THEMES_CSV_COLUMNS]


THEMES_CSV_COLUMNS = [
    "id",
    "label",
    "keywords",
    "group",
    "size",
    "share_negative",
    "first_seen",
    "last_seen",
    "status",
    "journey_stage",
    "pillar",
]


def write_themes_csv(store: DuckDBStore, path: Path) -> int:
    """Write themes.csv; returns the row count."""
    df = csv_frame(themes_frame(store))
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return len(df)


# Files the stages write into the output folder, in the order a reader wants them.
STAGE_OUTPUTS = (
    "themes.csv", "backlog.csv", "backlog.json", "backlog.md", "backlog_jira.csv", "report.html", "report.md",
)  # fmt: skip


def write_exports(store: DuckDBStore, out_dir: Path) -> dict[str, Path]:
    """Write items.csv and quarantine.csv; return them with every stage output present in `out_dir`."""
    files = {"items.csv": out_dir / "items.csv", "quarantine.csv": out_dir / "quarantine.csv"}
    write_items_csv(store, files["items.csv"])
    write_quarantine_csv(store, files["quarantine.csv"])
    files.update({name: out_dir / name for name in STAGE_OUTPUTS if (out_dir / name).exists()})
    return files
