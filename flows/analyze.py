"""The analyze flow: enrich new items with sentiment, assign themes (refit when due), map the taxonomy.

Every stage is incremental: a re-run after a crash processes only what the
crashed run did not commit. With `flows.runner = "dask"` the heavy model
steps run first on a Dask cluster (see flows/scale.py); the stages then find
their results in the store and only write.
"""

from __future__ import annotations

import time

from prefect import flow
from prefect.states import State

from flows.common import finish, load
from flows.stages import run_stage_steps
from voc.pipeline.registry import StageContext


@flow(name="voc-analyze", log_prints=True)
def analyze_flow(config: str | None = None, refit: bool | None = None) -> State:
    """The registry's analyze stages (sentiment -> themes -> journey stages and pillars) on the items not processed yet.

    Args:
        config: path of the voc config file (default config/voc.toml).
        refit: force (true) or forbid (false) a theme refit; by default the themes stage decides.
    """
    started = time.perf_counter()
    cfg = load(config)
    steps = []
    if cfg.flows.runner == "dask":
        from flows.scale import precompute_on_dask

        steps.append(precompute_on_dask(cfg))
    steps += run_stage_steps(cfg, "analyze", StageContext(refit=refit))
    return finish("analyze", steps, started, runner=cfg.flows.runner)
