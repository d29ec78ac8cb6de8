"""The ingest job end to end on messy files: counts add up, nothing is lost, runs resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voc.config import VocConfig, config_from_dict
from voc.pipeline.ingest import ingest
from voc.pipeline.status import store_status
from voc.store import open_store

HEADER = "review_id,date,stars,body\n"


def make_config(root: Path, path: str = "reviews*.csv", **source_kw) -> VocConfig:
    src = {
        "name": "reviews",
        "format": "csv",
        "kind": "review",
        "path": path,
        "rating_scale": "stars",
        "chunk_rows": 3,
        "columns": {"id": "review_id", "created_at": "date", "rating": "stars", "text": "body"},
    } | source_kw
    return config_from_dict(
        {"root": str(root), "store": {"path": "voc.duckdb", "lock_timeout_s": 1}, "sources": [src]}
    )


def write(path: Path, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> None:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding=encoding)


MESSY = [
    'r1,2026-03-02,1,"The app crashes every time I open it"',
    'r2,2026-03-02,5,"Lovely staff, quick delivery"',
    'r3,not a date,4,"Fine overall"',  # bad date
    'r4,2026-03-03,9,"Great"',  # rating out of range
    'r5,2026-03-03,3,"   "',  # whitespace-only text
    'r6,2026-03-04,2,"Mail me at jane.doe@example.com about the refund"',  # PII
    'r1,2026-03-02,1,"The app crashes every time I open it"',  # duplicate id, same content
    'r7,2026-03-05,2,"La livraison est arrivée en retard et le colis était abîmé"',  # French
    'r8,2026-03-05,2,"too","many","fields"',  # malformed line
]


def test_messy_file_counts_add_up_and_nothing_is_lost(tmp_path: Path) -> None:
    write(tmp_path / "reviews.csv", MESSY)
    cfg = make_config(tmp_path)
    result = ingest(cfg, progress=False)
    c = result.counts
    assert result.status == "ok"
    assert c.read == len(MESSY)
    assert c.read == c.stored + c.duplicates + c.quarantined
    assert (c.stored, c.duplicates, c.quarantined) == (4, 1, 4)
    with open_store(cfg, read_only=True) as store:
        rep = store_status(store)
        assert rep.adds_up and rep.totals["read"] == len(MESSY)
        reasons = set(store.query("SELECT reason FROM quarantine")["reason"])
        texts = store.query("SELECT id, text, language, flags FROM items ORDER BY id")
    assert {"bad_date", "rating_out_of_range", "bad_row"} <= reasons
    assert len(reasons) == 4  # plus the whitespace-only text, whatever stage caught it
    pii = texts[texts["id"] == "reviews:r6"]["text"].iloc[0]
    assert "jane.doe@example.com" not in pii and "[EMAIL]" in pii
    french = texts[texts["id"] == "reviews:r7"].iloc[0]
    assert french["language"] == "fr" and "non_english" in json.loads(french["flags"])


def test_reingest_changes_nothing(tmp_path: Path) -> None:
    write(tmp_path / "reviews.csv", MESSY)
    cfg = make_config(tmp_path)
    ingest(cfg, progress=False)
    with open_store(cfg, read_only=True) as store:
        before = store.query("SELECT * EXCLUDE (ingested_at) FROM items ORDER BY id")
        q_before = store.count_items(), len(store.query("SELECT * FROM quarantine"))
    skipped = ingest(cfg, progress=False)  # complete, unchanged file: skipped
    assert skipped.counts.read == 0
    again = ingest(cfg, full=True, progress=False)  # forced re-read: all duplicates or re-quarantined
    assert again.counts.stored == 0
    with open_store(cfg, read_only=True) as store:
        after = store.query("SELECT * EXCLUDE (ingested_at) FROM items ORDER BY id")
        assert store.count_items() == q_before[0]
    assert before.equals(after)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path / "reviews_a.csv", ['r1,2026-03-02,1,"App crashes"', 'r2,2026-03-02,5,"Great"'])
    write(tmp_path / "reviews_b.csv", ['r2,2026-03-02,5,"Great"', 'r3,2026-03-03,4,"Good"'])
    result = ingest(make_config(tmp_path), progress=False)
    assert (result.counts.read, result.counts.stored, result.counts.duplicates) == (4, 3, 1)


def test_latin1_and_bom_files(tmp_path: Path) -> None:
    write(tmp_path / "reviews_latin1.csv", ['r1,2026-03-02,2,"Très déçu du café"'], encoding="latin-1")
    write(tmp_path / "reviews_bom.csv", ['r2,2026-03-02,5,"Great service"'], encoding="utf-8-sig")
    cfg = make_config(tmp_path)
    result = ingest(cfg, progress=False)
    assert result.counts.stored == 2
    with open_store(cfg, read_only=True) as store:
        texts = dict(store.query("SELECT id, text FROM items").values.tolist())
    assert texts["reviews:r1"] == "Très déçu du café"


def test_missing_required_column_fails_before_writing(tmp_path: Path) -> None:
    write(tmp_path / "reviews.csv", ['r1,2026-03-02,1,"x"'], header="review_id,date,stars,comment\n")
    cfg = make_config(tmp_path)
    result = ingest(cfg, progress=False)
    assert result.status == "failed"
    err = result.sources[0].error
    assert "body" in err and "reviews.csv" in err
    with open_store(cfg, read_only=True) as store:
        assert store.count_items() == 0


def test_very_long_text_is_truncated_and_flagged(tmp_path: Path) -> None:
    long = "word " * 5000
    write(tmp_path / "reviews.csv", [f'r1,2026-03-02,1,"{long}"'])
    cfg = make_config(tmp_path)
    ingest(cfg, progress=False)
    with open_store(cfg, read_only=True) as store:
        row = store.query("SELECT text, flags FROM items").iloc[0]
    assert len(row["text"]) <= cfg.clean.max_text_chars
    assert "truncated" in json.loads(row["flags"])


def test_interrupted_ingest_resumes_without_loss_or_duplicates(tmp_path: Path) -> None:
    from voc.pipeline.ingest import ingest_source

    rows = [
        f'r{i},2026-03-{1 + i % 28:02d},{1 + i % 5},"feedback number {i} about delivery"' for i in range(20)
    ]
    write(tmp_path / "reviews.csv", rows)
    cfg = make_config(tmp_path)
    with open_store(cfg) as store:
        first = ingest_source(store, cfg, cfg.sources[0], progress=False, fail_after_rows=7)
    assert first.status == "failed" and 0 < first.counts.stored < 20
    second = ingest(cfg, progress=False)
    assert second.status == "ok"
    with open_store(cfg, read_only=True) as store:
        ids = store.query("SELECT id FROM items")["id"]
        runs = store.query("SELECT status FROM runs ORDER BY started_at")["status"].tolist()
    assert len(ids) == 20 and ids.is_unique
    assert runs == ["failed", "ok"]
    # The resumed run only read what the failed one had not committed.
    assert first.counts.read + second.counts.read == 20


def test_a_failing_source_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import voc.pipeline.ingest as job

    write(tmp_path / "good.csv", ['r1,2026-03-02,1,"App crashes"'])
    write(tmp_path / "bad.csv", [f'r{i},2026-03-02,1,"text {i}"' for i in range(10)])
    cfg = config_from_dict(
        {
            "root": str(tmp_path),
            "store": {"path": "voc.duckdb"},
            "sources": [
                {
                    "name": "bad",
                    "format": "csv",
                    "path": "bad.csv",
                    "chunk_rows": 4,
                    "columns": {"id": "review_id", "created_at": "date", "text": "body"},
                },
                {
                    "name": "good",
                    "format": "csv",
                    "path": "good.csv",
                    "columns": {"id": "review_id", "created_at": "date", "text": "body"},
                },
            ],
        }
    )
    real = job.make_connector

    class Breaks:
        def __init__(self, inner):
            self.inner = inner

        def read(self, watermarks, full=False):
            for n, chunk in enumerate(self.inner.read(watermarks, full=full)):
                if n == 1:
                    raise OSError("connection reset while reading bad.csv")
                yield chunk

    monkeypatch.setattr(
        job, "make_connector", lambda s, c: Breaks(real(s, c)) if s.name == "bad" else real(s, c)
    )
    result = ingest(cfg, progress=False)
    assert result.status == "partial"
    by = {r.source: r for r in result.sources}
    assert by["bad"].status == "failed" and "connection reset" in by["bad"].error
    assert by["good"].status == "ok" and by["good"].counts.stored == 1
    assert by["bad"].counts.stored == 4  # the batch committed before the failure stays
