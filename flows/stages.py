"""One Prefect task that runs one registered stage on the store.

Stages come from the registry (`voc.pipeline.registry`) by name, so the flows
stay thin, take the order from one place, and a stage module is imported only
when its task runs (torch, BERTopic and spaCy load lazily).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.common import jsonable, logger, retry_if_transient, writer
from voc.config import VocConfig
from voc.pipeline.registry import Group, StageContext, get, stages


@task(name="stage", cache_policy=NO_CACHE, retry_condition_fn=retry_if_transient)
def stage_task(cfg: VocConfig, stage: str, ctx: StageContext | None = None) -> dict[str, Any]:
    """Run one stage with its own store connection; returns counts and seconds."""
    spec = get(stage)
    # No progress bars in flow logs; each task reads what earlier tasks stored, not their return values.
    ctx = replace(ctx or StageContext(), progress=False, results={})
    started = time.perf_counter()
    with writer(cfg) as store:
        before = spec.pending(store)
        out = spec.run(store, cfg, ctx).value
        after = spec.pending(store)
        items = store.count_items()
    seconds = round(time.perf_counter() - started, 2)
    summary: dict[str, Any] = {"items": items, "seconds": seconds, "result": jsonable(out)}
    delivery = getattr(out, "delivery", None)  # the backlog stage's alerts
    if delivery is not None:
        summary["alerts"] = {"ok": delivery.ok, "summary": delivery.summary(), "sent": len(delivery.sent),
                             "queued": len(delivery.pending)}  # fmt: skip
    if before is not None and after is not None:
        summary |= {"in": before, "out": before - after, "left": after}
        logger().info(
            "%s: in %s new items -> out %s processed (%s left) of %s stored, in %.1f s",
            stage,
            f"{before:,}",
            f"{before - after:,}",
            f"{after:,}",
            f"{items:,}",
            seconds,
        )
    else:
        logger().info(
            "%s: done on %s stored items in %.1f s: %s",
            stage,
            f"{items:,}",
            seconds,
            str(summary["result"])[:300],
        )
    return summary


def run_stage_steps(cfg: VocConfig, group: Group, ctx: StageContext | None = None) -> list[dict[str, Any]]:
    """Run the group's stages in registry order, one task each.

    After a failure, the stages that read what it writes (directly or through
    a skipped stage) are skipped, not run on stale data; the others still run
    (themes.csv failing does not cost the backlog and report).
    """
    from flows.common import step_outcome

    steps: list[dict[str, Any]] = []
    stale: dict[str, str] = {}  # table -> the stage that failed or was skipped before writing it
    for spec in stages(group):
        stage = spec.name
        blocked = sorted({stale[t] for t in spec.reads if t in stale})
        if blocked:
            steps.append(
                {"step": stage, "status": "skipped", "error": f"skipped: {', '.join(blocked)} did not finish"}
            )
            stale |= dict.fromkeys(spec.writes, stage)
            continue
        run = stage_task.with_options(
            name=stage,
            retries=cfg.flows.retries,
            retry_delay_seconds=cfg.flows.retry_delay_s,
            timeout_seconds=cfg.flows.stage_timeout_s,
        )
        state = run(cfg, stage, ctx, return_state=True)
        steps.append(step_outcome(stage, state))
        if steps[-1]["status"] != "ok":
            stale |= dict.fromkeys(spec.writes, stage)
    # Alerts that did not go out make the run partial, without holding back the stages after the backlog.
    for step in list(steps):
        alerts = step.get("alerts")
        if alerts and not alerts["ok"]:
            steps.append({"step": "alerts", "status": "failed", "error": alerts["summary"]})
    return steps
