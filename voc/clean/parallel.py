"""Clean a big batch on several processes (opt-in: `clean.workers > 1`).

The pool is created once per process and reused: forking per batch and
loading the language detector in every child (~1 s) would cost more than
cleaning saves. The detector is loaded in the parent before the first fork,
so forked children inherit it. Whether this pays depends on the record size:
the text fields travel to the children and the decisions back, pickled;
`bench/bench_clean.py` measures it against the in-process path.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from voc.config.core import CleanConfig

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
    from voc.pipeline.lifeline import watch_parent

    # Forked workers wait on the pool's pipe; they must not outlive a killed parent.
    _POOL = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=watch_parent, initargs=(os.getpid(),)
    )
    _POOL_WORKERS = workers
    return _POOL


def clean_fields_parallel(
    fields: list[tuple], cfg: CleanConfig, clean_batch: Callable[[list[tuple], CleanConfig], list]
) -> list:
    """`clean_batch` over (text, title, metadata, language) tuples, one contiguous slice per worker.

    `clean_batch` is `voc.clean.pipeline.clean_fields_batch`, passed in (a
    module-level function pickles by name) so that this module does not
    import the pipeline that imports it. Only these plain values travel to
    the children and only the `Cleaned` decisions come back: pickling whole
    pydantic records both ways cost more than the cleaning saved. Results
    keep input order.
    """
    workers = cfg.workers
    size = -(-len(fields) // workers)
    slices = [fields[i : i + size] for i in range(0, len(fields), size)]
    pool = _pool(workers, cfg)
    results: list = []
    for part in pool.map(clean_batch, slices, [cfg] * len(slices)):
        results.extend(part)
    return results
