"""File watermarks: resume after rows_done, skip complete unchanged files, re-read changed ones."""

from __future__ import annotations

import json
from pathlib import Path

from voc.config import SourceConfig, VocConfig
from voc.ingest import make_connector
from voc.ingest.filesource import watermark_key

HEADER = "id,text,created_at\n"


def write_rows(path: Path, n: int, prefix: str = "t") -> None:
    path.write_text(HEADER + "".join(f"{prefix}{i},text {i},2026-01-05\n" for i in range(n)))


def connector(tmp_path: Path, path: str = "a.csv", chunk_rows: int = 5):
    return make_connector(
        SourceConfig(name="s", format="csv", path=path, chunk_rows=chunk_rows), VocConfig(root=tmp_path)
    )


def wm(chunk) -> dict:
    (value,) = chunk.watermark.values()
    return json.loads(value)


def test_watermark_key_and_value(tmp_path: Path) -> None:
    write_rows(tmp_path / "a.csv", 3)
    (chunk,) = connector(tmp_path).read({})
    assert list(chunk.watermark) == [f"file:{(tmp_path / 'a.csv').resolve()}"]
    import hashlib

    assert wm(chunk) == {
        "sha1": hashlib.sha1((tmp_path / "a.csv").read_bytes()).hexdigest(),
        "rows_done": 3,
        "complete": True,
    }


def test_resume_after_rows_done(tmp_path: Path) -> None:
    write_rows(tmp_path / "a.csv", 12)
    first = next(iter(connector(tmp_path).read({})))  # the run dies after committing one chunk
    assert wm(first)["rows_done"] == 5 and not wm(first)["complete"]
    chunks = list(connector(tmp_path).read(dict(first.watermark)))
    assert [c.read for c in chunks] == [5, 2]
    assert [r.input_row for c in chunks for r in c.records] == list(range(5, 12))
    assert [r.external_id for r in chunks[0].records][:1] == ["t5"]
    assert wm(chunks[-1]) == {**wm(first), "rows_done": 12, "complete": True}


def test_resume_counts_quarantined_rows_as_done(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        HEADER + "1,,2026-01-05\n2,bad date,never\n3,x,y,z\n4,ok,2026-01-05\n5,ok,2026-01-05\n"
    )
    first = next(iter(connector(tmp_path, chunk_rows=3).read({})))
    assert len(first.quarantined) == 3 and wm(first)["rows_done"] == 3
    (rest,) = connector(tmp_path, chunk_rows=3).read(dict(first.watermark))
    assert [r.external_id for r in rest.records] == ["4", "5"]


def test_complete_unchanged_file_is_skipped(tmp_path: Path) -> None:
    write_rows(tmp_path / "a.csv", 4)
    chunks = list(connector(tmp_path).read({}))
    again = connector(tmp_path)
    assert list(again.read(dict(chunks[-1].watermark))) == []
    assert again.skipped == ["a.csv"]
    full = list(connector(tmp_path).read(dict(chunks[-1].watermark), full=True))  # voc ingest --full
    assert sum(c.read for c in full) == 4


def test_changed_file_is_read_from_the_start(tmp_path: Path) -> None:
    write_rows(tmp_path / "a.csv", 4)
    done = list(connector(tmp_path).read({}))[-1].watermark
    write_rows(tmp_path / "a.csv", 6, prefix="u")
    chunks = list(connector(tmp_path).read(dict(done)))
    assert [r.external_id for c in chunks for r in c.records] == [f"u{i}" for i in range(6)]
    assert wm(chunks[0])["sha1"] != json.loads(done[watermark_key(tmp_path / "a.csv")])["sha1"]


def test_glob_reads_only_the_new_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    write_rows(tmp_path / "in" / "2026-01-01.csv", 3, prefix="a")
    marks: dict[str, str] = {}
    for c in connector(tmp_path, "in/*.csv").read(marks):
        marks.update(c.watermark)
    write_rows(tmp_path / "in" / "2026-01-02.csv", 2, prefix="b")
    chunks = list(connector(tmp_path, "in/*.csv").read(marks))
    assert [c.file for c in chunks] == ["in/2026-01-02.csv"]
    assert [r.external_id for r in chunks[0].records] == ["b0", "b1"]
    assert chunks[0].records[0].input_file == "in/2026-01-02.csv"


def test_killed_ingest_resumes_through_the_store(tmp_path: Path, mem_store) -> None:
    write_rows(tmp_path / "a.csv", 12)
    for i, chunk in enumerate(connector(tmp_path).read(mem_store.watermarks("s"))):
        mem_store.commit_batch("s", chunk.records, chunk.quarantined, chunk.watermark)
        if i == 1:
            break  # killed after the second committed chunk
    assert mem_store.count_items() == 10
    chunks = list(connector(tmp_path).read(mem_store.watermarks("s")))
    for chunk in chunks:
        mem_store.commit_batch("s", chunk.records, chunk.quarantined, chunk.watermark)
    assert [c.read for c in chunks] == [2]
    assert mem_store.count_items() == 12
    assert list(connector(tmp_path).read(mem_store.watermarks("s"))) == []
