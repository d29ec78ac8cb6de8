"""The Prefect flows: partial success, retries on a locked store, stage order, deployments, kill and resume.

Flows run on Prefect's temporary local API (`prefect_test_harness`, started
once per session under a throw-away PREFECT_HOME). Stage functions are
replaced by recorders where the test is about orchestration, so these tests
load no model; tests/test_flows_dask.py and tests/test_flows_server.py run
the real stages.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # flows/ is a project folder, not part of the installed package
    sys.path.insert(0, str(PROJECT_ROOT))

HEADER = ["review_id", "date", "stars", "body"]
COLUMNS = {"id": "review_id", "created_at": "date", "rating": "stars", "text": "body"}


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)


def tiny_rows(n: int = 12, prefix: str = "r") -> list[list[Any]]:
    texts = [
        "The app crashes every time I open it",
        "Delivery took three weeks and nobody answered",
        "Lovely staff, quick delivery, would buy again",
        "I was charged twice this month",
    ]
    return [
        [f"{prefix}{i}", f"2026-03-{1 + i % 20:02d}", 1 + i % 5, texts[i % len(texts)] + f" ({i})"]
        for i in range(n)
    ]


def write_config(root: Path, sources: list[dict[str, Any]], **sections: Any) -> Path:
    """A YAML config under root/config/ (so root is the project root) and its path."""
    data: dict[str, Any] = {
        "store": {"path": "data/voc.duckdb", "lock_timeout_s": 2},
        "sources": [
            {"format": "csv", "kind": "review", "rating_scale": "stars", "columns": COLUMNS, **s}
            for s in sources
        ],
        "flows": {"retries": 0, "retry_delay_s": [0.1]},
        "report": {"out_dir": "out"},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    path = root / "config" / "voc.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def store_counts(cfg_path: Path) -> dict[str, int]:
    from voc.config import load_config
    from voc.store import open_store

    st = open_store(load_config(cfg_path), read_only=True)
    try:
        q = st.query(
            "SELECT (SELECT count(*) FROM items) AS items, (SELECT count(DISTINCT id) FROM items) AS ids, "
            "(SELECT count(*) FROM quarantine) AS quarantined, "
            "(SELECT coalesce(sum(rows_read), 0) FROM runs WHERE job = 'ingest') AS read, "
            "(SELECT coalesce(sum(stored), 0) FROM runs WHERE job = 'ingest') AS stored, "
            "(SELECT coalesce(sum(duplicates), 0) FROM runs WHERE job = 'ingest') AS duplicates, "
            "(SELECT coalesce(sum(quarantined), 0) FROM runs WHERE job = 'ingest') AS run_quarantined"
        )
    finally:
        st.close()
    return {k: int(v) for k, v in q.iloc[0].items()}


# -- config, deployments, retry rules (no Prefect run) -----------------------------------


def test_flows_config_rejects_bad_cron_and_zone() -> None:
    from voc.config import config_from_dict
    from voc.errors import ConfigError

    with pytest.raises(ConfigError, match=r"flows\.schedules\.weekly.*5 fields"):
        config_from_dict({"flows": {"schedules": {"weekly": "0 6 * *"}}})
    with pytest.raises(ConfigError, match=r"flows\.timezone.*unknown time zone 'Mars/Olympus'"):
        config_from_dict({"flows": {"timezone": "Mars/Olympus"}})
    cfg = config_from_dict(
        {"flows": {"timezone": "Europe/Berlin", "schedules": {"ingest": ""}}}
    )  # "" = off (TOML)
    assert cfg.flows.schedules.ingest is None and cfg.flows.schedules.weekly == "0 6 * * 1"


def test_prefect_yaml_matches_config_defaults() -> None:
    """The work-pool deployments (prefect.yaml) and `voc serve` (config defaults) schedule the same crons."""
    from flows.deployments import NAMES
    from voc.config.flows import FlowsConfig

    spec = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in spec["deployments"]}
    assert set(by_name) == set(NAMES.values())
    defaults = FlowsConfig()
    for key, name in NAMES.items():
        cron = getattr(defaults.schedules, key, None)
        got = [s["cron"] for s in by_name[name].get("schedules", [])]
        assert got == ([cron] if cron else []), name
        module, func = by_name[name]["entrypoint"].split(":")
        assert (PROJECT_ROOT / module).is_file()
        assert func in (PROJECT_ROOT / module).read_text(encoding="utf-8")


def test_deployments_carry_schedule_timezone_and_absolute_config(tmp_path: Path) -> None:
    from flows.deployments import build_deployments
    from voc.config import config_from_dict

    cfg = config_from_dict({"flows": {"timezone": "Europe/Berlin", "schedules": {"analyze": None}}})
    deps = {d.name: d for d in build_deployments(cfg, tmp_path / "voc.toml")}
    assert set(deps) == {"nightly-ingest", "nightly-analyze", "report", "weekly"}
    weekly = deps["weekly"].schedules[0].schedule
    assert (weekly.cron, weekly.timezone) == ("0 6 * * 1", "Europe/Berlin")
    assert not deps["nightly-analyze"].schedules and not deps["report"].schedules
    assert deps["weekly"].parameters == {"config": str((tmp_path / "voc.toml").resolve())}


def test_only_transient_errors_are_retried() -> None:
    from flows.common import is_transient
    from voc.errors import InputError, StoreLockedError

    assert is_transient(StoreLockedError("the store is being written by another voc process"))
    assert is_transient(RuntimeError("zendesk: HTTP 503 Service Unavailable"))
    assert is_transient(RuntimeError("ReadTimeout: timed out"))
    assert is_transient(TimeoutError())
    assert not is_transient(InputError("no file matches data/x.csv"))
    assert not is_transient(RuntimeError("HTTP 404 not found"))
    assert not is_transient(ValueError("bad date 2026-13-45"))


# -- ingest flow ------------------------------------------------------------------------


def test_ingest_flow_failing_source_does_not_stop_others(prefect_api: None, tmp_path: Path) -> None:
    from flows import ingest_flow

    write_csv(tmp_path / "good.csv", tiny_rows(12))
    cfg = write_config(
        tmp_path, [{"name": "good", "path": "good.csv"}, {"name": "gone", "path": "missing/*.csv"}]
    )
    state = ingest_flow(str(cfg), return_state=True)
    assert state.is_failed() and state.name == "Partial"
    assert "gone" in state.message and "good" not in state.message.split("failed:")[1]
    out = state.result(raise_on_failure=False)  # a Partial run is a Failed state
    steps = {s["step"]: s for s in out["steps"]}
    assert steps["good"]["status"] == "ok" and steps["good"]["stored"] == 12
    assert steps["gone"]["status"] == "failed" and steps["gone"]["error"]
    assert out["status"] == "partial" and out["totals"]["stored"] == 12
    assert store_counts(cfg)["items"] == 12


def test_ingest_flow_rerun_adds_nothing(prefect_api: None, tmp_path: Path) -> None:
    from flows import ingest_flow

    write_csv(tmp_path / "a.csv", tiny_rows(10))
    cfg = write_config(tmp_path, [{"name": "a", "path": "a.csv"}])
    first = ingest_flow(str(cfg), return_state=True)
    assert first.is_completed() and first.name == "Completed"
    again = ingest_flow(str(cfg), full=True, return_state=True).result()
    assert again["totals"]["stored"] == 0 and again["totals"]["duplicates"] == 10
    c = store_counts(cfg)
    assert c["items"] == c["ids"] == 10 and c["read"] == c["stored"] + c["duplicates"] + c["run_quarantined"]


def test_all_sources_failing_fails_the_flow(prefect_api: None, tmp_path: Path) -> None:
    from flows import ingest_flow

    cfg = write_config(tmp_path, [{"name": "gone", "path": "nothing-here.csv"}])
    state = ingest_flow(str(cfg), return_state=True)
    assert state.is_failed() and "gone" in state.message


def test_locked_store_is_refused_clearly_then_waited_for(prefect_api: None, tmp_path: Path) -> None:
    """A second writer gets StoreLockedError's message; with retries it waits and finishes; the store is intact."""
    from flows import ingest_flow
    from voc.config import load_config
    from voc.store import open_store

    write_csv(tmp_path / "a.csv", tiny_rows(8))
    cfg = write_config(tmp_path, [{"name": "a", "path": "a.csv"}], store={"lock_timeout_s": 0.3})
    holder = open_store(load_config(cfg))  # another writer holds the store
    try:
        refused = ingest_flow(str(cfg), return_state=True)
    finally:
        holder.close()
    assert refused.is_failed()
    assert "[E301]" in refused.message and "being written by another voc process" in refused.message

    cfg = write_config(
        tmp_path,
        [{"name": "a", "path": "a.csv"}],
        store={"lock_timeout_s": 0.3},
        flows={"retries": 20, "retry_delay_s": [0.2]},
    )
    opened = threading.Event()

    def other_writer() -> None:  # opens, writes for 2 s, closes (the lock belongs to this thread)
        st = open_store(load_config(cfg))
        opened.set()
        time.sleep(2.0)
        st.close()

    holder_thread = threading.Thread(target=other_writer)
    holder_thread.start()
    assert opened.wait(30)
    try:
        waited = ingest_flow(str(cfg), return_state=True)
    finally:
        holder_thread.join()
    assert waited.is_completed() and waited.name == "Completed"
    c = store_counts(cfg)
    assert c["items"] == c["ids"] == 8 and c["read"] == 8


# -- analyze / report / weekly orchestration (stage functions replaced by recorders) -----------


class Recorder:
    """Stand-ins for the registered stages: record the call order and context, optionally fail one stage."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail: str | None = None) -> None:
        import dataclasses

        from voc.pipeline.registry import REGISTRY

        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail
        for name, spec in list(REGISTRY.items()):
            monkeypatch.setitem(REGISTRY, name, dataclasses.replace(spec, fn=self.stand_in(name)))

    def stand_in(self, stage: str):
        def fn(store, config, ctx):
            seen = {"refit": ctx.refit, "progress": ctx.progress, "week": ctx.week, "out_dir": ctx.out_dir}
            self.calls.append((stage, {k: v for k, v in seen.items() if v is not None}))
            if stage == self.fail:
                raise RuntimeError(f"{stage} broke")
            if stage == "report":
                (ctx.out_dir / "report.html").write_text("<html></html>", encoding="utf-8")
            return {"stage": stage, "items": store.count_items()}

        return fn


def test_analyze_flow_runs_stages_in_order_and_skips_after_a_failure(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import analyze_flow

    cfg = write_config(tmp_path, [])
    rec = Recorder(monkeypatch)
    ok = analyze_flow(str(cfg), refit=True, return_state=True)
    assert ok.is_completed() and ok.name == "Completed"
    assert [c[0] for c in rec.calls] == ["sentiment", "themes", "taxonomy"]
    # the refit switch reaches the themes stage; progress bars are off in flows
    assert rec.calls[1][1] == {"refit": True, "progress": False}
    assert all(c[1]["progress"] is False for c in rec.calls)

    rec = Recorder(monkeypatch, fail="themes")
    state = analyze_flow(str(cfg), return_state=True)
    steps = {s["step"]: s for s in state.result(raise_on_failure=False)["steps"]}
    assert [c[0] for c in rec.calls] == ["sentiment", "themes"]
    assert steps["themes"]["status"] == "failed" and "themes broke" in steps["themes"]["error"]
    assert steps["taxonomy"]["status"] == "skipped"
    assert state.is_failed() and state.name == "Partial" and "themes" in state.message


def test_report_flow_skips_only_the_stages_that_read_what_a_failed_stage_writes(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import report_flow

    cfg = write_config(tmp_path, [])
    rec = Recorder(monkeypatch, fail="themes.csv")  # writes a file only: nothing reads it
    state = report_flow(str(cfg), out_dir=str(tmp_path / "out"), return_state=True)
    steps = {s["step"]: s for s in state.result(raise_on_failure=False)["steps"]}
    assert [c[0] for c in rec.calls] == ["themes.csv", "backlog", "report"]
    assert steps["themes.csv"]["status"] == "failed" and steps["report"]["status"] == "ok"
    assert state.name == "Partial"

    rec = Recorder(monkeypatch, fail="backlog")  # the report reads the stored backlog: skipped
    state = report_flow(str(cfg), out_dir=str(tmp_path / "out"), return_state=True)
    steps = {s["step"]: s for s in state.result(raise_on_failure=False)["steps"]}
    assert [c[0] for c in rec.calls] == ["themes.csv", "backlog"]
    assert steps["report"] == {
        "step": "report",
        "status": "skipped",
        "error": "skipped: backlog did not finish",
    }


def test_weekly_flow_ingests_analyzes_reports_in_order(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import weekly_flow

    write_csv(tmp_path / "a.csv", tiny_rows(6))
    cfg = write_config(tmp_path, [{"name": "a", "path": "a.csv"}, {"name": "gone", "path": "nope.csv"}])
    rec = Recorder(monkeypatch)
    state = weekly_flow(str(cfg), week="2026-W10", return_state=True)
    # the order is the registry's: analyze stages, then the report stages
    assert [c[0] for c in rec.calls] == ["sentiment", "themes", "taxonomy", "themes.csv", "backlog", "report"]
    assert rec.calls[0][1] == {"progress": False}
    assert rec.calls[-1][1]["week"] == "2026-W10"
    # the stages saw the ingested items: ingest ran first
    out = state.result(raise_on_failure=False)
    steps = {s["step"]: s for s in out["steps"]}
    assert steps["ingest"]["status"] == "partial" and "gone" in steps["ingest"]["error"]
    assert steps["analyze"]["status"] == "ok" and steps["report"]["status"] == "ok"
    assert state.name == "Partial"
    files = set(os.listdir(tmp_path / "out"))
    assert {"items.csv", "quarantine.csv", "report.html"} <= files


# -- killed and re-run ------------------------------------------------------------------


def _big_csv(path: Path, n: int) -> tuple[int, int]:
    """n rows with repeated ids (same content) and bad dates; returns (rows, distinct valid ids)."""
    rows, valid = [], set()
    for i in range(n):
        if i % 50 == 7:
            rows.append([f"b{i}", "not a date", 3, f"Broken date row {i}"])
        elif i % 40 == 3:
            j = i - 3
            rows.append(
                [f"b{j}", f"2026-02-{1 + j % 28:02d}", 1 + j % 5, f"Order {j} arrived late and damaged"]
            )
        else:
            rows.append(
                [f"b{i}", f"2026-02-{1 + i % 28:02d}", 1 + i % 5, f"Order {i} arrived late and damaged"]
            )
            valid.add(f"b{i}")
    write_csv(path, rows)
    return n, len(valid)


@pytest.mark.slow
def test_ingest_flow_killed_midway_resumes_without_loss_or_duplicates(
    prefect_api: None, tmp_path: Path
) -> None:
    """SIGKILL the ingest flow (a `voc flow run` process) after some batches, re-run, check every row is accounted for."""
    from flows import ingest_flow

    n, distinct = _big_csv(tmp_path / "big.csv", 60_000)
    cfg = write_config(tmp_path, [{"name": "big", "path": "big.csv", "chunk_rows": 1000}])
    db = tmp_path / "data" / "voc.duckdb"
    env = os.environ | {"PREFECT_HOME": str(tmp_path / "prefect-child")}
    env.pop("PREFECT_API_URL", None)  # the child starts its own temporary API, as ops would
    proc = subprocess.Popen(
        [sys.executable, "-m", "voc", "flow", "run", "ingest", "-c", str(cfg)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the child API server too
    )
    try:
        deadline = time.monotonic() + 120
        # committed batches grow the database file or its write-ahead log
        while time.monotonic() < deadline and proc.poll() is None:
            size = sum(p.stat().st_size for p in db.parent.glob("voc.duckdb*") if p.suffix != ".lock")
            if size > 2_000_000:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest finished before it could be killed; make the file bigger"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    killed = store_counts(cfg)
    assert 0 < killed["items"] < distinct, f"kill landed outside the ingest: {killed}"

    state = ingest_flow(str(cfg), return_state=True)
    assert state.is_completed() and state.name == "Completed"
    c = store_counts(cfg)
    assert c["items"] == c["ids"] == distinct  # nothing lost, nothing twice
    assert c["read"] == n  # every input row read exactly once over the two runs
    assert c["read"] == c["stored"] + c["duplicates"] + c["run_quarantined"]
    assert c["quarantined"] == c["run_quarantined"] > 0


def test_voc_flow_run_cli_prints_steps_and_exits_1_when_partial(prefect_api: None, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from voc.cli import app

    write_csv(tmp_path / "a.csv", tiny_rows(5))
    cfg = write_config(tmp_path, [{"name": "a", "path": "a.csv"}, {"name": "gone", "path": "nope.csv"}])
    res = CliRunner().invoke(app, ["flow", "run", "ingest", "-c", str(cfg)], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert "partial failure" in res.output.strip().splitlines()[-1]
    assert "ingest: Partial" in res.output and "read=5" in res.output and "does not exist" in res.output
    ok = CliRunner().invoke(
        app, ["flow", "run", "ingest", "-c", str(cfg), "--source", "a"], catch_exceptions=False
    )
    assert ok.exit_code == 0 and "ingest: Completed" in ok.output, ok.output


def test_voc_serve_refuses_without_a_server(tmp_path: Path) -> None:
    """Schedules never fire on the temporary API, so `voc serve` says what to start instead of idling."""
    cfg = write_config(tmp_path, [])
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {
        "PREFECT_HOME": str(tmp_path / "ph")
    }
    res = subprocess.run(
        [sys.executable, "-m", "voc", "serve", "-c", str(cfg)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1
    message = " ".join(res.stderr.split())  # the console wraps long lines
    assert "[E108]" in message and "prefect server start" in message and "PREFECT_API_URL" in message
