"""What counts as a complaint: the one definition the backlog, the report and `voc eval complaints` share.

A complaint lives at the mention level (a sentence or clause of an item, the
rows of `sentence_sentiment`): a mention is a complaint when its label is
negative, and an item carries a complaint when at least one of its mentions
is one, whatever the item's overall tone. "Love it, but it runs small" is a
positive item that carries a complaint about the fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

COMPLAINT_LABEL = "negative"


def complaint_mentions(labels: Sequence[str] | pd.Series | np.ndarray) -> np.ndarray:
    """Per mention (its `sentence_sentiment.label`): is it a complaint? The definition lives here."""
    return np.asarray(pd.Series(labels, dtype=object).eq(COMPLAINT_LABEL), dtype=bool)


def carries_complaint(mention_labels: Iterable[str]) -> bool:
    """Does an item carry a complaint: at least one of its mentions is one."""
    return bool(complaint_mentions(list(mention_labels)).any())


def items_with_complaints(mentions: pd.DataFrame) -> pd.Series:
    """item_id -> carries a complaint, from rows with item_id and label (e.g. the `sentence_sentiment` table)."""
    if mentions.empty:
        return pd.Series(dtype=bool, name="complaint")
    flags = pd.Series(complaint_mentions(mentions["label"]), index=mentions.index)
    return flags.groupby(mentions["item_id"], sort=False).any().rename("complaint")
