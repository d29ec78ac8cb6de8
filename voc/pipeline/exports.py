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
    cols = ["input_file", "input_row", "id", "source", "kind", "created_at", "text", "rating", "language"]
    df = store.read("items", cols, order_by="input_file, input_row, id")
    # Each stage's per-item columns, empty where the stage has not run on an item (or at all).
    sentiment = store.read("item_sentiment", ["item_id", "label", "score"])
    sentiment = sentiment.rename(columns={"label": "sentiment", "score": "sentiment_score"})
    themes = store.read("item_themes", ["item_id", "theme_id", "theme_label", "theme_ids"])
    mapping = store.read("item_mapping", ["item_id", "journey_stage", "pillar"])
    for part in (sentiment, themes, mapping):
        df = df.merge(part.rename(columns={"item_id": "id"}), on="id", how="left")
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
    cols = ["theme_id", "label", "keywords", "group_label", "size", "share_negative", "first_seen", "last_seen",
            "status"]  # fmt: skip
    df = store.read("themes", cols, order_by="size DESC, theme_id")
    df = df.merge(
        store.read("theme_mapping", ["theme_id", "journey_stage", "pillar"]), on="theme_id", how="left"
    )
    return df.rename(columns={"theme_id": "id", "group_label": "group"})[THEMES_CSV_COLUMNS]


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
