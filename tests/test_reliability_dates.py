"""Issue 21, dates: order decided per column, ambiguity quarantined, zones kept, Parquet types checked.

Each test reproduces one case of the issue through the file connector (the
path every ingest and `voc analyze` takes) and checks the fixed behaviour.
"""

from __future__ import annotations

import contextlib
import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from voc.config import ColumnMap, SourceConfig, VocConfig
from voc.errors import InputError
from voc.ingest import make_connector
from voc.pipeline.ingest import ingest_source
from voc.store import DuckDBStore

pytestmark = pytest.mark.reliability


def read(tmp_path: Path, name: str, **src):
    src.setdefault("format", "csv")
    cfg = VocConfig(root=tmp_path)
    chunks = list(make_connector(SourceConfig(name="s", path=name, **src), cfg).read({}))
    recs = [r for c in chunks for r in c.records]
    bad = [q for c in chunks for q in c.quarantined]
    return recs, bad


def write_dates(path: Path, dates: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "date"])
        for i, d in enumerate(dates):
            w.writerow([f"r{i}", f"review number {i} about the app", d])


def by_id(recs) -> dict[str, datetime]:
    return {r.external_id: r.created_at for r in recs}


def test_one_column_is_read_in_one_order_decided_by_its_unambiguous_values(tmp_path: Path) -> None:
    # Before: "03/04/2025" became 4 March (month first) while "31/12/2025" became 31 December.
    write_dates(tmp_path / "d.csv", ["03/04/2025", "31/12/2025", "11/02/2025 13:45"])
    recs, bad = read(tmp_path, "d.csv")
    assert not bad
    got = by_id(recs)
    assert got["r0"] == datetime(2025, 4, 3, tzinfo=UTC)  # 3 April: the column is day-first
    assert got["r1"] == datetime(2025, 12, 31, tzinfo=UTC)
    assert got["r2"] == datetime(2025, 2, 11, 13, 45, tzinfo=UTC)


def test_month_first_evidence_makes_the_column_month_first(tmp_path: Path) -> None:
    write_dates(tmp_path / "d.csv", ["03/04/2025", "12/31/2025"])
    got = by_id(read(tmp_path, "d.csv")[0])
    assert got["r0"] == datetime(2025, 3, 4, tzinfo=UTC)


def test_the_evidence_may_come_last_and_survives_a_resume(tmp_path: Path) -> None:
    # The order is decided from the whole file, so a run resumed after the first chunk reads
    # the rest exactly as an uninterrupted run would.
    dates = ["01/02/2025"] * 7 + ["25/02/2025"]
    write_dates(tmp_path / "d.csv", dates)
    cfg = VocConfig(root=tmp_path)
    cfg.store.path = str(tmp_path / "s.duckdb")
    src = SourceConfig(name="s", format="csv", path="d.csv", chunk_rows=3)
    cfg = cfg.model_copy(update={"sources": [src]})
    cfg.ingest.read_ahead = False
    with DuckDBStore(cfg.store.path) as store:
        first = ingest_source(store, cfg, src, progress=False, fail_after_rows=3)
        assert first.status == "failed" and first.counts.read == 3
        second = ingest_source(store, cfg, src, progress=False)
        assert second.status == "ok" and second.counts.read == 5
        rows = store.query("SELECT created_at FROM items ORDER BY input_row")
    assert len(rows) == 8
    assert {ts.month for ts in rows["created_at"]} == {2}  # every 01/02/2025 is 1 February


def test_dotted_dates_are_day_first(tmp_path: Path) -> None:
    # Before: "04.03.2025" became 3 April.
    write_dates(tmp_path / "d.csv", ["04.03.2025", "05.03.2025 10:30"])
    recs, bad = read(tmp_path, "d.csv")
    assert not bad
    got = by_id(recs)
    assert got["r0"] == datetime(2025, 3, 4, tzinfo=UTC)
    assert got["r1"] == datetime(2025, 3, 5, 10, 30, tzinfo=UTC)


def test_an_ambiguous_column_is_quarantined_with_both_readings_and_the_fix(tmp_path: Path) -> None:
    write_dates(tmp_path / "d.csv", ["03/04/2025", "05/06/2025", "07/07/2025"])
    recs, bad = read(tmp_path, "d.csv")
    # 07/07 reads the same both ways and is kept; the others are not guessed.
    assert [r.external_id for r in recs] == ["r2"]
    assert [q.reason for q in bad] == ["ambiguous_date", "ambiguous_date"]
    detail = bad[0].detail
    assert "'03/04/2025'" in detail and "3 April 2025" in detail and "4 March 2025" in detail
    assert "column 'date'" in detail and 'date_order = "dmy" or "mdy"' in detail
    # The configured order decides the column; nothing is quarantined then.
    recs, bad = read(tmp_path, "d.csv", date_order="dmy")
    assert not bad and by_id(recs)["r0"] == datetime(2025, 4, 3, tzinfo=UTC)
    recs, bad = read(tmp_path, "d.csv", date_order="mdy")
    assert not bad and by_id(recs)["r0"] == datetime(2025, 3, 4, tzinfo=UTC)


def test_a_mixed_column_quarantines_only_what_reads_both_ways(tmp_path: Path) -> None:
    write_dates(tmp_path / "d.csv", ["31/05/2022", "5/31/2022", "03/09/2022", "3/3/2022"])
    recs, bad = read(tmp_path, "d.csv")
    got = by_id(recs)
    assert got == {
        "r0": datetime(2022, 5, 31, tzinfo=UTC),
        "r1": datetime(2022, 5, 31, tzinfo=UTC),
        "r3": datetime(2022, 3, 3, tzinfo=UTC),
    }
    assert [(q.reason, q.input_row) for q in bad] == [("ambiguous_date", 2)]
    assert "holds both orders" in bad[0].detail
    # A configured order is strict: a value that only reads the other way is a bad date.
    recs, bad = read(tmp_path, "d.csv", date_order="dmy")
    assert [(q.reason, q.input_row) for q in bad] == [("bad_date", 1)]
    assert "does not fit sources[].date_order 'dmy'" in bad[0].detail


def test_named_zones_and_offsets_are_kept_and_stored_as_utc(tmp_path: Path) -> None:
    # Before: "Mar 2, 2025 10:00 PM PST" lost its zone and was stored as 22:00 UTC.
    write_dates(
        tmp_path / "d.csv",
        [
            "Mar 2, 2025 10:00 PM PST",
            "2025-03-02T22:00:00-08:00",
            "2025-03-02 22:00 America/Los_Angeles",
            "2025-03-03 07:00 CET",
            "2025-03-03 07:00 GMT+1",
            "2025-03-03 11:30 +0530",
        ],
    )
    recs, bad = read(tmp_path, "d.csv")
    assert not bad
    want = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
    assert all(ts == want for ts in by_id(recs).values()), by_id(recs)


def test_unknown_or_ambiguous_zones_are_quarantined_not_dropped(tmp_path: Path) -> None:
    write_dates(tmp_path / "d.csv", ["Mar 2, 2025 10:00 PM XYZ", "2025-03-02 10:00 IST", "2025-03-02 10:00"])
    recs, bad = read(tmp_path, "d.csv")
    assert [r.external_id for r in recs] == ["r2"]
    assert [q.reason for q in bad] == ["bad_timezone", "bad_timezone"]
    assert "'XYZ' is not known" in bad[0].detail and "India" in bad[1].detail


def test_times_without_a_zone_are_in_the_source_time_zone(tmp_path: Path) -> None:
    write_dates(tmp_path / "d.csv", ["2025-07-01 12:00", "2025-01-15 12:00"])
    recs, _ = read(tmp_path, "d.csv", timezone="Europe/Berlin")
    got = by_id(recs)
    assert got["r0"] == datetime(2025, 7, 1, 10, 0, tzinfo=UTC)  # CEST, +02:00
    assert got["r1"] == datetime(2025, 1, 15, 11, 0, tzinfo=UTC)  # CET, +01:00


def test_numbers_are_unix_time_or_a_bad_date() -> None:
    from voc.ingest.dates import DateReader

    r = DateReader()
    assert r.parse(1767620700) == datetime(2026, 1, 5, 13, 45, tzinfo=UTC)
    for value in (2.5, 202, 45000):
        with pytest.raises(ValueError, match="is a number, not a date"):
            r.parse(value)


def test_parquet_columns_are_type_checked_against_the_schema(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Before: a float date 2.5 became 1970-01-01T00:00:02.5 and an integer text was stored as "202".
    pq.write_table(pa.table({"text": ["fine app"], "created_at": [2.5]}), tmp_path / "f.parquet")
    with pytest.raises(InputError, match=r"E213.*'created_at'.*double") as exc:
        read(tmp_path, "f.parquet", format="parquet")
    assert "sources[].columns.created_at" in str(exc.value)
    pq.write_table(pa.table({"text": [202], "created_at": ["2025-01-01"]}), tmp_path / "i.parquet")
    with pytest.raises(InputError, match=r"E213.*'text'.*int64"):
        read(tmp_path, "i.parquet", format="parquet")
    # Right types pass; an integer column of Unix times is a date column.
    pq.write_table(
        pa.table({"text": ["fine app"], "created_at": pa.array([1767620700], pa.int64())}),
        tmp_path / "ok.parquet",
    )
    recs, bad = read(tmp_path, "ok.parquet", format="parquet")
    assert not bad and recs[0].created_at == datetime(2026, 1, 5, 13, 45, tzinfo=UTC)


def test_surveymonkey_convention_decides_only_when_the_column_does_not(tmp_path: Path) -> None:
    from voc.ingest.dates import detect_order

    assert detect_order(["01/05/2026"], default="mdy").order == "mdy"
    assert detect_order(["01/05/2026", "25/05/2026"], default="mdy").order == "dmy"


@pytest.mark.parametrize(
    ("text", "want"),
    [("31/12/2025", "dmy"), ("12/31/2025", "mdy"), ("03/04/2025", "either"), ("03/03/2025", "same")],
)
def test_evidence_of_one_value(text: str, want: str) -> None:
    from voc.ingest.dates import evidence, numeric_parts

    parts = numeric_parts(text)
    assert parts is not None and evidence(parts[0], parts[1]) == want


def _nhs_readings(raw: str) -> set[datetime]:
    """Every valid reading of an NHS `Date` value (dd/mm/yyyy or mm/dd/yyyy)."""
    a, b, y = (int(x) for x in raw.split("/"))
    out = set()
    for d, m in ((a, b), (b, a)):
        with contextlib.suppress(ValueError):  # 31/05 has no month-first reading
            out.add(datetime(y, m, d, tzinfo=UTC))
    return out


def test_nhs_mixed_order_column_is_never_silently_misread(shared_data: Path, tmp_path: Path) -> None:
    """The NHS FFT file mixes day-first and month-first dates in one column (see its SOURCE.md)."""
    path = shared_data / "nhs_fft_patient_feedback" / "v6framework_230831.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    with path.open(encoding="utf-8", newline="") as fh:
        raw = {row["Comment ID"]: row["Date"] for row in csv.DictReader(fh)}
    cfg = VocConfig(root=tmp_path)
    cfg.store.path = str(tmp_path / "s.duckdb")
    src = SourceConfig(
        name="nhs",
        format="csv",
        path=str(path),
        kind="survey",
        columns=ColumnMap(id="Comment ID", text="FFT answer", created_at="Date"),
    )
    with DuckDBStore(cfg.store.path) as store:
        res = ingest_source(store, cfg.model_copy(update={"sources": [src]}), src, progress=False)
        items = store.query("SELECT external_id, created_at FROM items")
        q = store.query("SELECT reason, raw FROM quarantine")
    assert res.status == "ok" and res.counts.read == len(raw)
    assert res.counts.read == res.counts.stored + res.counts.duplicates + res.counts.quarantined
    month_first = 0
    for ext, ts in zip(items["external_id"], items["created_at"], strict=True):
        readings = _nhs_readings(raw[ext])
        # Stored only when the value reads one way (or both readings are the same day).
        assert len(readings) == 1, (ext, raw[ext])
        assert ts.to_pydatetime() in readings, (ext, raw[ext], ts)
        month_first += int(raw[ext].split("/")[1]) > 12
    ambiguous = q[q["reason"] == "ambiguous_date"]
    assert len(ambiguous) > 0
    for row in ambiguous["raw"]:
        assert len(_nhs_readings(json.loads(row)["Date"])) == 2
    # No value with one reading is lost to a date reason: SOURCE.md's 289 provably month-first
    # values are stored with that reading, unless the row fails for another reason (no text).
    assert not (set(q["reason"]) & {"bad_date", "bad_timezone"})
    provable = {k for k, v in raw.items() if v and len(_nhs_readings(v)) == 1 and int(v.split("/")[1]) > 12}
    other = {
        json.loads(r)["Comment ID"]
        for r, why in zip(q["raw"], q["reason"], strict=True)
        if why != "ambiguous_date"
    }
    assert len(provable) == 289
    assert month_first + len(provable & other) == len(provable)
