"""Scale-out: the analyze flow's heavy model steps on a Dask cluster (prefect-dask).

With `flows.runner = "dask"` the analyze flow first runs a sub-flow on
Prefect's DaskTaskRunner:

1. sentiment: the items the sentiment stage has not scored are cut into
   partitions of `flows.dask.partition_items`; each worker runs the library's
   own `enrich_sentiment` on its partition in an in-memory store and sends
   back the stage's tables (sentences, scores, item results and the shared
   sentence embeddings). The parent writes them to the store, one
   transaction per partition, so workers never touch the database.
2. embeddings: the theme mentions whose embeddings are not cached are cut
   into partitions and encoded on the workers (`voc.nlp.encoder.encode`); the
   parent writes them to the embeddings cache.

The regular stages then run in the parent as usual: they find nothing left
to score or encode and do only the cheap, global work (clustering, mapping).
Results equal the in-process run up to float rounding (tests/test_flows_dask.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.common import logger, step_outcome, writer
from voc.config import VocConfig

# Tables the sentiment stage writes (their keys and dispositions: voc/store/catalog.py).
SENTIMENT_TABLES = ("sentences", "sentence_sentiment", "item_sentiment")


def task_runner(cfg: VocConfig) -> Any:
    """A DaskTaskRunner for an existing scheduler (`flows.dask.address`) or a local cluster of processes."""
    from prefect_dask import DaskTaskRunner

    d = cfg.flows.dask
    if d.address:
        return DaskTaskRunner(address=d.address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": d.n_workers,
            "threads_per_worker": d.threads_per_worker,
            "processes": True,
            "dashboard_address": ":0",  # any free port: two clusters on one machine must not clash
        },
    )


def _limit_threads(cfg: VocConfig) -> None:
    # One torch thread per Dask thread: n workers x all-cores torch pools would oversubscribe the machine.
    import torch

    torch.set_num_threads(cfg.flows.dask.threads_per_worker)


@task(name="score-partition", cache_policy=NO_CACHE)
def score_partition(cfg: VocConfig, items: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Run the sentiment stage on one partition of items (worker side); returns its tables."""
    from voc.nlp.stage import enrich_sentiment
    from voc.store import DuckDBStore

    _limit_threads(cfg)
    started = time.perf_counter()
    with DuckDBStore(":memory:") as mem:
        mem.write_frame("items", items)
        enrich_sentiment(mem, cfg, progress=False)
        tables = {t: mem.read(t) for t in (*SENTIMENT_TABLES, "embeddings")}
    logger().info(
        "sentiment: scored a partition of %s items on a worker in %.1f s",
        f"{len(items):,}",
        time.perf_counter() - started,
    )
    return tables


@task(name="embed-partition", cache_policy=NO_CACHE)
def embed_partition(cfg: VocConfig, texts: list[str]) -> np.ndarray:
    """Theme embeddings of one partition of texts (worker side)."""
    from voc.nlp.encoder import get_encoder

    _limit_threads(cfg)
    return get_encoder(cfg.encoder).encode(texts)


def sentiment_tag(cfg: VocConfig) -> str:
    """How the sentiment stage reads items under `cfg` (`item_sentiment.model`); loads the model once per process."""
    from voc.nlp.sentiment import load_sentiment_model
    from voc.nlp.stage import item_tag

    return item_tag(load_sentiment_model(cfg.sentiment.model, str(cfg.root)), cfg)


def _write_partition(store: Any, cfg: VocConfig, tables: dict[str, pd.DataFrame]) -> int:
    """Write one partition's sentiment tables and shared embeddings; returns items written."""
    from voc.themes.cache import cached_embeddings, text_hash

    items = tables.get("item_sentiment")
    if items is None or not len(items):
        return 0
    with store.transaction():
        # As the stage does: a re-scored item's old sentences go first, and with them what the
        # catalogue declares they invalidate (its scores and its theme mentions).
        store.drop_items("sentences", items["item_id"].tolist())
        for table in SENTIMENT_TABLES:
            if table in tables:
                store.write(table, tables[table])
    emb = tables.get("embeddings")
    if emb is not None and len(emb) and "sentences" in tables:
        by_hash = dict(zip(emb["text_hash"].tolist(), emb["vector"].tolist(), strict=True))
        texts = [
            t
            for t in dict.fromkeys(tables["sentences"]["text"].astype(str).tolist())
            if text_hash(t) in by_hash
        ]
        if texts:
            cached_embeddings(
                store,
                texts,
                cfg.encoder.model,
                lambda missing: np.asarray([by_hash[text_hash(t)] for t in missing], np.float32),
            )
    return len(items)


def _partitions(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def _score_on_dask(cfg: VocConfig) -> dict[str, Any]:
    """The sentiment stage's scoring of its pending items (`voc.nlp.pending`), partitioned over the workers."""
    from voc.nlp.pending import needs_sentiment

    log = logger()
    size = cfg.flows.dask.partition_items
    started = time.perf_counter()
    with writer(cfg) as store:
        # The in-process stage's rule, reading included: nothing is left for it to re-score afterwards.
        todo = needs_sentiment(store, sentiment_tag(cfg), columns=["*"])
    parts = _partitions(len(todo), size)
    futures = [score_partition.submit(cfg, todo.iloc[p].reset_index(drop=True)) for p in parts]
    scored = 0
    for fut in futures:  # write in submission order as results arrive
        tables = fut.result()
        with writer(cfg) as store:
            scored += _write_partition(store, cfg, tables)
    seconds = time.perf_counter() - started
    log.info(
        "sentiment: in %s new items -> out %s scored in %d partitions on Dask in %.1f s",
        f"{len(todo):,}",
        f"{scored:,}",
        len(parts),
        seconds,
    )
    return {"items": len(todo), "scored": scored, "partitions": len(parts), "seconds": seconds}


def _embed_on_dask(cfg: VocConfig) -> dict[str, Any]:
    """The themes stage's embeddings of the mentions not in the cache, partitioned over the workers."""
    from voc.themes.cache import cached_embeddings
    from voc.themes.stage import load_mentions

    size = cfg.flows.dask.partition_items
    started = time.perf_counter()
    encoded = 0

    def encode_on_dask(missing: list[str]) -> np.ndarray:
        nonlocal encoded
        encoded = len(missing)
        futs = [embed_partition.submit(cfg, missing[p]) for p in _partitions(len(missing), size)]
        return np.concatenate([f.result() for f in futs]) if futs else np.zeros((0, 384), np.float32)

    with writer(cfg) as store:
        texts = load_mentions(store)["text"].astype(str).tolist()
        if texts:
            cached_embeddings(store, texts, cfg.encoder.model, encode_on_dask)
    seconds = time.perf_counter() - started
    logger().info(
        "themes: in %s mentions -> %s embedded on Dask (rest cached) in %.1f s",
        f"{len(texts):,}",
        f"{encoded:,}",
        seconds,
    )
    return {"mentions": len(texts), "embedded": encoded, "seconds": seconds}


# The heavy part of each analyze stage that runs on the workers; they run in the registry's order.
DASK_STEPS = {"sentiment": _score_on_dask, "themes": _embed_on_dask}


@flow(name="voc-analyze-dask", log_prints=True)
def heavy_steps_flow(cfg: VocConfig) -> dict[str, Any]:
    """Sentiment scoring and theme embeddings of the new items, partitioned over the flow's task runner."""
    from voc.pipeline.registry import stages

    out: dict[str, Any] = {}
    seconds = 0.0
    for stage in stages("analyze"):
        step = DASK_STEPS.get(stage.name)
        if step is not None:
            done = step(cfg)
            seconds += done.pop("seconds")
            out |= done
    return out | {"seconds": round(seconds, 2)}


@contextmanager
def _api_url_for_workers() -> Iterator[None]:
    """Export this process's Prefect API address so local Dask worker processes report to it.

    On the temporary local API (or under a test harness) the address lives
    only in this process's settings; without it each worker would start a
    temporary API of its own and its task runs would be lost.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.client.orchestration import get_client

    os.environ["PREFECT_API_URL"] = str(get_client(sync_client=True).api_url)
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def precompute_on_dask(cfg: VocConfig) -> dict[str, Any]:
    """Run the heavy steps on the configured Dask cluster; one step of the analyze flow's outcome."""
    with _api_url_for_workers():
        state = heavy_steps_flow.with_options(task_runner=task_runner(cfg))(cfg, return_state=True)
    return step_outcome("dask", state)
