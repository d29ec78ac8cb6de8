"""The ingest job: every configured source -> cleaning -> store, one batch at a time.

One failing source does not stop the others: its run is recorded as
`failed` with the error, what it committed before failing stays (each batch
is one transaction with its watermark), and the job ends `partial`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from voc.clean import clean_records
from voc.clean.quarantine import redact_quarantine
from voc.config import SourceConfig, VocConfig
from voc.errors import VocError
from voc.ingest import make_connector
from voc.pipeline.progress import progress_bar
from voc.pipeline.readahead import read_ahead
from voc.store import BatchCounts, DuckDBStore, open_store

log = logging.getLogger(__name__)


@dataclass
class SourceResult:
    """Outcome of one source in one ingest run."""

    source: str
    status: str  # ok | failed
    counts: BatchCounts = field(default_factory=BatchCounts)
    seconds: float = 0.0
    error: str | None = None
    run_id: str | None = None
    exception: BaseException | None = field(default=None, repr=False)  # what `error` describes


@dataclass
class IngestResult:
    """Outcome of an ingest job over one or more sources."""

    sources: list[SourceResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        failed = sum(r.status != "ok" for r in self.sources)
        if not failed:
            return "ok"
        return "failed" if failed == len(self.sources) else "partial"

    @property
    def counts(self) -> BatchCounts:
        total = BatchCounts()
        for r in self.sources:
            total.add(r.counts)
        return total


def ingest_source(
    store: DuckDBStore,
    config: VocConfig,
    source: SourceConfig,
    *,
    full: bool = False,
    progress: bool = True,
    fail_after_rows: int | None = None,
) -> SourceResult:
    """Ingest one source into an open store; errors are caught and recorded, not raised.

    `fail_after_rows` makes the job raise after that many committed rows; it
    exists so tests (and ops drills) can check that an interrupted ingest
    resumes with no loss and no duplicates.
    """
    run = store.start_run("ingest", source.name, {"format": source.format, "path": source.path, "full": full})
    result = SourceResult(source=source.name, status="ok", run_id=run.run_id)
    started = time.perf_counter()
    try:
        connector = make_connector(source, config)
        watermarks = store.watermarks(source.name)
        chunks = (
            read_ahead(lambda: connector.read(watermarks, full=full))
            if config.ingest.read_ahead
            else connector.read(watermarks, full=full)
        )
        with progress_bar(progress) as bar:
            task = bar.add_task(f"ingest {source.name}", total=None, note="")
            for chunk in chunks:
                records, dropped = clean_records(chunk.records, config.clean, source.name)
                # Rows the connector could not map carry the raw row: redact it like an item.
                unmapped = redact_quarantine(chunk.quarantined, config.clean)
                counts = store.commit_batch(
                    source.name,
                    records,
                    [*unmapped, *dropped],
                    chunk.watermark,
                    read=chunk.read,
                    run_id=run.run_id,
                )
                result.counts.add(counts)
                bar.update(
                    task,
                    advance=counts.read,
                    note=f"stored {result.counts.stored:,} dup {result.counts.duplicates:,} "
                    f"quarantined {result.counts.quarantined:,}",
                )
                if fail_after_rows is not None and result.counts.read >= fail_after_rows:
                    raise RuntimeError(f"simulated failure after {result.counts.read} rows")
    except Exception as exc:  # one source failing must not stop the others
        result.status = "failed"
        result.exception = exc
        result.error = str(exc) if isinstance(exc, VocError) else f"{type(exc).__name__}: {exc}"
        log.error(
            "ingest: source %r failed after %s rows: %s", source.name, f"{result.counts.read:,}", result.error
        )
    result.seconds = time.perf_counter() - started
    run.detail.update(result.counts.as_dict() | {"seconds": round(result.seconds, 3)})
    store.finish_run(run, result.status, error=result.error)
    c = result.counts
    log.info(
        "ingest: %s: %s in %.1f s (%s rows/s)",
        source.name,
        c.line(),
        result.seconds,
        f"{c.read / result.seconds:,.0f}" if result.seconds > 0 else "-",
    )
    return result


def ingest(
    config: VocConfig,
    source: str | None = None,
    *,
    full: bool = False,
    progress: bool = True,
    store: DuckDBStore | None = None,
) -> IngestResult:
    """Ingest one named source, or every enabled source, into the configured store."""
    sources = [config.source(source)] if source else [s for s in config.sources if s.enabled]
    if not sources:
        raise VocError("no sources configured; add [[sources]] to the config (see `voc init`)", code="E115")
    own = store is None
    st = store or open_store(config)
    try:
        result = IngestResult()
        for src in sources:
            result.sources.append(ingest_source(st, config, src, full=full, progress=progress))
        return result
    finally:
        if own:
            st.close()
