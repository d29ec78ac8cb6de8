"""Classification and clustering metrics shared by the sentiment and themes evaluations.

Small numpy implementations (same definitions as scikit-learn, checked in the
tests; fast enough to call inside tuning loops) so every `voc eval` reports
the same numbers the same way, with labels as integer indices or strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def accuracy(y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray) -> float:
    """Share of exact matches (0.0 for empty input)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if len(t) != len(p):
        raise ValueError(f"y_true has {len(t)} items, y_pred {len(p)}")
    return float((t == p).mean()) if len(t) else 0.0


def _labels(t: np.ndarray, p: np.ndarray, n_labels: int | None, labels: Sequence[Any] | None) -> list[Any]:
    if labels is not None:
        return list(labels)
    if n_labels is not None:
        return list(range(n_labels))
    return sorted(set(t.tolist()) | set(p.tolist()))


def per_class_f1(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    labels: Sequence[Any] | None = None,
    n_labels: int | None = None,
) -> dict[Any, float]:
    """F1 of each label (0 where a label is neither true nor predicted, as scikit-learn's zero_division=0)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    out: dict[Any, float] = {}
    for lab in _labels(t, p, n_labels, labels):
        tp = float(np.sum((t == lab) & (p == lab)))
        denom = float(np.sum(t == lab) + np.sum(p == lab))
        out[lab] = 2 * tp / denom if denom else 0.0
    return out


def macro_f1(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    n_labels: int | None = None,
    labels: Sequence[Any] | None = None,
) -> float:
    """Unweighted mean of per-class F1 over `labels` (or 0..n_labels-1, or the labels seen)."""
    scores = per_class_f1(y_true, y_pred, labels=labels, n_labels=n_labels)
    return float(np.mean(list(scores.values()))) if scores else 0.0


def macro_f1_rows(pred: np.ndarray, y: np.ndarray, n_labels: int) -> np.ndarray:
    """`macro_f1` of each row of `pred` [k, n] against `y` [n], labels 0..n_labels-1, in one vectorised pass.

    For tuning loops that score hundreds of candidate predictions of the same texts.
    """
    f = np.zeros(len(pred))
    for c in range(n_labels):
        hit, truth = pred == c, y == c
        tp = (hit & truth).sum(1)
        denom = hit.sum(1) + truth.sum()
        f += np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return f / n_labels


def confusion(
    y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray, labels: Sequence[Any]
) -> np.ndarray:
    """Confusion matrix: rows are true labels, columns predicted, in `labels` order."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    return np.array([[int(np.sum((t == a) & (p == b))) for b in labels] for a in labels], dtype=np.int64)


def nmi(labels_true: Sequence[Any] | np.ndarray, labels_pred: Sequence[Any] | np.ndarray) -> float:
    """Normalised mutual information between two clusterings (arithmetic normalisation)."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(labels_true, labels_pred))


def format_confusion(matrix: np.ndarray, labels: Sequence[str]) -> str:
    """Plain-text confusion matrix (rows true, columns predicted)."""
    width = max(8, *(len(str(lab)) for lab in labels)) + 1
    head = " " * width + "".join(f"{str(lab)[: width - 1]:>{width}}" for lab in labels)
    rows = [
        f"{lab!s:<{width}}" + "".join(f"{int(v):>{width}}" for v in row)
        for lab, row in zip(labels, matrix, strict=True)
    ]
    title = "true \\ pred"
    return "\n".join([f"{title:<{width}}", head, *rows])
