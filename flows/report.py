"""The report flow: themes.csv, the backlog, the weekly report and the CSV exports for one period."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from flows.common import finish, load, logger, retry_if_transient, step_outcome, writer
from flows.stages import run_stage_steps
from voc.config import VocConfig
from voc.pipeline.registry import StageContext


@task(name="exports", cache_policy=NO_CACHE, retry_condition_fn=retry_if_transient)
def exports_task(cfg: VocConfig, out_dir: str) -> dict[str, Any]:
    """items.csv and quarantine.csv (every item with its enrichments, every quarantined row)."""
    from voc.pipeline.exports import write_items_csv, write_quarantine_csv

    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with writer(cfg) as store:
        items = write_items_csv(store, out / "items.csv")
        quarantined = write_quarantine_csv(store, out / "quarantine.csv")
    seconds = round(time.perf_counter() - started, 2)
    logger().info(
        "exports: %s items, %s quarantined rows -> %s in %.1f s",
        f"{items:,}",
        f"{quarantined:,}",
        out,
        seconds,
    )
    return {"items": items, "quarantined": quarantined, "seconds": seconds}


@flow(name="voc-report", log_prints=True)
def report_flow(config: str | None = None, week: str | None = None, out_dir: str | None = None) -> State:
    """Rank the backlog and write the report of one week, plus the CSV exports.

    Args:
        config: path of the voc config file (default config/voc.toml).
        week: ISO week `YYYY-Www`; the last full week when empty.
        out_dir: output folder; `report.out_dir` of the config when empty.
    """
    started = time.perf_counter()
    cfg = load(config)
    out = str(Path(out_dir) if out_dir else cfg.resolve(cfg.report.out_dir))
    Path(out).mkdir(parents=True, exist_ok=True)
    # The registry's report stages (themes.csv, backlog, report), one task each: the report reads
    # the backlog the backlog stage stored.
    steps = run_stage_steps(cfg, "report", StageContext(out_dir=Path(out), week=week))
    steps.append(step_outcome("exports", exports_task(cfg, out, return_state=True)))
    files = sorted(p.name for p in Path(out).iterdir() if p.is_file()) if Path(out).is_dir() else []
    return finish("report", steps, started, out_dir=out, week=week, files=files)
