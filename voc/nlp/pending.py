"""Which items need sentiment: the one definition the sentiment stage, the Dask path and the flows share.

An item needs (re)scoring when it has no `item_sentiment` row, when its text
changed since it was scored (content hash), or when it was read another way
than the stage reads now (`item_sentiment.model`, see `voc.nlp.stage.item_tag`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from voc.store.tables import check_ident

# A scored item whose text changed since (SQL over the item `i` and its `item_sentiment` row `d`); the
# stage registry's pending query for sentiment uses the same condition.
TEXT_CHANGED = "d.content_hash IS DISTINCT FROM i.content_hash"


def _stale(store: Any, tag: str | None) -> tuple[str, list[Any]]:
    """FROM ... WHERE of the items that need sentiment, and its parameters."""
    cond = f"d.item_id IS NULL OR {TEXT_CHANGED}"
    params: list[Any] = []
    if tag is not None:
        cond += " OR d.model IS DISTINCT FROM ?"
        params.append(tag)
    sql = f"FROM items i LEFT JOIN {store.relation('item_sentiment')} d ON d.item_id = i.id WHERE {cond}"
    return sql, params


def needs_sentiment(
    store: Any, tag: str | None, columns: Sequence[str] = ("id", "text", "content_hash", "kind")
) -> pd.DataFrame:
    """The items that need sentiment, in (created_at, id) order, with `columns` of `items` (all with "*").

    `tag` is how the stage reads items now; None leaves the reading aside and
    counts only missing rows and changed texts (for a progress count).
    """
    cols = "i.*" if list(columns) == ["*"] else ", ".join(f"i.{check_ident(c)}" for c in columns)
    where, params = _stale(store, tag)
    return store.query(f"SELECT {cols} {where} ORDER BY i.created_at, i.id", params)


def count_needing_sentiment(store: Any, tag: str | None = None) -> int:
    """How many items `needs_sentiment` would return."""
    where, params = _stale(store, tag)
    return int(store.query(f"SELECT count(*) AS n {where}", params)["n"].iloc[0])
