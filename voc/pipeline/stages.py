"""Run the analysis stages in order on an open store.

The order is the stage registry's (`voc.pipeline.registry`): sentiment ->
themes -> journey stages and pillars -> themes.csv -> backlog (+ alerts) ->
report. Each stage reads what the previous ones wrote to the store and is
incremental: items already processed are not processed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voc.config import VocConfig
from voc.pipeline.registry import StageContext, stages
from voc.rank.periods import Window
from voc.store import DuckDBStore

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


def run_stages(
    store: DuckDBStore,
    config: VocConfig,
    out_dir: Path,
    *,
    progress: bool = True,
    week: str | None = None,
    window: Window | None = None,
    encoder: Callable[[list[str]], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Run every analysis and report stage of the registry; returns each stage's summary, with seconds.

    The backlog and report cover `week` (the scheduled job) or, with `window`,
    every period of it (the one-file path, see `voc.rank.periods.choose_window`).
    `encoder` replaces the configured encoder (built once for the run otherwise).
    """
    ctx = StageContext(out_dir=Path(out_dir), progress=progress, week=week, window=window, encoder=encoder)
    return {s.name: s.run(store, config, ctx).as_summary() for s in stages("analyze", "report")}
