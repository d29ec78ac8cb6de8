"""Issue 21, values at the edge: revenue finite and in range, ratings that are not numbers, and
a bad value already in a store that must not break the backlog, the report or `voc analyze`.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from test_rank_stage import NOW, THEMES, bow_encode, build_store, config

from voc.config import SourceConfig, VocConfig
from voc.ingest import make_connector
from voc.rank.stage import build_backlog
from voc.report.stage import write_report
from voc.taxonomy.stage import map_taxonomy

pytestmark = pytest.mark.reliability


def read(tmp_path: Path, rows: list[dict], **src):
    with (tmp_path / "in.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cfg = VocConfig(root=tmp_path)
    chunks = list(make_connector(SourceConfig(name="s", path="in.csv", format="csv", **src), cfg).read({}))
    return [r for c in chunks for r in c.records], [q for c in chunks for q in c.quarantined]


def test_revenue_must_be_a_finite_non_negative_amount(tmp_path: Path) -> None:
    # Before: "inf" was stored as +inf (and broke every later report); -5000 was kept silently.
    values = ["12000", "inf", "-5000", "NaN", "1e20", "$3k"]
    rows = [
        {"id": f"r{i}", "date": "2026-03-02", "text": f"review {i}", "revenue": v}
        for i, v in enumerate(values)
    ]
    recs, bad = read(tmp_path, rows)
    assert not bad and len(recs) == len(values)  # the value is set aside, never the row
    got = {r.external_id: r for r in recs}
    assert got["r0"].revenue == 12000.0 and got["r5"].revenue == 3000.0
    for i in (1, 2, 3, 4):
        r = got[f"r{i}"]
        assert r.revenue is None and "bad_revenue" in r.flags
        assert r.metadata["revenue_unparsed"] == values[i]


def test_ratings_written_as_words_or_stars_keep_the_row(tmp_path: Path) -> None:
    # Before: "five" or "★★★★" quarantined the whole row.
    values = ["4", "five", "★★★★", "★★★☆☆", "⭐⭐"]
    rows = [
        {"id": f"r{i}", "date": "2026-03-02", "text": f"review {i}", "rating": v}
        for i, v in enumerate(values)
    ]
    recs, bad = read(tmp_path, rows, rating_scale="stars")
    assert not bad
    got = {r.external_id: r for r in recs}
    assert [got[f"r{i}"].rating for i in range(5)] == [4.0, None, 4.0, 3.0, 2.0]
    assert got["r1"].flags == ["bad_rating"] and got["r1"].metadata["rating_unparsed"] == "five"
    assert all(got[f"r{i}"].flags == [] for i in (0, 2, 3, 4))


def _strict_json(text: str):
    def refuse(name: str):
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def _poison(store) -> None:
    # As a store written before the edge checks holds them: bypass ingest and write the values,
    # on the newest items, so they fall in the report's and the backlog's period.
    newest = store.query("SELECT id FROM items ORDER BY created_at DESC, id LIMIT 3")["id"].tolist()
    for item_id, value in zip(newest, ["inf", "-5000", "nan"], strict=True):
        store.execute("UPDATE items SET revenue = CAST(? AS DOUBLE) WHERE id = ?", [value, item_id])


def test_a_stored_bad_value_cannot_break_the_backlog_or_the_report(mem_store, tmp_path: Path) -> None:
    # Before: `voc report` and `voc run` failed for every week with
    # "OverflowError: cannot convert float infinity to integer" (report/charts.py, accounts_scatter).
    build_store(mem_store)
    cfg = config()
    map_taxonomy(mem_store, cfg, encode_fn=bow_encode)
    _poison(mem_store)
    out = tmp_path / "out"
    backlog = build_backlog(mem_store, cfg, out, now=NOW)
    assert backlog.entries
    entries = _strict_json((out / "backlog.json").read_text(encoding="utf-8"))
    at_risk = [e["revenue_at_risk"] for e in (entries if isinstance(entries, list) else entries["entries"])]
    assert all(v is None or (math.isfinite(v) and v >= 0) for v in at_risk)
    result = write_report(mem_store, cfg, out, now=NOW)
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert result["html_bytes"] > 0 and 'data-chart="accounts"' in html
    assert not re.search(r"\$-|\binf\b|\bnan\b", md, re.IGNORECASE), md


@pytest.mark.model
def test_a_stored_bad_value_cannot_break_analyze(tmp_path: Path) -> None:
    from voc.pipeline.analyze import AnalyzeOptions, analyze_file
    from voc.schema import FeedbackRecord, Kind
    from voc.store import DuckDBStore

    store_path = tmp_path / "kept.duckdb"
    with DuckDBStore(store_path) as store:  # items only: analyze runs every stage over them
        texts = [t for _, _, t in THEMES.values()]
        store.commit_batch(
            "s",
            [
                FeedbackRecord(id=f"s:{n}", source="s", kind=Kind.review, text=f"{texts[n % 4]} (order {n})",
                               created_at=NOW - pd.Timedelta(days=n % 20), customer_id=f"c{n % 7}", revenue=1000.0)
                for n in range(1, 41)
            ],
            [],
        )  # fmt: skip
        _poison(store)
    rows = [
        {"id": f"n{i}", "date": f"2026-11-1{i % 8}", "text": t, "customer_id": f"c{i}", "revenue": rev}
        for i, (t, rev) in enumerate(
            [
                ("The app crashes when I log in again", "inf"),
                ("Where is my refund, still waiting", "-5000"),
                ("The staff were friendly and helpful", "2500"),
            ]
        )
    ]
    src = tmp_path / "new.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    res = analyze_file(
        src, tmp_path / "out", AnalyzeOptions(id_col="id"), store_path=store_path, progress=False
    )
    assert res.counts["read"] == 3 and res.counts["stored"] == 3
    for name in ("items.csv", "backlog.json", "report.html"):
        assert (tmp_path / "out" / name).exists(), name
