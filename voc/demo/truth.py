"""Joining the demo's ground truth (`_truth.csv`) to stored items, for evaluation.

Truth rows are keyed by export file and the key that file carries: Zendesk
`id`, App Store `Review ID`, Qualtrics `ResponseId`, Typeform `#`, and for
Google Play (which has no id column) the `reviewId` inside `Review Link`.
Stored items are `source:external_id`, except Google Play items, whose id is
a content hash; they are matched on the review id in their `url`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from voc.config import VocConfig
from voc.demo.themes import GOOGLE_PLAY

_REVIEW_ID = re.compile(r"reviewId=([^&]+)")


def load_truth(path: str | Path) -> pd.DataFrame:
    """The truth table; `themes` is split into a list."""
    df = pd.read_csv(path, dtype={"key": str, "customer_id": str}, keep_default_na=False)
    df["themes"] = df["themes"].str.split(";")
    return df


def attach_item_ids(truth: pd.DataFrame, items: pd.DataFrame, config: VocConfig) -> pd.DataFrame:
    """`truth` with an `item_id` column (None where no stored item matches).

    `items` needs the store's `id`, `source` and `url` columns; `config` says
    which source reads which demo file.
    """
    source_of = {Path(s.path).name: s.name for s in config.sources if s.path}
    by_review = {}
    play_source = source_of.get(GOOGLE_PLAY)
    if play_source is not None:
        play = items[items["source"] == play_source]
        for item_id, url in zip(play["id"].tolist(), play["url"].tolist(), strict=True):
            m = _REVIEW_ID.search(url or "")
            if m:
                by_review[m.group(1)] = item_id
    known = set(items["id"].tolist())

    def lookup(file: str, key: str) -> str | None:
        if file == GOOGLE_PLAY:
            return by_review.get(key)
        source = source_of.get(file)
        item_id = f"{source}:{key}" if source else None
        return item_id if item_id in known else None

    out = truth.copy()
    out["item_id"] = [
        lookup(f, k) for f, k in zip(truth["file"].tolist(), truth["key"].tolist(), strict=True)
    ]
    return out


def stored_truth(store: Any, demo_dir: str | Path, config: VocConfig) -> pd.DataFrame:
    """The demo folder's truth table joined to the items in `store` (`attach_item_ids`)."""
    items = store.query("SELECT id, source, url FROM items")
    return attach_item_ids(load_truth(Path(demo_dir) / "_truth.csv"), items, config)
