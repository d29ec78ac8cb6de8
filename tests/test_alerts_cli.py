"""`voc alerts mute/unmute/list` and `voc backlog` through the CLI runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from voc.cli import app
from voc.config import load_config
from voc.store import open_store

sys.path.insert(0, str(Path(__file__).parent))
from test_rank_stage import build_store


def write_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "voc.toml"
    cfg.write_text(
        '[store]\npath = "voc.duckdb"\n[report]\nout_dir = "out"\n[ranking]\nperiod = "all"\n'
        # With one period there is no change to alert on: the opt-in standing-volume rule gives alerts.
        "[alerts]\nnegative_volume_threshold = 10\n"
    )
    return cfg


def test_mute_list_unmute(tmp_path):
    cfg = write_config(tmp_path)
    runner = CliRunner()
    res = runner.invoke(app, ["alerts", "mute", "t_refund", "--reason", "fix ships Friday", "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["alerts", "list", "-c", str(cfg)])
    assert "t_refund" in res.output and "fix ships Friday" in res.output
    res = runner.invoke(app, ["alerts", "unmute", "t_refund", "-c", str(cfg)])
    assert "unmuted t_refund" in res.output


def test_backlog_command_writes_files_and_skips_muted_alerts(tmp_path):
    cfg_path = write_config(tmp_path)
    cfg = load_config(cfg_path)
    store = open_store(cfg)
    build_store(store)
    store.write_frame(
        "theme_mapping",
        pd.DataFrame(
            {"theme_id": ["t_refund"], "journey_stage": ["billing_account"], "pillar": ["resolution"]}
        ),
    )
    store.close()
    runner = CliRunner()
    runner.invoke(app, ["alerts", "mute", "t_refund", "-c", str(cfg_path)])
    res = runner.invoke(app, ["backlog", "-c", str(cfg_path)])
    assert res.exit_code == 0, res.output
    assert "backlog all: 3 problems" in res.output  # the praised staff theme is no problem
    data = json.loads((tmp_path / "out" / "backlog.json").read_text())
    assert data["alerts"] and all(a["theme_id"] != "t_refund" for a in data["alerts"])
    assert any(
        e["theme_id"] == "t_refund" and e["journey_stage"] == "billing_account" for e in data["entries"]
    )
    for name in ("backlog.csv", "backlog.json", "backlog.md", "backlog_jira.csv"):
        assert (tmp_path / "out" / name).exists()
