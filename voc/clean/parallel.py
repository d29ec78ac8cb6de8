"""Clean a big batch on several processes (opt-in: `clean.workers > 1`).

The pool is created once per process and reused: forking per batch and
loading the language detector in every child (~1 s) would cost more than
cleaning saves. The detector is loaded in the parent before the first fork,
so forked children inherit it. Whether this pays depends on the record size:
records travel to the children and back pickled; `bench/bench_clean.py`
measures it against the in-process path.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from voc.config.core import CleanConfig
from voc.schema import FeedbackRecord

_POOL: ProcessPoolExecutor | None = None
_POOL_WORKERS = 0


def _shutdown() -> None:
    global _POOL
    if _POOL is not None:
        _POOL.shutdown(cancel_futures=True)
        _POOL = None


atexit.register(_shutdown)


def _pool(workers: int, cfg: CleanConfig) -> ProcessPoolExecutor:
    global _POOL, _POOL_WORKERS
    if _POOL is not None and workers == _POOL_WORKERS:
        return _POOL
    _shutdown()
    if cfg.detect_language:
        from voc.clean.language import get_detector

        get_detector(cfg.language_detector, tuple(cfg.languages))
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else methods[0])
    _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    _POOL_WORKERS = workers
    return _POOL


def clean_parallel(records: list[FeedbackRecord], cfg: CleanConfig, clean_chunk: Callable):
    """Split `records` into one contiguous slice per worker; results come back in input order."""
    from voc.clean.pipeline import CleanStats

    workers = cfg.workers
    size = -(-len(records) // workers)
    slices = [records[i : i + size] for i in range(0, len(records), size)]
    pool = _pool(workers, cfg)
    results: list = []
    stats = CleanStats()
    for out, part_stats in pool.map(clean_chunk, slices, [cfg] * len(slices)):
        results.extend(out)
        stats.merge(part_stats)
    return results, stats
