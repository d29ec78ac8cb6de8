"""DuckDB implementation of the store (the embedded default).

Writes are serialised by a file lock beside the database (`<db>.lock`), held
for the life of a writable store: a second writer waits `lock_timeout_s` and
then stops with a clear message instead of corrupting anything. Every ingest
batch (rows, quarantine rows, watermark) is one transaction, so a process
killed part-way leaves the store as of the last committed batch.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from voc.errors import StoreError, StoreLockedError
from voc.schema import ITEM_COLUMNS, FeedbackRecord, QuarantineRow
from voc.store.base import BatchCounts, RunInfo
from voc.store.quarantine import quarantine_frame, rekey_statements
from voc.store.tables import TablesMixin, check_ident

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    external_id VARCHAR,
    kind VARCHAR NOT NULL,
    channel VARCHAR,
    created_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ,
    title VARCHAR,
    text VARCHAR NOT NULL,
    rating DOUBLE,
    rating_scale VARCHAR,
    customer_id VARCHAR,
    segment VARCHAR,
    revenue DOUBLE,
    product VARCHAR,
    language VARCHAR,
    url VARCHAR,
    metadata VARCHAR,
    flags VARCHAR,
    input_file VARCHAR,
    input_row BIGINT,
    content_hash VARCHAR NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    qid VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    input_file VARCHAR,
    input_row BIGINT,
    reason VARCHAR NOT NULL,
    detail VARCHAR,
    raw VARCHAR,
    run_id VARCHAR,
    quarantined_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS watermarks (
    source VARCHAR NOT NULL,
    key VARCHAR NOT NULL,
    value VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    job VARCHAR NOT NULL,
    target VARCHAR,
    status VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    rows_read BIGINT DEFAULT 0,
    stored BIGINT DEFAULT 0,
    updated BIGINT DEFAULT 0,
    duplicates BIGINT DEFAULT 0,
    quarantined BIGINT DEFAULT 0,
    pid INTEGER,
    detail VARCHAR,
    error VARCHAR
);
"""


def _now() -> datetime:
    return datetime.now(UTC)


def _records_frame(records: Sequence[FeedbackRecord], hashes: Sequence[str], now: datetime) -> pd.DataFrame:
    # Column-wise construction: several times faster than a list of model_dump() dicts.
    dicts = [r.__dict__ for r in records]
    data: dict[str, list[Any]] = {}
    for col in ITEM_COLUMNS[:-2]:
        data[col] = [d[col] for d in dicts]
    data["kind"] = [k.value if k is not None else None for k in data["kind"]]
    data["rating_scale"] = [s.value if s is not None else None for s in data["rating_scale"]]
    data["metadata"] = [
        json.dumps(m, default=str, ensure_ascii=False) if m else None for m in data["metadata"]
    ]
    data["flags"] = [json.dumps(f) if f else None for f in data["flags"]]
    data["content_hash"] = list(hashes)
    data["ingested_at"] = [now] * len(dicts)
    df = pd.DataFrame(data, columns=ITEM_COLUMNS)
    for col in ("created_at", "updated_at", "ingested_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    for col in ("rating", "revenue"):
        df[col] = pd.to_numeric(df[col]).astype("float64")
    df["input_row"] = df["input_row"].astype("Int64")
    return df


class DuckDBStore(TablesMixin):
    """The embedded store. Use `open_store()` rather than constructing directly."""

    def __init__(self, path: str | Path, *, read_only: bool = False, lock_timeout_s: float = 60.0) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock: FileLock | None = None
        self._in_tx = False
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        if not read_only and self.path != ":memory:":
            self._lock = FileLock(self.path + ".lock")
            try:
                self._lock.acquire(timeout=lock_timeout_s)
            except Timeout:
                raise StoreLockedError(
                    f"the store {self.path} is being written by another voc process "
                    f"(waited {lock_timeout_s:g} s). Wait for it to finish, or raise store.lock_timeout_s.",
                ) from None
        try:
            if read_only and self.path != ":memory:" and not Path(self.path).exists():
                raise StoreError(f"no store at {self.path}; run `voc ingest` first", code="E302")
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            self._release()
            raise StoreLockedError(
                f"cannot open the store {self.path}: another process has it open for writing ({exc}). "
                "Try again when that run finishes."
            ) from None
        except StoreError:
            self._release()
            raise
        if not read_only:
            self.con.execute(_SCHEMA)
            self._migrate()
            self._mark_interrupted_runs()
            self._rekey_quarantine()

    # -- lifecycle -----------------------------------------------------------
    def _release(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()

    def close(self) -> None:
        """Close the connection and release the write lock (a writer first leaves its status snapshot)."""
        try:
            self._snapshot()
            self.con.close()
        finally:
            self._release()

    def _snapshot(self) -> None:
        # What `voc status` shows while another process writes (DuckDB then refuses readers).
        if not self.read_only and self.path != ":memory:" and not self._in_tx:
            from voc.pipeline.status import save_snapshot

            save_snapshot(self)

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        # Stores made before undated exports were allowed declare items.created_at NOT NULL.
        rows = self.con.execute(
            "SELECT is_nullable FROM information_schema.columns "
            "WHERE table_name = 'items' AND column_name = 'created_at'"
        ).fetchall()
        if rows and rows[0][0] == "NO":
            self.con.execute("ALTER TABLE items ALTER COLUMN created_at DROP NOT NULL")

    def _mark_interrupted_runs(self) -> None:
        # We hold the write lock, so any run still 'running' belongs to a dead process.
        self.con.execute(
            "UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?) WHERE status = 'running'",
            [_now()],
        )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction; nested calls join the outer one."""
        if self._in_tx:
            yield self.con
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._in_tx = False

    # -- ingestion -------------------------------------------------------------
    def commit_batch(
        self,
        source: str,
        records: Sequence[FeedbackRecord],
        quarantined: Sequence[QuarantineRow],
        watermark: dict[str, str] | None = None,
        *,
        read: int | None = None,
        run_id: str | None = None,
    ) -> BatchCounts:
        """Upsert `records`, store `quarantined`, move `watermark`: all or nothing.

        An id already stored with the same content is a duplicate. With other
        content it is an update only when its `updated_at` is newer; otherwise
        it is quarantined as `duplicate_id_conflict`, so neither version is lost.
        """
        counts = BatchCounts(read=read if read is not None else len(records) + len(quarantined))
        quarantine = list(quarantined)
        now = _now()
        hashes = [r.content_hash() for r in records]

        # Resolve ids repeated inside the batch first, in row order.
        chosen: dict[str, int] = {}
        for i, rec in enumerate(records):
            j = chosen.get(rec.id)
            if j is None:
                chosen[rec.id] = i
            elif hashes[i] == hashes[j]:
                counts.duplicates += 1
            elif _newer(rec.updated_at, records[j].updated_at):
                # Earlier version in this batch is superseded; it was never stored.
                counts.duplicates += 1
                chosen[rec.id] = i
            else:
                quarantine.append(_conflict_row(source, rec, "an earlier row of this batch"))
        idx = list(chosen.values())
        batch = [records[i] for i in idx]
        batch_hashes = [hashes[i] for i in idx]

        with self.transaction() as con:
            existing: dict[str, tuple[str, Any]] = {}
            if batch:
                ids = pd.DataFrame({"id": [r.id for r in batch]})
                con.register("_incoming_ids", ids)
                rows = con.execute(
                    "SELECT i.id, i.content_hash, i.updated_at FROM items i JOIN _incoming_ids n USING (id)"
                ).fetchall()
                con.unregister("_incoming_ids")
                existing = {r[0]: (r[1], r[2]) for r in rows}
            to_insert: list[int] = []
            to_update: list[int] = []
            for k, rec in enumerate(batch):
                old = existing.get(rec.id)
                if old is None:
                    to_insert.append(k)
                elif old[0] == batch_hashes[k]:
                    counts.duplicates += 1
                elif _newer(rec.updated_at, old[1]):
                    to_update.append(k)
                else:
                    quarantine.append(_conflict_row(source, rec, "the stored item"))
            write = to_insert + to_update
            if write:
                df = _records_frame([batch[k] for k in write], [batch_hashes[k] for k in write], now)
                if to_update:
                    upd = pd.DataFrame({"id": [batch[k].id for k in to_update]})
                    con.register("_upd_ids", upd)
                    con.execute("DELETE FROM items WHERE id IN (SELECT id FROM _upd_ids)")
                    con.unregister("_upd_ids")
                con.register("_new_items", df)
                con.execute(f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) SELECT * FROM _new_items")
                con.unregister("_new_items")
            counts.inserted = len(to_insert)
            counts.updated = len(to_update)
            if write and to_insert:
                self._drop_stale_quarantine(source, [batch[k] for k in to_insert])
            if quarantine:
                new, again = self._insert_quarantine(quarantine, run_id, now)
                counts.quarantined = new
                counts.duplicates += again  # quarantined by an earlier read of the same file
            for key, value in (watermark or {}).items():
                self._set_watermark(source, key, value, now)
            if run_id:
                con.execute(
                    "UPDATE runs SET rows_read = rows_read + ?, stored = stored + ?, updated = updated + ?, "
                    "duplicates = duplicates + ?, quarantined = quarantined + ? WHERE run_id = ?",
                    [
                        counts.read,
                        counts.stored,
                        counts.updated,
                        counts.duplicates,
                        counts.quarantined,
                        run_id,
                    ],
                )
        if counts.read != counts.stored + counts.duplicates + counts.quarantined:
            raise StoreError(
                f"batch counts do not add up for source {source!r}: {counts.as_dict()}", code="E399"
            )
        return counts

    def _insert_quarantine(
        self, rows: Sequence[QuarantineRow], run_id: str | None, now: datetime
    ) -> tuple[int, int]:
        """Store quarantine rows keyed by (source, file, line, reason); returns (new, already stored)."""
        qdf = quarantine_frame(rows, run_id, now)
        self.con.register("_q", qdf)
        try:
            known = self.con.execute("SELECT count(*) FROM quarantine JOIN _q USING (qid)").fetchall()[0][0]
            self.con.execute(
                "INSERT INTO quarantine SELECT * FROM _q WHERE qid NOT IN (SELECT qid FROM quarantine)"
            )
        finally:
            self.con.unregister("_q")
        again = int(known) + len(rows) - len(qdf)
        return len(rows) - again, again

    def _drop_stale_quarantine(self, source: str, stored: Sequence[FeedbackRecord]) -> None:
        # A row stored now (say, after sources[].date_order was set) is no longer quarantined.
        if not self.con.execute("SELECT 1 FROM quarantine WHERE source = ? LIMIT 1", [source]).fetchall():
            return
        locs = pd.DataFrame(
            {"input_file": [r.input_file for r in stored], "input_row": [r.input_row for r in stored]}
        )
        locs["input_row"] = locs["input_row"].astype("Int64")
        self.con.register("_stored_locs", locs)
        try:
            self.con.execute(
                "DELETE FROM quarantine q WHERE q.source = ? AND q.reason != 'duplicate_id_conflict' AND EXISTS "
                "(SELECT 1 FROM _stored_locs l WHERE l.input_file = q.input_file AND l.input_row = q.input_row)",
                [source],
            )
        finally:
            self.con.unregister("_stored_locs")

    def _rekey_quarantine(self) -> None:
        # Stores written before quarantine rows had keys: key them, one row per key.
        old = self.con.execute("SELECT count(*) FROM quarantine WHERE qid NOT LIKE 'k%'").fetchall()[0][0]
        if old:
            with self.transaction() as con:
                for stmt in rekey_statements():
                    con.execute(stmt)

    def _set_watermark(self, source: str, key: str, value: str | None, now: datetime) -> None:
        self.con.execute(
            "INSERT INTO watermarks VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [source, key, value, now],
        )

    def set_watermark(self, source: str, key: str, value: str | None) -> None:
        """Move one watermark on its own (prefer `commit_batch` for rows and watermark together)."""
        with self.transaction():
            self._set_watermark(source, key, value, _now())

    def get_watermark(self, source: str, key: str) -> str | None:
        row = self.con.execute(
            "SELECT value FROM watermarks WHERE source = ? AND key = ?", [source, key]
        ).fetchall()
        return row[0][0] if row else None

    def watermarks(self, source: str) -> dict[str, str]:
        rows = self.con.execute("SELECT key, value FROM watermarks WHERE source = ?", [source]).fetchall()
        return {k: v for k, v in rows}

    # -- runs ----------------------------------------------------------------
    def start_run(self, job: str, target: str | None = None, detail: dict[str, Any] | None = None) -> RunInfo:
        """Record that a job started; returns the run to pass to `finish_run`."""
        run = RunInfo(run_id=uuid.uuid4().hex[:12], job=job, target=target, detail=dict(detail or {}))
        self.con.execute(
            "INSERT INTO runs (run_id, job, target, status, started_at, pid, detail) VALUES (?, ?, ?, 'running', ?, ?, ?)",
            [run.run_id, job, target, _now(), os.getpid(), json.dumps(run.detail, default=str)],
        )
        self._snapshot()
        return run

    def finish_run(self, run: RunInfo, status: str, error: str | None = None) -> None:
        """Close a run with its outcome: ok, partial, failed."""
        run.status = status
        self.con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, detail = ?, error = ? WHERE run_id = ?",
            [status, _now(), json.dumps(run.detail, default=str), error, run.run_id],
        )
        self._snapshot()

    # -- reading ---------------------------------------------------------------
    def count_items(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM items").fetchall()[0][0])

    def iter_items(
        self,
        columns: Sequence[str] | None = None,
        where: str | None = None,
        params: Sequence[Any] = (),
        chunk_rows: int = 10000,
    ) -> Iterator[pd.DataFrame]:
        """Stream items in chunks, in (created_at, id) order."""
        cols = ", ".join(check_ident(c) for c in columns) if columns else "*"
        sql = f"SELECT {cols} FROM items" + (f" WHERE {where}" if where else "") + " ORDER BY created_at, id"
        reader = self.con.execute(sql, list(params)).fetch_record_batch(chunk_rows)
        for batch in reader:
            yield batch.to_pandas()

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a read query and return a DataFrame."""
        return self.con.execute(sql, list(params)).df()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement (DDL or DML) in the current transaction, if any."""
        self.con.execute(sql, list(params))


def _newer(a: datetime | None, b: Any) -> bool:
    if a is None:
        return False
    if b is None or (isinstance(b, float) and pd.isna(b)):
        return True
    b_ts = pd.Timestamp(b)
    if b_ts.tzinfo is None:
        b_ts = b_ts.tz_localize(UTC)
    return pd.Timestamp(a) > b_ts


def _conflict_row(source: str, rec: FeedbackRecord, against: str) -> QuarantineRow:
    return QuarantineRow(
        source=source,
        input_file=rec.input_file,
        input_row=rec.input_row,
        reason="duplicate_id_conflict",
        detail=f"id {rec.id!r} repeats {against} with different content and no newer updated_at",
        raw=rec.model_dump_json(),
    )
