"""The DuckDB store: idempotent upserts, conflicts, watermarks, runs, locking."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from voc.errors import StoreLockedError
from voc.schema import FeedbackRecord, QuarantineRow, stable_id
from voc.store import DuckDBStore


def rec(ext: str, text: str = "the app crashes", updated: datetime | None = None, **kw) -> FeedbackRecord:
    created = datetime(2026, 3, 2, 10, tzinfo=UTC)
    return FeedbackRecord(
        id=stable_id("src", ext, text, created),
        source="src",
        external_id=ext,
        kind="review",
        created_at=created,
        updated_at=updated,
        text=text,
        **kw,
    )


def test_counts_add_up_and_reingest_changes_nothing(mem_store: DuckDBStore) -> None:
    batch = [rec("1"), rec("2"), rec("3")]
    q = [QuarantineRow(source="src", reason="bad_date", detail="x")]
    first = mem_store.commit_batch("src", batch, q)
    assert (first.read, first.inserted, first.duplicates, first.quarantined) == (4, 3, 0, 1)
    before = mem_store.query("SELECT * FROM items ORDER BY id")
    again = mem_store.commit_batch("src", batch, [])
    assert (again.read, again.stored, again.duplicates) == (3, 0, 3)
    after = mem_store.query("SELECT * FROM items ORDER BY id")
    pd.testing.assert_frame_equal(before, after)


def test_duplicate_ids_within_a_batch(mem_store: DuckDBStore) -> None:
    counts = mem_store.commit_batch("src", [rec("1"), rec("1"), rec("2")], [])
    assert (counts.inserted, counts.duplicates) == (2, 1)
    assert mem_store.count_items() == 2


def test_newer_version_updates_and_stale_conflict_is_quarantined(mem_store: DuckDBStore) -> None:
    t0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
    mem_store.commit_batch("src", [rec("1", "late delivery", updated=t0)], [])
    newer = mem_store.commit_batch(
        "src", [rec("1", "late delivery, now solved", updated=t0 + timedelta(days=1))], []
    )
    assert (newer.updated, newer.quarantined) == (1, 0)
    assert mem_store.query("SELECT text FROM items")["text"].tolist() == ["late delivery, now solved"]
    stale = mem_store.commit_batch("src", [rec("1", "an older edit", updated=t0)], [])
    assert (stale.stored, stale.quarantined) == (0, 1)
    q = mem_store.query("SELECT reason, raw FROM quarantine")
    assert q["reason"].tolist() == ["duplicate_id_conflict"]
    assert "an older edit" in q["raw"].iloc[0]  # nothing lost: the losing version is kept


def test_watermark_commits_with_rows_or_not_at_all(mem_store: DuckDBStore) -> None:
    mem_store.commit_batch("src", [rec("1")], [], {"cursor": "abc"})
    assert mem_store.get_watermark("src", "cursor") == "abc"
    bad = rec("2").model_copy(update={"text": None})  # violates NOT NULL inside the transaction
    with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
        mem_store.commit_batch("src", [bad], [], {"cursor": "def"})
    assert mem_store.get_watermark("src", "cursor") == "abc"
    assert mem_store.count_items() == 1


def test_runs_record_counts_and_interrupted_runs_are_marked(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    store = DuckDBStore(path)
    run = store.start_run("ingest", "src")
    store.commit_batch("src", [rec("1"), rec("2")], [], run_id=run.run_id)
    store.close()  # never finished: as if the process died
    store = DuckDBStore(path)
    row = store.query("SELECT status, rows_read, stored FROM runs").iloc[0]
    assert (row.status, row.rows_read, row.stored) == ("interrupted", 2, 2)
    store.close()


def test_write_frame_upserts_by_key(mem_store: DuckDBStore) -> None:
    mem_store.write_frame("t", pd.DataFrame({"k": [1, 2], "v": ["a", "b"]}), key=["k"])
    mem_store.write_frame("t", pd.DataFrame({"k": [2, 3], "v": ["B", "c"]}), key=["k"])
    assert mem_store.query("SELECT k, v FROM t ORDER BY k").values.tolist() == [[1, "a"], [2, "B"], [3, "c"]]


def _hold_lock(path: str, ready, release) -> None:
    store = DuckDBStore(path)
    ready.set()
    release.wait(30)
    store.close()


def test_second_writer_gets_a_clear_refusal(tmp_path: Path) -> None:
    path = str(tmp_path / "s.duckdb")
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(StoreLockedError, match="another voc process"):
            DuckDBStore(path, lock_timeout_s=0.5)
    finally:
        release.set()
        holder.join(30)
    DuckDBStore(path, lock_timeout_s=5).close()  # free again once the first writer is done


def test_a_table_created_with_many_row_groups_in_a_transaction_still_joins(tmp_path: Path) -> None:
    # DuckDB 2.0 regression guard: an empty CREATE then an INSERT of more than one row group
    # (122,880 rows) in one transaction made later joins on that connection see no rows.
    import numpy as np

    n = 2 * 122_880 + 1
    keys = pd.DataFrame(
        {"item_id": np.arange(n).astype(str).astype(object), "sent_idx": np.zeros(n, "int32")}
    )
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        store.write_frame("sentences", keys.assign(text="x"))
        with store.transaction():
            store.write_frame("mentions", keys.assign(theme_id="T0001"))
        joined = store.query(
            "SELECT count(*) AS n FROM mentions m LEFT JOIN sentences s USING (item_id, sent_idx)"
        )
        assert joined["n"].iloc[0] == n
        store.write_frame("mentions", keys.iloc[:10].assign(theme_id="T0002"), key=["item_id", "sent_idx"])
        assert store.query("SELECT count(*) AS n FROM mentions WHERE theme_id = 'T0002'")["n"].iloc[0] == 10
        assert store.query("SELECT count(*) AS n FROM mentions")["n"].iloc[0] == n


def test_batch_counts_line_names_where_every_row_went() -> None:
    from voc.store.base import BatchCounts

    c = BatchCounts(read=1200, inserted=1000, updated=50, duplicates=100, quarantined=50)
    assert (
        c.line()
        == "in 1,200 rows -> out 1,050 stored (1,000 new, 50 updated), 100 duplicates, 50 quarantined"
    )
