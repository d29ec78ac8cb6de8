"""Run the analysis stages in order on an open store.

sentiment -> themes -> journey stages and pillars -> backlog (+ alerts) -> report.
Each stage reads what the previous ones wrote to the store and is
incremental: items already processed are not processed again.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

from voc.config import VocConfig
from voc.rank.periods import Window
from voc.store import DuckDBStore

log = logging.getLogger(__name__)


def _peak_rss_mb() -> int | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    div = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / div)


def run_stages(
    store: DuckDBStore,
    config: VocConfig,
    out_dir: Path,
    *,
    progress: bool = True,
    week: str | None = None,
    window: Window | None = None,
) -> dict[str, Any]:
    """Run every analysis stage; returns each stage's summary, with seconds.

    The backlog and report cover `week` (the scheduled job) or, with `window`,
    every period of it (the one-file path, see `voc.rank.periods.choose_window`).
    """
    summaries: dict[str, Any] = {}

    def timed(name: str, fn, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        # The process's high-water mark after each stage: the stage where it jumps is the one that set it.
        summaries[name] = {
            "seconds": round(time.perf_counter() - t0, 2),
            "peak_rss_mb": _peak_rss_mb(),
            "result": out,
        }
        return out

    from voc.nlp.stage import enrich_sentiment
    from voc.pipeline.exports import write_themes_csv
    from voc.rank.stage import build_backlog
    from voc.report.stage import write_report
    from voc.taxonomy.stage import map_taxonomy
    from voc.themes.stage import update_themes

    timed("sentiment", enrich_sentiment, store, config, progress=progress)
    timed("themes", update_themes, store, config, progress=progress)
    timed("taxonomy", map_taxonomy, store, config)
    timed("themes.csv", write_themes_csv, store, out_dir / "themes.csv")
    backlog = timed("backlog", build_backlog, store, config, out_dir, period=week, window=window)
    timed("report", write_report, store, config, out_dir, week=week, backlog=backlog, window=window)
    return summaries
