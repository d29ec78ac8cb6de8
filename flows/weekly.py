"""The weekly flow: ingest every source, analyze what is new, write the report. One run, in order.

A failing source does not stop the run: analysis and the report use what
was ingested, and the run ends "Partial" naming the source. A failing
analysis stage skips the report (it would describe stale data) and fails.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow
from prefect.states import State

from flows.analyze import analyze_flow
from flows.common import finish, load
from flows.ingest import ingest_flow
from flows.report import report_flow


def _sub_outcome(name: str, state: State) -> dict[str, Any]:
    out = state.result(raise_on_failure=False)
    detail = out if isinstance(out, dict) else {"error": f"{type(out).__name__}: {out}"}
    status = "partial" if state.name == "Partial" else "ok" if state.is_completed() else "failed"
    entry = {"step": name, **detail, "status": status}
    if status != "ok":
        entry.setdefault("error", state.message or state.name)
        entry["error"] = state.message or entry["error"]
    return entry


@flow(name="voc-weekly", log_prints=True)
def weekly_flow(config: str | None = None, week: str | None = None, out_dir: str | None = None) -> State:
    """Ingest -> analyze -> report, as three sub-flow runs.

    Args:
        config: path of the voc config file (default config/voc.toml).
        week: ISO week `YYYY-Www` of the report; the last full week when empty.
        out_dir: output folder; `report.out_dir` of the config when empty.
    """
    started = time.perf_counter()
    cfg = load(config)
    steps = [_sub_outcome("ingest", ingest_flow(config, return_state=True))]
    if steps[0]["status"] == "failed":
        steps.append({"step": "analyze", "status": "skipped", "error": "skipped: every source failed"})
    else:
        steps.append(_sub_outcome("analyze", analyze_flow(config, return_state=True)))
    if steps[-1]["status"] in ("failed", "skipped"):
        steps.append({"step": "report", "status": "skipped", "error": "skipped: analysis did not finish"})
    else:
        steps.append(
            _sub_outcome("report", report_flow(config, week=week, out_dir=out_dir, return_state=True))
        )
    return finish("weekly", steps, started, out_dir=str(out_dir or cfg.resolve(cfg.report.out_dir)))
