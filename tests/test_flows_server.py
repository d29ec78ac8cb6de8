"""Against a real Prefect server: `voc serve` registers the scheduled weekly deployment, a run
triggered through the API completes, and the outputs are written.

Starts `prefect server start --host 127.0.0.1` on a free port with its own
PREFECT_HOME, then `voc serve --only weekly` in a second process, triggers a
run with the REST API, waits for it, and stops both (their process groups)
in a finally block. Skips, with the server's log, only when the server
cannot start.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from test_flows import write_config, write_csv  # noqa: E402
from test_flows_dask import feedback_rows, sentiment_model  # noqa: E402, F401  (fixture re-used)

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.slow]

TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a process we started, and its children (its own process group)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def wait_for(check, timeout: float, what: str, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited with {proc.returncode}:\n{_tail(log)}")
        got = check()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{_tail(log)}")


def _tail(log: Path | None, n: int = 4000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-n:] if log and log.exists() else ""


def _post_unless_busy(url: str) -> httpx.Response | None:
    """POST `url`; None on 503, the server's "retry this" (a busy SQLite database), as Prefect's client retries."""
    r = httpx.post(url, json={}, timeout=10)
    return None if r.status_code == 503 else r


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def test_voc_serve_weekly_deployment_completes_on_a_real_server(tmp_path: Path, sentiment_model: str) -> None:  # noqa: F811
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",
        # the server's scheduler creates the cron runs; every 2 s instead of 60 s so the test sees them
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }
    rows = feedback_rows(60)
    write_csv(tmp_path / "fb.csv", rows)
    cfg = write_config(
        tmp_path,
        [{"name": "fb", "path": "fb.csv"}],
        sentiment={"model": sentiment_model},
        themes={"min_cluster_size": 5},
        flows={"timezone": "Europe/Berlin"},
    )
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    server = serve = None
    try:
        prefect_bin = Path(sys.executable).with_name("prefect")
        with server_log.open("w") as fh:
            server = subprocess.Popen(
                [str(prefect_bin), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for(
                lambda: (r := _get(f"{api}/health")) is not None and r.status_code == 200,
                90,
                "prefect server health",
                server,
                server_log,
            )
        except AssertionError as exc:
            pytest.skip(f"the Prefect server could not start on 127.0.0.1:{port}: {exc}")

        with serve_log.open("w") as fh:
            serve = subprocess.Popen(
                [sys.executable, "-m", "voc", "serve", "-c", str(cfg), "--only", "weekly"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        dep = wait_for(
            lambda: (
                (r := _get(f"{api}/deployments/name/voc-weekly/weekly")) is not None
                and r.status_code == 200
                and r.json()
            ),
            120,
            "voc serve registering the weekly deployment",
            serve,
            serve_log,
        )
        sched = dep["schedules"][0]["schedule"]
        assert (sched["cron"], sched["timezone"]) == ("0 6 * * 1", "Europe/Berlin")
        assert dep["parameters"] == {"config": str(cfg.resolve())}

        # the schedule fires: the server's scheduler has put the coming Mondays 06:00 Berlin on the calendar
        scheduled = wait_for(
            lambda: httpx.post(
                f"{api}/flow_runs/filter",
                timeout=10,
                json={
                    "deployments": {"id": {"any_": [dep["id"]]}},
                    "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                },
            ).json(),
            60,
            "scheduled runs of the weekly deployment",
            serve,
            serve_log,
        )
        berlin = ZoneInfo("Europe/Berlin")
        starts = [datetime.fromisoformat(f["expected_start_time"]).astimezone(berlin) for f in scheduled]
        assert all((t.weekday(), t.hour, t.minute) == (0, 6, 0) for t in starts), starts

        r = wait_for(
            lambda: _post_unless_busy(f"{api}/deployments/{dep['id']}/create_flow_run"),
            30,
            "creating a run of the weekly deployment",
            serve,
            serve_log,
        )
        assert r.status_code in (200, 201), r.text
        run_id = r.json()["id"]
        run = wait_for(
            lambda: (
                (x := _get(f"{api}/flow_runs/{run_id}")) is not None
                and x.json()["state"]["type"] in TERMINAL
                and x.json()
            ),
            300,
            "the weekly flow run to finish",
            serve,
            serve_log,
        )
        assert run["state"]["type"] == "COMPLETED", f"{run['state']}\n{_tail(serve_log)}"
        assert run["state"]["name"] == "Completed", run["state"]["message"]

        out = tmp_path / "out"
        for name in ("items.csv", "quarantine.csv", "report.html", "report.md"):
            assert (out / name).is_file() and (out / name).stat().st_size > 0, name
        assert len((out / "items.csv").read_text(encoding="utf-8").splitlines()) == len(rows) + 1
        # the run's sub-flows (ingest, analyze, report) were recorded on the server too
        subs = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"parent_task_run_id": {"is_null_": False}}},
            timeout=10,
        ).json()
        assert {"COMPLETED"} == {s["state"]["type"] for s in subs} and len(subs) >= 3
        assert run["state"]["name"] == "Completed"
    finally:
        stop(serve)
        stop(server)
