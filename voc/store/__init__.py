"""Persistence. `open_store(config)` gives the configured backend."""

from __future__ import annotations

from voc.config import VocConfig
from voc.store.base import BatchCounts, RunInfo, Store
from voc.store.duckdb_store import DuckDBStore

__all__ = ["BatchCounts", "DuckDBStore", "RunInfo", "Store", "open_store"]


def open_store(config: VocConfig, *, read_only: bool = False) -> DuckDBStore:
    """Open the configured store; writers take the store's lock (see `DuckDBStore`)."""
    return DuckDBStore(
        config.resolve(config.store.path), read_only=read_only, lock_timeout_s=config.store.lock_timeout_s
    )
