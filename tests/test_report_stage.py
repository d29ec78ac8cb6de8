"""write_report and `voc report` against a real DuckDB store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from report_synth import NOW, REPORT_WEEK, build_from_tables, make_backlog, make_tables, make_trends

from voc.config import config_from_dict
from voc.errors import InputError
from voc.report.stage import write_report
from voc.store import DuckDBStore


def _fill(store: DuckDBStore, *, stages: bool = True, backlog: bool = False) -> dict[str, pd.DataFrame]:
    t = make_tables()
    items = t["items"].copy()
    items["content_hash"] = items["id"]
    items["ingested_at"] = NOW
    store.write_frame("items", items, key=["id"])
    q = t["quarantine"].copy()
    q["qid"] = [f"q{i}" for i in range(len(q))]
    store.write_frame("quarantine", q, key=["qid"])
    if stages:
        for name in ("item_sentiment", "themes", "item_themes", "theme_weekly", "theme_mapping"):
            store.write_frame(name, t[name])
        store.write(
            "theme_trends",
            store.typed("theme_trends", make_trends(t).to_dict("records")),
            partition=REPORT_WEEK,
        )
    if backlog:
        rows = pd.DataFrame(make_backlog(t)["entries"])
        for col in ("breakdown", "verbatims", "severity", "example_ids", "example_urls"):
            rows[col] = rows[col].map(json.dumps)
        rows["negative_volume"] = (rows["volume"] * rows["share_negative"]).round().astype(int)
        store.write_frame("backlog", rows)
        store.write(
            "alerts", store.typed("alerts", [a.model_dump() for a in _alerts(rows)]), partition=REPORT_WEEK
        )
    return t


def _alerts(rows: pd.DataFrame) -> list:
    """The alerts the backlog stage evaluates for these rows (it stores them in the `alerts` table)."""
    from voc.alerts.rules import evaluate_alerts
    from voc.config.alerts import AlertsConfig
    from voc.rank.backlog import BacklogEntry
    from voc.report.inputs import decode_entry

    entries = [BacklogEntry.model_validate(decode_entry(r)) for r in rows.to_dict("records")]
    return evaluate_alerts(entries, AlertsConfig())


@pytest.fixture
def config(tmp_path: Path):
    return config_from_dict({"store": {"path": str(tmp_path / "voc.duckdb")}}, root=tmp_path)


def test_write_report_writes_both_files(file_store, config, tmp_path: Path) -> None:
    _fill(file_store, backlog=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "backlog.md").write_text("# backlog\n", encoding="utf-8")  # as the backlog stage leaves it
    result = write_report(file_store, config, out, now=NOW)
    assert result["week"] == REPORT_WEEK
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert result["html_bytes"] == len(html.encode("utf-8"))
    assert "Top of the backlog" in html and 'data-chart="breakdown"' in html  # read back from the table
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "CSV export broken" in md
    assert "Also: [ranked backlog](backlog.md)" in md and "backlog.csv" not in md
    assert '<a href="backlog.md">ranked backlog</a>' in html
    assert result["new"] == 1 and result["rising"] >= 1
    assert result["alerts"] >= 1 and "New problem: " in html  # read back from the alerts table
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temp files
    assert (out / "report.html").stat().st_mode & 0o044 == 0o044  # readable by others, e.g. a web server


def test_items_only_store_explains_what_is_missing(file_store, config, tmp_path: Path) -> None:
    _fill(file_store, stages=False)
    result = write_report(file_store, config, tmp_path / "o", week="2026-w47", now=NOW)
    assert result["week"] == REPORT_WEEK
    notes = " ".join(result["notes"])
    assert "Not in this report yet: sentiment, themes, ranked backlog" in notes
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "No themes yet" in html and "Not in this report yet" in html


def test_empty_store(mem_store, config, tmp_path: Path) -> None:
    result = write_report(mem_store, config, tmp_path / "e", now=datetime(2026, 3, 4, tzinfo=UTC))
    assert result["items"] == 0
    assert (tmp_path / "e" / "report.html").exists()


def test_bad_week_is_a_clear_error(mem_store, config, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="YYYY-Www"):
        write_report(mem_store, config, tmp_path, week="last week")


def test_cli_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voc.cli import app

    db = tmp_path / "voc.duckdb"
    with DuckDBStore(db) as store:
        _fill(store)
    cfg = tmp_path / "voc.toml"
    cfg.write_text(f'[store]\npath = "{db}"\n', encoding="utf-8")
    out = tmp_path / "cli-out"
    res = CliRunner().invoke(app, ["report", "--config", str(cfg), "--week", REPORT_WEEK, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"report: {REPORT_WEEK}" in res.output
    assert (out / "report.html").exists() and (out / "report.md").exists()


def test_cli_report_json_and_bad_week(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voc.cli import app

    db = tmp_path / "voc.duckdb"
    with DuckDBStore(db) as store:
        _fill(store, stages=False)
    cfg = tmp_path / "voc.toml"
    cfg.write_text(f'[store]\npath = "{db}"\n', encoding="utf-8")
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["report", "-c", str(cfg), "-w", REPORT_WEEK, "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert payload["week"] == REPORT_WEEK and payload["html_bytes"] == (out / "report.html").stat().st_size
    bad = CliRunner().invoke(app, ["report", "-c", str(cfg), "-w", "2026-W99", "-o", str(out)])
    assert isinstance(bad.exception, InputError) and "no ISO week 99" in str(bad.exception)


def test_reading_texts_for_the_window_only_changes_nothing(file_store, config) -> None:
    """The stage reads item texts for the quotable weeks only; the report must equal the all-text one."""
    from voc.report.stage import build_from_store, load_tables, taxonomy_order

    _fill(file_store)
    stage_order, pillar_order = taxonomy_order(config)
    windowed = build_from_store(file_store, config, now=NOW)
    t = load_tables(file_store)
    full = build_from_tables(
        t,
        config=config.report,
        stage_order=stage_order,
        pillar_order=pillar_order,
    )
    assert windowed.headline == full.headline
    assert [r.quote for r in windowed.themes] == [r.quote for r in full.themes]
    assert [a.quote for a in windowed.accounts.at_risk] == [a.quote for a in full.accounts.at_risk]
    assert windowed.model_dump(exclude={"generated_at"}) == full.model_dump(exclude={"generated_at"})
