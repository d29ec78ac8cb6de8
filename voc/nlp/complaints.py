"""What counts as a complaint: the one definition the backlog, the report and `voc eval complaints` share.

A complaint lives at the mention level (a sentence or clause of an item, the
rows of `sentence_sentiment`): a mention is a complaint when its label is
negative, and an item carries a complaint when at least one of its mentions
is one, whatever the item's overall tone. "Love it, but it runs small" is a
positive item that carries a complaint about the fit.

Derived once and stored: the themes stage writes each themed mention's flag
(`mentions.negative`, from `mention_negative`) and each item's themes it
complains about (`item_themes.complaint_ids`). A theme's `share_negative`,
wherever it is shown (themes.csv, the backlog, the report), is the share of
its items, among those with a known sentiment, that carry a complaint about
it; only the period it is counted over differs (all time in the registry, the
ranked period in the backlog, the report's scope in the report).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

COMPLAINT_LABEL = "negative"


def complaint_mentions(labels: Sequence[str] | pd.Series | np.ndarray) -> np.ndarray:
    """Per mention (its `sentence_sentiment.label`): is it a complaint? The definition lives here."""
    return np.asarray(pd.Series(labels, dtype=object).eq(COMPLAINT_LABEL), dtype=bool)


def mention_negative(
    mention_labels: Sequence[str | None] | pd.Series, item_labels: Sequence[str | None] | pd.Series
) -> np.ndarray:
    """Per mention: 1.0 a complaint, 0.0 not, NaN unknown; what `mentions.negative` stores.

    A mention's own label decides; a mention with none (a store whose themes
    split the items before any sentiment ran on their sentences) takes its
    item's label, and one with neither is unknown.
    """
    own = pd.Series(mention_labels, dtype=object).reset_index(drop=True)
    item = pd.Series(item_labels, dtype=object).reset_index(drop=True)
    label = own.where(own.notna(), item)
    out = complaint_mentions(label).astype(float)
    out[label.isna().to_numpy()] = np.nan
    return out


def carries_complaint(mention_labels: Iterable[str]) -> bool:
    """Does an item carry a complaint: at least one of its mentions is one."""
    return bool(complaint_mentions(list(mention_labels)).any())


def items_with_complaints(mentions: pd.DataFrame) -> pd.Series:
    """item_id -> carries a complaint, from rows with item_id and label (e.g. the `sentence_sentiment` table)."""
    if mentions.empty:
        return pd.Series(dtype=bool, name="complaint")
    flags = pd.Series(complaint_mentions(mentions["label"]), index=mentions.index)
    return flags.groupby(mentions["item_id"], sort=False).any().rename("complaint")
