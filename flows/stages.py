"""One Prefect task that runs one library stage on the store.

Stages are looked up by name so the flows stay thin and a stage module is
imported only when its task runs (torch, BERTopic and spaCy load lazily).
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.common import call_with_supported, jsonable, logger, retry_if_transient, writer
from voc.config import VocConfig
from voc.store import DuckDBStore

# name -> (module, function); every function takes (store, config, ...) as in docs/architecture.md.
STAGES: dict[str, tuple[str, str]] = {
    "sentiment": ("voc.nlp.stage", "enrich_sentiment"),
    "themes": ("voc.themes.stage", "update_themes"),
    "taxonomy": ("voc.taxonomy.stage", "map_taxonomy"),
    "backlog": ("voc.rank.stage", "build_backlog"),
    "report": ("voc.report.stage", "write_report"),
}


def resolve(stage: str) -> Any:
    """The library function of a stage."""
    module, name = STAGES[stage]
    return getattr(importlib.import_module(module), name)


def pending_items(store: DuckDBStore, stage: str) -> int | None:
    """Items the stage has not processed yet (None when the stage keeps no per-item table).

    Sentiment uses the stage's own rule (`voc.nlp.pending`), leaving aside how items were read
    (that needs the model); themes counts the items without an `item_themes` row.
    """
    if stage == "sentiment":
        from voc.nlp.pending import count_needing_sentiment

        return count_needing_sentiment(store)
    if stage == "themes":
        done = store.relation("item_themes")
        df = store.query(
            f"SELECT count(*) AS n FROM items i WHERE NOT EXISTS (SELECT 1 FROM {done} d WHERE d.item_id = i.id)"
        )
        return int(df["n"].iloc[0])
    return None


@task(name="stage", cache_policy=NO_CACHE, retry_condition_fn=retry_if_transient)
def stage_task(cfg: VocConfig, stage: str, kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one stage with its own store connection; returns counts and seconds."""
    fn = resolve(stage)
    started = time.perf_counter()
    with writer(cfg) as store:
        before = pending_items(store, stage)
        out = call_with_supported(fn, store, cfg, **(kwargs or {}), progress=False)
        after = pending_items(store, stage)
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


def run_stage_steps(cfg: VocConfig, plan: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run stages in order; after a failure the later (dependent) stages are skipped, not run on stale data."""
    from flows.common import step_outcome

    steps: list[dict[str, Any]] = []
    for stage, kwargs in plan:
        if steps and steps[-1]["status"] != "ok":
            steps.append(
                {"step": stage, "status": "skipped", "error": f"skipped: {steps[-1]['step']} did not finish"}
            )
            continue
        run = stage_task.with_options(
            name=stage,
            retries=cfg.flows.retries,
            retry_delay_seconds=cfg.flows.retry_delay_s,
            timeout_seconds=cfg.flows.stage_timeout_s,
        )
        state = run(cfg, stage, kwargs, return_state=True)
        steps.append(step_outcome(stage, state))
    # Alerts that did not go out make the run partial, without holding back the stages after the backlog.
    for step in list(steps):
        alerts = step.get("alerts")
        if alerts and not alerts["ok"]:
            steps.append({"step": "alerts", "status": "failed", "error": alerts["summary"]})
    return steps
