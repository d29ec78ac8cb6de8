"""The ingest flow: one task per source, each resumable and retried on transient errors.

Re-running after a crash (or a SIGKILL) is safe: every batch is committed
with its watermark, so a source resumes where its last committed batch
ended and rows already stored count as duplicates, never twice.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from flows.common import StepFailedError, finish, load, logger, retry_if_transient, step_outcome, writer
from voc.config import VocConfig
from voc.errors import VocError


@task(name="ingest-source", cache_policy=NO_CACHE, retry_condition_fn=retry_if_transient)
def ingest_source_task(cfg: VocConfig, source: str, full: bool = False) -> dict[str, Any]:
    """Ingest one source; raises StepFailedError (with the counts so far) when it failed."""
    from voc.pipeline.ingest import ingest_source

    with writer(cfg) as store:
        res = ingest_source(store, cfg, cfg.source(source), full=full, progress=False)
    c = res.counts
    summary = {**c.as_dict(), "seconds": round(res.seconds, 2), "run_id": res.run_id}
    logger().info("ingest: %s: %s in %.1f s", source, c.line(), res.seconds)
    if res.status != "ok":
        raise StepFailedError(source, res.error or "failed", summary)
    return summary


@flow(name="voc-ingest", log_prints=True)
def ingest_flow(config: str | None = None, source: str | None = None, full: bool = False) -> State:
    """Ingest one source (`source`) or every enabled source; a failing source does not stop the others.

    Args:
        config: path of the voc config file (default config/voc.toml).
        source: only this source; all enabled sources when empty.
        full: re-read files already ingested completely.
    """
    started = time.perf_counter()
    cfg = load(config)
    names = [cfg.source(source).name] if source else [s.name for s in cfg.sources if s.enabled]
    if not names:
        raise VocError("no sources configured; add [[sources]] to the config (see `voc init`)", code="E105")
    run_source = ingest_source_task.with_options(
        retries=cfg.flows.retries,
        retry_delay_seconds=cfg.flows.retry_delay_s,
        timeout_seconds=cfg.flows.source_timeout_s,
    )
    steps = []
    for name in names:
        state = run_source(cfg, name, full, return_state=True)
        steps.append(step_outcome(name, state))
    totals = {k: sum(s.get(k, 0) for s in steps) for k in ("read", "stored", "duplicates", "quarantined")}
    logger().info(
        "ingest: %d sources: in %s rows -> out %s stored, %s duplicates, %s quarantined",
        len(steps),
        *(f"{totals[k]:,}" for k in ("read", "stored", "duplicates", "quarantined")),
    )
    return finish("ingest", steps, started, totals=totals)
