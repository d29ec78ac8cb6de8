"""The store interface: what the pipeline needs from a database.

DuckDB (embedded, a file under `data/`) is the default backend. A server
database can be added by implementing this protocol; nothing outside
`voc/store/` opens a database connection.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from voc.schema import FeedbackRecord, QuarantineRow


@dataclass
class BatchCounts:
    """What one committed batch did. read = inserted + updated + duplicates + quarantined."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: int = 0

    @property
    def stored(self) -> int:
        return self.inserted + self.updated

    def add(self, other: BatchCounts) -> None:
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined

    def line(self) -> str:
        """The counts as ops read them in a log line: rows in, rows out, and where the rest went."""
        return (
            f"in {self.read:,} rows -> out {self.stored:,} stored ({self.inserted:,} new, {self.updated:,} updated), "
            f"{self.duplicates:,} duplicates, {self.quarantined:,} quarantined"
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "stored": self.stored,
            "inserted": self.inserted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


@dataclass
class RunInfo:
    """A row of the `runs` table."""

    run_id: str
    job: str
    target: str | None = None
    status: str = "running"
    counts: BatchCounts = field(default_factory=BatchCounts)
    detail: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    """Persistence for items, quarantine, watermarks, runs and stage outputs."""

    path: str

    def close(self) -> None: ...

    # -- ingestion ---------------------------------------------------------
    def commit_batch(
        self,
        source: str,
        records: Sequence[FeedbackRecord],
        quarantined: Sequence[QuarantineRow],
        watermark: dict[str, str] | None = None,
        *,
        read: int | None = None,
    ) -> BatchCounts:
        """Upsert records, add quarantine rows and move watermarks in ONE transaction."""
        ...

    def get_watermark(self, source: str, key: str) -> str | None: ...

    def watermarks(self, source: str) -> dict[str, str]: ...

    # -- runs --------------------------------------------------------------
    def start_run(
        self, job: str, target: str | None = None, detail: dict[str, Any] | None = None
    ) -> RunInfo: ...

    def finish_run(self, run: RunInfo, status: str, error: str | None = None) -> None: ...

    # -- reading -----------------------------------------------------------
    def count_items(self) -> int: ...

    def iter_items(
        self,
        columns: Sequence[str] | None = None,
        where: str | None = None,
        params: Sequence[Any] = (),
        chunk_rows: int = 10000,
    ) -> Iterator[pd.DataFrame]: ...

    # -- generic tables for stage outputs ------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def write_frame(self, table: str, df: pd.DataFrame, key: Sequence[str] | None = None) -> int: ...

    def table_exists(self, table: str) -> bool: ...

    # -- the catalogued tables (voc/store/catalog.py) ------------------------
    def read(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        *,
        where: str | None = None,
        params: Sequence[Any] = (),
        item_ids: Sequence[str] | None = None,
        match: pd.DataFrame | None = None,
        order_by: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Rows of a catalogued table with its declared types; empty when no stage wrote it yet."""
        ...

    def read_arrow(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        *,
        where: str | None = None,
        params: Sequence[Any] = (),
        match: pd.DataFrame | None = None,
    ) -> Any: ...

    def typed(self, name: str, records: Sequence[dict[str, Any]]) -> pd.DataFrame: ...

    def written(self, name: str) -> bool: ...

    def relation(self, name: str) -> str: ...

    def count(self, name: str, *, where: str | None = None, params: Sequence[Any] = ()) -> int: ...

    def write(self, name: str, df: pd.DataFrame, *, partition: Any = None) -> int:
        """Write rows with the table's declared disposition (append, upsert by key, replace)."""
        ...

    def replace(self, name: str, df: pd.DataFrame) -> int: ...

    def drop_items(self, name: str, item_ids: Sequence[str]) -> None:
        """Delete these items' rows here and in every table this one invalidates."""
        ...

    def transaction(self) -> AbstractContextManager[Any]: ...
