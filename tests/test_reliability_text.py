"""Issue 21, text and counts: NUL bytes, mixed line endings, huge fields, quarantine keyed, counts true.

Every case goes through the real ingest job (connector, cleaning, store),
with `read_ahead` on as in production.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from voc.config import VocConfig, config_from_dict
from voc.pipeline.exports import write_quarantine_csv
from voc.pipeline.ingest import ingest
from voc.pipeline.status import store_status
from voc.store import DuckDBStore, open_store

pytestmark = pytest.mark.reliability

HEADER = b"id,date,text\r\n"


def make_config(root: Path, path: str = "in.csv", **source_kw) -> VocConfig:
    src = {
        "name": "src",
        "format": "csv",
        "kind": "ticket",
        "path": path,
        "columns": {"id": "id", "created_at": "date", "text": "text"},
    } | source_kw
    return config_from_dict({"root": str(root), "store": {"path": "voc.duckdb"}, "sources": [src]})


def items(cfg: VocConfig) -> pd.DataFrame:
    with open_store(cfg, read_only=True) as store:
        return store.query("SELECT external_id, text FROM items ORDER BY input_row")


def quarantine(cfg: VocConfig) -> pd.DataFrame:
    with open_store(cfg, read_only=True) as store:
        return store.query("SELECT reason, input_row, detail, raw FROM quarantine ORDER BY input_row")


def test_a_nul_byte_in_a_sentence_is_stripped_and_the_row_kept(tmp_path: Path) -> None:
    # Before: one NUL in 74 characters quarantined the row (5 of these 10 rows).
    lines = []
    for i in range(10):
        text = f"The export from the billing page fails again for invoice number {i:04d} today."
        if i % 2:
            text = text[:30] + "\x00" + text[30:]
        lines.append(f"r{i},2026-03-02,{text}\r\n".encode())
    (tmp_path / "in.csv").write_bytes(HEADER + b"".join(lines))
    cfg = make_config(tmp_path)
    res = ingest(cfg, progress=False)
    assert (res.counts.read, res.counts.stored, res.counts.quarantined) == (10, 10, 0)
    got = items(cfg)
    assert not any("\x00" in t for t in got["text"])
    assert got["text"].str.contains("invoice number 0001").any()


def test_a_line_of_mostly_control_bytes_is_still_binary_garbage(tmp_path: Path) -> None:
    junk = bytes(range(1, 9)) * 6
    (tmp_path / "in.csv").write_bytes(
        HEADER + b"r0,2026-03-02,fine text here\r\nr1,2026-03-02," + junk + b"\r\n"
    )
    cfg = make_config(tmp_path)
    res = ingest(cfg, progress=False)
    assert (res.counts.stored, res.counts.quarantined) == (1, 1)
    assert quarantine(cfg)["reason"].tolist() == ["binary_garbage"]


def test_cr_lf_and_crlf_line_endings_in_one_file(tmp_path: Path) -> None:
    # Before: "read 9, quarantined 3" for these 12 rows (three valid rows hid inside quarantined text).
    endings = [b"\r\n", b"\n", b"\r"] * 4
    body = b"".join(
        f"r{i},2026-03-02,row number {i} of the export".encode() + e for i, e in enumerate(endings)
    )
    # A quoted field keeps its own line break, whatever the line endings around it.
    body += b'r12,2026-03-02,"two lines:\rsecond line"\r'
    (tmp_path / "in.csv").write_bytes(HEADER + body)
    cfg = make_config(tmp_path)
    res = ingest(cfg, progress=False)
    assert (res.counts.read, res.counts.stored, res.counts.quarantined) == (13, 13, 0)
    got = items(cfg)
    assert got["external_id"].tolist() == [f"r{i}" for i in range(13)]
    assert got["text"].iloc[12] == "two lines:\nsecond line"


def test_a_huge_field_is_cut_in_quarantine_and_quarantine_csv(tmp_path: Path) -> None:
    # Before: a 10 MB field was copied whole into the quarantine table and quarantine.csv.
    big = "x" * (5 * 2**20)  # a row that parses, with a bad date: its raw row is JSON
    huge = "y" * (10 * 2**20)  # past the 8 MB record guard: a bad_row whose raw is the line
    rows = f"r0,not a date,{big}\r\nr1,2026-03-02,fine\r\nr2,2026-03-02,{huge}\r\n"
    (tmp_path / "in.csv").write_bytes(HEADER + rows.encode())
    cfg = make_config(tmp_path)
    res = ingest(cfg, progress=False)
    assert (res.counts.read, res.counts.stored, res.counts.quarantined) == (3, 1, 2)
    q = quarantine(cfg)
    assert q["reason"].tolist() == ["bad_date", "bad_row"]
    raw = json.loads(q["raw"].iloc[0])
    assert raw["id"] == "r0" and raw["date"] == "not a date"  # still JSON, the short fields whole
    assert raw["text"].startswith("xxx") and f"cut: {len(big):,} characters in all" in raw["text"]
    assert json.loads(q["raw"].iloc[1]).startswith("r2,2026-03-02,yyy")
    assert all(len(r) < 25_000 for r in q["raw"]) and all(len(d) < 1_100 for d in q["detail"])
    with open_store(cfg, read_only=True) as store:
        write_quarantine_csv(store, tmp_path / "quarantine.csv")
    assert (tmp_path / "quarantine.csv").stat().st_size < 60_000


BAD_AND_GOOD = [
    "r0,2026-03-02,the export page is slow",
    "r1,not a date,this row has a bad date",
    "r2,2026-03-03,the login page is slow",
    "r3,,this row has no date",
]


def write_rows(path: Path, rows: list[str]) -> None:
    path.write_bytes(HEADER + "".join(r + "\r\n" for r in rows).encode())


def test_full_reingest_keeps_one_quarantine_row_per_bad_row(tmp_path: Path) -> None:
    # Before: `voc ingest --full` on an unchanged file doubled its quarantine rows (70 -> 140).
    write_rows(tmp_path / "in.csv", BAD_AND_GOOD)
    cfg = make_config(tmp_path)
    for _ in range(3):
        res = ingest(cfg, progress=False, full=True)
        assert res.counts.read == 4
    with open_store(cfg, read_only=True) as store:
        rep = store_status(store)
    assert len(quarantine(cfg)) == 2
    assert rep.quarantine_reasons.set_index("reason")["rows"].to_dict() == {"bad_date": 2}
    # Runs still add up, and a bad row met again counts as a duplicate, like a stored row met again.
    t = rep.totals
    assert rep.adds_up and t["read"] == 12
    assert (t["stored"], t["quarantined"]) == (2, 2) and t["duplicates"] == 8


def test_repeated_analyze_store_keeps_one_quarantine_row_per_bad_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: three `voc analyze --store` runs left 6 quarantine rows for 2 bad inputs.
    from voc.pipeline import analyze as analyze_mod

    monkeypatch.setattr(analyze_mod, "run_stages", lambda *a, **k: {})  # the models are not under test
    write_rows(tmp_path / "in.csv", BAD_AND_GOOD)
    store = tmp_path / "kept.duckdb"
    for _ in range(3):
        res = analyze_mod.analyze_file(
            tmp_path / "in.csv",
            tmp_path / "out",
            analyze_mod.AnalyzeOptions(id_col="id", date_col="date"),
            store_path=store,
            progress=False,
        )
    assert res.counts["read"] == 4
    assert len(pd.read_csv(tmp_path / "out" / "quarantine.csv")) == 2
    with DuckDBStore(store, read_only=True) as st:
        assert store_status(st).quarantine_reasons["rows"].sum() == 2


def test_a_row_stored_after_a_fix_leaves_quarantine(tmp_path: Path) -> None:
    write_rows(tmp_path / "in.csv", ["r0,03/04/2025,first", "r1,05/06/2025,second"])
    cfg = make_config(tmp_path)
    ingest(cfg, progress=False)
    assert quarantine(cfg)["reason"].tolist() == ["ambiguous_date", "ambiguous_date"]
    fixed = make_config(tmp_path, date_order="dmy")
    res = ingest(fixed, progress=False, full=True)
    assert (res.counts.stored, res.counts.quarantined) == (2, 0)
    assert quarantine(fixed).empty and len(items(fixed)) == 2


def test_stores_from_before_keys_are_rekeyed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with DuckDBStore(path) as store:
        for qid in ("a" * 32, "b" * 32):  # two uuid-keyed copies of one bad row, as --full left them
            store.execute(
                "INSERT INTO quarantine VALUES (?, 'src', 'in.csv', 3, 'bad_date', 'd', '{}', 'run', now())",
                [qid],
            )
        store.execute(
            "INSERT INTO quarantine VALUES ('c' || repeat('0', 31), 'src', 'in.csv', 4, 'bad_date', 'd', '{}', "
            "'run', now())"
        )
    with DuckDBStore(path) as store:
        rows = store.query("SELECT qid, input_row FROM quarantine ORDER BY input_row")
    assert rows["input_row"].tolist() == [3, 4]
    assert all(q.startswith("k") for q in rows["qid"])
