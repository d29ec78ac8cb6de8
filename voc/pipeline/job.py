"""The whole scheduled job in one call: ingest every source, analyse, write outputs."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.config import VocConfig
from voc.pipeline.exports import write_exports
from voc.pipeline.ingest import IngestResult
from voc.pipeline.registry import StageContext, get
from voc.pipeline.stages import run_stages
from voc.store import open_store

log = logging.getLogger(__name__)


@dataclass
class JobResult:
    """What a full run did and where it wrote."""

    ingest: IngestResult
    out_dir: Path
    stages: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def run_job(
    config: VocConfig, out_dir: Path | None = None, *, week: str | None = None, progress: bool = True
) -> JobResult:
    """Ingest all enabled sources, run every stage, write the CSVs, backlog and report."""
    started = time.perf_counter()
    out = Path(out_dir) if out_dir else config.resolve(config.report.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = open_store(config)
    try:
        ing = get("ingest").run(store, config, StageContext(out_dir=out, progress=progress)).value
        result = JobResult(ingest=ing, out_dir=out)
        run = store.start_run("analyze", None, {"out_dir": str(out), "week": week})
        try:
            result.stages = run_stages(store, config, out, progress=progress, week=week)
            result.files = write_exports(store, out)
        except BaseException as exc:
            store.finish_run(run, "failed", error=f"{type(exc).__name__}: {exc}")
            raise
        store.finish_run(run, "ok")
    finally:
        store.close()
    result.seconds = time.perf_counter() - started
    log.info("run: finished in %.1f s; outputs in %s", result.seconds, out)
    return result
