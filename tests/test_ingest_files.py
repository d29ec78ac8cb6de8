"""Generic file connectors: CSV/JSONL/Parquet/Excel, encodings, malformed rows, chunking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voc.config import ColumnMap, SourceConfig, VocConfig
from voc.errors import InputError
from voc.ingest import make_connector
from voc.ingest.base import Chunk
from voc.ingest.files import detect_encoding

HEADER = "id,text,created_at,rating\n"


def read_all(tmp_path: Path, name: str, **src) -> list[Chunk]:
    src.setdefault("format", "csv")
    cfg = VocConfig(root=tmp_path)
    chunks = list(make_connector(SourceConfig(name="s", path=name, **src), cfg).read({}))
    done = 0
    for ch in chunks:  # nothing dropped: the watermark advances by exactly what each chunk holds
        assert ch.read == len(ch.records) + len(ch.quarantined)
        wm = json.loads(next(iter(ch.watermark.values())))
        done += ch.read
        assert wm["rows_done"] == done
    assert json.loads(next(iter(chunks[-1].watermark.values())))["complete"] is True
    return chunks


def records(chunks):
    return [r for c in chunks for r in c.records]


def quarantined(chunks):
    return [q for c in chunks for q in c.quarantined]


def test_malformed_csv_lines_become_one_quarantine_row_each(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        HEADER
        + "1,fine,2026-01-05 13:45:00,4\n"
        + "2,too,many,fields,here,x\n"
        + '3,"quoted\nnewline, kept",2026-01-06,5\n'
        + "4,short\n"
        + '5,"a stray quote,2026-01-07,3\n'
        + "6,after the stray quote,2026-01-08,2\n"
        + "7,last,2026-01-09,1\n",
        encoding="utf-8",
    )
    chunks = read_all(tmp_path, "a.csv")
    recs = records(chunks)
    bad = quarantined(chunks)
    assert [r.external_id for r in recs] == ["1", "3", "6", "7"]
    assert recs[1].text == "quoted\nnewline, kept"
    assert [r.input_row for r in recs] == [0, 2, 5, 6]
    assert [(q.reason, q.input_row) for q in bad] == [("bad_row", 1), ("bad_row", 3), ("bad_row", 4)]
    assert "line 3" in bad[0].detail and "expected 4 fields, found 6" in bad[0].detail
    assert "line 6" in bad[1].detail
    # the stray quote swallowed the next lines; they were read again on their own
    assert "line 7" in bad[2].detail and "unbalanced quote" in bad[2].detail
    assert json.loads(bad[0].raw) == "2,too,many,fields,here,x\n"
    assert sum(c.read for c in chunks) == 7


def test_latin1_file_is_detected(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_bytes(
        (HEADER + "1,Très bien, café crème,2026-01-05,5\n").replace(", café", " café").encode("latin-1")
    )
    recs = records(read_all(tmp_path, "l.csv"))
    assert recs[0].text == "Très bien café crème"


def test_utf8_bom_file(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_bytes("\ufeff".encode() + (HEADER + "1,naïve ☕,2026-01-05,5\n").encode())
    chunks = read_all(tmp_path, "b.csv")
    assert records(chunks)[0].text == "naïve ☕"
    assert records(chunks)[0].external_id == "1"  # header's first column is not '\ufeffid'


def test_explicit_encoding_wins(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_bytes((HEADER + "1,€uro,2026-01-05,5\n").encode("cp1252"))
    recs = records(read_all(tmp_path, "c.csv", encoding="cp1252"))
    assert recs[0].text == "€uro"


def test_bad_encoding_after_the_sample_is_one_quarantined_row(tmp_path: Path) -> None:
    filler = "".join(f"{i},row {i} is plain ascii padding text,2026-01-05,3\n" for i in range(2000))
    assert len(filler) > 64 * 1024  # the bad line comes after the detection sample
    data = (
        (HEADER + filler).encode() + b"9999,caf\xe9 in latin-1,2026-01-05,3\n" + b"10000,fine,2026-01-05,3\n"
    )
    (tmp_path / "m.csv").write_bytes(data)
    chunks = read_all(tmp_path, "m.csv")
    bad = quarantined(chunks)
    assert [q.reason for q in bad] == ["bad_encoding"]
    assert bad[0].input_row == 2000 and "line 2002" in bad[0].detail and "\\xe9" in bad[0].detail
    assert len(records(chunks)) == 2001


def test_binary_garbage_is_quarantined_not_a_crash(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + b"1,ok,2026-01-05,4\n"
        + b"\x00\x01\x02\xff\xfe\x00\x00\x13\x14\x00\x89PNG\x00\x00\n"
        + b"2,ok too,2026-01-05,4\n"
    )
    (tmp_path / "g.csv").write_bytes(data)
    chunks = read_all(tmp_path, "g.csv")
    assert [r.external_id for r in records(chunks)] == ["1", "2"]
    assert [q.reason for q in quarantined(chunks)] == ["binary_garbage"]


def test_a_nul_inside_a_text_field_is_kept_for_cleaning_to_strip(tmp_path: Path) -> None:
    # One NUL is not binary data (issue 21): the row is kept and cleaning removes the byte.
    (tmp_path / "n.jsonl").write_text(
        json.dumps({"id": 1, "text": "abc\x00def", "created_at": "2026-01-05"}) + "\n", encoding="utf-8"
    )
    chunks = read_all(tmp_path, "n.jsonl", format="jsonl")
    assert not quarantined(chunks)
    from voc.clean import clean_records

    kept, dropped = clean_records(records(chunks), VocConfig().clean, "s")
    assert not dropped and kept[0].text == "abcdef"


def test_empty_and_whitespace_text_is_missing_text(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_text(HEADER + "1,,2026-01-05,4\n2,   \t ,2026-01-05,4\n3,ok,2026-01-05,4\n")
    chunks = read_all(tmp_path, "e.csv")
    assert [(q.reason, q.input_row) for q in quarantined(chunks)] == [
        ("missing_text", 0),
        ("missing_text", 1),
    ]
    assert json.loads(quarantined(chunks)[1].raw)["text"] == "   \t "


def test_missing_required_column_raises_before_anything_is_yielded(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("id,body_text,created_at\n1,hello,2026-01-05\n")
    it = make_connector(SourceConfig(name="s", format="csv", path="h.csv"), VocConfig(root=tmp_path)).read({})
    with pytest.raises(InputError) as exc:
        next(it)
    msg = str(exc.value)
    assert "'text'" in msg and "h.csv" in msg and "'body_text'" in msg and "'created_at'" in msg


def test_missing_column_in_a_later_glob_file_stops_before_the_first_chunk(tmp_path: Path) -> None:
    (tmp_path / "a1.csv").write_text(HEADER + "1,hello,2026-01-05,4\n")
    (tmp_path / "a2.csv").write_text("id,text\n2,no dates here\n")
    it = make_connector(SourceConfig(name="s", format="csv", path="a*.csv"), VocConfig(root=tmp_path)).read(
        {}
    )
    with pytest.raises(InputError, match=r"created_at.*a2\.csv|a2\.csv.*created_at"):
        next(it)


def test_configured_column_map_and_date_format(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("Ticket;Body;When;Stars;Plan\nT-1;slow app;05.01.2026 13:45;3;pro\n")
    chunks = read_all(
        tmp_path,
        "m.csv",
        columns=ColumnMap(id="Ticket", text="Body", created_at="When", rating="Stars", segment="Plan"),
        date_format="%d.%m.%Y %H:%M",
    )
    (r,) = records(chunks)
    assert (r.id, r.text, r.segment, r.rating, r.rating_scale.value) == (
        "s:T-1",
        "slow app",
        "pro",
        3.0,
        "stars",
    )
    assert r.created_at.isoformat() == "2026-01-05T13:45:00+00:00"
    assert r.input_file == "m.csv"


def test_unmapped_columns_go_to_metadata_but_not_pii(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("id,text,created_at,plan_tier,Email\n1,hi,2026-01-05,gold,a@b.c\n")
    (r,) = records(read_all(tmp_path, "x.csv"))
    assert r.metadata == {"plan_tier": "gold"}
    assert r.kind.value == "ticket"  # no rating column, no kind configured


def test_chunking_12_rows_by_5(tmp_path: Path) -> None:
    rows = "".join(f"{i},text {i},2026-01-{i + 1:02d},{1 + i % 5}\n" for i in range(12))
    (tmp_path / "c.csv").write_text(HEADER + rows)
    chunks = read_all(tmp_path, "c.csv", chunk_rows=5)
    assert [c.read for c in chunks] == [5, 5, 2]
    assert [[r.input_row for r in c.records] for c in chunks] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    assert [json.loads(next(iter(c.watermark.values())))["complete"] for c in chunks] == [False, False, True]


def test_exact_multiple_marks_the_last_full_chunk_complete(tmp_path: Path) -> None:
    rows = "".join(f"{i},text {i},2026-01-05,3\n" for i in range(10))
    (tmp_path / "c.csv").write_text(HEADER + rows)
    chunks = read_all(tmp_path, "c.csv", chunk_rows=5)
    assert [c.read for c in chunks] == [5, 5]


def test_header_only_file_yields_one_empty_complete_chunk(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text(HEADER)
    chunks = read_all(tmp_path, "h.csv")
    assert len(chunks) == 1 and chunks[0].read == 0


def test_jsonl_bad_line_is_quarantined_and_nested_keys_map(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "text": "good", "created_at": 1767620700, "user": {"id": "u1"}, "extra": 5}),
        '{"id": 2, "text": "broken json',
        "",
        json.dumps([1, 2]),
        json.dumps({"id": 3, "text": "millis", "created_at": 1767620700000, "user": {"id": "u3"}}),
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    chunks = read_all(tmp_path, "d.jsonl", format="jsonl", columns=ColumnMap(customer_id="user.id"))
    recs = records(chunks)
    assert [(r.external_id, r.customer_id) for r in recs] == [("1", "u1"), ("3", "u3")]
    assert recs[0].created_at == recs[1].created_at
    assert recs[0].metadata == {"extra": 5}
    assert [(q.reason, q.input_row) for q in quarantined(chunks)] == [("bad_row", 1), ("bad_row", 2)]
    assert "line 2" in quarantined(chunks)[0].detail


def test_parquet_streams_in_batches(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": list(range(7)),
            "text": [f"t{i}" if i != 3 else "" for i in range(7)],
            "created_at": pa.array([1767620700 + i for i in range(7)], pa.timestamp("s")),
            "rating": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None],
        }
    )
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=3)
    chunks = read_all(tmp_path, "p.parquet", format="parquet", chunk_rows=4)
    assert [c.read for c in chunks] == [4, 3]
    assert [(q.reason, q.input_row) for q in quarantined(chunks)] == [
        ("missing_text", 3),
        ("rating_out_of_range", 5),
    ]
    assert records(chunks)[0].external_id == "0"
    assert records(chunks)[-1].rating is None


def test_excel_read_only(tmp_path: Path) -> None:
    from datetime import datetime

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Text", "Created_At", "Rating"])
    ws.append([101, "from excel", datetime(2026, 1, 5, 13, 45), 4])
    ws.append([None, None, None, None])
    ws.append([102, "second", "Jan 6, 2026", "five"])
    wb.save(tmp_path / "x.xlsx")
    chunks = read_all(tmp_path, "x.xlsx", format="excel")
    r, five = records(chunks)
    assert (r.external_id, r.text, r.created_at.isoformat()) == (
        "101",
        "from excel",
        "2026-01-05T13:45:00+00:00",
    )
    assert not quarantined(chunks)
    assert five.rating is None and five.flags == ["bad_rating"]  # "five": the row is kept, the rating is not


def test_glob_reads_files_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b.csv", "a.csv"):
        (tmp_path / name).write_text(HEADER + f"{name[0]},text,2026-01-05,3\n")
    cfg = VocConfig(root=tmp_path)
    chunks = list(make_connector(SourceConfig(name="s", format="csv", path="*.csv"), cfg).read({}))
    assert [c.file for c in chunks] == ["a.csv", "b.csv"]
    assert [r.input_file for r in records(chunks)] == ["a.csv", "b.csv"]


def test_no_matching_file_is_an_input_error(tmp_path: Path) -> None:
    cfg = VocConfig(root=tmp_path)
    with pytest.raises(InputError, match="no files match"):
        list(make_connector(SourceConfig(name="s", format="csv", path="none/*.csv"), cfg).read({}))
    with pytest.raises(InputError, match="does not exist"):
        list(make_connector(SourceConfig(name="s", format="csv", path="missing.csv"), cfg).read({}))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfid,text", "utf-8-sig"),
        ("id,text".encode("utf-16"), "utf-16"),
        ("id,text\n1,x".encode("utf-16-le"), "utf-16-le"),
        ("id,text\n1,x".encode("utf-16-be"), "utf-16-be"),
        ("id,text\n1,é".encode(), "utf-8"),
        ("id,text\n1,é €".encode("cp1252"), "cp1252"),
        (b"id,text\n1,\x81\xe9", "latin-1"),
    ],
)
def test_detect_encoding(data: bytes, expected: str) -> None:
    assert detect_encoding(data) == expected


# -- streamed JSON documents -------------------------------------------------------


def _doc_rows(path: Path, key: str | None = "tickets") -> list:
    from voc.ingest.files import read_json_document

    with read_json_document(path, key=key) as stream:
        return list(stream.rows)


@pytest.mark.parametrize("block", [1, 7, 1 << 20])
def test_json_document_streams_across_buffer_refills(tmp_path: Path, monkeypatch, block: int) -> None:
    from voc.ingest.jsondoc import JsonStream

    monkeypatch.setattr(JsonStream, "BLOCK", block)
    doc = {
        "count": 123456789,
        "next_page": None,
        "meta": {"nested": [1, {"tickets": "not this one"}]},
        "tickets": [{"id": i, "n": 10**12 + i, "s": 'é ☕ " ]}' * (i + 1), "ok": True} for i in range(5)]
        + [7],
        "after": "x",
    }
    (tmp_path / "d.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    rows = _doc_rows(tmp_path / "d.json")
    assert [r.data for r in rows[:5]] == doc["tickets"][:5]
    assert (rows[5].reason, rows[5].index) == ("bad_row", 5)


def test_json_document_top_level_array_and_errors(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('[{"id": 1}, {"id": 2}]')
    assert [r.data for r in _doc_rows(tmp_path / "a.json")] == [{"id": 1}, {"id": 2}]
    (tmp_path / "e.json").write_text('{"tickets": []}')
    assert _doc_rows(tmp_path / "e.json") == []
    (tmp_path / "k.json").write_text('{"users": [], "count": 0}')
    with pytest.raises(InputError, match=r"'tickets' array.*'users', 'count'"):
        _doc_rows(tmp_path / "k.json")
    (tmp_path / "b.json").write_text('{"tickets": [{"id": 1}, {"id": 2, "x": ]}')
    with pytest.raises(InputError, match="not valid JSON"):
        _doc_rows(tmp_path / "b.json")
    (tmp_path / "t.json").write_text('{"tickets": [{"id": 1}, {"id": 2}')  # cut off mid-array
    with pytest.raises(InputError, match="not valid JSON"):
        _doc_rows(tmp_path / "t.json")


def test_repeated_header_names_keep_every_column(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("id,text,created_at,note,note\n1,hi,2026-01-05,first,second\n")
    (r,) = records(read_all(tmp_path, "r.csv"))
    assert r.metadata == {"note": "first", "note (2)": "second"}


def test_excel_named_sheet(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    ws = wb.create_sheet("Responses")
    ws.append(["text", "created_at"])
    ws.append(["from the second sheet", "2026-01-05"])
    wb.save(tmp_path / "s.xlsx")
    (r,) = records(read_all(tmp_path, "s.xlsx", format="excel", sheet="Responses"))
    assert r.text == "from the second sheet"
    with pytest.raises(InputError, match=r"no sheet 'Nope'.*'Summary', 'Responses'"):
        read_all(tmp_path, "s.xlsx", format="excel", sheet="Nope")


def test_crlf_line_endings_with_quoted_newline(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_bytes(
        b'id,text,created_at\r\n1,"two\r\nlines",2026-01-05\r\n2,plain,2026-01-06\r\n'
    )
    recs = records(read_all(tmp_path, "w.csv"))
    assert [(r.external_id, r.text) for r in recs] == [("1", "two\r\nlines"), ("2", "plain")]


def test_configured_column_that_is_absent_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(HEADER + "1,hi,2026-01-05,3\n")
    with pytest.raises(InputError, match=r"'Stars' \(for rating\)"):
        read_all(tmp_path, "c.csv", columns=ColumnMap(rating="Stars"))


def test_zendesk_api_without_api_table_is_a_config_error(tmp_path: Path) -> None:
    from voc.errors import ConfigError

    with pytest.raises(ConfigError, match=r"no \[sources\.api\]"):
        make_connector(SourceConfig(name="z", format="zendesk_api"), VocConfig(root=tmp_path))


def test_runaway_quote_is_cut_off_and_the_rest_is_read(tmp_path: Path, monkeypatch) -> None:
    from voc.ingest import encoding

    monkeypatch.setattr(encoding, "MAX_RECORD_LINES", 5)
    monkeypatch.setattr(encoding, "MAX_RECORD_BYTES", 10_000)
    good = "".join(f"{i},row {i},2026-01-05,3\n" for i in range(2, 12))
    (tmp_path / "q.csv").write_text(HEADER + '1,"never closed,2026-01-05,3\n' + good)
    chunks = read_all(tmp_path, "q.csv")
    assert [r.external_id for r in records(chunks)] == [str(i) for i in range(2, 12)]
    (bad,) = quarantined(chunks)
    assert bad.reason == "bad_row" and bad.input_row == 0 and "line 2" in bad.detail


def test_long_jsonl_lines_are_not_cut(tmp_path: Path, monkeypatch) -> None:
    from voc.ingest import encoding

    monkeypatch.setattr(encoding, "MAX_RECORD_BYTES", 50)
    (tmp_path / "l.jsonl").write_text(
        "".join(json.dumps({"id": i, "text": "x" * 200, "created_at": "2026-01-05"}) + "\n" for i in range(3))
    )
    assert len(records(read_all(tmp_path, "l.jsonl", format="jsonl"))) == 3


def test_a_binary_file_named_csv_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "z.csv").write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)))
    with pytest.raises(InputError, match=r"E211.*z.csv is not a text file: it starts with a ZIP archive"):
        read_all(tmp_path, "z.csv")


def test_jsonl_kind_follows_a_rating_key(tmp_path: Path) -> None:
    (tmp_path / "r.jsonl").write_text(
        json.dumps({"text": "nice", "created_at": "2026-01-05", "stars": 4}) + "\n"
    )
    (r,) = records(read_all(tmp_path, "r.jsonl", format="jsonl"))
    assert (r.kind.value, r.rating, r.rating_scale.value) == ("review", 4.0, "stars")


def test_generic_aliases_are_not_fallbacks(tmp_path: Path) -> None:
    # "text" is the text column; an empty text must not silently take "description" instead
    (tmp_path / "a.csv").write_text("text,description,created_at\n,other column,2026-01-05\n")
    chunks = read_all(tmp_path, "a.csv")
    assert [q.reason for q in quarantined(chunks)] == ["missing_text"]
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"text": "", "description": "other", "created_at": "2026-01-05"}) + "\n"
    )
    assert [q.reason for q in quarantined(read_all(tmp_path, "a.jsonl", format="jsonl"))] == ["missing_text"]
