"""An item's sentiment (its overall tone) from what the model said about its mentions.

Pure numpy: `aggregate` takes one item's mention probabilities (and the item
read whole, and optionally the calibrator of `voc.nlp.calibrate`);
`aggregate_many` does it for a batch, applying the calibrator in one matrix
product to the items it is meant for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voc.nlp.calibrate import LABELS, NEG, POS

# A sentence counts as strongly positive/negative for `mixed` at |score| >= this.
STRONG = 0.5
# Negative sentences weigh this much more than others in the item average.
NEGATIVE_WEIGHT = 2.0


@dataclass(frozen=True)
class ItemSentiment:
    """The sentiment of a whole item, aggregated from its sentences."""

    label: str
    score: float
    confidence: float
    mixed: bool


def aggregate(
    probs: np.ndarray,
    lengths: Sequence[int] | np.ndarray,
    whole: np.ndarray | None = None,
    contrast: Sequence[tuple[float, float]] = (),
    calibrator: Any = None,
) -> ItemSentiment:
    """Item sentiment (the overall tone) from its mentions' probabilities [n, 3] and lengths (characters).

    With `calibrator` (a `voc.nlp.calibrate.ItemCalibrator`), the item's
    probabilities are the calibrator's, from the whole reading and the
    distribution of the mention scores. Without it they are `whole` (the whole
    text read at once) or, without that, the sentences weighted by confidence
    and sqrt(length) (a long sentence says more, but not linearly more),
    negative sentences by NEGATIVE_WEIGHT more.
    `mixed` = a sentence with score >= STRONG and one with score <= -STRONG, or a
    `contrast` pair (the scores of two clauses joined by "but", "however", ...,
    each read on its own) with one of each. It is a flag only: "Love it, but it
    runs small" is a positive item with a negative mention, and the complaint is
    found at the mention level (`voc.nlp.complaints`).
    No sentences: neutral, confidence 0.
    """
    probs = np.asarray(probs, dtype=np.float64).reshape(-1, len(LABELS))
    if len(probs) == 0:
        return ItemSentiment("neutral", 0.0, 0.0, False)
    if calibrator is not None:
        from voc.nlp.calibrate import item_features

        item = calibrator.predict_proba(item_features(probs, lengths, whole))[0]
    else:
        item = item_reading(probs, lengths, whole)
    return _item_result(item, is_mixed(probs, contrast))


def item_reading(
    probs: np.ndarray, lengths: Sequence[int] | np.ndarray, whole: np.ndarray | None
) -> np.ndarray:
    """The uncalibrated item probabilities: `whole`, or the confidence- and length-weighted sentences."""
    if whole is not None:
        return np.asarray(whole, dtype=np.float64).reshape(len(LABELS))
    conf = probs.max(1)
    w = conf * np.sqrt(np.maximum(np.asarray(lengths, dtype=np.float64), 1.0))
    w = w * np.where(probs.argmax(1) == NEG, NEGATIVE_WEIGHT, 1.0)
    return (probs * w[:, None]).sum(0) / w.sum()


def is_mixed(probs: np.ndarray, contrast: Sequence[tuple[float, float]] = ()) -> bool:
    """A strongly positive and a strongly negative mention, or an explicit contrast read side by side."""
    scores = probs[:, POS] - probs[:, NEG]
    return bool((scores >= STRONG).any() and (scores <= -STRONG).any()) or any(
        max(a, b) >= STRONG and min(a, b) <= -STRONG for a, b in contrast
    )


def _item_result(item: np.ndarray, mixed: bool) -> ItemSentiment:
    k = int(item.argmax())
    score = float(np.clip(item[POS] - item[NEG], -1.0, 1.0))
    return ItemSentiment(LABELS[k], round(score, 6), round(float(item[k]), 6), mixed)


def aggregate_many(
    readings: Sequence[Any], calibrator: Any = None, use: Sequence[bool] | None = None
) -> list[ItemSentiment]:
    """`aggregate` of many readings (objects with probs, lengths, whole, contrast).

    The calibrator, if any, is applied in one batch to the items `use` marks
    (all of them without `use`); the others keep the model's reading.
    """
    out: list[ItemSentiment] = []
    rows, feats = [], []
    for i, r in enumerate(readings):
        p = np.asarray(r.probs, dtype=np.float64).reshape(-1, len(LABELS))
        calibrate = calibrator is not None and len(p) > 0 and (use is None or bool(use[i]))
        if calibrate:
            from voc.nlp.calibrate import item_features

            rows.append(i)
            feats.append(item_features(p, r.lengths, r.whole))
        out.append(aggregate(p, r.lengths, whole=r.whole, contrast=r.contrast))
    if rows:
        probs = calibrator.predict_proba(np.vstack(feats))
        for i, item in zip(rows, probs, strict=True):
            out[i] = _item_result(item, out[i].mixed)
    return out
